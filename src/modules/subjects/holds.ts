/**
 * Legal holds at an erasure: which of a person's categories a hold of the definition keeps, until
 * when, and for which purpose. Pure: no database, no clock but the times it is given. Dates are
 * calendar dates in Europe/Helsinki (as request due dates are); `until` is the last day kept.
 */
import type { Register } from '../definition/index.ts';

const HELSINKI = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Helsinki',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The Helsinki calendar date of an instant, YYYY-MM-DD. */
export function helsinkiDate(t: Date): string {
  return HELSINKI.format(t);
}

/**
 * A calendar date plus an ISO 8601 duration (PnYnMnWnD): years and months first, clamped to the
 * month's end (2024-02-29 + P1Y → 2025-02-28), then weeks and days.
 */
export function addDuration(date: string, duration: string): string {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/.exec(duration);
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m || !d) {
    throw new Error(`cannot add ${duration} to ${date}`);
  }
  const months = Number(d[2]) - 1 + Number(m[2] ?? 0) + 12 * Number(m[1] ?? 0);
  const year = Number(d[1]) + Math.floor(months / 12);
  const month = months % 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(Number(d[3]), last);
  const t = new Date(Date.UTC(year, month, day));
  t.setUTCDate(t.getUTCDate() + 7 * Number(m[3] ?? 0) + Number(m[4] ?? 0));
  return t.toISOString().slice(0, 10);
}

/**
 * The end of the financial year a date falls in: the first `yearEnd` (MM-DD, as
 * `controller.financialYearEnd` gives it) on or after the date. With 06-30, 2025-06-30 →
 * 2025-06-30 and 2025-07-01 → 2026-06-30. A year that ends with February (02-28) ends on its last
 * day, 29 February in a leap year: 2028-02-29 → 2028-02-29, not 2029-02-28.
 */
export function financialYearEndOf(date: string, yearEnd: string): string {
  const year = Number(date.slice(0, 4));
  const endIn = (y: string | number) =>
    yearEnd === '02-28'
      ? new Date(Date.UTC(Number(y), 2, 0)).toISOString().slice(0, 10)
      : `${y}-${yearEnd}`;
  const thisYear = endIn(year);
  return date <= thisYear ? thisYear : endIn(year + 1);
}

/**
 * When a hold `from: end_of_financial_year` starts counting: the end of the calendar year in which
 * the financial year of `date` ended (Accounting Act 1336/1997, ch. 2 section 10: "counted from the
 * end of the year in which the financial year ended"). With a financial year ending 06-30, an entry
 * of 2026-02-01 (financial year ending 2026-06-30) counts from 2026-12-31.
 */
export function accountingPeriodStart(date: string, yearEnd: string): string {
  return `${financialYearEndOf(date, yearEnd).slice(0, 4)}-12-31`;
}

/** What an erasure knows of each category row the person has. */
export interface CategoryTimes {
  category: string;
  /** The latest collection time of the row's fields. */
  collectedAt: Date;
  /** The row's latest write. */
  updatedAt: Date;
}

export interface HeldListing {
  hold: string;
  law: string;
  purpose: string;
  categories: string[];
  /** YYYY-MM-DD, the last day kept. */
  until: string;
}

/** One held record to make: these categories, readable for `purpose` until `until`. */
export interface HeldGroup {
  purpose: string;
  until: string;
  holds: string[];
  categories: string[];
}

/**
 * The holds covering a person at an erasure. Per hold and category the end is the hold's `from`
 * event plus its duration (`collection`: the category's collection; `end_of_financial_year`: 31
 * December of the year in which the financial year (ending on `controller.financialYearEnd`, 12-31
 * unless the definition says otherwise) of the latest write to the hold's trigger categories
 * ended; `last_activity`: the person's last change; `end_of_relationship`,
 * `request_closed`, `withdrawal`: the erasure itself). A hold applies only when the person has
 * data in one of its `triggeredBy` categories (left out: any of its categories), and then keeps
 * every category of it the person has. A hold whose end has passed keeps nothing. Per purpose and category the latest end wins; categories of one purpose
 * and one end share a held record.
 */
export function planHolds(
  register: Register,
  rows: readonly CategoryTimes[],
  person: { updatedAt: Date },
  at: Date,
): { listing: HeldListing[]; groups: HeldGroup[] } {
  const today = helsinkiDate(at);
  const yearEnd = register.definition.controller.financialYearEnd;
  const listing: HeldListing[] = [];
  /** purpose → category → { until, holds } */
  const perPurpose = new Map<string, Map<string, { until: string; holds: Set<string> }>>();
  for (const hold of register.definition.retention.legalHolds) {
    // The hold applies only to a person with data in a category that triggers it (left out:
    // any of its categories); it then keeps all its categories.
    const triggers = rows.filter((r) => (hold.triggeredBy ?? hold.categories).includes(r.category));
    if (triggers.length === 0) {
      continue;
    }
    // The financial year of the latest write to a trigger category (the last bookkeeping entry)
    // ends on the definition's financialYearEnd (31 December unless it says otherwise); the law
    // counts from the end of the calendar year in which that financial year ended.
    const lastTriggerWrite = new Date(Math.max(...triggers.map((t) => t.updatedAt.getTime())));
    let until = '';
    const categories: string[] = [];
    for (const category of hold.categories) {
      const row = rows.find((r) => r.category === category);
      if (!row) {
        continue;
      }
      const start =
        hold.from === 'collection'
          ? helsinkiDate(row.collectedAt)
          : hold.from === 'end_of_financial_year'
            ? accountingPeriodStart(helsinkiDate(lastTriggerWrite), yearEnd)
            : hold.from === 'last_activity'
              ? helsinkiDate(person.updatedAt)
              : today;
      const end = addDuration(start, hold.duration);
      if (end < today) {
        continue;
      }
      categories.push(row.category);
      until = end > until ? end : until;
      let byCategory = perPurpose.get(hold.purpose);
      if (!byCategory) {
        byCategory = new Map();
        perPurpose.set(hold.purpose, byCategory);
      }
      const cur = byCategory.get(row.category);
      if (!cur) {
        byCategory.set(row.category, { until: end, holds: new Set([hold.id]) });
      } else {
        cur.holds.add(hold.id);
        cur.until = end > cur.until ? end : cur.until;
      }
    }
    if (categories.length > 0) {
      listing.push({ hold: hold.id, law: hold.law, purpose: hold.purpose, categories, until });
    }
  }
  const groups = new Map<string, HeldGroup>();
  for (const [purpose, byCategory] of perPurpose) {
    for (const [category, { until, holds }] of byCategory) {
      const key = `${purpose}\u0000${until}`;
      let g = groups.get(key);
      if (!g) {
        g = { purpose, until, holds: [], categories: [] };
        groups.set(key, g);
      }
      g.categories.push(category);
      for (const h of holds) {
        if (!g.holds.includes(h)) {
          g.holds.push(h);
        }
      }
    }
  }
  return { listing, groups: [...groups.values()] };
}
