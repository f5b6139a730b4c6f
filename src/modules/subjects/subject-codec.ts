/**
 * Turns input values into sealed category rows and back, checking them against the register
 * definition on the way in. Shared by the subjects service, the importer and the seeder.
 */
import type { FieldMeta } from '../../db/types.ts';
import type { FieldDefinition } from '../definition/index.ts';
import type { Register } from '../definition/index.ts';
import { AppError, invalidAll, type FieldIssue } from '../../lib/errors.ts';
import { searchTokens } from '../../vault/normalise.ts';
import { sortIndexes, VaultError, type Vault } from '../../vault/vault.ts';
import { checkFieldValue, type FieldValue } from './field-types.ts';
import type {
  HistoryRow,
  NewSubjectRow,
  RowMeta,
  SubjectIndexes,
  ValueRow,
} from './subjects.repo.ts';

/** category → field → value; `null` removes a field in an update. */
export type ValuesInput = Record<string, Record<string, unknown>>;
export type CategoryValues = Map<string, Map<string, FieldValue | null>>;

export interface StoredField {
  value: FieldValue;
  source: string;
  purpose: string;
  collectedAt: string;
}
export type OpenedCategories = Record<string, Record<string, StoredField>>;

/** A time as the database gives it back: ISO 8601 in UTC with milliseconds. */
export function canonicalTime(t: string | Date): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString();
}

/**
 * Provenance as it is bound into a sealed row: the row's default, then each differing field in
 * field order (jsonb keeps no key order of its own), every time in canonical form.
 */
function provenance(meta: RowMeta): string {
  const one = (m: FieldMeta) => [m.source, m.purpose, canonicalTime(m.collectedAt)];
  return JSON.stringify([
    one(meta.default),
    Object.keys(meta.fields)
      .sort()
      .map((f) => [f, ...one(meta.fields[f] as FieldMeta)]),
  ]);
}

/** What a history row's sealed change is bound to, besides the person. */
export interface HistoryBinding {
  id: string;
  category: string;
  field: string;
  purpose: string;
  source: string;
  actor: string;
  changedAt: Date;
}

/**
 * A sealed value that does not open under its own associated data was altered, moved or rolled back
 * in the database (or the key is not the one it was sealed with): refused, naming no value.
 */
export function integrityFailed(subjectId: string, err: unknown): never {
  if (err instanceof VaultError) {
    throw new AppError(
      'integrity_failed',
      `the stored data of subject ${subjectId} failed its integrity check: it was changed outside Rekisteri, or restored from an older copy; nothing of it is shown`,
    );
  }
  throw err;
}

export function createSubjectCodec(register: Register, vault: Vault) {
  const def = register.definition;
  const callingCode = def.defaultCountryCallingCode;
  /** Fields in definition order, by what feeds the blind indexes. */
  const fieldsOf = (pred: (f: FieldDefinition) => boolean) =>
    def.categories.flatMap((c) =>
      c.fields.filter(pred).map((f) => ({ category: c.id, field: f.id })),
    );
  const emailFields = fieldsOf((f) => f.type === 'email');
  const phoneFields = fieldsOf((f) => f.type === 'phone');
  const searchable = fieldsOf((f) => f.searchable);
  /** Categories holding a field that feeds a blind index. */
  const indexedCategories = [
    ...new Set([...emailFields, ...phoneFields, ...searchable].map((f) => f.category)),
  ];
  const primary = (
    values: ReadonlyMap<string, ReadonlyMap<string, FieldValue | null>>,
    kind: 'email' | 'phone',
  ) => {
    for (const { category, field } of kind === 'email' ? emailFields : phoneFields) {
      const v = values.get(category)?.get(field);
      if (typeof v === 'string') {
        return v;
      }
    }
    return undefined;
  };

  /**
   * A row's associated data: the person, the category, the row's write counter and its provenance.
   * An older ciphertext under a newer counter, or provenance edited in place, does not open.
   */
  const valueAadOf = (subjectId: string, category: string, version: number, prov: string) =>
    `value/v2:${subjectId}:${category}:${version}:${prov}`;
  const valueAad = (subjectId: string, category: string, version: number, meta: RowMeta) =>
    valueAadOf(subjectId, category, version, provenance(meta));
  const historyAad = (subjectId: string, h: HistoryBinding) =>
    `history/v2:${subjectId}:${h.id}:${h.category}.${h.field}:${JSON.stringify([h.purpose, h.source, h.actor, canonicalTime(h.changedAt)])}`;

  return {
    indexedCategories,

    /**
     * Whether a purpose may look people up by e-mail, phone or name words: only when it uses a
     * category holding such fields. Otherwise a purpose that may not use names (analytics, say)
     * could re-identify its pseudonymous data through the index.
     */
    /** The categories holding an e-mail (or phone) field: where a lookup's index comes from. */
    lookupCategories(kind: 'email' | 'phone'): string[] {
      return [...new Set((kind === 'email' ? emailFields : phoneFields).map((f) => f.category))];
    },

    mayLookUp(purpose: string, kind: 'email' | 'phone' | 'q'): boolean {
      const allowed = register.categoriesOf(purpose);
      const fields = kind === 'email' ? emailFields : kind === 'phone' ? phoneFields : searchable;
      return fields.some((f) => allowed.has(f.category));
    },

    /** Required fields of a category that a set of values lacks. */
    missingRequired(categoryId: string, present: Iterable<string>): string[] {
      const have = new Set(present);
      return (register.category(categoryId)?.fields ?? [])
        .filter((f) => f.required && !have.has(f.id))
        .map((f) => f.id);
    },

    fieldType(categoryId: string, fieldId: string): string {
      return register.field(categoryId, fieldId)?.type ?? 'text';
    },

    requirePurpose(purpose: string, field = 'purpose') {
      const p = register.purpose(purpose);
      if (!p) {
        throw new AppError('validation_failed', `${field}: unknown purpose "${purpose}"`, [
          {
            field,
            detail: `unknown purpose "${purpose}"; expected one of ${def.purposes.map((x) => x.id).join(', ')}`,
          },
        ]);
      }
      return p;
    },

    requireSource(source: string, field = 'source') {
      if (!register.source(source)) {
        throw new AppError('validation_failed', `${field}: unknown source "${source}"`, [
          {
            field,
            detail: `unknown source "${source}"; expected one of ${def.sources.map((x) => x.id).join(', ')}`,
          },
        ]);
      }
    },

    /**
     * Checks values against the definition and the purpose they are collected for. Collects every
     * problem before refusing, so one answer names them all.
     */
    checkValues(
      purpose: string,
      input: ValuesInput,
      mode: 'create' | 'update',
      prefix = 'values',
    ): CategoryValues {
      const allowed = register.categoriesOf(purpose);
      const issues: FieldIssue[] = [];
      const out: CategoryValues = new Map();
      for (const [categoryId, fields] of Object.entries(input)) {
        const category = register.category(categoryId);
        const at = `${prefix}.${categoryId}`;
        if (!category) {
          issues.push({
            field: at,
            detail: `no category "${categoryId}" in the register definition`,
          });
          continue;
        }
        if (!allowed.has(categoryId)) {
          issues.push({
            field: at,
            detail: `category "${categoryId}" is not used by purpose "${purpose}"`,
          });
          continue;
        }
        if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
          issues.push({ field: at, detail: 'expected an object of field values' });
          continue;
        }
        const checked = new Map<string, FieldValue | null>();
        for (const [fieldId, value] of Object.entries(fields)) {
          const field = register.field(categoryId, fieldId);
          if (!field) {
            issues.push({
              field: `${at}.${fieldId}`,
              detail: `no field "${fieldId}" in category "${categoryId}"`,
            });
            continue;
          }
          if (value === null && mode === 'update') {
            if (field.required) {
              issues.push({
                field: `${at}.${fieldId}`,
                detail: 'is required and cannot be removed',
              });
            }
            checked.set(fieldId, null);
            continue;
          }
          const result = checkFieldValue(field, value, callingCode);
          if (result.ok) {
            checked.set(fieldId, result.value);
          } else {
            issues.push({ field: `${at}.${fieldId}`, detail: result.detail });
          }
        }
        if (mode === 'create') {
          for (const f of this.missingRequired(categoryId, checked.keys())) {
            issues.push({ field: `${at}.${f}`, detail: 'is required' });
          }
        }
        if (checked.size > 0) {
          out.set(categoryId, checked);
        }
      }
      if (issues.length === 0 && out.size === 0 && mode === 'create') {
        issues.push({ field: prefix, detail: 'at least one value is needed' });
      }
      if (issues.length > 0) {
        throw invalidAll(issues);
      }
      return out;
    },

    /**
     * Blind indexes of a subject's values: the primary e-mail address and phone number (the first
     * e-mail and phone fields of the definition that hold a value) and the words of searchable
     * fields with their prefixes.
     */
    indexes(
      values: ReadonlyMap<string, ReadonlyMap<string, FieldValue | null>>,
      emailIndex?: string | null,
    ): SubjectIndexes {
      const phone = primary(values, 'phone');
      const tokens: string[] = [];
      for (const { category, field } of searchable) {
        const value = values.get(category)?.get(field);
        if (typeof value === 'string') {
          tokens.push(...vault.tokenIndexes(`${category}.${field}`, value));
        }
      }
      return {
        email: emailIndex === undefined ? this.emailIndex(values) : emailIndex,
        phone: phone === undefined ? null : (vault.phoneIndex(phone) ?? null),
        // Sorted, so the stored order says nothing of which word or field an index came from.
        tokens: sortIndexes(tokens),
      };
    },

    /**
     * What a free-text search for `q` looks for on behalf of a purpose: one group per word, each
     * the word's index in every searchable field of the categories the purpose uses. A person
     * matches when, for every group, their blind index holds one of its indexes. Empty when the
     * text has no words.
     */
    searchGroups(purpose: string, q: string): string[][] {
      const allowed = register.categoriesOf(purpose);
      const fields = searchable.filter((f) => allowed.has(f.category));
      return searchTokens(q).map((word) =>
        sortIndexes(fields.map((f) => vault.tokenIndex(`${f.category}.${f.field}`, word))),
      );
    },

    /** The primary e-mail or phone among opened values, when the reader may see it. */
    primaryValue(opened: OpenedCategories, kind: 'email' | 'phone'): string | undefined {
      for (const { category, field } of kind === 'email' ? emailFields : phoneFields) {
        const v = opened[category]?.[field]?.value;
        if (typeof v === 'string') {
          return v;
        }
      }
      return undefined;
    },

    /**
     * The blind index of every e-mail address and phone number among values (every e-mail and
     * phone field, not only the primary ones), each with the field it came from: what the
     * suppression list keeps after an erasure and what a new person is checked against.
     */
    addressIndexes(
      valueOf: (category: string, field: string) => unknown,
    ): Array<{ kind: 'email' | 'phone'; index: string; field: string }> {
      const out: Array<{ kind: 'email' | 'phone'; index: string; field: string }> = [];
      for (const [kind, fields] of [
        ['email', emailFields],
        ['phone', phoneFields],
      ] as const) {
        for (const { category, field } of fields) {
          const v = valueOf(category, field);
          const index =
            typeof v !== 'string'
              ? undefined
              : kind === 'email'
                ? vault.emailIndex(v)
                : vault.phoneIndex(v);
          if (index !== undefined) {
            out.push({ kind, index, field: `${category}.${field}` });
          }
        }
      }
      return out;
    },

    /** Only the primary e-mail's index: the dedupe key, cheap to compute. */
    emailIndex(values: ReadonlyMap<string, ReadonlyMap<string, FieldValue | null>>): string | null {
      const email = primary(values, 'email');
      return email === undefined ? null : (vault.emailIndex(email) ?? null);
    },

    /**
     * A new subject ready to insert: key, sealed category rows and blind index. `emailIndex`, when
     * the caller has already computed it (the importer's dedupe), saves computing it again.
     */
    newSubject(
      id: string,
      values: CategoryValues,
      meta: FieldMeta,
      emailIndex?: string | null,
    ): NewSubjectRow {
      const { key, wrapped } = vault.newSubjectKey(id);
      const rowMeta: FieldMeta = { ...meta, collectedAt: canonicalTime(meta.collectedAt) };
      const rows = [...values].map(([category, fields]) => {
        const plain: Record<string, FieldValue> = {};
        for (const [f, v] of fields) {
          if (v !== null) {
            plain[f] = v;
          }
        }
        return {
          category,
          sealed: this.sealRow(key, id, category, 1, { default: rowMeta, fields: {} }, plain),
          meta: rowMeta,
        };
      });
      return { id, wrappedKey: wrapped, indexes: this.indexes(values, emailIndex), values: rows };
    },

    key(subjectId: string, wrapped: Buffer | null): Buffer {
      if (!wrapped) {
        throw new AppError('not_found', 'subject not found');
      }
      try {
        return vault.unwrapSubjectKey(subjectId, wrapped);
      } catch (err) {
        return integrityFailed(subjectId, err);
      }
    },

    openRow(key: Buffer, row: ValueRow): Record<string, FieldValue> {
      return this.openSealed(
        key,
        row.subject_id,
        row.category,
        row.version,
        provenance(row.meta),
        row.sealed,
      );
    },

    /**
     * What a value row's associated data binds of its provenance (`meta`), as text: the same for
     * every row with the same provenance, so a bulk reader may compute it once for many rows.
     */
    provenanceText: provenance,

    /** `openRow` with the row's provenance already as `provenanceText` gives it. */
    openSealed(
      key: Buffer,
      subjectId: string,
      category: string,
      version: number,
      provenanceText: string,
      sealed: Uint8Array,
    ): Record<string, FieldValue> {
      let plain: Buffer;
      try {
        plain = vault.open(key, valueAadOf(subjectId, category, version, provenanceText), sealed);
      } catch (err) {
        return integrityFailed(subjectId, err);
      }
      return JSON.parse(plain.toString('utf8')) as Record<string, FieldValue>;
    },

    /** Seals a category row as it will be stored: at `version`, with provenance `meta`. */
    sealRow(
      key: Buffer,
      subjectId: string,
      category: string,
      version: number,
      meta: RowMeta,
      plain: Record<string, FieldValue>,
    ): Buffer {
      return vault.seal(key, valueAad(subjectId, category, version, meta), JSON.stringify(plain));
    },

    openRows(key: Buffer, rows: readonly ValueRow[]): OpenedCategories {
      const out: OpenedCategories = {};
      for (const row of rows) {
        const plain = this.openRow(key, row);
        const fields: Record<string, StoredField> = {};
        for (const [f, value] of Object.entries(plain)) {
          const m = row.meta.fields[f] ?? row.meta.default;
          fields[f] = {
            value,
            source: m?.source ?? 'unknown',
            purpose: m?.purpose ?? 'unknown',
            collectedAt: m?.collectedAt ?? row.updated_at.toISOString(),
          };
        }
        out[row.category] = fields;
      }
      return out;
    },

    sealChange(
      key: Buffer,
      subjectId: string,
      binding: HistoryBinding,
      change: { old: FieldValue | null; new: FieldValue | null; reason: string | null },
    ): Buffer {
      return vault.seal(key, historyAad(subjectId, binding), JSON.stringify(change));
    },

    openChange(key: Buffer, subjectId: string, row: HistoryRow) {
      let plain: Buffer;
      try {
        plain = vault.open(
          key,
          historyAad(subjectId, {
            id: row.id,
            category: row.category,
            field: row.field,
            purpose: row.purpose,
            source: row.source,
            actor: row.actor,
            changedAt: row.changed_at,
          }),
          row.sealed_change,
        );
      } catch (err) {
        return integrityFailed(subjectId, err);
      }
      return JSON.parse(plain.toString('utf8')) as {
        old: FieldValue | null;
        new: FieldValue | null;
        reason: string | null;
      };
    },
  };
}

export type SubjectCodec = ReturnType<typeof createSubjectCodec>;
