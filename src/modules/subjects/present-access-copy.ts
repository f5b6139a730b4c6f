/**
 * The access copy (Art. 15) and portable copy (Art. 20): everything held about one person, in the
 * shape the API answers with (the response schema in subjects.routes.ts describes every field).
 * Built from what the export use case opened; nothing here reads the database.
 */
import type { Register } from '../definition/index.ts';
import type { LegalBasis, Localized } from '../definition/index.ts';
import type { FieldValue } from './field-types.ts';
import type { OpenedCategories, StoredField } from './subject-codec.ts';
import type { HistoryRow, SubjectRow } from './subjects.repo.ts';

export interface AccessCopy {
  exportedAt: string;
  controller: { name: string; businessId: string };
  subject: {
    id: string;
    createdAt: string;
    updatedAt: string;
    restricted: boolean;
    restrictionReason: string | null;
  };
  categories: Record<
    string,
    {
      label?: Localized;
      purposes: Array<{ id: string; label: Localized; legalBasis: LegalBasis; retention: string }>;
      fields: Record<string, StoredField>;
    }
  >;
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
  accessLog: Array<{
    at: string;
    action: string;
    /** The entry as a sentence in the language asked for. */
    text: string;
    purpose: string | null;
    role: string;
    categories: string[];
  }>;
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
}): AccessCopy {
  const { register, subject } = input;
  const def = register.definition;
  return {
    exportedAt: input.exportedAt.toISOString(),
    controller: { name: def.controller.name, businessId: def.controller.businessId },
    subject: {
      id: subject.id,
      createdAt: subject.created_at.toISOString(),
      updatedAt: subject.updated_at.toISOString(),
      restricted: subject.restricted_at !== null,
      restrictionReason: input.restrictionReason,
    },
    categories: Object.fromEntries(
      Object.entries(input.categories).map(([c, fields]) => {
        const label = register.category(c)?.label;
        return [
          c,
          {
            ...(label ? { label } : {}),
            purposes: def.purposes
              .filter((p) => p.categories.includes(c))
              .map((p) => ({
                id: p.id,
                label: p.label,
                legalBasis: p.legalBasis,
                retention: p.retention,
              })),
            fields,
          },
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
    accessLog: input.accessLog,
  };
}
