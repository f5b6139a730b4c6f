/**
 * The items Articles 13 and 14 of the GDPR require a privacy notice to give, each in one place:
 * what the register definition leaves unanswered for it (`gaps`, which the completeness check
 * reports) and how the notice says it (`render`). A new field of the definition that answers an
 * item is read here, in that item only, and both the notice and the check follow.
 */
import {
  appointedDpo,
  countriesOutsideEea,
  EEA_COUNTRIES,
  isUnknown,
  resolveMarketing,
  type Localized,
  type RegisterDefinition,
  type Right,
} from '../definition/index.ts';
import { formatDuration, type PackageMessages } from '../subjects/index.ts';
import type { NoticeLang, NoticeMessages } from './messages.ts';

export type NoticeBlock =
  | { kind: 'heading'; level: 1 | 2 | 3 | 4; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'pairs'; items: Array<{ term: string; text: string; note?: string }> }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; head: string[]; rows: string[][] }
  /** Links to the portal's pages: `href` is a path of the portal (/requests/new). */
  | { kind: 'links'; items: Array<{ text: string; href: string }> };

/** Something the law asks the notice to say that the definition does not. */
export interface NoticeGap {
  /** The item of the notice (`dpo`, `requirement`…). */
  item: string;
  /** Where in the definition the answer belongs: `controller.dpo`, `transfers[1].mechanism`. */
  path: string;
  /** In English, for `rekisteri check`, naming the article that requires it. */
  message: string;
  /** What exactly is missing, for the notice's own sentence in each of its languages. */
  fact: GapFact;
}

/**
 * What a gap leaves unsaid, by the ids the definition uses (a purpose, a recipient, a rule, a
 * right), so that the notice names them in its own language.
 */
export type GapFact =
  | { kind: 'representative' }
  | { kind: 'dpo' }
  | { kind: 'basis'; purpose: string }
  | { kind: 'law'; purpose: string }
  | { kind: 'interest'; purpose: string }
  | { kind: 'mechanism'; recipient: string; country: string }
  | { kind: 'country'; recipient: string }
  | { kind: 'no_transfer'; recipient: string; country: string }
  | { kind: 'duration'; rule: string }
  | { kind: 'right'; right: Right }
  | { kind: 'channels' }
  | { kind: 'withdrawal' }
  | { kind: 'requirement'; purpose: string }
  | { kind: 'automated' };

export interface RenderContext {
  def: RegisterDefinition;
  lang: NoticeLang;
  m: NoticeMessages;
  pm: PackageMessages;
  /** A text of the definition in the notice's language, safe to show. */
  l: (t: Localized | undefined) => string;
  /** Plain text of the definition (a name, an address), safe to show. */
  s: (t: string | undefined) => string;
  country: (code: string) => string;
  category: (id: string) => string;
  purpose: (id: string) => string;
  /** This item's gaps. */
  gaps: readonly NoticeGap[];
}

export interface NoticeItem {
  id: string;
  /** The articles that require it, as the check and the docs cite them. */
  article: string;
  heading: (m: NoticeMessages) => string;
  gaps: (def: RegisterDefinition) => NoticeGap[];
  render: (ctx: RenderContext) => NoticeBlock[];
}

/**
 * Source kinds whose data are collected from the person (Art. 13): what they give themselves and
 * what is observed of them (their device, their use of the website). The others (public
 * registers, social networks, partners, staff) are other sources (Art. 14).
 */
export const FROM_PERSON_SOURCES: ReadonlySet<string> = new Set(['subject', 'automatic']);

/**
 * Whether any of `categories` is collected from the person (Art. 13), so that Art. 13(2)(e)
 * (whether providing the data is required) applies: a category some source of kind `subject` or
 * `automatic` supplies, or one no source is said to supply (then it cannot be ruled out). False
 * only when every category comes from other sources alone (Art. 14).
 */
export function collectedFromPerson(
  def: RegisterDefinition,
  categories: readonly string[],
): boolean {
  // A source of the person that does not say what it supplies (no categories: not stated) may
  // supply any of them.
  if (def.sources.some((s) => s.categories.length === 0 && FROM_PERSON_SOURCES.has(s.kind))) {
    return categories.length > 0;
  }
  return categories.some((c) => {
    const sources = def.sources.filter((s) => s.categories.includes(c));
    return sources.length === 0 || sources.some((s) => FROM_PERSON_SOURCES.has(s.kind));
  });
}

const CORE_RIGHTS: readonly Right[] = ['access', 'rectification', 'erasure', 'restriction'];

/** Purposes that rest on consent, as their basis or as a marketing permission's. */
export function consentPurposes(def: RegisterDefinition): string[] {
  const marketing = resolveMarketing(def);
  return def.purposes
    .filter((p) => {
      if (p.legalBasis === 'consent') {
        return true;
      }
      const perm = marketing.purpose(p.id);
      return (
        perm !== undefined &&
        (perm.basis === 'consent' || [...perm.channels.values()].includes('consent'))
      );
    })
    .map((p) => p.id);
}

/** A purpose's basis as the notice says it: "not stated" where the definition says `unknown`. */
export function basisText(
  ctx: Pick<RenderContext, 'm' | 'pm'>,
  basis: RegisterDefinition['purposes'][number]['legalBasis'],
): string {
  return isUnknown(basis)
    ? ctx.m.notStated
    : `${ctx.pm.legalBases[basis]} (${ctx.m.basisArticle[basis] ?? ''})`;
}

/** A country by name, or "not stated" where the definition says `unknown`. */
const countryText = (ctx: RenderContext, code: string) =>
  isUnknown(code) ? ctx.m.notStated : ctx.country(code);

/** A label marked open-ended where the definition says so. */
const openEnded = (ctx: RenderContext, label: string, x: { openEnded: boolean }) =>
  x.openEnded ? `${label} (${ctx.m.openEnded})` : label;

const offered = (def: RegisterDefinition, right: Right) =>
  def.rights.offered.some((o) => o.right === right);

/** The sentence that says what one gap leaves unsaid, naming it in the notice's language. */
function gapSentence(ctx: RenderContext, fact: GapFact): string {
  const { m, def } = ctx;
  const g = m.gap;
  const recipient = (id: string) =>
    ctx.l(def.recipients.find((r) => r.id === id)?.name) || ctx.s(id);
  switch (fact.kind) {
    case 'representative':
      return g.representative;
    case 'dpo':
      return g.dpo;
    case 'basis':
      return g.basis(ctx.purpose(fact.purpose));
    case 'law':
      return g.law(ctx.purpose(fact.purpose));
    case 'interest':
      return g.interest(ctx.purpose(fact.purpose));
    case 'mechanism':
      return g.mechanism(recipient(fact.recipient), ctx.country(fact.country));
    case 'country':
      return g.country(recipient(fact.recipient));
    case 'no_transfer':
      return g.noTransfer(recipient(fact.recipient), ctx.country(fact.country));
    case 'duration':
      return g.duration(
        ctx.l(def.retention.rules.find((r) => r.id === fact.rule)?.label) || ctx.s(fact.rule),
      );
    case 'right':
      return g.rights([ctx.pm.rightNames[fact.right]]);
    case 'channels':
      return g.channels;
    case 'withdrawal':
      return g.withdrawal;
    case 'requirement':
      return g.requirement(ctx.purpose(fact.purpose));
    case 'automated':
      return g.automated;
  }
}

/**
 * What the item's gaps leave unsaid, each named (whose country, which right, which purpose): one
 * paragraph, or a list when there are several. The rights not offered are one sentence.
 */
const unanswered = (ctx: RenderContext): NoticeBlock[] => {
  const rights = ctx.gaps.flatMap((g) => (g.fact.kind === 'right' ? [g.fact.right] : []));
  const sentences = [
    ...new Set(
      ctx.gaps.map((g) =>
        g.fact.kind === 'right'
          ? ctx.m.gap.rights(rights.map((r) => ctx.pm.rightNames[r]))
          : gapSentence(ctx, g.fact),
      ),
    ),
  ];
  if (sentences.length === 0) {
    return [];
  }
  return sentences.length === 1
    ? [{ kind: 'paragraph', text: sentences[0] as string }]
    : [{ kind: 'list', items: sentences }];
};

const contactText = (
  ctx: RenderContext,
  p: { name: string; role?: Localized | undefined; email?: string; phone?: string },
) =>
  ctx.s(
    [p.name, p.role ? p.role[ctx.lang] : undefined, p.email, p.phone].filter(Boolean).join(', '),
  );

const addressText = (
  ctx: RenderContext,
  a: { street: string; postalCode: string; city: string; country: string },
) => `${ctx.s(`${a.street}, ${a.postalCode} ${a.city}`)}, ${ctx.country(a.country)}`;

export const NOTICE_ITEMS: readonly NoticeItem[] = [
  {
    id: 'controller',
    article: 'Art. 13(1)(a), 14(1)(a), 27',
    heading: (m) => m.controller,
    gaps: (def) =>
      EEA_COUNTRIES.has(def.controller.address.country) || def.controller.representative
        ? []
        : [
            {
              item: 'controller',
              path: 'controller.representative',
              fact: { kind: 'representative' },
              message:
                'the controller is outside the EU/EEA: the notice must name its representative in the Union and how to reach them (Art. 27, Art. 13(1)(a))',
            },
          ],
    render: (ctx) => {
      const c = ctx.def.controller;
      const { m } = ctx;
      const blocks: NoticeBlock[] = [
        {
          kind: 'pairs',
          items: [
            { term: m.name, text: ctx.s(c.name) },
            { term: m.businessId, text: ctx.s(c.businessId) },
            ...(c.vatId ? [{ term: m.vatId, text: ctx.s(c.vatId) }] : []),
            { term: m.address, text: addressText(ctx, c.address) },
            ...(c.phone ? [{ term: m.phone, text: ctx.s(c.phone) }] : []),
            { term: m.email, text: ctx.s(c.email) },
            ...(c.website ? [{ term: m.website, text: ctx.s(c.website) }] : []),
            { term: m.contactPerson, text: contactText(ctx, c.contact) },
            ...(c.representative
              ? [{ term: m.representative, text: contactText(ctx, c.representative) }]
              : []),
          ],
        },
      ];
      return [...blocks, ...unanswered(ctx)];
    },
  },
  {
    id: 'dpo',
    article: 'Art. 13(1)(b), 14(1)(b)',
    heading: (m) => m.dpo,
    // An officer with contact details, or `none` (none appointed) answer it; `unknown` or
    // nothing leaves it unanswered.
    gaps: (def) =>
      def.controller.dpo !== undefined && !isUnknown(def.controller.dpo)
        ? []
        : [
            {
              item: 'dpo',
              path: 'controller.dpo',
              fact: { kind: 'dpo' },
              message: `${isUnknown(def.controller.dpo) ? 'whether a data protection officer is appointed is not stated (unknown)' : 'no data protection officer is given'}: the notice must publish their contact details, or say that none is appointed (dpo: none) (Art. 13(1)(b))`,
            },
          ],
    render: (ctx) => {
      const c = ctx.def.controller;
      const dpo = appointedDpo(c);
      if (dpo) {
        return [{ kind: 'pairs', items: [{ term: ctx.m.dpo, text: contactText(ctx, dpo) }] }];
      }
      return c.dpo === 'none' ? [{ kind: 'paragraph', text: ctx.m.noDpo }] : unanswered(ctx);
    },
  },
  {
    id: 'subjects',
    article: 'Art. 30(1)(c)',
    heading: (m) => m.subjects,
    gaps: () => [],
    render: (ctx) => [
      { kind: 'list', items: ctx.def.register.subjectGroups.map((g) => ctx.l(g.label)) },
    ],
  },
  {
    id: 'purposes',
    article: 'Art. 13(1)(c), 14(1)(c)',
    heading: (m) => m.purposes,
    gaps: (def) =>
      def.purposes.flatMap((p, i): NoticeGap[] =>
        isUnknown(p.legalBasis)
          ? [
              {
                item: 'purposes',
                path: `purposes[${i}].legalBasis`,
                fact: { kind: 'basis', purpose: p.id },
                message:
                  'the legal basis is not stated (unknown): the notice must give the basis of each purpose (Art. 13(1)(c), Art. 6(1))',
              },
            ]
          : p.legalBasis === 'legal_obligation' && !p.law
            ? [
                {
                  item: 'purposes',
                  path: `purposes[${i}].law`,
                  fact: { kind: 'law', purpose: p.id },
                  message:
                    'rests on a legal obligation but names no law that imposes it (Art. 6(3), Art. 13(1)(c))',
                },
              ]
            : [],
      ),
    render: (ctx) => {
      const { m, def } = ctx;
      const blocks: NoticeBlock[] = [];
      for (const p of def.purposes) {
        const rule = def.retention.rules.find((r) => r.id === p.retention);
        blocks.push({ kind: 'heading', level: 3, text: openEnded(ctx, ctx.l(p.label), p) });
        blocks.push({ kind: 'paragraph', text: ctx.l(p.description) });
        blocks.push({
          kind: 'pairs',
          items: [
            { term: m.legalBasis, text: basisText(ctx, p.legalBasis) },
            ...(p.law ? [{ term: m.law, text: ctx.s(p.law) }] : []),
            ...(p.legitimateInterest
              ? [{ term: m.legitimateInterest, text: ctx.l(p.legitimateInterest) }]
              : []),
            { term: m.categoriesUsed, text: p.categories.map(ctx.category).join(', ') },
            ...(rule ? [{ term: m.retention, text: retentionText(ctx, rule) }] : []),
          ],
        });
      }
      return [...blocks, ...unanswered(ctx)];
    },
  },
  {
    id: 'legitimate_interests',
    article: 'Art. 13(1)(d), 14(2)(b)',
    heading: (m) => m.legitimateInterests,
    gaps: (def) =>
      def.purposes.flatMap((p, i) =>
        p.legalBasis === 'legitimate_interest' && !p.legitimateInterest
          ? [
              {
                item: 'legitimate_interests',
                path: `purposes[${i}].legitimateInterest`,
                fact: { kind: 'interest', purpose: p.id },
                message:
                  'rests on a legitimate interest but does not say which interest (Art. 13(1)(d))',
              },
            ]
          : [],
      ),
    render: (ctx) => {
      const li = ctx.def.purposes.filter((p) => p.legalBasis === 'legitimate_interest');
      if (li.length === 0) {
        return [{ kind: 'paragraph', text: ctx.m.noLegitimateInterest }];
      }
      return [
        {
          kind: 'pairs',
          items: li.map((p) => ({
            term: ctx.l(p.label),
            text: p.legitimateInterest ? ctx.l(p.legitimateInterest) : ctx.m.unanswered,
          })),
        },
      ];
    },
  },
  {
    id: 'categories',
    article: 'Art. 14(1)(d)',
    heading: (m) => m.categories,
    gaps: () => [],
    render: (ctx) => {
      const { m } = ctx;
      return [
        {
          kind: 'table',
          head: [m.category, m.description, m.fields, m.special],
          rows: ctx.def.categories.map((c) => [
            openEnded(ctx, ctx.l(c.label), c),
            c.description ? ctx.l(c.description) : '',
            c.fields.map((f) => ctx.l(f.label)).join(', '),
            c.special ? m.yes : m.no,
          ]),
        },
      ];
    },
  },
  {
    id: 'sources',
    article: 'Art. 14(2)(f)',
    heading: (m) => m.sources,
    gaps: () => [],
    render: (ctx) => [
      {
        kind: 'list',
        items: ctx.def.sources.map((s) => {
          const isPublic = s.kind === 'public_register' || s.kind === 'social_network';
          const supplies =
            s.categories.length > 0
              ? `: ${ctx.m.supplies} ${s.categories.map(ctx.category).join(', ')}`
              : '';
          return `${ctx.l(s.label)} (${ctx.pm.sourceKinds[s.kind]}${isPublic ? `; ${ctx.m.publicSource}` : ''})${supplies}`;
        }),
      },
    ],
  },
  {
    id: 'recipients',
    article: 'Art. 13(1)(e), 14(1)(e)',
    heading: (m) => m.recipients,
    gaps: () => [],
    render: (ctx) => {
      const { m, pm, def } = ctx;
      // When data are disclosed beyond the recipients, each with its condition (Art. 13(1)(e)).
      const disclosures: NoticeBlock[] =
        def.disclosures.length === 0
          ? []
          : [
              { kind: 'heading', level: 3, text: m.disclosures },
              {
                kind: 'list',
                items: def.disclosures.map((d) => {
                  const to = d.recipients.map(
                    (id) => ctx.l(def.recipients.find((r) => r.id === id)?.name) || ctx.s(id),
                  );
                  // The recipients after the condition, not in parentheses: a name may hold some.
                  const text = ctx.l(d.text);
                  return to.length > 0
                    ? `${text}${/[.!?]$/.test(text) ? '' : '.'} ${m.recipients}: ${to.join(', ')}`
                    : text;
                }),
              },
            ];
      if (def.recipients.length === 0) {
        return def.disclosures.length === 0
          ? [{ kind: 'paragraph', text: m.noRecipients }]
          : disclosures;
      }
      return [
        {
          kind: 'table',
          head: [m.recipient, m.role, m.country, m.description, m.categoriesUsed, m.forPurposes],
          rows: def.recipients.map((r) => [
            ctx.l(r.name),
            pm.roles[r.role],
            countryText(ctx, r.country),
            ctx.l(r.description),
            r.categories.map(ctx.category).join(', '),
            r.purposes.map(ctx.purpose).join(', '),
          ]),
        },
        ...disclosures,
      ];
    },
  },
  {
    id: 'transfers',
    article: 'Art. 13(1)(f), 14(1)(f)',
    heading: (m) => m.transfers,
    gaps: (def) => [
      ...def.transfers.flatMap((t, i): NoticeGap[] =>
        isUnknown(t.mechanism)
          ? [
              {
                item: 'transfers',
                path: `transfers[${i}].mechanism`,
                fact: { kind: 'mechanism', recipient: t.recipient, country: t.country },
                message:
                  'the safeguard of a transfer is not stated (unknown): the notice must say which (Art. 13(1)(f), Art. 46)',
              },
            ]
          : t.mechanism === undefined && countriesOutsideEea(def, t).length > 0
            ? [
                {
                  item: 'transfers',
                  path: `transfers[${i}].mechanism`,
                  fact: { kind: 'mechanism', recipient: t.recipient, country: t.country },
                  message:
                    'a transfer outside the EU/EEA without its safeguard: the notice must say which (Art. 13(1)(f), Art. 46)',
                },
              ]
            : [],
      ),
      ...def.recipients.flatMap((r, i): NoticeGap[] =>
        isUnknown(r.country)
          ? [
              {
                item: 'transfers',
                path: `recipients[${i}].country`,
                fact: { kind: 'country', recipient: r.id },
                message:
                  'where the recipient is is not stated (unknown): the notice must say whether data leave the EU/EEA (Art. 13(1)(f))',
              },
            ]
          : !EEA_COUNTRIES.has(r.country) && !def.transfers.some((t) => t.recipient === r.id)
            ? [
                {
                  item: 'transfers',
                  path: `recipients[${i}].country`,
                  fact: { kind: 'no_transfer', recipient: r.id, country: r.country },
                  message: `the recipient is in ${r.country}, outside the EU/EEA, but no transfer states its safeguard (Art. 13(1)(f))`,
                },
              ]
            : [],
      ),
    ],
    render: (ctx) => {
      const { m, pm, def } = ctx;
      const outside = def.transfers.filter(
        (t) => countriesOutsideEea(def, t).length > 0 || isUnknown(t.mechanism),
      );
      if (outside.length === 0 && ctx.gaps.length === 0) {
        return [{ kind: 'paragraph', text: m.noTransfers }];
      }
      const name = (id: string) =>
        ctx.l(def.recipients.find((r) => r.id === id)?.name) || ctx.s(id);
      return [
        {
          kind: 'table',
          head: [m.recipient, m.country, m.safeguard, m.description],
          rows: outside.map((t) => [
            name(t.recipient),
            ctx.country(t.country),
            [
              t.mechanism === undefined || isUnknown(t.mechanism)
                ? m.notStated
                : pm.mechanisms[t.mechanism],
              t.sccModule ? m.sccModule(t.sccModule) : '',
              t.derogation ? `${m.derogation}: ${ctx.s(t.derogation)}` : '',
            ]
              .filter(Boolean)
              .join('; '),
            t.description ? ctx.l(t.description) : '',
          ]),
        },
        { kind: 'paragraph', text: m.safeguardCopy(ctx.s(def.controller.email)) },
        ...unanswered(ctx),
      ];
    },
  },
  {
    id: 'retention',
    article: 'Art. 13(2)(a), 14(2)(a)',
    heading: (m) => m.retentionHeading,
    gaps: (def) =>
      def.retention.rules.flatMap((r, i): NoticeGap[] =>
        isUnknown(r.duration)
          ? [
              {
                item: 'retention',
                path: `retention.rules[${i}].duration`,
                fact: { kind: 'duration', rule: r.id },
                message:
                  'how long the data are kept is not stated (unknown): the notice must give the period or how it is decided (Art. 13(2)(a))',
              },
            ]
          : [],
      ),
    render: (ctx) => {
      const { m, def } = ctx;
      const blocks: NoticeBlock[] = [
        { kind: 'paragraph', text: m.retentionIntro },
        {
          kind: 'table',
          head: [m.rule, m.period, m.forPurposes],
          rows: def.retention.rules.map((r) => [
            ctx.l(r.label),
            retentionText(ctx, r),
            def.purposes
              .filter((p) => p.retention === r.id)
              .map((p) => ctx.l(p.label))
              .join(', '),
          ]),
        },
      ];
      if (def.retention.legalHolds.length > 0) {
        blocks.push(
          { kind: 'heading', level: 3, text: m.legalHolds },
          { kind: 'paragraph', text: m.holdsIntro },
          {
            kind: 'table',
            head: [m.rule, m.law, m.heldCategories, m.period, m.keptFor],
            rows: def.retention.legalHolds.map((h) => [
              ctx.l(h.label),
              ctx.s(h.law),
              h.categories.map(ctx.category).join(', '),
              retentionText(ctx, h),
              ctx.purpose(h.purpose),
            ]),
          },
        );
      }
      return [...blocks, ...unanswered(ctx)];
    },
  },
  {
    id: 'rights',
    article: 'Art. 13(2)(b), 14(2)(c)',
    heading: (m) => m.rights,
    gaps: (def) => {
      const needed: Right[] = [...CORE_RIGHTS];
      if (def.purposes.some((p) => p.legalBasis === 'consent' || p.legalBasis === 'contract')) {
        needed.push('portability');
      }
      if (
        def.purposes.some(
          (p) =>
            p.legalBasis === 'legitimate_interest' ||
            p.legalBasis === 'public_task' ||
            p.directMarketing,
        )
      ) {
        needed.push('objection');
      }
      const gaps: NoticeGap[] = needed
        .filter((r) => !offered(def, r))
        .map((r) => ({
          item: 'rights',
          path: 'rights.offered',
          fact: { kind: 'right', right: r },
          message: `does not offer the right "${r}": the notice must tell of it (Art. 13(2)(b))`,
        }));
      if (def.rights.channels.length === 0) {
        gaps.push({
          item: 'rights',
          path: 'rights.channels',
          fact: { kind: 'channels' },
          message:
            'names no way to make a request: the notice must say how rights are used (Art. 12(2), Art. 13(2)(b))',
        });
      }
      return gaps;
    },
    render: (ctx) => {
      const { m, pm, def } = ctx;
      const blocks: NoticeBlock[] = [{ kind: 'paragraph', text: m.rightsIntro }];
      for (const o of def.rights.offered) {
        blocks.push(
          { kind: 'heading', level: 3, text: pm.rightNames[o.right] },
          { kind: 'paragraph', text: m.rightText[o.right] },
        );
        if (o.qualification) {
          blocks.push({ kind: 'paragraph', text: ctx.l(o.qualification) });
        }
      }
      blocks.push({ kind: 'heading', level: 3, text: m.howToRequest });
      const proofs = (list: readonly string[]) => list.map((p) => m.proofs[p] ?? p).join(' / ');
      blocks.push({
        kind: 'pairs',
        items: def.rights.channels.map((c) => {
          const where =
            c.kind === 'email'
              ? (c.email ?? def.controller.email)
              : c.kind === 'phone'
                ? (c.phone ?? def.controller.phone)
                : c.kind === 'postal' || c.kind === 'in_person'
                  ? [c.address?.recipient, addressText(ctx, c.address ?? def.controller.address)]
                      .filter(Boolean)
                      .join(', ')
                  : '';
          return {
            term: m.channelKinds[c.kind] ?? c.kind,
            text: [ctx.s(where), `${m.proof}: ${proofs(c.proof)}`].filter(Boolean).join('. '),
            ...(c.instructions ? { note: ctx.l(c.instructions) } : {}),
          };
        }),
      });
      if (def.rights.stronger.length > 0) {
        blocks.push({
          kind: 'list',
          items: def.rights.stronger.map(
            (s) =>
              `${m.strongerProof}: ${s.type === 'restriction_lift' ? s.type : pm.rightNames[s.type]} — ${proofs(s.proof)}`,
          ),
        });
      }
      const links: Array<{ text: string; href: string }> = [];
      if (def.rights.channels.some((c) => c.kind === 'portal')) {
        links.push({ text: m.requestPage, href: '/requests/new' });
      }
      if (offered(def, 'marketing_prohibition') || offered(def, 'consent_withdrawal')) {
        links.push({ text: m.preferencePage, href: '/preferences' });
      }
      if (links.length > 0) {
        blocks.push({ kind: 'links', items: links });
      }
      return [...blocks, ...unanswered(ctx)];
    },
  },
  {
    id: 'consent_withdrawal',
    article: 'Art. 13(2)(c), 14(2)(d)',
    heading: (m) => m.consent,
    gaps: (def) =>
      consentPurposes(def).length > 0 && !offered(def, 'consent_withdrawal')
        ? [
            {
              item: 'consent_withdrawal',
              path: 'rights.offered',
              fact: { kind: 'withdrawal' },
              message:
                'purposes rest on consent but the right to withdraw it is not offered (Art. 7(3), Art. 13(2)(c))',
            },
          ]
        : [],
    render: (ctx) => {
      const { m, def } = ctx;
      const ids = consentPurposes(def);
      if (ids.length === 0) {
        return [{ kind: 'paragraph', text: m.notApplicable }];
      }
      const blocks: NoticeBlock[] = [
        { kind: 'paragraph', text: m.consentText },
        {
          kind: 'pairs',
          items: [{ term: m.consentPurposes, text: ids.map(ctx.purpose).join(', ') }],
        },
      ];
      const marketing = resolveMarketing(def);
      if (marketing.purposes.length > 0) {
        blocks.push(
          { kind: 'heading', level: 3, text: m.marketing },
          { kind: 'paragraph', text: m.marketingIntro },
          {
            kind: 'list',
            items: marketing.purposes.flatMap((p) => {
              const kind = ctx.l(marketing.kind(p.kind)?.label);
              const channels = [...p.channels];
              if (channels.length === 0) {
                return [`${kind}: ${m.marketingBases[p.basis ?? 'consent'] ?? ''}`];
              }
              return channels.map(
                ([channel, basis]) =>
                  `${kind} — ${ctx.l(marketing.channel(channel)?.label)}: ${m.marketingBases[basis] ?? basis}`,
              );
            }),
          },
        );
      }
      blocks.push({ kind: 'links', items: [{ text: m.preferencePage, href: '/preferences' }] });
      return [...blocks, ...unanswered(ctx)];
    },
  },
  {
    id: 'complaint',
    article: 'Art. 13(2)(d), 14(2)(e)',
    heading: (m) => m.complaint,
    gaps: () => [],
    render: (ctx) => {
      const a = ctx.def.supervisoryAuthority;
      const { m } = ctx;
      return [
        { kind: 'paragraph', text: m.complaintText },
        {
          kind: 'pairs',
          items: [
            { term: m.name, text: ctx.l(a.name) },
            { term: m.website, text: ctx.s(a.website) },
            ...(a.email ? [{ term: m.email, text: ctx.s(a.email) }] : []),
            ...(a.phone ? [{ term: m.phone, text: ctx.s(a.phone) }] : []),
            ...(a.address ? [{ term: m.address, text: addressText(ctx, a.address) }] : []),
          ],
        },
      ];
    },
  },
  {
    id: 'requirement',
    article: 'Art. 13(2)(e)',
    heading: (m) => m.requirement,
    // Per purpose whose data are collected from the person (Art. 13(2)(e)): each says whether its
    // data are required, or leaves it unanswered. A purpose whose categories all come from other
    // sources (Art. 14, which has no such item) is not asked.
    gaps: (def) =>
      def.purposes.flatMap((p, i): NoticeGap[] =>
        (p.requirement === undefined || isUnknown(p.requirement)) &&
        collectedFromPerson(def, p.categories)
          ? [
              {
                item: 'requirement',
                path: `purposes[${i}].requirement`,
                fact: { kind: 'requirement', purpose: p.id },
                message: `${p.requirement === undefined ? 'does not say' : 'leaves unknown'} whether providing the data for purpose "${p.id}" is a statutory or contractual requirement or a requirement to enter into a contract, whether the person is obliged, and what follows from not providing them, as some of its data are collected from the person or no source of them is given (Art. 13(2)(e))`,
              },
            ]
          : [],
      ),
    render: (ctx) => {
      const { m } = ctx;
      return [
        { kind: 'paragraph', text: m.requirementIntro },
        {
          kind: 'pairs',
          items: ctx.def.purposes.map((p) => {
            const r = p.requirement;
            if (r === undefined || isUnknown(r)) {
              return {
                term: ctx.l(p.label),
                text: collectedFromPerson(ctx.def, p.categories) ? m.notStated : m.notFromYou,
              };
            }
            return {
              term: ctx.l(p.label),
              text: `${m.requirementKinds[r.kind]}. ${r.obliged ? m.obliged : m.notObliged}`,
              note: `${m.consequences}: ${ctx.l(r.consequences)}`,
            };
          }),
        },
        ...unanswered(ctx),
      ];
    },
  },
  {
    id: 'profiling',
    article: 'Art. 13(2)(f), 14(2)(g), 21(1)',
    heading: (m) => m.profiling,
    gaps: () => [],
    render: (ctx) => {
      const profiled = ctx.def.purposes.filter((p) => p.profiling);
      if (profiled.length === 0) {
        return [{ kind: 'paragraph', text: ctx.m.noProfiling }];
      }
      return [
        { kind: 'paragraph', text: ctx.m.profilingText },
        {
          kind: 'pairs',
          items: profiled.map((p) => ({ term: ctx.l(p.label), text: ctx.l(p.description) })),
        },
      ];
    },
  },
  {
    id: 'automated_decisions',
    article: 'Art. 13(2)(f), 14(2)(g), 22',
    heading: (m) => m.automated,
    // `none`, or each decision described; `unknown` or nothing leaves it unanswered.
    gaps: (def) =>
      def.automatedDecisions === undefined || isUnknown(def.automatedDecisions)
        ? [
            {
              item: 'automated_decisions',
              path: 'automatedDecisions',
              fact: { kind: 'automated' },
              message: `${def.automatedDecisions === undefined ? 'does not say' : 'leaves unknown'} whether decisions with legal or similarly significant effects are made solely by automated means, profiling included, and if so their logic, significance and envisaged consequences (Art. 13(2)(f), 14(2)(g), Art. 22)`,
            },
          ]
        : [],
    render: (ctx) => {
      const { m } = ctx;
      const decisions = ctx.def.automatedDecisions;
      if (decisions === undefined || isUnknown(decisions)) {
        return unanswered(ctx);
      }
      if (decisions === 'none') {
        return [{ kind: 'paragraph', text: m.noAutomated }];
      }
      const blocks: NoticeBlock[] = [{ kind: 'paragraph', text: m.automatedIntro }];
      for (const d of decisions) {
        blocks.push(
          { kind: 'heading', level: 3, text: ctx.l(d.label) },
          {
            kind: 'pairs',
            items: [
              { term: m.logic, text: ctx.l(d.logic) },
              { term: m.significance, text: ctx.l(d.consequences) },
              ...(d.purposes.length > 0
                ? [{ term: m.forPurposes, text: d.purposes.map(ctx.purpose).join(', ') }]
                : []),
            ],
          },
        );
        if (d.profiling) {
          blocks.push({ kind: 'paragraph', text: m.basedOnProfiling });
        }
      }
      blocks.push({ kind: 'paragraph', text: m.automatedRights });
      return blocks;
    },
  },
  {
    id: 'security',
    article: 'Art. 30(1)(g), 32',
    heading: (m) => m.security,
    gaps: () => [],
    render: (ctx) =>
      ctx.def.security.length === 0
        ? [{ kind: 'paragraph', text: ctx.m.noSecurity }]
        : [{ kind: 'list', items: ctx.def.security.map((s) => ctx.l(s)) }],
  },
  {
    id: 'cookies',
    article: 'Information Society Code 917/2014 s. 205',
    heading: (m) => m.cookies,
    gaps: () => [],
    render: (ctx) => {
      const { m } = ctx;
      if (ctx.def.cookies.length === 0) {
        return [{ kind: 'paragraph', text: m.noCookies }];
      }
      return [
        {
          kind: 'table',
          head: [m.cookieName, m.provider, m.cookieCategory, m.cookiePurpose, m.duration],
          rows: ctx.def.cookies.map((c) => [
            ctx.s(c.name),
            ctx.s(c.provider),
            m.cookieCategories[c.category] ?? c.category,
            ctx.l(c.purpose),
            /^P(\d+[YMWD])+$/.test(c.duration)
              ? formatDuration(c.duration, ctx.pm)
              : ctx.s(c.duration),
          ]),
        },
      ];
    },
  },
];

export function retentionText(
  ctx: Pick<RenderContext, 'pm' | 'm'>,
  r: { duration: string; from?: RegisterDefinition['retention']['rules'][number]['from'] },
): string {
  // A period the notice does not state (`unknown`) is named as such, never invented.
  if (isUnknown(r.duration) || r.from === undefined) {
    return ctx.m.notStated;
  }
  return ctx.pm.durationFrom(formatDuration(r.duration, ctx.pm), ctx.pm.events[r.from]);
}

/** Every Art. 13/14 item the definition leaves unanswered. */
export function noticeGaps(def: RegisterDefinition): NoticeGap[] {
  return NOTICE_ITEMS.flatMap((item) => item.gaps(def));
}
