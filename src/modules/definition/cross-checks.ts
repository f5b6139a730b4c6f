/**
 * Checks a schema-valid definition against itself and against the law: references between
 * sections, a stated legitimate interest, transfer mechanisms, repealed laws, unused categories.
 */
import type { RegisterDefinition, Right } from './schema.ts';
import type { DefinitionProblem } from './loader.ts';
import { ADEQUACY_LIST_CHECKED, adequacyFor } from './adequacy.ts';
import { EEA_COUNTRIES, describeCountry } from './countries.ts';

type Transfer = RegisterDefinition['transfers'][number];

/**
 * The countries outside the EU/EEA that a transfer takes data to: the recipient's country, and
 * the transfer's `country` (where the data are processed) when that differs. Empty when both are
 * inside the EU/EEA.
 */
export function countriesOutsideEea(def: RegisterDefinition, t: Transfer): string[] {
  const recipient = def.recipients.find((r) => r.id === t.recipient);
  const countries = new Set([recipient?.country ?? t.country, t.country]);
  return [...countries].filter((c) => !EEA_COUNTRIES.has(c));
}

/** Laws that no longer apply, with what replaced them. */
const REPEALED_LAWS: ReadonlyArray<{ pattern: RegExp; message: string }> = [
  {
    pattern: /523\/1999|henkilötietolaki|personuppgiftslag(en)? \(523/i,
    message:
      'refers to the Finnish Personal Data Act 523/1999, repealed on 1 January 2019 and replaced by the Data Protection Act 1050/2018',
  },
  {
    pattern: /95\/46\/EC/i,
    message: 'refers to Directive 95/46/EC, repealed by the GDPR (EU) 2016/679 on 25 May 2018',
  },
];

function duplicates<T>(items: readonly T[], key: (item: T) => string): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) {
      out.push(i);
    }
    seen.add(k);
  });
  return out;
}

/** `the adequacy decision for Canada (Decision 2002/2/EC of 20 December 2001) covers only …` */
function coverage(country: string): string {
  const d = adequacyFor(country);
  return d
    ? `the adequacy decision for ${d.name} (${d.decision}) covers ${d.covers ?? 'all transfers'}`
    : '';
}

export function crossCheck(def: RegisterDefinition): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const warn = (path: string, message: string) =>
    problems.push({ path, message, severity: 'warning' });

  const categoryIds = new Set(def.categories.map((c) => c.id));
  const purposeIds = new Set(def.purposes.map((p) => p.id));
  const ruleIds = new Set(def.retention.rules.map((r) => r.id));

  for (const [section, list] of [
    ['categories', def.categories],
    ['purposes', def.purposes],
    ['sources', def.sources],
    ['recipients', def.recipients],
    ['retention.rules', def.retention.rules],
    ['retention.legalHolds', def.retention.legalHolds],
    ['register.subjectGroups', def.register.subjectGroups],
  ] as const) {
    for (const i of duplicates<{ id: string }>(list, (x) => x.id)) {
      add(`${section}[${i}].id`, `duplicate id "${list[i]?.id}"`);
    }
  }

  def.categories.forEach((c, ci) => {
    for (const i of duplicates(c.fields, (f) => f.id)) {
      add(`categories[${ci}].fields[${i}].id`, `duplicate field id "${c.fields[i]?.id}"`);
    }
    c.fields.forEach((f, fi) => {
      if (f.type === 'enum' && !f.values) {
        add(`categories[${ci}].fields[${fi}].values`, 'an enum field needs its list of values');
      }
      if (f.type !== 'enum' && f.values) {
        add(
          `categories[${ci}].fields[${fi}].values`,
          `values are only allowed on enum fields, not ${f.type}`,
        );
      }
    });
  });

  const usedCategories = new Set<string>();
  def.purposes.forEach((p, pi) => {
    p.categories.forEach((c, ci) => {
      usedCategories.add(c);
      if (!categoryIds.has(c)) {
        add(
          `purposes[${pi}].categories[${ci}]`,
          `uses category "${c}", which is not declared in categories`,
        );
      }
    });
    if (p.legalBasis === 'legitimate_interest' && !p.legitimateInterest) {
      add(
        `purposes[${pi}].legitimateInterest`,
        'a purpose based on legitimate interest must state the interest (Art. 13(1)(d))',
      );
    }
    if (p.legalBasis === 'legal_obligation' && !p.law) {
      add(
        `purposes[${pi}].law`,
        'a purpose based on a legal obligation must name the law that imposes it',
      );
    }
    if (!ruleIds.has(p.retention)) {
      add(
        `purposes[${pi}].retention`,
        `refers to retention rule "${p.retention}", which is not declared in retention.rules`,
      );
    }
    if (p.directMarketing && !['consent', 'legitimate_interest'].includes(p.legalBasis)) {
      add(
        `purposes[${pi}].legalBasis`,
        `direct marketing rests on consent or legitimate interest, not ${p.legalBasis}`,
      );
    }
  });

  def.categories.forEach((c, ci) => {
    if (!usedCategories.has(c.id)) {
      add(
        `categories[${ci}]`,
        `category "${c.id}" is used by no purpose: data without a purpose may not be kept (Art. 5(1)(b))`,
      );
    }
  });

  def.recipients.forEach((r, ri) => {
    r.categories.forEach((c, i) => {
      if (!categoryIds.has(c)) {
        add(`recipients[${ri}].categories[${i}]`, `category "${c}" is not declared`);
      }
    });
    r.purposes.forEach((p, i) => {
      if (!purposeIds.has(p)) {
        add(`recipients[${ri}].purposes[${i}]`, `purpose "${p}" is not declared`);
      }
    });
    if ((r.role === 'processor' || r.role === 'subprocessor') && !r.dpaDate) {
      add(
        `recipients[${ri}].dpaDate`,
        'a processor acts on a data processing agreement (Art. 28(3)); give its date',
      );
    }
    if (!EEA_COUNTRIES.has(r.country) && !def.transfers.some((t) => t.recipient === r.id)) {
      add(
        `recipients[${ri}].country`,
        `recipient is in ${describeCountry(r.country)}, outside the EU/EEA, but no transfer declares how data reaches it`,
      );
    }
  });

  def.transfers.forEach((t, ti) => {
    const at = `transfers[${ti}]`;
    const recipient = def.recipients.find((r) => r.id === t.recipient);
    if (!recipient) {
      add(`${at}.recipient`, `recipient "${t.recipient}" is not declared in recipients`);
    } else if (!EEA_COUNTRIES.has(recipient.country) && EEA_COUNTRIES.has(t.country)) {
      add(
        `${at}.country`,
        `recipient "${recipient.id}" is in ${describeCountry(recipient.country)}, outside the EU/EEA: data sent to it leave the EU/EEA whatever country the transfer names`,
      );
    }
    const outside = countriesOutsideEea(def, t);
    if (outside.length === 0) {
      warn(
        at,
        `the recipient and the country are inside the EU/EEA: this is not a transfer to a third country and needs no mechanism`,
      );
      return;
    }
    const where = outside.map(describeCountry).join(' and ');
    if (!t.mechanism) {
      add(
        `${at}.mechanism`,
        `a transfer to ${where}, outside the EU/EEA, needs a mechanism (adequacy, dpf, scc, bcr or derogation; Art. 44–49)`,
      );
    } else if (t.mechanism === 'privacy_shield') {
      add(
        `${at}.mechanism`,
        'the EU-US Privacy Shield was invalidated on 16 July 2020 (CJEU C-311/18, Schrems II); use dpf, scc or another mechanism',
      );
    } else if (t.mechanism === 'scc' && t.sccModule === undefined) {
      add(`${at}.sccModule`, 'name the module (1–4) of the standard contractual clauses 2021/914');
    } else if (t.mechanism === 'derogation' && !t.derogation) {
      add(`${at}.derogation`, 'name the Art. 49(1) derogation relied on');
    } else if (t.mechanism === 'dpf') {
      if (outside.some((c) => c !== 'US')) {
        add(
          `${at}.mechanism`,
          `the EU-US Data Privacy Framework covers transfers to the United States only, not to ${outside
            .filter((c) => c !== 'US')
            .map(describeCountry)
            .join(' or ')}`,
        );
      } else {
        warn(
          `${at}.mechanism`,
          `${coverage('US')}: check that ${recipient?.name ?? t.recipient} is on the Data Privacy Framework List for the data it receives`,
        );
      }
    } else if (t.mechanism === 'adequacy') {
      for (const c of outside) {
        const decision = adequacyFor(c);
        if (c === 'US') {
          add(
            `${at}.mechanism`,
            `${coverage('US')}: declare such a transfer with mechanism dpf, or use scc or another mechanism`,
          );
        } else if (!decision) {
          add(
            `${at}.mechanism`,
            `the European Commission has adopted no adequacy decision for ${describeCountry(c)} (list checked ${ADEQUACY_LIST_CHECKED}); use scc, bcr or a derogation`,
          );
        } else if (decision.covers) {
          warn(
            `${at}.mechanism`,
            `${coverage(c)}: check that ${recipient?.name ?? t.recipient} and the data it receives fall within it, or use scc`,
          );
        }
      }
    }
  });

  def.retention.legalHolds.forEach((h, hi) => {
    const holdPurpose = def.purposes.find((p) => p.id === h.purpose);
    if (!holdPurpose) {
      add(`retention.legalHolds[${hi}].purpose`, `purpose "${h.purpose}" is not declared`);
    }
    h.categories.forEach((c, i) => {
      if (!categoryIds.has(c)) {
        add(`retention.legalHolds[${hi}].categories[${i}]`, `category "${c}" is not declared`);
      } else if (holdPurpose && !holdPurpose.categories.includes(c)) {
        add(
          `retention.legalHolds[${hi}].categories[${i}]`,
          `the hold keeps "${c}" for purpose "${h.purpose}", which does not use it: after an erasure nobody could read it`,
        );
      }
    });
    h.triggeredBy?.forEach((c, i) => {
      if (!categoryIds.has(c)) {
        add(`retention.legalHolds[${hi}].triggeredBy[${i}]`, `category "${c}" is not declared`);
      }
    });
    if (!h.triggeredBy && h.categories.length >= 3) {
      warn(
        `retention.legalHolds[${hi}].triggeredBy`,
        `the hold keeps ${h.categories.length} categories and any of them triggers it: name the categories whose presence means the law applies (for bookkeeping, the orders or invoices), or a person with only a name and an e-mail address is held too`,
      );
    }
  });

  checkRights(def, add, warn);

  const lawTexts: Array<[string, string]> = [
    ...def.retention.legalHolds.map((h, i): [string, string] => [
      `retention.legalHolds[${i}].law`,
      h.law,
    ]),
    ...def.purposes.flatMap((p, i): Array<[string, string]> =>
      p.law ? [[`purposes[${i}].law`, p.law]] : [],
    ),
  ];
  for (const [path, text] of lawTexts) {
    for (const law of REPEALED_LAWS) {
      if (law.pattern.test(text)) {
        add(path, law.message);
      }
    }
  }

  (def.roles ?? []).forEach((r, ri) => {
    for (const mode of ['read', 'write'] as const) {
      r[mode].forEach((p, i) => {
        if (p !== '*' && !purposeIds.has(p)) {
          add(`roles[${ri}].${mode}[${i}]`, `purpose "${p}" is not declared`);
        }
      });
    }
  });
  if (def.roles) {
    for (const i of duplicates(def.roles, (r) => r.id)) {
      add(`roles[${i}].id`, `duplicate id "${def.roles[i]?.id}"`);
    }
    if (!def.roles.some((r) => r.actions.includes('manage_staff'))) {
      add('roles', 'no role may manage staff: nobody could ever add or change a staff account');
    }
  }

  if (!def.purposes.some((p) => p.allowedDuringRestriction)) {
    add(
      'purposes',
      'no purpose is allowed during restriction: mark at least storage or legal claims with allowedDuringRestriction',
    );
  }

  return problems;
}

type Report = (path: string, message: string) => void;

/** The rights section: a way to make a request, and the rights the purposes make unavoidable. */
function checkRights(def: RegisterDefinition, add: Report, warn: Report): void {
  const { rights } = def;
  if (rights.channels.length === 0) {
    add(
      'rights.channels',
      'offers no way to make a request: add at least one channel (portal, email, postal, in_person or phone)',
    );
  }
  rights.channels.forEach((c, i) => {
    const at = `rights.channels[${i}]`;
    if (c.kind === 'email' && c.email === undefined) {
      add(`${at}.email`, 'an email channel needs the address requests are sent to');
    }
    if (c.kind === 'phone' && c.phone === undefined) {
      add(`${at}.phone`, 'a phone channel needs the number to call');
    }
    if (c.email !== undefined && c.kind !== 'email') {
      add(`${at}.email`, `only an email channel has an address to send to, not ${c.kind}`);
    }
    if (c.phone !== undefined && c.kind !== 'phone') {
      add(`${at}.phone`, `only a phone channel has a number to call, not ${c.kind}`);
    }
    if (c.address !== undefined && c.kind !== 'postal' && c.kind !== 'in_person') {
      add(`${at}.address`, `only postal and in_person channels have an address, not ${c.kind}`);
    }
    if (c.kind === 'portal' && !c.proof.some((p) => p === 'email_link' || p === 'strong_eid')) {
      add(
        `${at}.proof`,
        'the portal can check identity only by email_link or strong_eid: give one of them',
      );
    }
  });
  for (const i of duplicates(rights.channels, (c) => `${c.kind}:${c.email ?? c.phone ?? ''}`)) {
    add(`rights.channels[${i}]`, `channel ${rights.channels[i]?.kind} is listed twice`);
  }
  for (const i of duplicates(rights.offered, (r) => r.right)) {
    add(`rights.offered[${i}].right`, `right "${rights.offered[i]?.right}" is listed twice`);
  }
  for (const i of duplicates(rights.stronger, (r) => r.type)) {
    add(`rights.stronger[${i}].type`, `request type "${rights.stronger[i]?.type}" is listed twice`);
  }

  const offered = new Set(rights.offered.map((r) => r.right));
  const bases = new Set(def.purposes.map((p) => p.legalBasis));
  const required: Array<[Right, boolean, string]> = [
    ['access', true, 'the right of access always applies (Art. 15)'],
    ['rectification', true, 'the right to rectification always applies (Art. 16)'],
    [
      'objection',
      bases.has('legitimate_interest') || bases.has('public_task'),
      'a purpose rests on legitimate interest or a public task, so the person may object (Art. 21(1))',
    ],
    [
      'consent_withdrawal',
      bases.has('consent'),
      'a purpose rests on consent, which may be withdrawn at any time (Art. 7(3))',
    ],
    [
      'marketing_prohibition',
      def.purposes.some((p) => p.directMarketing),
      'a purpose is direct marketing, which a person may prohibit at any time (Art. 21(2))',
    ],
  ];
  for (const [right, applies, why] of required) {
    if (applies && !offered.has(right)) {
      add('rights.offered', `offer "${right}": ${why}`);
    }
  }
  if (!offered.has('erasure')) {
    warn('rights.offered', 'erasure is not offered: Art. 17 applies unless an exception does');
  }
  if (!offered.has('restriction')) {
    warn('rights.offered', 'restriction is not offered: Art. 18 applies to every register');
  }
  if (offered.has('portability') && !bases.has('consent') && !bases.has('contract')) {
    warn(
      'rights.offered',
      'portability is offered, but no purpose rests on consent or contract, the only bases it covers (Art. 20(1))',
    );
  }
}
