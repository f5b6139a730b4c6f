/**
 * The readable access copy as a neutral document: headings, paragraphs, term–text pairs, lists and
 * tables of plain text. The HTML page and the PDF are both rendered from it, so they say the same.
 * Every text here is plain: the renderers escape it for their format.
 */
import type { Localized, Register } from '../../definition/index.ts';
import type { AccessCopy, AccessCopyCategory } from '../present-access-copy.ts';
import {
  formatDuration,
  packageMessages,
  type PackageLang,
  type PackageMessages,
} from './messages.ts';
import { showable, valueText } from './text.ts';

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3 | 4; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'pairs'; items: Array<{ term: string; text: string; note?: string }> }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; head: string[]; rows: string[][] };

export interface AccessDocument {
  lang: PackageLang;
  title: string;
  blocks: Block[];
}

const LOCALES: Record<PackageLang, string> = { sv: 'sv-FI', fi: 'fi-FI', en: 'en-GB' };

/** Made once per language: building a formatter costs more than formatting a copy's dates. */
const dateTimeFormats = new Map<PackageLang, Intl.DateTimeFormat>();
function dateTimeFormat(lang: PackageLang): Intl.DateTimeFormat {
  let f = dateTimeFormats.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(LOCALES[lang], {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: 'Europe/Helsinki',
    });
    dateTimeFormats.set(lang, f);
  }
  return f;
}

export function buildDocument(
  copy: AccessCopy,
  register: Register,
  lang: PackageLang,
  opts: { portability: boolean },
): AccessDocument {
  const m = packageMessages[lang];
  const l = (t: Localized | null | undefined, fallback = '') => showable(t ? t[lang] : fallback);
  const dateTime = dateTimeFormat(lang);
  const when = (iso: string) => {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? showable(iso) : dateTime.format(d);
  };
  const purposeLabel = (id: string) => l(register.purpose(id)?.label, id);
  const blocks: Block[] = [];
  const h = (level: 1 | 2 | 3 | 4, text: string) => blocks.push({ kind: 'heading', level, text });

  h(1, m.title);
  blocks.push({ kind: 'paragraph', text: m.intro });
  blocks.push({ kind: 'pairs', items: [{ term: m.exportedAt, text: when(copy.exportedAt) }] });

  const c = copy.controller;
  h(2, m.controller);
  blocks.push({
    kind: 'pairs',
    items: [
      { term: m.controller, text: showable(c.name) },
      { term: m.businessId, text: showable(c.businessId) },
      {
        term: m.address,
        text: showable(
          `${c.address.street}, ${c.address.postalCode} ${c.address.city}, ${c.address.country}`,
        ),
      },
      { term: m.email, text: showable(c.email) },
      ...(c.phone ? [{ term: m.phone, text: showable(c.phone) }] : []),
      ...(c.website ? [{ term: m.website, text: showable(c.website) }] : []),
      ...(typeof c.dpo === 'object'
        ? [
            {
              term: m.dpo,
              text: showable([c.dpo.name, c.dpo.email, c.dpo.phone].filter(Boolean).join(', ')),
            },
          ]
        : []),
    ],
  });

  const s = copy.subject;
  h(2, m.you);
  blocks.push({
    kind: 'pairs',
    items: [
      { term: m.subjectId, text: s.id },
      { term: m.inRegisterSince, text: when(s.createdAt) },
      { term: m.lastChanged, text: when(s.updatedAt) },
      { term: m.restricted, text: s.restricted ? m.restrictedYes : m.restrictedNo },
      ...(s.restrictionReason !== null
        ? [{ term: m.restrictionReason, text: showable(s.restrictionReason) }]
        : []),
    ],
  });

  h(2, m.categories);
  const categories = Object.entries(copy.categories);
  if (categories.length === 0) {
    blocks.push({ kind: 'paragraph', text: m.noData });
  }
  for (const [id, cat] of categories) {
    categoryBlocks(blocks, id, cat, { m, l, when, purposeLabel, lang });
  }
  purposeAndRecipientBlocks(
    blocks,
    categories.map(([, cat]) => cat),
    { m, l },
  );

  h(2, m.history);
  if (copy.history.length === 0) {
    blocks.push({ kind: 'paragraph', text: m.noHistory });
  } else {
    blocks.push({
      kind: 'table',
      head: [m.changed, m.field, m.oldValue, m.newValue, m.reason],
      rows: copy.history.map((e) => [
        when(e.changedAt),
        `${l(register.category(e.category)?.label, e.category)}: ${l(register.field(e.category, e.field)?.label, e.field)}`,
        valueText(e.old, m),
        valueText(e.new, m),
        e.reason === null ? '' : showable(e.reason),
      ]),
    });
  }

  // The permission ledger: what the person allows, per kind and channel, and its evidence.
  const kindLabel = (id: string) => l(register.marketing.kind(id)?.label, id);
  const channelLabel = (id: string) =>
    id === '*' ? m.allChannels : l(register.marketing.channel(id)?.label, id);
  h(2, m.permissions);
  if (copy.permissions.state.length === 0) {
    blocks.push({ kind: 'paragraph', text: m.noPermissions });
  } else {
    blocks.push({ kind: 'paragraph', text: m.permissionsIntro });
    blocks.push({
      kind: 'table',
      head: [m.kind, m.channel, m.state, m.changed],
      rows: copy.permissions.state.map((s) => [
        kindLabel(s.kind),
        channelLabel(s.channel),
        m.permissionStates[s.state] ?? showable(s.state),
        when(s.changedAt),
      ]),
    });
    h(3, m.permissionHistory);
    blocks.push({
      kind: 'table',
      head: [m.changed, m.kind, m.channel, m.state, m.method, m.wordingShown],
      rows: copy.permissions.history.map((e) => [
        when(e.givenAt),
        kindLabel(e.kind),
        channelLabel(e.channel),
        m.permissionStates[e.state] ?? showable(e.state),
        m.permissionMethods[e.method] ?? showable(e.method),
        e.wording ? showable(e.wording.text) : '',
      ]),
    });
  }

  stopBlocks(blocks, copy.stops, { m, l, when });
  requestBlocks(blocks, copy.requests, { m, when, day: (d) => dayText(d, lang) });

  h(2, m.rights);
  blocks.push({ kind: 'paragraph', text: m.rightsIntro });
  blocks.push({
    kind: 'list',
    items: copy.rights.map((r) =>
      r.qualification ? `${m.rightNames[r.right]}: ${l(r.qualification)}` : m.rightNames[r.right],
    ),
  });

  const a = copy.supervisoryAuthority;
  h(2, m.complaint);
  blocks.push({ kind: 'paragraph', text: m.complaintText });
  blocks.push({
    kind: 'pairs',
    items: [
      { term: l(a.name), text: showable(a.website) },
      ...(a.email ? [{ term: m.email, text: showable(a.email) }] : []),
      ...(a.phone ? [{ term: m.phone, text: showable(a.phone) }] : []),
    ],
  });

  h(2, m.accessLog);
  blocks.push({ kind: 'paragraph', text: m.accessLogIntro });
  if (copy.accessLog.length === 0) {
    blocks.push({ kind: 'paragraph', text: m.noAccessLog });
  } else {
    blocks.push({
      kind: 'table',
      head: [m.when, m.what, m.byRole],
      rows: copy.accessLog.map((e) => [
        when(e.at),
        showable(e.text),
        roleLabel(register, e.role, lang),
      ]),
    });
  }

  h(2, m.files);
  blocks.push({ kind: 'paragraph', text: m.filesText });
  if (opts.portability) {
    blocks.push({ kind: 'paragraph', text: m.portableText });
  }
  return { lang, title: m.title, blocks };
}

/** A calendar date (YYYY-MM-DD) in the language's conventions, the same day everywhere. */
function dayText(date: string, lang: PackageLang): string {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!d) {
    return showable(date);
  }
  return new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: 'medium', timeZone: 'UTC' }).format(
    new Date(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]))),
  );
}

/** A term of the messages, or the raw id for one they do not know (a newer state, say). */
function term<K extends string>(terms: Record<K, string>, id: string): string {
  return Object.hasOwn(terms, id) ? terms[id as K] : showable(id);
}

/** The person's objections, consent withdrawals and marketing prohibitions. */
function stopBlocks(
  blocks: Block[],
  stops: AccessCopy['stops'],
  ctx: {
    m: PackageMessages;
    l: (t: Localized | null | undefined, fallback?: string) => string;
    when: (iso: string) => string;
  },
) {
  const { m, l, when } = ctx;
  blocks.push({ kind: 'heading', level: 2, text: m.stopsHeading });
  if (stops.stopped.length === 0 && stops.compellingGrounds.length === 0) {
    blocks.push({ kind: 'paragraph', text: m.noStops });
    return;
  }
  if (stops.stopped.length > 0) {
    blocks.push({ kind: 'paragraph', text: m.stopsIntro });
    blocks.push({
      kind: 'table',
      head: [m.purpose, m.stoppedBecause, m.since],
      rows: stops.stopped.map((st) => [
        l(st.label, st.purpose),
        m.stopReasons[st.reason],
        when(st.since),
      ]),
    });
  }
  if (stops.compellingGrounds.length > 0) {
    blocks.push({ kind: 'heading', level: 3, text: m.groundsHeading });
    blocks.push({ kind: 'paragraph', text: m.groundsIntro });
    blocks.push({
      kind: 'table',
      head: [m.purpose, m.grounds, m.since],
      rows: stops.compellingGrounds.map((g) => [
        l(g.label, g.purpose),
        showable(g.grounds),
        when(g.since),
      ]),
    });
  }
}

/** The person's own requests, each with its steps. */
function requestBlocks(
  blocks: Block[],
  requests: AccessCopy['requests'],
  ctx: { m: PackageMessages; when: (iso: string) => string; day: (date: string) => string },
) {
  const { m, when, day } = ctx;
  blocks.push({ kind: 'heading', level: 2, text: m.requestsHeading });
  if (requests.length === 0) {
    blocks.push({ kind: 'paragraph', text: m.noRequests });
    return;
  }
  blocks.push({ kind: 'paragraph', text: m.requestsIntro });
  for (const r of requests) {
    blocks.push({
      kind: 'heading',
      level: 3,
      text: `${term(m.requestTypes, r.type)}, ${when(r.receivedAt)}`,
    });
    const postal = r.contact.address
      ? [
          r.contact.address.street,
          `${r.contact.address.postalCode} ${r.contact.address.city}`,
          r.contact.address.country ?? '',
        ]
          .filter((x) => x.length > 0)
          .join(', ')
      : null;
    const contact = [r.contact.name, r.contact.email, r.contact.phone, postal].filter(
      (x): x is string => typeof x === 'string' && x.length > 0,
    );
    blocks.push({
      kind: 'pairs',
      items: [
        { term: m.requestType, text: term(m.requestTypes, r.type) },
        { term: m.requestChannel, text: term(m.channels, r.channel) },
        { term: m.received, text: when(r.receivedAt) },
        ...(r.identityProvenAt ? [{ term: m.identityProven, text: when(r.identityProvenAt) }] : []),
        ...(r.dueOn ? [{ term: m.dueOn, text: day(r.dueOn) }] : []),
        ...(r.originalDueOn && r.originalDueOn !== r.dueOn
          ? [{ term: m.originalDueOn, text: day(r.originalDueOn) }]
          : []),
        { term: m.status, text: term(m.requestStates, r.state) },
        ...(r.closedAt ? [{ term: m.closed, text: when(r.closedAt) }] : []),
        ...(contact.length > 0
          ? [{ term: m.contactGiven, text: showable(contact.join(', ')) }]
          : []),
        ...(r.details ? [{ term: m.yourWords, text: showable(r.details) }] : []),
        ...(r.reasons.extend
          ? [{ term: m.extensionReason, text: showable(r.reasons.extend) }]
          : []),
        ...(r.reasons.refuse ? [{ term: m.refusalReason, text: showable(r.reasons.refuse) }] : []),
      ],
    });
    if (r.history.length > 0) {
      blocks.push({
        kind: 'table',
        head: [m.when, m.step, m.dueOn],
        rows: r.history.map((e) => [
          when(e.at),
          term(m.steps, e.step),
          e.dueOn ? day(e.dueOn) : '',
        ]),
      });
    }
  }
}

/** A part of a list item as a sentence: a full stop unless it ends with one of its own. */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function roleLabel(register: Register, role: string, lang: PackageLang): string {
  return showable(register.role(role)?.label[lang] ?? role);
}

/** Each purpose and each recipient of the person's categories, described once. */
function purposeAndRecipientBlocks(
  blocks: Block[],
  categories: AccessCopyCategory[],
  ctx: { m: PackageMessages; l: (t: Localized | null | undefined, fallback?: string) => string },
) {
  const { m, l } = ctx;
  const purposes = new Map(categories.flatMap((c) => c.purposes.map((p) => [p.id, p] as const)));
  const recipients = new Map(
    categories.flatMap((c) => c.recipients.map((r) => [r.id, r] as const)),
  );
  if (purposes.size > 0) {
    blocks.push({ kind: 'heading', level: 2, text: m.purposes });
    blocks.push({
      kind: 'list',
      items: [...purposes.values()].map((p) => {
        const parts = [
          l(p.label),
          l(p.description),
          `${m.legalBasis}: ${m.legalBases[p.legalBasis]}`,
        ];
        if (p.legitimateInterest) {
          parts.push(`${m.legitimateInterest}: ${l(p.legitimateInterest)}`);
        }
        if (p.law) {
          parts.push(`${m.law}: ${showable(p.law)}`);
        }
        const event =
          m.events[p.retention.from as keyof PackageMessages['events']] ?? p.retention.from;
        parts.push(
          p.retention.duration === 'unknown'
            ? `${m.retention}: ${l(p.retention.label)} (${m.retentionUnknown})`
            : `${m.retention}: ${l(p.retention.label)} (${m.durationFrom(formatDuration(p.retention.duration, m), event)})`,
        );
        return parts.map(sentence).join(' ');
      }),
    });
  }
  if (recipients.size > 0) {
    blocks.push({ kind: 'heading', level: 2, text: m.recipients });
    blocks.push({
      kind: 'list',
      items: [...recipients.values()].map((r) => {
        const parts = [
          `${l(r.name)}: ${m.roles[r.role]}, ${m.country} ${r.country === 'unknown' ? m.legalBases.unknown.toLowerCase() : r.country}.`,
          sentence(l(r.description)),
        ];
        for (const t of r.transfers) {
          const how = m.mechanisms[t.mechanism ?? 'none'];
          const extra = [
            t.derogation ? sentence(showable(t.derogation)) : '',
            t.description ? sentence(l(t.description)) : '',
          ]
            .filter(Boolean)
            .join(' ');
          parts.push(
            `${m.transfer} ${m.transferTo} ${t.countries.join(', ')}: ${how}${t.sccModule ? `, ${m.sccModule} ${t.sccModule}` : ''}.${extra ? ` ${extra}` : ''}`,
          );
        }
        return parts.join(' ');
      }),
    });
  }
}

function categoryBlocks(
  blocks: Block[],
  id: string,
  cat: AccessCopyCategory,
  ctx: {
    m: PackageMessages;
    l: (t: Localized | null | undefined, fallback?: string) => string;
    when: (iso: string) => string;
    purposeLabel: (id: string) => string;
    lang: PackageLang;
  },
) {
  const { m, l, when, purposeLabel } = ctx;
  const sources = new Map(cat.sources.map((s) => [s.id, s]));
  const sourceText = (sid: string) => {
    const s = sources.get(sid);
    return s?.label ? l(s.label) : `${showable(sid)} (${m.unknownSource})`;
  };
  blocks.push({ kind: 'heading', level: 3, text: l(cat.label, id) });

  blocks.push({ kind: 'heading', level: 4, text: m.values });
  blocks.push({
    kind: 'pairs',
    items: Object.entries(cat.fields).map(([f, stored]) => ({
      term: l(stored.label, f),
      text: valueText(stored.value, m),
      note: `${m.source}: ${sourceText(stored.source)} · ${m.collected}: ${when(stored.collectedAt)} · ${m.collectedFor}: ${purposeLabel(stored.purpose)}`,
    })),
  });

  // What the definition says of the category, in short; each purpose and recipient is described
  // once, in the sections after the categories.
  blocks.push({
    kind: 'pairs',
    items: [
      {
        term: m.purposes,
        text: cat.purposes.map((p) => `${l(p.label)} (${m.legalBases[p.legalBasis]})`).join('; '),
      },
      {
        term: m.sources,
        text: cat.sources
          .map((s) =>
            s.kind ? `${sourceText(s.id)} (${m.sourceKinds[s.kind]})` : sourceText(s.id),
          )
          .join('; '),
      },
      {
        term: m.recipients,
        text:
          cat.recipients.length === 0
            ? m.noRecipients
            : cat.recipients.map((r) => l(r.name)).join('; '),
      },
    ],
  });

  if (cat.legalHolds.length > 0) {
    blocks.push({ kind: 'heading', level: 4, text: m.legalHolds });
    blocks.push({
      kind: 'list',
      items: cat.legalHolds.map((hold) => {
        const event = m.events[hold.from];
        return `${l(hold.label)}: ${showable(hold.law)}, ${m.durationFrom(formatDuration(hold.duration, m), event)}; ${m.holdKeptFor} ${purposeLabel(hold.purpose)}`;
      }),
    });
  }
}
