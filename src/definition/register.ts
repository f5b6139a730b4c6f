/**
 * The loaded register definition with lookup tables, shared read-only by every service.
 */
import { createHash } from 'node:crypto';
import type {
  CategoryDefinition,
  FieldDefinition,
  PurposeDefinition,
  RegisterDefinition,
} from './schema.ts';

export interface Register {
  readonly definition: RegisterDefinition;
  /** SHA-256 of the definition text: identifies this version. */
  readonly digest: string;
  category(id: string): CategoryDefinition | undefined;
  field(categoryId: string, fieldId: string): FieldDefinition | undefined;
  purpose(id: string): PurposeDefinition | undefined;
  source(id: string): RegisterDefinition['sources'][number] | undefined;
  /** Categories a purpose may use. */
  categoriesOf(purposeId: string): ReadonlySet<string>;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) {
      deepFreeze(v);
    }
    Object.freeze(value);
  }
  return value;
}

export function createRegister(definition: RegisterDefinition, text: string): Register {
  deepFreeze(definition);
  const categories = new Map(definition.categories.map((c) => [c.id, c]));
  const fields = new Map(
    definition.categories.flatMap((c) => c.fields.map((f) => [`${c.id}.${f.id}`, f] as const)),
  );
  const purposes = new Map(definition.purposes.map((p) => [p.id, p]));
  const sources = new Map(definition.sources.map((s) => [s.id, s]));
  const purposeCategories = new Map(
    definition.purposes.map((p) => [p.id, new Set(p.categories) as ReadonlySet<string>]),
  );
  const empty: ReadonlySet<string> = new Set();
  return {
    definition,
    digest: createHash('sha256').update(text).digest('hex'),
    category: (id) => categories.get(id),
    field: (c, f) => fields.get(`${c}.${f}`),
    purpose: (id) => purposes.get(id),
    source: (id) => sources.get(id),
    categoriesOf: (id) => purposeCategories.get(id) ?? empty,
  };
}
