/**
 * Deadlines of data subjects' requests (Art. 12(3)), computed, never remembered: a request is due
 * one calendar month after the person's identity was proven, counted in Europe/Helsinki calendar
 * dates and clamped to the end of a shorter month (31 January → 28 or 29 February); a period
 * that would end on a Saturday, a Sunday or a Finnish public holiday ends on the next working day
 * (Reg. 1182/71 Art. 3(4)). An extension adds one or two further months, only before the original
 * due date has passed and only with a reason. Dates are `YYYY-MM-DD` strings throughout: a
 * calendar date has no time zone.
 */

/** The time zone the controller's calendar runs in. */
export const DEADLINE_TIME_ZONE = 'Europe/Helsinki';

/** How many months an extension may add (Art. 12(3): "by two further months"). */
export const EXTENSION_MONTHS = [1, 2] as const;
export type ExtensionMonths = (typeof EXTENSION_MONTHS)[number];

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const helsinkiFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: DEADLINE_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The calendar date in Helsinki at an instant: 2027-03-27T23:30Z is 2027-03-28 there. */
export function helsinkiDate(at: Date): string {
  const parts = helsinkiFormat.formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

function parse(date: string): { y: number; m: number; d: number } {
  const match = ISO_DATE.exec(date);
  if (!match) {
    throw new Error(`not a calendar date: ${date}`);
  }
  return { y: Number(match[1]), m: Number(match[2]), d: Number(match[3]) };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Days in a month (1–12) of a year of the Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * A calendar date some months later, on the same day of the month, or on the month's last day
 * when it is shorter: 2027-01-31 + 1 → 2027-02-28, 2028-01-31 + 1 → 2028-02-29.
 */
export function addMonths(date: string, months: number): string {
  const { y, m, d } = parse(date);
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return `${pad(year, 4)}-${pad(month)}-${pad(Math.min(d, daysInMonth(year, month)))}`;
}

/** A calendar date some days later (or earlier, when negative). */
export function addDays(date: string, days: number): string {
  const { y, m, d } = parse(date);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm). */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

/** The day of the week of a calendar date, 0 Sunday … 6 Saturday. */
function weekday(date: string): number {
  const { y, m, d } = parse(date);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** The first date on or after `from` that falls on this day of the week. */
function onOrAfter(from: string, day: number): string {
  return addDays(from, (day - weekday(from) + 7) % 7);
}

const holidayCache = new Map<number, Set<string>>();

/**
 * Finnish public holidays of a year (LAW.md): New Year's Day, Epiphany, Good Friday, Easter Sunday
 * and Monday, May Day, Ascension Day, Whitsun, Midsummer Eve (by custom) and Day, All Saints' Day,
 * Independence Day, Christmas Eve, Christmas Day and Boxing Day.
 */
export function finnishHolidays(year: number): Set<string> {
  let days = holidayCache.get(year);
  if (!days) {
    const y = pad(year, 4);
    const easter = easterSunday(year);
    const midsummerDay = onOrAfter(`${y}-06-20`, 6);
    days = new Set([
      `${y}-01-01`,
      `${y}-01-06`,
      addDays(easter, -2),
      easter,
      addDays(easter, 1),
      `${y}-05-01`,
      addDays(easter, 39),
      addDays(easter, 49),
      addDays(midsummerDay, -1),
      midsummerDay,
      onOrAfter(`${y}-10-31`, 6),
      `${y}-12-06`,
      `${y}-12-24`,
      `${y}-12-25`,
      `${y}-12-26`,
    ]);
    holidayCache.set(year, days);
  }
  return days;
}

/** Whether a calendar date is a working day: not a Saturday, a Sunday or a public holiday. */
export function isWorkingDay(date: string): boolean {
  const day = weekday(date);
  return day !== 0 && day !== 6 && !finnishHolidays(parse(date).y).has(date);
}

/** The date itself when it is a working day, else the next working day (Reg. 1182/71 Art. 3(4)). */
export function nextWorkingDay(date: string): string {
  let d = date;
  while (!isWorkingDay(d)) {
    d = addDays(d, 1);
  }
  return d;
}

/** When a request whose identity was proven at this instant is due. */
export function dueDate(identityProvenAt: Date): string {
  return nextWorkingDay(addMonths(helsinkiDate(identityProvenAt), 1));
}

/** Whether a due date has passed at an instant: the whole due date counts, to its Helsinki midnight. */
export function isOverdue(dueOn: string, now: Date): boolean {
  return helsinkiDate(now) > dueOn;
}

/** Whole calendar days from today (in Helsinki) to the due date; negative once it has passed. */
export function daysLeft(dueOn: string, now: Date): number {
  const a = parse(helsinkiDate(now));
  const b = parse(dueOn);
  return Math.round((Date.UTC(b.y, b.m - 1, b.d) - Date.UTC(a.y, a.m - 1, a.d)) / 86_400_000);
}

export type ExtensionRefusal =
  | { field: 'months'; detail: string }
  | { field: 'reason'; detail: string }
  | { field: 'state'; detail: string };

/**
 * The new due date of an extension, or why it may not be made: by one or two months from the
 * original due date, only while that date has not passed (in Helsinki), only with a reason.
 */
export function extendedDueDate(input: {
  originalDueOn: string;
  /**
   * The Helsinki date the identity was proven: the extension counts from it (1 + months), not
   * from the clamped due date (proven 31 January → due 28 February → +2 months is 30 April).
   */
  provenOn?: string | undefined;
  months: number;
  reason: string;
  now: Date;
}): { ok: true; dueOn: string } | { ok: false; refusal: ExtensionRefusal } {
  if (!(EXTENSION_MONTHS as readonly number[]).includes(input.months)) {
    return {
      ok: false,
      refusal: { field: 'months', detail: 'an extension is by 1 or 2 further months' },
    };
  }
  if (input.reason.trim().length === 0) {
    return { ok: false, refusal: { field: 'reason', detail: 'an extension needs a reason' } };
  }
  // The first month ends on a working day: an extension made then is in time.
  if (isOverdue(nextWorkingDay(input.originalDueOn), input.now)) {
    return {
      ok: false,
      refusal: {
        field: 'state',
        detail: `the original due date ${input.originalDueOn} has passed; an extension must be made before it`,
      },
    };
  }
  return {
    ok: true,
    dueOn: nextWorkingDay(
      input.provenOn === undefined
        ? addMonths(input.originalDueOn, input.months)
        : addMonths(input.provenOn, 1 + input.months),
    ),
  };
}
