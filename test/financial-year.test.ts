/**
 * The financial year (`controller.financialYearEnd`): a controller whose financial year ends on
 * 30 June keeps bookkeeping under a legal hold until 30 June, 6 or 10 years after the financial
 * year of the last entry, not until 31 December; a definition naming a day no year has is
 * refused, naming the field.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../src/lib/actor.ts';
import { DefinitionError, parseDefinition } from '../src/modules/definition/loader.ts';
import { createServices, type Services } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import { DATABASES, DEMO, openTestDatabase, openTestKeyStore } from './helpers.ts';

const demo = await readFile(DEMO, 'utf8');

function withYearEnd(value: string): string {
  const text = demo.replace(/^controller:\n/m, `controller:\n  financialYearEnd: ${value}\n`);
  expect(text).not.toBe(demo);
  return text;
}

function problemsOf(text: string) {
  try {
    parseDefinition(text, 'register.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return (err as DefinitionError).problems;
  }
  throw new Error('expected the definition to be refused');
}

describe('controller.financialYearEnd in the definition', () => {
  it('is 12-31 when the definition leaves it out', () => {
    expect(parseDefinition(demo).definition.controller.financialYearEnd).toBe('12-31');
  });

  it('accepts the last day of any month', () => {
    for (const v of ['06-30', '03-31', '02-28', '"09-30"']) {
      expect(parseDefinition(withYearEnd(v)).definition.controller.financialYearEnd).toBe(
        v.replaceAll('"', ''),
      );
    }
  });

  it.each([
    ['02-30', 'month 02 has no day 30'],
    ['04-31', 'month 04 has no day 31'],
    ['02-29', '02-29 is not in every year'],
    ['13-01', 'there is no month 13'],
    ['00-10', 'there is no month 00'],
    ['06-00', 'month 06 has no day 00'],
    ['6-30', 'expected the last day of the financial year as MM-DD'],
    ['2026-06-30', 'expected the last day of the financial year as MM-DD'],
    ['0630', 'expected string'],
  ])('refuses %s, naming the field and the line', (value, message) => {
    const text = withYearEnd(value);
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('controller.financialYearEnd');
    expect(problems[0]?.message).toContain(message);
    expect(problems[0]?.line).toBe(
      text.split('\n').findIndex((l) => l.includes('financialYearEnd')) + 1,
    );
  });
});

describe.each(DATABASES)('legal holds with a financial year ending 30 June on %s', (kind) => {
  const cleanup: Array<() => Promise<void>> = [];
  let services: Services;
  let now = new Date('2026-01-01T00:00:00Z');

  beforeAll(async () => {
    const register = parseDefinition(withYearEnd('06-30'));
    const db = await openTestDatabase(kind);
    const ks = await openTestKeyStore(kind);
    cleanup.push(
      () => db.dispose(),
      () => ks.dispose(),
    );
    services = createServices({
      database: db.handle,
      keys: ks.keys,
      register,
      vault: createVault(randomBytes(32)),
      clock: { now: () => now },
    });
  });
  afterAll(async () => {
    for (const fn of cleanup.reverse()) {
      await fn();
    }
  });

  /** A customer whose last order is written at `lastOrder`, erased at 2027-03-01. */
  async function heldUntil(lastOrder: string) {
    now = new Date(lastOrder);
    const tag = lastOrder.replace(/\D/g, '');
    const { id } = await services.subjects.createSubject(operator, {
      purpose: 'customer_relationship',
      source: 'subject',
      values: {
        identity: { firstName: 'Tilikausi', lastName: `Asiakas${tag}` },
        contact: { email: `tilikausi.${tag}@example.fi` },
        orders: { orderCount: 2 },
      },
    });
    now = new Date('2027-03-01T10:00:00Z');
    const { held } = await services.subjects.eraseSubject(operator, id, 'request');
    return Object.fromEntries(held.map((h) => [h.hold, h.until]));
  }

  it('counts from 30 June of the same year for an entry before the year ends', async () => {
    // 2026-02-01 falls in the financial year 2025-07-01 … 2026-06-30.
    expect(await heldUntil('2026-02-01T12:00:00Z')).toMatchObject({
      accounting_books: '2036-06-30',
      accounting_vouchers: '2032-06-30',
    });
  });

  it("counts from the next 30 June for an entry after the year's end, in Helsinki time", async () => {
    // 2026-06-30T21:30Z is already 1 July in Helsinki: the next financial year.
    expect(await heldUntil('2026-06-30T21:30:00Z')).toMatchObject({
      accounting_books: '2037-06-30',
      accounting_vouchers: '2033-06-30',
    });
  });

  it("counts an entry on the year's last day in that year", async () => {
    expect(await heldUntil('2026-06-30T12:00:00Z')).toMatchObject({
      accounting_books: '2036-06-30',
      accounting_vouchers: '2032-06-30',
    });
  });
});
