/**
 * The financial year (`controller.financialYearEnd`): a controller whose financial year ends on
 * 30 June keeps bookkeeping under a legal hold 6 or 10 years counted from the end of the calendar
 * year in which the financial year of the last entry ended (Accounting Act 1336/1997, ch. 2
 * section 10), so an entry of July counts a year later than one of June; a definition naming a day
 * no year has is refused, naming the field.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../src/lib/actor.ts';
import { DefinitionError, parseDefinition } from '../src/modules/definition/loader.ts';
import { accountingPeriodStart, financialYearEndOf } from '../src/modules/subjects/holds.ts';
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

describe('the end of the financial year of an entry', () => {
  it('is the first year end on or after the entry', () => {
    expect(financialYearEndOf('2026-06-30', '06-30')).toBe('2026-06-30');
    expect(financialYearEndOf('2026-07-01', '06-30')).toBe('2027-06-30');
    expect(financialYearEndOf('2026-12-31', '12-31')).toBe('2026-12-31');
    expect(financialYearEndOf('2027-01-01', '12-31')).toBe('2027-12-31');
  });

  it('ends a year that ends with February on 29 February in a leap year', () => {
    // An entry of 29 February 2028 is in the year that ends that day, not in the next one.
    expect(financialYearEndOf('2028-02-29', '02-28')).toBe('2028-02-29');
    expect(financialYearEndOf('2028-02-28', '02-28')).toBe('2028-02-29');
    expect(financialYearEndOf('2027-03-01', '02-28')).toBe('2028-02-29');
    expect(financialYearEndOf('2028-03-01', '02-28')).toBe('2029-02-28');
    expect(financialYearEndOf('2027-02-28', '02-28')).toBe('2027-02-28');
  });

  it('is counted from 31 December of the year in which the financial year ended', () => {
    // The Accounting Act counts "from the end of the year in which the financial year ended".
    expect(accountingPeriodStart('2026-02-01', '06-30')).toBe('2026-12-31');
    expect(accountingPeriodStart('2026-07-01', '06-30')).toBe('2027-12-31');
    expect(accountingPeriodStart('2028-02-29', '02-28')).toBe('2028-12-31');
    expect(accountingPeriodStart('2026-05-05', '12-31')).toBe('2026-12-31');
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

  it('counts from the end of 2026 for an entry in the year ending 30 June 2026', async () => {
    // 2026-02-01 falls in the financial year 2025-07-01 … 2026-06-30, which ended in 2026: the
    // vouchers are kept until the end of 2032, not shredded on 30 June 2032.
    expect(await heldUntil('2026-02-01T12:00:00Z')).toMatchObject({
      accounting_books: '2036-12-31',
      accounting_vouchers: '2032-12-31',
    });
  });

  it("counts from the end of the next year for an entry after the year's end, in Helsinki time", async () => {
    // 2026-06-30T21:30Z is already 1 July in Helsinki: the financial year ending 2027-06-30.
    expect(await heldUntil('2026-06-30T21:30:00Z')).toMatchObject({
      accounting_books: '2037-12-31',
      accounting_vouchers: '2033-12-31',
    });
  });

  it("counts an entry on the year's last day in that year", async () => {
    expect(await heldUntil('2026-06-30T12:00:00Z')).toMatchObject({
      accounting_books: '2036-12-31',
      accounting_vouchers: '2032-12-31',
    });
  });
});
