/**
 * Turning stored values and definition entries into text: addresses, json values, dates, the
 * name, e-mail and organisation of a person as far as the purpose shows them.
 */
import type { Definition, FieldDefinition, PurposeDefinition, Role, Subject } from './api.ts';
import type { I18n, SharedKey } from './i18n.ts';

const LEGAL_BASES = new Set([
  'consent',
  'contract',
  'legal_obligation',
  'vital_interest',
  'public_task',
  'legitimate_interest',
  // The register does not state the basis (a gap in the notice it was made from).
  'unknown',
]);

export function legalBasisLabel(i18n: I18n, basis: string): string {
  return LEGAL_BASES.has(basis) ? i18n.t(`legalBasis.${basis}` as SharedKey) : basis;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isAddress(
  v: unknown,
): v is { street?: string; postalCode?: string; city?: string; country?: string } {
  return isRecord(v) && ('street' in v || 'postalCode' in v || 'city' in v);
}

/**
 * A stored value as text; multi-line values use `\n` (shown with white-space: pre-line).
 * Addresses read as on an envelope; json objects as `key: value` lines.
 */
export function formatValue(i18n: I18n, value: unknown, type?: string): string {
  if (value === null || value === undefined || value === '') {
    return '—';
  }
  if (typeof value === 'boolean') {
    return value ? i18n.t('common.yes') : i18n.t('common.no');
  }
  if (typeof value === 'number') {
    return i18n.number(value);
  }
  if (typeof value === 'string') {
    if (type === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
      return i18n.date(value);
    }
    if (type === 'datetime') {
      return i18n.dateTime(value);
    }
    return value;
  }
  if (isAddress(value)) {
    const cityLine = [value.postalCode, value.city].filter(Boolean).join(' ');
    return [value.street, cityLine, value.country].filter(Boolean).join('\n');
  }
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object' || v === null)) {
      return value.map((v) => formatValue(i18n, v)).join(', ');
    }
    return value.map((v) => formatValue(i18n, v)).join('\n');
  }
  if (isRecord(value)) {
    return Object.entries(value)
      .map(
        ([k, v]) =>
          `${k}: ${isRecord(v) || Array.isArray(v) ? JSON.stringify(v) : formatValue(i18n, v)}`,
      )
      .join('\n');
  }
  return JSON.stringify(value);
}

/** The fields of the definition by `category.field`. */
export function fieldIndex(def: Definition): Map<string, FieldDefinition> {
  const m = new Map<string, FieldDefinition>();
  for (const c of def.categories) {
    for (const f of c.fields) {
      m.set(`${c.id}.${f.id}`, f);
    }
  }
  return m;
}

function firstOfType(subject: Subject, def: Definition, type: string): string | null {
  for (const c of def.categories) {
    const values = subject.categories[c.id];
    if (!values) {
      continue;
    }
    for (const f of c.fields) {
      const v = values[f.id]?.value;
      if (f.type === type && typeof v === 'string' && v) {
        return v;
      }
    }
  }
  return null;
}

function firstWithId(subject: Subject, ids: string[]): string | null {
  for (const id of ids) {
    for (const values of Object.values(subject.categories)) {
      const v = values[id]?.value;
      if (typeof v === 'string' && v) {
        return v;
      }
    }
  }
  return null;
}

/** Name, e-mail, phone and organisation of a person, each only if the purpose shows it. */
export function personSummary(subject: Subject, def: Definition) {
  const first = firstWithId(subject, ['firstName', 'givenName']);
  const last = firstWithId(subject, ['lastName', 'familyName', 'surname']);
  const name =
    [first, last].filter(Boolean).join(' ') || firstWithId(subject, ['name', 'fullName']) || null;
  return {
    name,
    email: firstOfType(subject, def, 'email'),
    phone: firstOfType(subject, def, 'phone'),
    organisation: firstWithId(subject, ['organisation', 'organization', 'company']),
  };
}

/** The purposes a role may read under, in definition order. */
export function readablePurposes(def: Definition, role: Role): PurposeDefinition[] {
  if (role.read.includes('*')) {
    return def.purposes;
  }
  const allowed = new Set(role.read);
  return def.purposes.filter((p) => allowed.has(p.id));
}

export type Criterion = { email: string } | { phone: string } | { q: string } | null;

/**
 * What a search box holds: an e-mail address (has @), a phone number (digits with + ( ) - and
 * spaces, at least five digits) or words of a name or organisation.
 */
export function detectCriterion(input: string): Criterion {
  const s = input.trim();
  if (!s) {
    return null;
  }
  if (s.includes('@')) {
    return { email: s };
  }
  if (/^[+\d\s().-]+$/.test(s) && (s.match(/\d/g) ?? []).length >= 5) {
    return { phone: s };
  }
  return { q: s };
}
