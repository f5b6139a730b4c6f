/**
 * The access copy (Art. 15) and portable copy (Art. 20): everything held about one person, in the
 * shape the API answers with (the response schema in subjects.routes.ts describes every field).
 * Built from what the export use case opened; nothing here reads the database.
 *
 * Art. 15(1) asks for more than the values: for each category the purposes and their legal bases,
 * the recipients (with any transfer outside the EU/EEA and its safeguard, Art. 15(2)), how long it
 * is kept, where it came from (Art. 15(1)(g)), and the rights and the supervisory authority. All of
 * it comes from the register definition, so the copy says what the definition says.
 */
import type { ledgerOf } from './marketing.repo.ts';
import { appointedDpo, countriesOutsideEea } from '../definition/index.ts';
import type {
  DeclaredLegalBasis,
  Localized,
  Register,
  RequestChannel,
  RequestType,
} from '../definition/index.ts';
import type { FieldValue } from './field-types.ts';
import type { OpenedCategories, StoredField } from './subject-codec.ts';
import type { HistoryRow, SubjectRow } from './subjects.repo.ts';

type Definition = Register['definition'];
export type SourceKind = Definition['sources'][number]['kind'];
type RecipientRole = Definition['recipients'][number]['role'];
type TransferMechanism = NonNullable<Definition['transfers'][number]['mechanism']>;
type RetentionEvent = Definition['retention']['legalHolds'][number]['from'];
type Right = Definition['rights']['offered'][number]['right'];

export interface AccessCopyRetention {
  /** The retention rule's id in the definition. */
  id: string;
  /** ISO 8601 duration (P2Y), or `unknown` where the definition does not state it. */
  duration: string;
  /** The event the duration runs from, or `unknown`. */
  from: string;
  label: Localized;
}

export interface AccessCopyPurpose {
  id: string;
  label: Localized;
  description: Localized;
  /** `unknown` where the definition does not state the basis. */
  legalBasis: DeclaredLegalBasis;
  /** The legitimate interest pursued, for legalBasis legitimate_interest. */
  legitimateInterest?: Localized;
  /** The law that imposes the obligation, for legalBasis legal_obligation. */
  law?: string;
  retention: AccessCopyRetention;
}

export interface AccessCopySource {
  id: string;
  /** null: a source the definition no longer declares. */
  kind: SourceKind | null;
  label: Localized | null;
}

export interface AccessCopyTransfer {
  /** The countries outside the EU/EEA the data goes to. */
  countries: string[];
  mechanism: TransferMechanism | null;
  sccModule?: number;
  derogation?: string;
  description?: Localized;
}

export interface AccessCopyRecipient {
  id: string;
  name: Localized;
  role: RecipientRole;
  country: string;
  description: Localized;
  /** Transfers to this recipient outside the EU/EEA, each with its safeguard (Art. 15(2)). */
  transfers: AccessCopyTransfer[];
}

export interface AccessCopyHold {
  id: string;
  law: string;
  /** The one purpose held data stay readable for after an erasure. */
  purpose: string;
  duration: string;
  from: RetentionEvent;
  label: Localized;
}

export interface AccessCopyField extends StoredField {
  /** The field's name in the definition (absent for a field it no longer declares). */
  label?: Localized;
}

export interface AccessCopyCategory {
  label?: Localized;
  purposes: AccessCopyPurpose[];
  fields: Record<string, AccessCopyField>;
  /** The sources the values of this category came from (each field names its own). */
  sources: AccessCopySource[];
  recipients: AccessCopyRecipient[];
  legalHolds: AccessCopyHold[];
}

/**
 * The person's own stops (Art. 7(3), 21; the direct-marketing prohibition): which purposes are
 * stopped for them, why and since when, and the compelling grounds recorded against an objection.
 * Who recorded anything is not shown.
 */
export interface AccessCopyStops {
  stopped: Array<{
    purpose: string;
    /** The purpose's name (absent for a purpose the definition no longer declares). */
    label?: Localized;
    reason: 'objection' | 'consent_withdrawal' | 'marketing_prohibition';
    since: string;
  }>;
  /** Purposes that go on despite an objection, with the grounds the person was told of. */
  compellingGrounds: Array<{ purpose: string; label?: Localized; grounds: string; since: string }>;
}

/**
 * One of the person's own requests, as the requests module tells it (see docs/requests.md, "The
 * person's requests in the copy"): no staff identities, no handling notes.
 */
export interface AccessCopyRequest {
  id: string;
  type: RequestType;
  channel: RequestChannel;
  receivedAt: string;
  identityProvenAt: string | null;
  /** YYYY-MM-DD in Helsinki; null until the identity is proven. */
  dueOn: string | null;
  /** The first due date, when an extension moved it. */
  originalDueOn: string | null;
  extended: boolean;
  state: string;
  closedAt: string | null;
  /** The contact details the request was made with. */
  contact: {
    email: string | null;
    phone: string | null;
    name: string | null;
    /** The postal address the request gave, to answer by letter. */
    address: { street: string; postalCode: string; city: string; country?: string } | null;
  };
  /** What the person wrote, for a request made in the portal (their own words); else null. */
  details: string | null;
  /** The reasons the person was told by mail: for a refusal and for an extension. */
  reasons: { refuse?: string; extend?: string };
  /** Its steps, oldest first: the step's name, when, and the due date it set. */
  history: Array<{ step: string; at: string; dueOn?: string }>;
}

/** The person's requests, for the copy (a port the composition root fills from the requests module). */
export type RequestsOfPerson = (subjectId: string) => Promise<AccessCopyRequest[]>;

export interface AccessCopy {
  exportedAt: string;
  controller: {
    name: string;
    businessId: string;
    email: string;
    phone?: string;
    address: { street: string; postalCode: string; city: string; country: string };
    website?: string;
    dpo?: { name: string; email?: string; phone?: string };
  };
  subject: {
    id: string;
    createdAt: string;
    updatedAt: string;
    restricted: boolean;
    restrictionReason: string | null;
  };
  categories: Record<string, AccessCopyCategory>;
  history: Array<{
    category: string;
    field: string;
    old: FieldValue | null;
    new: FieldValue | null;
    reason: string | null;
    purpose: string;
    source: string;
    changedAt: string;
  }>;
  /**
   * The person's marketing permissions (the permission ledger, docs/permissions.md): the current
   * state per kind and channel, and every change with its evidence. Who recorded a change is
   * given by its kind only (staff, an integration, the person, the system), never by name.
   */
  permissions: {
    state: Array<{ kind: string; channel: string; state: string; changedAt: string }>;
    history: Array<{
      kind: string;
      channel: string;
      state: string;
      previousState: string | null;
      givenAt: string;
      recordedAt: string;
      method: string;
      noticeVersion: string | null;
      wording: { text: string; language: string } | null;
      reference: string | null;
      by: string;
    }>;
  };
  /** The rights the register offers, with any qualification (Art. 15(1)(e)). */
  rights: Array<{ right: Right; qualification?: Localized }>;
  /** Where to complain (Art. 15(1)(f)). */
  supervisoryAuthority: { name: Localized; website: string; email?: string; phone?: string };
  accessLog: Array<{
    at: string;
    action: string;
    /** The entry as a sentence in the language asked for. */
    text: string;
    purpose: string | null;
    role: string;
    categories: string[];
  }>;
  /** The person's objections, consent withdrawals and marketing prohibitions. */
  stops: AccessCopyStops;
  /** The person's own data-subject requests and their history. */
  requests: AccessCopyRequest[];
}

/** The definition's recipients that receive a category: named in it, or through a purpose. */
export function recipientsOfCategory(def: Definition, category: string): AccessCopyRecipient[] {
  return def.recipients
    .filter((r) =>
      r.categories.length > 0
        ? r.categories.includes(category)
        : r.purposes.some((p) =>
            def.purposes.find((x) => x.id === p)?.categories.includes(category),
          ),
    )
    .map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      country: r.country,
      description: r.description,
      transfers: def.transfers
        .filter((t) => t.recipient === r.id)
        .map((t) => ({ t, countries: countriesOutsideEea(def, t) }))
        .filter(({ countries }) => countries.length > 0)
        .map(({ t, countries }) => ({
          countries,
          mechanism: t.mechanism ?? null,
          ...(t.sccModule !== undefined ? { sccModule: t.sccModule } : {}),
          ...(t.derogation ? { derogation: t.derogation } : {}),
          ...(t.description ? { description: t.description } : {}),
        })),
    }));
}

/** What the definition says of one category: purposes, recipients, holds (not its values). */
function describeCategory(register: Register, category: string, sourceIds: Iterable<string>) {
  const def = register.definition;
  const rules = new Map(def.retention.rules.map((r) => [r.id, r]));
  return {
    purposes: def.purposes
      .filter((p) => p.categories.includes(category))
      .map((p): AccessCopyPurpose => {
        const rule = rules.get(p.retention);
        return {
          id: p.id,
          label: p.label,
          description: p.description,
          legalBasis: p.legalBasis,
          ...(p.legitimateInterest ? { legitimateInterest: p.legitimateInterest } : {}),
          ...(p.law ? { law: p.law } : {}),
          // `check` refuses a purpose whose rule is not declared; the id alone is the fallback.
          retention: rule
            ? {
                id: rule.id,
                duration: rule.duration,
                from: rule.from ?? 'unknown',
                label: rule.label,
              }
            : {
                id: p.retention,
                duration: '',
                from: '',
                label: { sv: p.retention, fi: p.retention, en: p.retention },
              },
        };
      }),
    sources: [...new Set(sourceIds)].map((id): AccessCopySource => {
      const s = register.source(id);
      return { id, kind: s?.kind ?? null, label: s?.label ?? null };
    }),
    recipients: recipientsOfCategory(def, category),
    legalHolds: def.retention.legalHolds
      .filter((h) => h.categories.includes(category))
      .map((h) => ({
        id: h.id,
        law: h.law,
        purpose: h.purpose,
        duration: h.duration,
        from: h.from,
        label: h.label,
      })),
  };
}

export function presentAccessCopy(input: {
  register: Register;
  exportedAt: Date;
  subject: SubjectRow;
  restrictionReason: string | null;
  categories: OpenedCategories;
  history: ReadonlyArray<{
    row: HistoryRow;
    change: { old: FieldValue | null; new: FieldValue | null; reason: string | null };
  }>;
  accessLog: AccessCopy['accessLog'];
  stops: ReadonlyArray<{
    purpose: string;
    reason: AccessCopyStops['stopped'][number]['reason'];
    since: Date;
  }>;
  compellingGrounds: ReadonlyArray<{ purpose: string; grounds: string; since: Date }>;
  requests: AccessCopyRequest[];
  ledger: Awaited<ReturnType<typeof ledgerOf>>;
}): AccessCopy {
  const { register, subject } = input;
  const def = register.definition;
  const c = def.controller;
  const dpo = appointedDpo(c);
  const authority = def.supervisoryAuthority;
  return {
    exportedAt: input.exportedAt.toISOString(),
    controller: {
      name: c.name,
      businessId: c.businessId,
      email: c.email,
      ...(c.phone ? { phone: c.phone } : {}),
      address: { ...c.address },
      ...(c.website ? { website: c.website } : {}),
      ...(dpo
        ? {
            dpo: {
              name: dpo.name,
              ...(dpo.email ? { email: dpo.email } : {}),
              ...(dpo.phone ? { phone: dpo.phone } : {}),
            },
          }
        : {}),
    },
    subject: {
      id: subject.id,
      createdAt: subject.created_at.toISOString(),
      updatedAt: subject.updated_at.toISOString(),
      restricted: subject.restricted_at !== null,
      restrictionReason: input.restrictionReason,
    },
    categories: Object.fromEntries(
      // In the definition's order, then any category it no longer declares.
      Object.entries(input.categories)
        .sort(([a], [b]) => order(def, a) - order(def, b))
        .map(([cat, fields]) => {
          const label = register.category(cat)?.label;
          return [
            cat,
            {
              ...(label ? { label } : {}),
              ...describeCategory(
                register,
                cat,
                Object.values(fields).map((f) => f.source),
              ),
              fields: Object.fromEntries(
                Object.entries(fields).map(([f, stored]) => {
                  const fieldLabel = register.field(cat, f)?.label;
                  return [f, { ...stored, ...(fieldLabel ? { label: fieldLabel } : {}) }];
                }),
              ),
            } satisfies AccessCopyCategory,
          ];
        }),
    ),
    history: input.history.map(({ row, change }) => ({
      category: row.category,
      field: row.field,
      ...change,
      purpose: row.purpose,
      source: row.source,
      changedAt: row.changed_at.toISOString(),
    })),
    permissions: {
      state: input.ledger.state.map((r) => ({
        kind: r.kind,
        channel: r.channel,
        state: r.state,
        changedAt: new Date(r.changed_at).toISOString(),
      })),
      history: input.ledger.history.map((r) => ({
        kind: r.kind,
        channel: r.channel,
        state: r.state,
        previousState: r.previous_state,
        givenAt: new Date(r.given_at).toISOString(),
        recordedAt: new Date(r.recorded_at).toISOString(),
        method: r.method,
        noticeVersion: r.notice_version,
        wording:
          r.wording_text === null
            ? null
            : { text: r.wording_text, language: r.wording_language ?? '' },
        reference: r.reference,
        by: r.actor.split(':')[0] ?? '',
      })),
    },
    rights: def.rights.offered.map((r) => ({
      right: r.right,
      ...(r.qualification ? { qualification: r.qualification } : {}),
    })),
    supervisoryAuthority: {
      name: authority.name,
      website: authority.website,
      ...(authority.email ? { email: authority.email } : {}),
      ...(authority.phone ? { phone: authority.phone } : {}),
    },
    accessLog: input.accessLog,
    stops: {
      stopped: input.stops
        .map((st) => ({
          ...purposeNamed(register, st.purpose),
          reason: st.reason,
          since: iso(st.since),
        }))
        .sort((a, b) => order2(def, a.purpose, b.purpose) || a.reason.localeCompare(b.reason)),
      compellingGrounds: input.compellingGrounds
        .map((g) => ({
          ...purposeNamed(register, g.purpose),
          grounds: g.grounds,
          since: iso(g.since),
        }))
        .sort((a, b) => order2(def, a.purpose, b.purpose)),
    },
    requests: input.requests,
  };
}

const iso = (d: Date) => new Date(d).toISOString();

function purposeNamed(register: Register, purpose: string): { purpose: string; label?: Localized } {
  const label = register.purpose(purpose)?.label;
  return { purpose, ...(label ? { label } : {}) };
}

/** Purposes in the definition's order, then any it no longer declares. */
function order2(def: Definition, a: string, b: string): number {
  const i = (p: string) => {
    const n = def.purposes.findIndex((x) => x.id === p);
    return n < 0 ? def.purposes.length : n;
  };
  return i(a) - i(b) || a.localeCompare(b);
}

function order(def: Definition, category: string): number {
  const i = def.categories.findIndex((c) => c.id === category);
  return i < 0 ? def.categories.length : i;
}
