/**
 * Checks a schema-valid definition against itself and against the law: references between
 * sections, a stated legitimate interest, transfer mechanisms, repealed laws, unused categories.
 */
import {
  BUILT_IN_CHANNELS,
  BUILT_IN_KINDS,
  LANGUAGES,
  UNKNOWN,
  type Language,
  type RegisterDefinition,
  type Right,
} from './schema.ts';
import type { DefinitionProblem } from './loader.ts';
import { ADEQUACY_LIST_CHECKED, adequacyFor } from './adequacy.ts';
import { EEA_COUNTRIES, describeCountry } from './countries.ts';
import { repealedIn } from './laws.ts';

type Transfer = RegisterDefinition['transfers'][number];

/**
 * The countries outside the EU/EEA that a transfer takes data to: the recipient's country, and
 * the transfer's `country` (where the data are processed) when that differs. Empty when both are
 * inside the EU/EEA.
 */
export function countriesOutsideEea(def: RegisterDefinition, t: Transfer): string[] {
  const recipient = def.recipients.find((r) => r.id === t.recipient);
  const where =
    recipient === undefined || recipient.country === UNKNOWN ? t.country : recipient.country;
  const countries = new Set([where, t.country]);
  return [...countries].filter((c) => !EEA_COUNTRIES.has(c));
}

/** `2027-02-28` → the date plus an ISO 8601 duration of years, months, weeks and days. */
function addDuration(date: string, duration: string): string {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/.exec(duration);
  const d = new Date(`${date}T00:00:00Z`);
  if (!m) {
    return date;
  }
  const [, y = '0', mo = '0', w = '0', day = '0'] = m;
  const target = d.getUTCMonth() + Number(y) * 12 + Number(mo);
  const last = new Date(Date.UTC(d.getUTCFullYear(), target + 1, 0)).getUTCDate();
  const out = new Date(
    Date.UTC(
      d.getUTCFullYear(),
      target,
      Math.min(d.getUTCDate(), last) + Number(w) * 7 + Number(day),
    ),
  );
  return out.toISOString().slice(0, 10);
}

/**
 * Every text of the definition with its path, for the repealed-law scan: strings anywhere, the
 * languages the register does not publish left out (they repeat the first one).
 */
function texts(
  value: unknown,
  path: string,
  languages: readonly Language[],
  out: Array<[string, string]>,
) {
  if (typeof value === 'string') {
    out.push([path, value]);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      texts(v, `${path}[${i}]`, languages, out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if ((LANGUAGES as readonly string[]).includes(key) && !languages.includes(key as Language)) {
        continue;
      }
      texts(v, path === '' ? key : `${path}.${key}`, languages, out);
    }
  }
}

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

/** The SCC 2021/914 modules and whom each sends data to. */
const SCC_MODULES: Record<number, { name: string; to: 'controller' | 'processor' }> = {
  1: { name: 'module 1 (controller to controller)', to: 'controller' },
  2: { name: 'module 2 (controller to processor)', to: 'processor' },
  3: { name: 'module 3 (processor to processor)', to: 'processor' },
  4: { name: 'module 4 (processor to controller)', to: 'controller' },
};

/**
 * Checks the definition. With `today` (YYYY-MM-DD), as `rekisteri check` gives it, a notice whose
 * review is overdue or that is dated in the future is warned about too; without it the result
 * depends on the text alone (the same definition always loads with the same warnings).
 * Errors are what the definition may not say (or the law no longer allows); warnings
 * (`severity: 'warning'`) are what it leaves unsaid or should be checked, each with the article.
 */
export function crossCheck(def: RegisterDefinition, today?: string): DefinitionProblem[] {
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
    if (p.legalBasis === UNKNOWN) {
      warn(
        `purposes[${pi}].legalBasis`,
        `the legal basis of purpose "${p.id}" is unknown: the notice must state it (Art. 13(1)(c), 14(1)(c)); until then the purpose runs flagged, and an objection or a withdrawal of consent stops it`,
      );
    }
    if (p.openEnded) {
      warn(
        `purposes[${pi}].openEnded`,
        `purpose "${p.id}" is open-ended: purposes must be specified and explicit (Art. 5(1)(b), 13(1)(c)); list what it covers`,
      );
      if (p.legalBasis !== 'consent' && p.legalBasis !== UNKNOWN) {
        add(
          `purposes[${pi}].legalBasis`,
          `an open-ended purpose can rest only on the consent given for it, not ${p.legalBasis}`,
        );
      }
    }
    if (
      p.directMarketing &&
      p.legalBasis !== UNKNOWN &&
      !['consent', 'legitimate_interest'].includes(p.legalBasis)
    ) {
      add(
        `purposes[${pi}].legalBasis`,
        `direct marketing rests on consent or legitimate interest, not ${p.legalBasis}`,
      );
    }
  });

  def.categories.forEach((c, ci) => {
    if (c.openEnded) {
      if (!c.description) {
        add(
          `categories[${ci}].description`,
          `an open-ended category says in its description what it may hold ("other information you give with your consent")`,
        );
      }
      warn(
        `categories[${ci}].openEnded`,
        `category "${c.id}" is open-ended: the notice must name the categories of data (Art. 14(1)(d)) and keep only what a purpose needs (Art. 5(1)(c))`,
      );
    }
    if (!usedCategories.has(c.id)) {
      add(
        `categories[${ci}]`,
        `category "${c.id}" is used by no purpose: data without a purpose may not be kept (Art. 5(1)(b))`,
      );
    }
  });

  def.sources.forEach((s, si) => {
    s.categories.forEach((c, i) => {
      if (!categoryIds.has(c)) {
        add(`sources[${si}].categories[${i}]`, `category "${c}" is not declared in categories`);
      }
    });
  });
  if (def.sources.some((s) => s.categories.length > 0)) {
    const supplied = new Set(def.sources.flatMap((s) => s.categories));
    def.categories.forEach((c, ci) => {
      if (!supplied.has(c.id)) {
        warn(
          `categories[${ci}]`,
          `no source says it supplies category "${c.id}": the notice names the source of data not obtained from the person (Art. 14(2)(f))`,
        );
      }
    });
  }

  def.disclosures.forEach((d, di) => {
    d.recipients.forEach((r, i) => {
      if (!def.recipients.some((x) => x.id === r)) {
        add(
          `disclosures[${di}].recipients[${i}]`,
          `recipient "${r}" is not declared in recipients`,
        );
      }
    });
  });
  for (const i of duplicates(
    def.disclosures.filter((d) => d.kind !== 'other'),
    (d) => d.kind,
  )) {
    warn(
      `disclosures`,
      `disclosure kind "${def.disclosures.filter((d) => d.kind !== 'other')[i]?.kind}" is listed twice`,
    );
  }

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
        'a processor acts on a data processing agreement (Art. 28(3)); give its date, or unknown where it is not known',
      );
    }
    if (r.dpaDate === UNKNOWN) {
      warn(
        `recipients[${ri}].dpaDate`,
        `the date of the data processing agreement with ${r.name.en} is unknown: a processor acts only on a binding contract (Art. 28(3)); find it and give its date`,
      );
    }
    if (r.dpfCertified && r.country !== 'US') {
      add(
        `recipients[${ri}].dpfCertified`,
        `only organisations in the United States are certified under the EU-US Data Privacy Framework; ${r.name.en} is in ${r.country === UNKNOWN ? 'an unknown country' : describeCountry(r.country)}`,
      );
    }
    if (r.country === UNKNOWN) {
      warn(
        `recipients[${ri}].country`,
        `where ${r.name.en} is, is unknown: if outside the EU/EEA, the notice must say so and name the safeguard (Art. 13(1)(f), 14(1)(f), 44–49)`,
      );
    } else if (!EEA_COUNTRIES.has(r.country) && !def.transfers.some((t) => t.recipient === r.id)) {
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
    } else if (
      recipient.country !== UNKNOWN &&
      !EEA_COUNTRIES.has(recipient.country) &&
      EEA_COUNTRIES.has(t.country)
    ) {
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
    if (t.sccModule !== undefined && t.mechanism !== 'scc') {
      add(`${at}.sccModule`, 'a module is given only for mechanism scc');
    }
    if (t.derogation !== undefined && t.mechanism !== 'derogation') {
      add(`${at}.derogation`, 'a derogation is named only for mechanism derogation');
    }
    if (t.withinAdequacyScope !== undefined && t.mechanism !== 'adequacy') {
      add(
        `${at}.withinAdequacyScope`,
        'only a transfer on an adequacy decision has a scope to check',
      );
    }
    if (!t.mechanism) {
      add(
        `${at}.mechanism`,
        `a transfer to ${where}, outside the EU/EEA, needs a mechanism (adequacy, dpf, scc, bcr or derogation; Art. 44–49)`,
      );
    } else if (t.mechanism === 'unknown') {
      warn(
        `${at}.mechanism`,
        `the safeguard of the transfer to ${where} is unknown: the notice must name it and say how to get a copy (Art. 13(1)(f), 14(1)(f)), and a transfer needs one (Art. 44–49)`,
      );
    } else if (t.mechanism === 'privacy_shield') {
      add(
        `${at}.mechanism`,
        'the EU-US Privacy Shield was invalidated on 16 July 2020 (CJEU C-311/18, Schrems II); use dpf (for a certified recipient), scc or another mechanism',
      );
    } else if (t.mechanism === 'safe_harbor') {
      add(
        `${at}.mechanism`,
        'the Safe Harbor decision was invalidated on 6 October 2015 (CJEU C-362/14, Schrems I); use dpf (for a certified recipient), scc or another mechanism',
      );
    } else if (t.mechanism === 'scc' && t.sccModule === undefined) {
      add(`${at}.sccModule`, 'name the module (1–4) of the standard contractual clauses 2021/914');
    } else if (t.mechanism === 'scc' && recipient && t.sccModule !== undefined) {
      const module = SCC_MODULES[t.sccModule];
      const toProcessor = recipient.role === 'processor' || recipient.role === 'subprocessor';
      const toController = recipient.role === 'controller' || recipient.role === 'joint_controller';
      if (
        module &&
        ((module.to === 'processor' && toController) || (module.to === 'controller' && toProcessor))
      ) {
        warn(
          `${at}.sccModule`,
          `${module.name} of the clauses 2021/914 sends data to a ${module.to}, but ${recipient.name.en} is a ${recipient.role.replace('_', ' ')}: check the module`,
        );
      }
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
      } else if (recipient && !recipient.dpfCertified) {
        add(
          `${at}.mechanism`,
          `${coverage('US')}: ${recipient.name.en} is not marked dpfCertified; once it is on the Data Privacy Framework List for the data it receives, set dpfCertified: true, or use scc or another mechanism`,
        );
      }
    } else if (t.mechanism === 'adequacy') {
      for (const c of outside) {
        const decision = adequacyFor(c);
        if (decision?.requiresCertification === 'dpf') {
          if (!recipient?.dpfCertified) {
            add(
              `${at}.mechanism`,
              `${coverage(c)}: declare such a transfer with mechanism dpf and a recipient marked dpfCertified, or use scc or another mechanism`,
            );
          }
        } else if (!decision) {
          add(
            `${at}.mechanism`,
            `the European Commission has adopted no adequacy decision for ${describeCountry(c)} (list checked ${ADEQUACY_LIST_CHECKED}); use scc, bcr or a derogation`,
          );
        } else if (decision.privateSectorOnly && recipient?.role === 'authority') {
          add(
            `${at}.mechanism`,
            `${coverage(c)}: ${recipient.name.en} is an authority, outside it; use scc, or a derogation for an occasional transfer`,
          );
        } else if (decision.covers && t.withinAdequacyScope !== true) {
          warn(
            `${at}.withinAdequacyScope`,
            `${coverage(c)}: check that ${recipient?.name.en ?? t.recipient} and the data it receives fall within it and set withinAdequacyScope: true, or use scc`,
          );
        }
      }
    }
  });

  def.retention.rules.forEach((rule, ri) => {
    if (rule.duration === UNKNOWN) {
      warn(
        `retention.rules[${ri}].duration`,
        `how long rule "${rule.id}" keeps data is unknown: the notice must state the period or the criteria for it (Art. 13(2)(a), 14(2)(a)); until then nothing under it is deleted automatically`,
      );
    }
  });

  checkNotice(def, today, add, warn);

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
  checkMarketing(def, add, warn);

  // A repealed law is out of date wherever it is cited: notice.laws, purposes[].law, the legal
  // holds, and any text of the notice.
  const allTexts: Array<[string, string]> = [];
  texts(def, '', def.languages, allTexts);
  for (const [path, text] of allTexts) {
    for (const law of repealedIn(text)) {
      add(
        path,
        `cites ${law.act}, which no longer applies: replaced by ${law.repealedBy} (since ${law.since})`,
      );
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

  // Automated decisions (Art. 22): each names declared purposes, once.
  if (Array.isArray(def.automatedDecisions)) {
    const decisions = def.automatedDecisions;
    for (const i of duplicates(decisions, (d) => d.id)) {
      add(`automatedDecisions[${i}].id`, `duplicate id "${decisions[i]?.id}"`);
    }
    decisions.forEach((d, di) => {
      d.purposes.forEach((p, i) => {
        if (!purposeIds.has(p)) {
          add(
            `automatedDecisions[${di}].purposes[${i}]`,
            `purpose "${p}" is not declared in purposes`,
          );
        }
      });
    });
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

/** The notice's own metadata: its date, and when it is next reviewed. */
function checkNotice(
  def: RegisterDefinition,
  today: string | undefined,
  add: Report,
  warn: Report,
): void {
  const n = def.notice;
  if (!n) {
    return;
  }
  if (today !== undefined && n.date > today) {
    warn('notice.date', `the notice is dated ${n.date}, after today (${today})`);
  }
  if (n.nextReview !== undefined && n.nextReview <= n.date) {
    add(
      'notice.nextReview',
      `the next review (${n.nextReview}) must come after the notice's date (${n.date})`,
    );
  } else if (n.nextReview !== undefined && n.reviewInterval !== undefined) {
    const due = addDuration(n.date, n.reviewInterval);
    if (n.nextReview > due) {
      warn(
        'notice.nextReview',
        `the next review (${n.nextReview}) comes later than the interval ${n.reviewInterval} from ${n.date} allows (${due})`,
      );
    }
  }
  const due =
    n.nextReview ??
    (n.reviewInterval !== undefined ? addDuration(n.date, n.reviewInterval) : undefined);
  if (today !== undefined && due !== undefined && due < today) {
    warn(
      n.nextReview !== undefined ? 'notice.nextReview' : 'notice.reviewInterval',
      `the notice was due for review on ${due}: check that it still says what the register does (Art. 5(2), 12(1))`,
    );
  }
}

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

/**
 * Marketing permissions (Information Society Code 917/2014 ch. 24, s. 200–202; GDPR Art. 7,
 * 21(2)–(3)): the channels and kinds are declared, and each marketing purpose rests per channel on
 * what the law allows. Electronic messages (e-mail, SMS) to private persons need prior consent;
 * the one exception (soft opt-in) is for one's own customers and must be declared as such; to
 * contacts of organisations and by phone or post an opt-out suffices.
 */
function checkMarketing(def: RegisterDefinition, add: Report, warn: Report): void {
  const section = def.marketing;
  const categoryIds = new Set(def.categories.map((c) => c.id));
  const channels = new Map<string, { electronic: boolean; fields: string[] }>();
  const kinds = new Map<string, string>();
  if (section) {
    section.channels.forEach((c, i) => {
      const at = `marketing.channels[${i}]`;
      const builtIn = (BUILT_IN_CHANNELS as Record<string, { electronic: boolean } | undefined>)[
        c.id
      ];
      if (channels.has(c.id)) {
        add(`${at}.id`, `duplicate id "${c.id}"`);
      }
      if (!builtIn && c.label === undefined) {
        add(
          `${at}.label`,
          `channel "${c.id}" is not built in (email, sms, phone, post): give its label in sv, fi and en`,
        );
      }
      if (!builtIn && c.electronic === undefined) {
        add(
          `${at}.electronic`,
          `say whether channel "${c.id}" sends electronic messages: to private persons they need prior consent`,
        );
      }
      c.fields.forEach((ref, j) => {
        const [category = '', field = ''] = ref.split('.');
        const cat = def.categories.find((x) => x.id === category);
        if (!cat) {
          add(`${at}.fields[${j}]`, `category "${category}" is not declared in categories`);
        } else if (!cat.fields.some((f) => f.id === field)) {
          add(`${at}.fields[${j}]`, `category "${category}" has no field "${field}"`);
        }
      });
      channels.set(c.id, {
        electronic: c.electronic ?? builtIn?.electronic ?? true,
        fields: c.fields,
      });
    });
    section.kinds.forEach((k, i) => {
      const at = `marketing.kinds[${i}]`;
      const builtIn = (BUILT_IN_KINDS as Record<string, { nature: string } | undefined>)[k.id];
      if (kinds.has(k.id)) {
        add(`${at}.id`, `duplicate id "${k.id}"`);
      }
      if (!builtIn && k.label === undefined) {
        add(
          `${at}.label`,
          `kind "${k.id}" is not built in (${Object.keys(BUILT_IN_KINDS).join(', ')}): give its label in sv, fi and en`,
        );
      }
      if (!builtIn && k.nature === undefined) {
        add(
          `${at}.nature`,
          `say what kind "${k.id}" is: direct_marketing, market_research or profiling`,
        );
      }
      kinds.set(k.id, k.nature ?? builtIn?.nature ?? 'direct_marketing');
    });
  }
  const usedKinds = new Set<string>();
  def.purposes.forEach((p, pi) => {
    const at = `purposes[${pi}]`;
    const perm = p.permission;
    const marketingFlag = p.directMarketing || p.marketResearch || p.profiling;
    if (!perm) {
      if (marketingFlag) {
        const what = p.directMarketing
          ? 'direct marketing'
          : p.marketResearch
            ? 'market research'
            : 'profiling';
        (section ? add : warn)(
          `${at}.permission`,
          `purpose "${p.id}" is ${what} but declares no permission (kind and channels): a person could not refuse it per channel, nor would the ledger be asked (Art. 21(2)–(3))`,
        );
      }
      return;
    }
    const pat = `${at}.permission`;
    const nature = kinds.get(perm.kind);
    if (nature === undefined) {
      add(
        `${pat}.kind`,
        section
          ? `kind "${perm.kind}" is not declared in marketing.kinds`
          : `kind "${perm.kind}" is not declared: add a marketing section with its channels and kinds`,
      );
    } else {
      usedKinds.add(perm.kind);
      const flag =
        nature === 'direct_marketing'
          ? 'directMarketing'
          : nature === 'market_research'
            ? 'marketResearch'
            : 'profiling';
      if (!p[flag]) {
        add(
          `${at}.${flag}`,
          `the permission kind "${perm.kind}" is ${nature.replace('_', ' ')}: mark the purpose ${flag}: true, so that objections and prohibitions reach it`,
        );
      }
    }
    // (A direct-marketing purpose on another basis is reported above already.)
    if (
      !p.directMarketing &&
      p.legalBasis !== 'consent' &&
      p.legalBasis !== 'legitimate_interest' &&
      p.legalBasis !== UNKNOWN
    ) {
      add(
        `${at}.legalBasis`,
        `marketing, market research and profiling rest on consent or legitimate interest, not ${p.legalBasis}`,
      );
    }
    if (perm.audience === 'organisation_contacts' && perm.organisationCategory === undefined) {
      add(
        `${pat}.organisationCategory`,
        'a purpose addressing contacts of organisations names the category that shows who is one (organisation)',
      );
    }
    for (const key of ['organisationCategory', 'customerCategory'] as const) {
      const c = perm[key];
      if (c !== undefined && !categoryIds.has(c)) {
        add(`${pat}.${key}`, `category "${c}" is not declared in categories`);
      }
    }
    if (perm.organisationCategory !== undefined && perm.audience !== 'organisation_contacts') {
      add(
        `${pat}.organisationCategory`,
        'only a purpose addressing organisation_contacts tells them apart by a category',
      );
    }
    if (perm.channels.length === 0 && perm.basis === undefined) {
      add(
        `${pat}.channels`,
        'give the channels the purpose reaches people on, each with its basis, or for a purpose that reaches nobody by a channel (profiling) its basis',
      );
    }
    if (perm.channels.length > 0 && perm.basis !== undefined) {
      add(
        `${pat}.basis`,
        'basis is for a purpose with no channel; give each channel its own basis instead',
      );
    }
    if (perm.basis === 'opt_out' && p.legalBasis === 'consent') {
      add(`${pat}.basis`, `purpose "${p.id}" rests on consent: it cannot rest on an opt-out`);
    }
    const seen = new Set<string>();
    let softOptIn = false;
    perm.channels.forEach((c, ci) => {
      const cat = `${pat}.channels[${ci}]`;
      const channel = channels.get(c.channel);
      if (seen.has(c.channel)) {
        add(`${cat}.channel`, `channel "${c.channel}" is listed twice`);
      }
      seen.add(c.channel);
      if (!channel) {
        add(
          `${cat}.channel`,
          section
            ? `channel "${c.channel}" is not declared in marketing.channels`
            : `channel "${c.channel}" is not declared: add a marketing section with its channels and kinds`,
        );
        return;
      }
      const unused = channel.fields.filter((f) => !p.categories.includes(f.split('.')[0] ?? ''));
      if (unused.length === channel.fields.length) {
        add(
          `${cat}.channel`,
          `channel "${c.channel}" reaches people at ${channel.fields.join(', ')}, which purpose "${p.id}" does not use`,
        );
      }
      if (p.legalBasis === 'consent' && c.basis !== 'consent') {
        add(
          `${cat}.basis`,
          `purpose "${p.id}" rests on consent: reaching people on ${c.channel} rests on consent too, not ${c.basis}`,
        );
      }
      if (c.basis === 'soft_opt_in') {
        softOptIn = true;
        if (!channel.electronic) {
          add(
            `${cat}.basis`,
            `soft_opt_in is the exception for electronic messages; ${c.channel} is not one and is opt_out already`,
          );
        } else if (perm.audience === 'organisation_contacts') {
          warn(
            `${cat}.basis`,
            'to contacts of organisations an opt-out suffices: opt_out says so without the soft opt-in exception',
          );
        }
      }
      // Market research and opinion polls are not direct marketing (ch. 24) unless they market.
      if (
        channel.electronic &&
        c.basis === 'opt_out' &&
        perm.audience !== 'organisation_contacts' &&
        (nature ?? 'direct_marketing') === 'direct_marketing'
      ) {
        add(
          `${cat}.basis`,
          `${c.channel} marketing to private persons needs their prior consent (Information Society Code 917/2014 s. 200): use consent, or soft_opt_in (with customerCategory) only for your own customers' contact details and your own similar products`,
        );
      }
    });
    if (softOptIn && perm.customerCategory === undefined) {
      add(
        `${pat}.customerCategory`,
        'soft_opt_in covers only contact details obtained from a customer in a sale: name the category that shows a person is one (orders)',
      );
    }
    if (!softOptIn && perm.customerCategory !== undefined) {
      add(`${pat}.customerCategory`, 'only a channel on soft_opt_in needs a customer category');
    }
  });
  section?.kinds.forEach((k, i) => {
    if (!usedKinds.has(k.id) && !(section.kinds.findIndex((x) => x.id === k.id) < i)) {
      warn(`marketing.kinds[${i}]`, `kind "${k.id}" is used by no purpose`);
    }
  });
}
