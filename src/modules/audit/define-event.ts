/**
 * Access-log events, declared by the modules that write them. Each module lists its events in its
 * own `events.ts` with `defineAuditEvent(name, schema, text)`: the zod schema of the event's
 * structured data (ids, role and purpose names, reason codes, counts, changed field names,
 * booleans: never names, e-mail addresses or free text) and the sentence the event reads as in
 * Swedish, Finnish and English. The composition root hands the declarations to the access log,
 * which refuses an undeclared action or data that does not fit its schema.
 *
 * The data of an event's schema is typed for `audit.record` through `AuditEventTypes`, which each
 * module's `events.ts` extends (declaration merging) with `AuditEventMap<typeof itsEvents>`.
 */
import { z } from 'zod';

export const AUDIT_LANGS = ['sv', 'fi', 'en'] as const;
export type AuditLang = (typeof AUDIT_LANGS)[number];

/**
 * Event name → the type of its data. Empty here: each module's `events.ts` adds its events.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AuditEventTypes {}

/** The data of an event: a JSON object of the event's schema. */
export type AuditData = Record<string, unknown>;

export interface AuditEventDefinition<N extends string = string, D extends AuditData = AuditData> {
  readonly name: N;
  readonly schema: z.ZodType<D>;
  /** The sentence the event reads as, per language, from its data. */
  readonly text: Readonly<Record<AuditLang, (data: D) => string>>;
}

/** Any declaration, whatever its data. */
export interface AnyAuditEventDefinition {
  readonly name: string;
  readonly schema: z.ZodType;
  readonly text: Readonly<Record<AuditLang, (data: never) => string>>;
}

/** The type map a module's list of event declarations adds to `AuditEventTypes`. */
export type AuditEventMap<T extends readonly AnyAuditEventDefinition[]> = {
  [E in T[number] as E['name']]: E extends AuditEventDefinition<string, infer D> ? D : never;
};

/** The name of every declared event. */
export type AuditAction = Extract<keyof AuditEventTypes, string>;

/**
 * The parts of data a schema may be built from: each string is an id, an identifier of the
 * register definition or a digest, never free text. Objects must be strict (`z.strictObject`).
 */
const samples = new WeakMap<object, unknown>();
const sampled = <T extends z.ZodType>(schema: T, sample: unknown): T => {
  samples.set(schema, sample);
  return schema;
};

const CODE = /^(?:\*|[A-Za-z][A-Za-z0-9_]{0,127}(?:\.[A-Za-z][A-Za-z0-9_]{0,127})?)$/;

export const auditData = {
  /** A UUID: a person, staff account or API key, by id. */
  id: () => sampled(z.uuid(), '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e'),
  /**
   * An identifier from the register definition or the code (a role, purpose, category, source,
   * action, `category.field`, or `*`): letters, digits and `_`, one dot at most.
   */
  code: () => sampled(z.string().regex(CODE, 'expected an identifier'), 'contact'),
  /** Several identifiers, as `code`. */
  codes: () => sampled(z.array(z.string().regex(CODE)).max(1000), ['contact', 'billing']),
  /** A hexadecimal digest, shortened: 8 to 64 hex digits. */
  hex: () => sampled(z.string().regex(/^[0-9a-f]{8,64}$/), '9f86d081884c'),
  /**
   * A reference such as an import run: hex digits, optionally after a short kind (`seed-`). No
   * other hyphen: `010190-1230` (an identity code) or `040-123-4567` (a phone number) is refused.
   */
  ref: () => sampled(z.string().regex(/^(?:[a-z]{1,8}-)?[0-9a-f]{4,64}$/), 'seed-9f86d081'),
  /** A count. */
  count: () => sampled(z.number().int().min(0), 3),
};

/** Why a schema may not describe an event's data, or null when it is built of allowed parts. */
function faultOf(schema: z.core.$ZodType, at: string): string | null {
  if (samples.has(schema)) {
    return null;
  }
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  switch (def.type) {
    case 'object': {
      const catchall = def.catchall as z.core.$ZodType | undefined;
      if (catchall?._zod.def.type !== 'never') {
        return `${at || 'data'}: objects must be strict (z.strictObject), refusing unknown keys`;
      }
      for (const [key, value] of Object.entries(def.shape as Record<string, z.core.$ZodType>)) {
        const f = faultOf(value, at ? `${at}.${key}` : key);
        if (f) {
          return f;
        }
      }
      return null;
    }
    case 'optional':
    case 'nullable':
      return faultOf(def.innerType as z.core.$ZodType, at);
    case 'array':
      return faultOf(def.element as z.core.$ZodType, `${at}[]`);
    case 'enum':
    case 'literal':
    case 'boolean':
    case 'null':
      return null;
    default:
      return `${at || 'data'}: ${def.type} is not allowed in access-log data; use auditData (ids, identifiers, counts), enums or booleans, never free text`;
  }
}

/** Example data fitting a schema built of allowed parts (for tests and documentation). */
export function sampleAuditData(schema: z.core.$ZodType): unknown {
  if (samples.has(schema)) {
    return samples.get(schema);
  }
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  switch (def.type) {
    case 'object':
      return Object.fromEntries(
        Object.entries(def.shape as Record<string, z.core.$ZodType>).map(([k, v]) => [
          k,
          sampleAuditData(v),
        ]),
      );
    case 'optional':
    case 'nullable':
      return sampleAuditData(def.innerType as z.core.$ZodType);
    case 'array':
      return [sampleAuditData(def.element as z.core.$ZodType)];
    case 'enum':
      return Object.values(def.entries as Record<string, unknown>)[0];
    case 'literal':
      return (def.values as unknown[])[0];
    case 'boolean':
      return true;
    default:
      return null;
  }
}

/**
 * Declares an access-log event. Throws when the schema is not a strict object built of ids,
 * identifiers, counts, enums and booleans (nothing that could carry a name or free text).
 */
export function defineAuditEvent<
  const N extends string,
  S extends z.ZodType<AuditData> & z.core.$ZodType,
>(
  name: N,
  schema: S,
  text: Readonly<Record<AuditLang, (data: z.output<S>) => string>>,
): AuditEventDefinition<N, z.output<S>> {
  if (!/^[a-z]+\.[a-z_]+$/.test(name)) {
    throw new Error(`access-log event "${name}": expected a name like module.verb`);
  }
  if (schema._zod.def.type !== 'object') {
    throw new Error(`access-log event "${name}": its data must be an object schema`);
  }
  const fault = faultOf(schema, '');
  if (fault) {
    throw new Error(`access-log event "${name}": ${fault}`);
  }
  return { name, schema: schema as unknown as z.ZodType<z.output<S>>, text };
}

/** JSON with object keys in a stable (sorted) order: what the MAC and the chain cover. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The declared events, by name: validates data when recording and renders events when reading. */
export function createAuditEventRegistry(definitions: readonly AnyAuditEventDefinition[]) {
  const byName = new Map<string, AuditEventDefinition>();
  for (const d of definitions as unknown as readonly AuditEventDefinition[]) {
    if (byName.has(d.name)) {
      throw new Error(`access-log event "${d.name}" is declared twice`);
    }
    byName.set(d.name, d);
  }
  return {
    names: (): string[] => [...byName.keys()].sort(),
    definition: (name: string): AuditEventDefinition | undefined => byName.get(name),

    /**
     * The data to store for an event, checked against its declaration. An undeclared action or
     * data that does not fit is a programming error: it throws.
     */
    validate(action: string, data: unknown): AuditData {
      const d = byName.get(action);
      if (!d) {
        throw new Error(`access-log event "${action}" is not declared`);
      }
      const r = d.schema.safeParse(data ?? {});
      if (!r.success) {
        throw new Error(
          `access-log event "${action}": data does not fit its declaration: ${r.error.issues
            .map((i) => `${i.path.join('.') || 'data'}: ${i.message}`)
            .join('; ')}`,
        );
      }
      return r.data;
    },

    /**
     * An event as a sentence in `lang`. Entries written before events carried data show their
     * old free-text detail; an event no longer declared, or whose data no longer fits, its name.
     */
    render(
      e: { action: string; data: AuditData | null; detail?: string | null },
      lang: AuditLang,
    ): string {
      if (e.data === null && e.detail) {
        return e.detail;
      }
      const d = byName.get(e.action);
      const r = d?.schema.safeParse(e.data ?? {});
      return d && r?.success ? d.text[lang](r.data) : e.action;
    },
  };
}

export type AuditEventRegistry = ReturnType<typeof createAuditEventRegistry>;
