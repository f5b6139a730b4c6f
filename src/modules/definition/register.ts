/**
 * The loaded register definition with lookup tables, shared read-only by every service.
 */
import { createHash } from 'node:crypto';
import { defaultRoles } from './roles.ts';
import type { DefinitionProblem } from './loader.ts';
import { resolveMarketing, type MarketingModel } from './marketing.ts';
import type {
  Language,
  CategoryDefinition,
  RoleDefinition,
  FieldDefinition,
  PurposeDefinition,
  RegisterDefinition,
} from './schema.ts';

export interface Register {
  readonly definition: RegisterDefinition;
  /** SHA-256 of the definition text: identifies this version. */
  readonly digest: string;
  /** What `rekisteri check` warns about in this definition (it is valid nonetheless). */
  readonly warnings: readonly DefinitionProblem[];
  /** The languages the notice is published in, the main one first (definition.languages). */
  readonly languages: readonly Language[];
  category(id: string): CategoryDefinition | undefined;
  field(categoryId: string, fieldId: string): FieldDefinition | undefined;
  purpose(id: string): PurposeDefinition | undefined;
  source(id: string): RegisterDefinition['sources'][number] | undefined;
  /** Categories a purpose may use. */
  categoriesOf(purposeId: string): ReadonlySet<string>;
  /** Staff roles: declared, or the defaults. */
  readonly roles: readonly RoleDefinition[];
  role(id: string): RoleDefinition | undefined;
  /** Marketing channels, permission kinds and each marketing purpose's permission. */
  readonly marketing: MarketingModel;
  /**
   * The relationship purposes: those resting on the customer relationship (legal basis
   * `contract`) or whose retention rule counts from its end. A write under one marks the person
   * as related for good (docs/retention.md, "When data expire").
   */
  readonly relationshipPurposes: ReadonlySet<string>;
  /**
   * Line and column of a path of the definition (`controller.dpo`) in its YAML text, for a
   * finding made after loading (a gap of the notice); empty where the text does not have it.
   */
  readonly locate: (path: string) => { line?: number; column?: number };
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

export function createRegister(
  definition: RegisterDefinition,
  text: string,
  warnings: readonly DefinitionProblem[] = [],
  locate: (path: string) => { line?: number; column?: number } = () => ({}),
): Register {
  deepFreeze(definition);
  const categories = new Map(definition.categories.map((c) => [c.id, c]));
  // category → field id → field; looked up for every value written, so no key strings are built.
  const fields = new Map(
    definition.categories.map((c) => [c.id, new Map(c.fields.map((f) => [f.id, f]))]),
  );
  const purposes = new Map(definition.purposes.map((p) => [p.id, p]));
  const sources = new Map(definition.sources.map((s) => [s.id, s]));
  const purposeCategories = new Map(
    definition.purposes.map((p) => [p.id, new Set(p.categories) as ReadonlySet<string>]),
  );
  const empty: ReadonlySet<string> = new Set();
  const roles = definition.roles ?? deepFreeze(defaultRoles(definition));
  const rolesById = new Map(roles.map((r) => [r.id, r]));
  const fromEnd = new Set(
    definition.retention.rules.filter((r) => r.from === 'end_of_relationship').map((r) => r.id),
  );
  const relationshipPurposes: ReadonlySet<string> = new Set(
    definition.purposes
      .filter((p) => p.legalBasis === 'contract' || fromEnd.has(p.retention))
      .map((p) => p.id),
  );
  return {
    definition,
    digest: createHash('sha256').update(text).digest('hex'),
    warnings: deepFreeze([...warnings]),
    languages: definition.languages,
    category: (id) => categories.get(id),
    field: (c, f) => fields.get(c)?.get(f),
    purpose: (id) => purposes.get(id),
    source: (id) => sources.get(id),
    categoriesOf: (id) => purposeCategories.get(id) ?? empty,
    roles,
    role: (id) => rolesById.get(id),
    marketing: resolveMarketing(definition),
    relationshipPurposes,
    locate,
  };
}
