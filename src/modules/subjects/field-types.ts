/**
 * Type checks for values, one per field type of the register definition. Each returns the value
 * to store or an explanation of why it is refused.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import type { FieldDefinition, FieldType } from '../definition/index.ts';
import { assertUnreachable } from '../../lib/errors.ts';
import { textFault, textFaults } from '../../lib/text.ts';
import { cleanEmail, normaliseEmail, normalisePhone } from '../../vault/normalise.ts';

export const DEFAULT_MAX_LENGTH: Record<FieldType, number> = {
  text: 1000,
  email: 254,
  phone: 32,
  address: 500,
  date: 10,
  datetime: 40,
  number: 32,
  boolean: 5,
  enum: 200,
  json: 16_384,
  url: 2048,
  ip: 45,
  file: 500,
};

export type FieldValue =
  string | number | boolean | null | FieldValue[] | { [k: string]: FieldValue };

const addressSchema = z
  .object({
    street: z.string().min(1),
    postalCode: z.string().min(1),
    city: z.string().min(1),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .optional(),
  })
  .strict();

type Check = { ok: true; value: FieldValue } | { ok: false; detail: string };

const fail = (detail: string): Check => ({ ok: false, detail });

function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  return Array.isArray(value) ? 'a list' : typeof value;
}

export function checkFieldValue(
  field: FieldDefinition,
  value: unknown,
  defaultCallingCode: string,
): Check {
  const max = field.maxLength ?? DEFAULT_MAX_LENGTH[field.type];
  const text = (): Check => {
    if (typeof value !== 'string') {
      return fail(`expected text, found ${describe(value)}`);
    }
    const fault = textFault(value, field.type === 'text' && field.multiline === true);
    if (fault) {
      return fail(fault);
    }
    if ([...value].length > max) {
      return fail(`too long: at most ${max} characters, found ${[...value].length}`);
    }
    return { ok: true, value };
  };
  switch (field.type) {
    case 'text':
    case 'file':
      return text();
    case 'email': {
      const t = text();
      if (!t.ok) {
        return t;
      }
      // Stored without invisible characters or a trailing dot, so that it is what it looks like.
      return normaliseEmail(value as string)
        ? { ok: true, value: cleanEmail(value as string) }
        : fail('expected an e-mail address');
    }
    case 'phone': {
      const t = text();
      if (!t.ok) {
        return t;
      }
      return normalisePhone(value as string, defaultCallingCode)
        ? { ok: true, value: (value as string).trim() }
        : fail('expected a phone number such as +358 40 123 4567');
    }
    case 'address': {
      const parsed = addressSchema.safeParse(value);
      if (!parsed.success) {
        return fail('expected an address { street, postalCode, city, country? }');
      }
      const fault = textFaults(parsed.data, '', () => false)[0];
      if (fault) {
        return fail(`${fault.field} ${fault.detail}`);
      }
      return JSON.stringify(parsed.data).length > max
        ? fail(`too long: at most ${max} characters`)
        : { ok: true, value: parsed.data };
    }
    case 'date':
      return typeof value === 'string' && z.iso.date().safeParse(value).success
        ? { ok: true, value }
        : fail('expected a date as YYYY-MM-DD');
    case 'datetime':
      return typeof value === 'string' && z.iso.datetime({ offset: true }).safeParse(value).success
        ? { ok: true, value }
        : fail('expected a date and time in ISO 8601 with a time zone');
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? { ok: true, value }
        : fail(`expected a number, found ${describe(value)}`);
    case 'boolean':
      return typeof value === 'boolean'
        ? { ok: true, value }
        : fail(`expected true or false, found ${describe(value)}`);
    case 'enum':
      return typeof value === 'string' && (field.values ?? []).includes(value)
        ? { ok: true, value }
        : fail(`expected one of ${(field.values ?? []).join(', ')}`);
    case 'json': {
      const fault = textFaults(value, '', () => false)[0];
      if (fault) {
        return fail(fault.field === 'body' ? fault.detail : `${fault.field} ${fault.detail}`);
      }
      const size = JSON.stringify(value ?? null).length;
      return size > max
        ? fail(`too large: at most ${max} bytes of JSON, found ${size}`)
        : { ok: true, value: value as FieldValue };
    }
    case 'url': {
      const t = text();
      if (!t.ok) {
        return t;
      }
      return /^https?:\/\//i.test(value as string) && URL.canParse(value as string)
        ? t
        : fail('expected an http or https URL');
    }
    case 'ip':
      return typeof value === 'string' && isIP(value) !== 0
        ? { ok: true, value }
        : fail('expected an IPv4 or IPv6 address');
    default:
      return assertUnreachable(field.type);
  }
}
