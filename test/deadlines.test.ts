import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  daysLeft,
  dueDate,
  extendedDueDate,
  helsinkiDate,
  isOverdue,
} from '../src/modules/requests/deadlines.ts';

/** Noon in Helsinki on a date (10:00 UTC in winter, 09:00 in summer: either is that date). */
const noon = (date: string) => new Date(`${date}T09:30:00Z`);

describe('due dates: one calendar month after the identity is proven, in Helsinki dates', () => {
  it.each([
    ['2027-01-31', '2027-02-28'], // not a leap year: clamped to the end of February
    ['2028-01-31', '2028-02-29'], // a leap year
    ['2028-01-30', '2028-02-29'],
    ['2028-01-29', '2028-02-29'],
    ['2028-01-28', '2028-02-28'],
    ['2027-03-31', '2027-04-30'], // into a 30-day month
    ['2027-04-30', '2027-05-30'], // from a 30-day month into a 31-day one: same day
    ['2027-05-31', '2027-06-30'],
    ['2027-08-31', '2027-09-30'],
    ['2027-07-31', '2027-08-31'], // 31-day month to 31-day month
    ['2027-12-31', '2028-01-31'], // over the year's end
    ['2027-12-15', '2028-01-15'],
    ['2028-02-29', '2028-03-29'],
  ])('proven on %s → due on %s', (proven, due) => {
    expect(dueDate(noon(proven))).toBe(due);
  });

  it('a proof at 23:30 UTC falls on the next Helsinki day', () => {
    // 2027-01-30T23:30Z is 2027-01-31 01:30 in Helsinki (UTC+2): due the end of February.
    expect(helsinkiDate(new Date('2027-01-30T23:30:00Z'))).toBe('2027-01-31');
    expect(dueDate(new Date('2027-01-30T23:30:00Z'))).toBe('2027-02-28');
    // In summer (UTC+3) from 21:00 UTC on.
    expect(dueDate(new Date('2027-06-29T20:59:00Z'))).toBe('2027-07-29');
    expect(dueDate(new Date('2027-06-29T21:00:00Z'))).toBe('2027-07-30');
  });

  it('across the changes to and from summer time the Helsinki date holds', () => {
    // Summer time starts 2027-03-28 at 01:00 UTC (03:00 → 04:00 in Helsinki).
    expect(helsinkiDate(new Date('2027-03-27T21:59:00Z'))).toBe('2027-03-27');
    expect(helsinkiDate(new Date('2027-03-27T22:00:00Z'))).toBe('2027-03-28');
    expect(dueDate(new Date('2027-03-28T00:30:00Z'))).toBe('2027-04-28');
    expect(dueDate(new Date('2027-03-28T01:30:00Z'))).toBe('2027-04-28');
    // Summer time ends 2027-10-31 at 01:00 UTC (04:00 → 03:00 in Helsinki).
    expect(helsinkiDate(new Date('2027-10-30T20:59:00Z'))).toBe('2027-10-30');
    expect(helsinkiDate(new Date('2027-10-30T21:00:00Z'))).toBe('2027-10-31');
    expect(helsinkiDate(new Date('2027-10-31T21:59:00Z'))).toBe('2027-10-31');
    expect(helsinkiDate(new Date('2027-10-31T22:00:00Z'))).toBe('2027-11-01');
    expect(dueDate(new Date('2027-10-31T21:30:00Z'))).toBe('2027-11-30');
  });

  it('adds months and days as calendar arithmetic', () => {
    expect(addMonths('2027-11-30', 2)).toBe('2028-01-30');
    expect(addMonths('2027-12-31', 2)).toBe('2028-02-29');
    expect(addMonths('2028-02-29', 12)).toBe('2029-02-28');
    expect(addDays('2027-12-28', 7)).toBe('2028-01-04');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
  });

  it('a request is overdue from the day after its due date, in Helsinki', () => {
    expect(isOverdue('2027-02-28', new Date('2027-02-28T21:59:00Z'))).toBe(false);
    expect(isOverdue('2027-02-28', new Date('2027-02-28T22:00:00Z'))).toBe(true);
    expect(daysLeft('2027-02-28', noon('2027-02-21'))).toBe(7);
    expect(daysLeft('2027-02-28', noon('2027-03-01'))).toBe(-1);
  });
});

describe('extensions: one or two further months from the original due date, before it, with a reason', () => {
  const reason = 'The request covers ten years of records.';

  it('adds one or two months to the original due date, clamped to the month end', () => {
    const now = noon('2027-02-01');
    expect(extendedDueDate({ originalDueOn: '2027-02-28', months: 1, reason, now })).toEqual({
      ok: true,
      dueOn: '2027-03-28',
    });
    expect(extendedDueDate({ originalDueOn: '2027-12-31', months: 2, reason, now })).toEqual({
      ok: true,
      dueOn: '2028-02-29',
    });
  });

  it('counts from the proven date, not the clamped due date, at month ends and in a leap year', () => {
    const now = noon('2026-12-01');
    const ext = (provenOn: string, originalDueOn: string, months: number) =>
      extendedDueDate({ originalDueOn, provenOn, months, reason, now });
    // Proven 31 January → due 28 February → extended to 30 April (not 28 April).
    expect(ext('2027-01-31', '2027-02-28', 2)).toEqual({ ok: true, dueOn: '2027-04-30' });
    expect(ext('2027-01-31', '2027-02-28', 1)).toEqual({ ok: true, dueOn: '2027-03-31' });
    // Proven 30 November → due 30 December → +2: 28 February, 29 in a leap year.
    expect(ext('2026-11-30', '2026-12-30', 2)).toEqual({ ok: true, dueOn: '2027-02-28' });
    expect(ext('2027-11-30', '2027-12-30', 2)).toEqual({ ok: true, dueOn: '2028-02-29' });
    // Proven 29 February 2028 → due 29 March → +1: 29 April.
    expect(ext('2028-02-29', '2028-03-29', 1)).toEqual({ ok: true, dueOn: '2028-04-29' });
  });

  it('may be made on the due date itself, in Helsinki, but not after it', () => {
    expect(
      extendedDueDate({
        originalDueOn: '2027-02-28',
        months: 1,
        reason,
        now: new Date('2027-02-28T21:59:00Z'),
      }).ok,
    ).toBe(true);
    expect(
      extendedDueDate({
        originalDueOn: '2027-02-28',
        months: 1,
        reason,
        now: new Date('2027-02-28T22:00:00Z'),
      }),
    ).toMatchObject({ ok: false, refusal: { field: 'state' } });
  });

  it('refuses three months, none, and an extension without a reason', () => {
    const now = noon('2027-02-01');
    for (const months of [0, 3, 1.5]) {
      expect(extendedDueDate({ originalDueOn: '2027-02-28', months, reason, now })).toMatchObject({
        ok: false,
        refusal: { field: 'months' },
      });
    }
    expect(
      extendedDueDate({ originalDueOn: '2027-02-28', months: 1, reason: '  ', now }),
    ).toMatchObject({ ok: false, refusal: { field: 'reason' } });
  });
});
