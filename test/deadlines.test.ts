import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  daysLeft,
  dueDate,
  easterSunday,
  extendedDueDate,
  finnishHolidays,
  helsinkiDate,
  isOverdue,
  isWorkingDay,
  nextWorkingDay,
} from '../src/modules/requests/deadlines.ts';

/** Noon in Helsinki on a date (10:00 UTC in winter, 09:00 in summer: either is that date). */
const noon = (date: string) => new Date(`${date}T09:30:00Z`);

describe('due dates: one calendar month after the identity is proven, in Helsinki dates', () => {
  it.each([
    ['2027-01-31', '2027-03-01'], // clamped to 28 February, a Sunday: the next working day
    ['2028-01-31', '2028-02-29'], // a leap year
    ['2028-01-30', '2028-02-29'],
    ['2028-01-29', '2028-02-29'],
    ['2028-01-28', '2028-02-28'],
    ['2027-03-31', '2027-04-30'], // into a 30-day month
    ['2027-04-29', '2027-05-31'], // 29 May is a Saturday: Monday 31 May
    ['2027-04-30', '2027-05-31'], // 30 May, a Sunday: Monday
    ['2027-05-31', '2027-06-30'],
    ['2027-08-31', '2027-09-30'],
    ['2027-07-31', '2027-08-31'], // 31-day month to 31-day month
    ['2027-12-31', '2028-01-31'], // over the year's end
    ['2027-12-15', '2028-01-17'], // 15 January 2028 is a Saturday
    ['2028-02-29', '2028-03-29'],
  ])('proven on %s → due on %s', (proven, due) => {
    expect(dueDate(noon(proven))).toBe(due);
  });

  it('a proof at 23:30 UTC falls on the next Helsinki day', () => {
    // 2027-01-30T23:30Z is 2027-01-31 01:30 in Helsinki (UTC+2): due the end of February (a
    // Sunday: so Monday 1 March).
    expect(helsinkiDate(new Date('2027-01-30T23:30:00Z'))).toBe('2027-01-31');
    expect(dueDate(new Date('2027-01-30T23:30:00Z'))).toBe('2027-03-01');
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

describe('a period ending on a Saturday, Sunday or Finnish public holiday ends on the next working day', () => {
  it.each([
    ['2027-11-24', '2027-12-27'], // 24 Dec Fri, 25–26 Christmas (Sat, Sun): Monday 27th
    ['2026-11-24', '2026-12-28'], // 24 Dec Thu, 25 Fri, 26 Sat, 27 Sun: Monday 28th
    ['2027-11-06', '2027-12-07'], // 6 December, Independence Day (a Monday): Tuesday
    ['2028-11-06', '2028-12-07'], // 6 December 2028 is a Wednesday: Thursday
    ['2027-02-26', '2027-03-30'], // 26 March 2027 is Good Friday; Easter to Monday 29th
    ['2027-02-28', '2027-03-30'], // 28 March Easter Sunday, 29 Easter Monday: Tuesday
    ['2028-03-14', '2028-04-18'], // 14 April 2028 Good Friday, 15 Sat, 16 Easter, 17 Monday
    ['2027-04-06', '2027-05-07'], // 6 May 2027 is Ascension Day: Friday 7th
    ['2027-05-25', '2027-06-28'], // 25 June 2027 is Midsummer Eve, 26 Midsummer Day, 27 Sun
    ['2027-11-30', '2027-12-30'], // a Thursday: stays
    ['2027-12-01', '2028-01-03'], // 1 January 2028 is a Saturday, 2nd a Sunday
    ['2027-12-06', '2028-01-07'], // 6 January 2028 is Epiphany (Thursday): Friday
    ['2028-03-31', '2028-05-02'], // 31 March → 30 April 2028, a Sunday; 1 May is May Day
    ['2032-01-29', '2032-03-01'], // leap year: 29 February 2032 is a Sunday
    ['2024-01-31', '2024-02-29'], // leap year: 29 February 2024, a Thursday
  ])('proven on %s → due on %s', (proven, due) => {
    expect(dueDate(noon(proven))).toBe(due);
  });

  it('knows the Finnish public holidays, Easter-based, Midsummer and All Saints included', () => {
    expect(easterSunday(2027)).toBe('2027-03-28');
    expect(easterSunday(2028)).toBe('2028-04-16');
    expect(easterSunday(2030)).toBe('2030-04-21');
    expect([...finnishHolidays(2027)].sort()).toEqual([
      '2027-01-01',
      '2027-01-06',
      '2027-03-26',
      '2027-03-28',
      '2027-03-29',
      '2027-05-01',
      '2027-05-06',
      '2027-05-16',
      '2027-06-25',
      '2027-06-26',
      '2027-11-06',
      '2027-12-06',
      '2027-12-24',
      '2027-12-25',
      '2027-12-26',
    ]);
    expect(isWorkingDay('2027-12-06')).toBe(false);
    expect(isWorkingDay('2027-12-07')).toBe(true);
    expect(isWorkingDay('2027-02-28')).toBe(false);
    expect(nextWorkingDay('2027-12-24')).toBe('2027-12-27');
  });
});

describe('extensions: one or two further months from the original due date, before it, with a reason', () => {
  const reason = 'The request covers ten years of records.';

  it('adds one or two months to the original due date, clamped to the month end', () => {
    const now = noon('2027-02-01');
    // 28 March 2027 is Easter Sunday, the 29th Easter Monday: due Tuesday 30 March.
    expect(extendedDueDate({ originalDueOn: '2027-02-28', months: 1, reason, now })).toEqual({
      ok: true,
      dueOn: '2027-03-30',
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
    // Proven 30 November → due 30 December → +2: 28 February (a Sunday in 2027: 1 March), 29 in
    // a leap year.
    expect(ext('2026-11-30', '2026-12-30', 2)).toEqual({ ok: true, dueOn: '2027-03-01' });
    expect(ext('2027-11-30', '2027-12-30', 2)).toEqual({ ok: true, dueOn: '2028-02-29' });
    // Proven 29 February 2028 → due 29 March → +1: 29 April, a Saturday; 1 May is May Day.
    expect(ext('2028-02-29', '2028-03-29', 1)).toEqual({ ok: true, dueOn: '2028-05-02' });
  });

  it('may be made on the due date itself, in Helsinki, but not after it', () => {
    expect(
      extendedDueDate({
        originalDueOn: '2027-03-01',
        months: 1,
        reason,
        now: new Date('2027-03-01T21:59:00Z'),
      }).ok,
    ).toBe(true);
    expect(
      extendedDueDate({
        originalDueOn: '2027-03-01',
        months: 1,
        reason,
        now: new Date('2027-03-01T22:00:00Z'),
      }),
    ).toMatchObject({ ok: false, refusal: { field: 'state' } });
  });

  it('a first month ending on a Sunday runs to Monday: an extension made then is in time', () => {
    const on = (at: string) =>
      extendedDueDate({ originalDueOn: '2027-02-28', months: 2, reason, now: new Date(at) });
    expect(on('2027-03-01T08:00:00Z').ok).toBe(true);
    expect(on('2027-03-01T22:00:00Z')).toMatchObject({ ok: false, refusal: { field: 'state' } });
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
