/**
 * When a person's data expire under the definition's retention rules. Pure: no database, no clock
 * but the dates it is given. Dates are calendar dates in Europe/Helsinki (as request deadlines and
 * legal holds are); a rule's duration is added years and months first, clamped to the month's end
 * (2024-02-29 + P1Y → 2025-02-28; 2025-01-31 + P1M → 2025-02-28), then weeks and days.
 *
 * A category is kept while any purpose that uses it still has an unexpired rule: its last day is
 * the latest of its purposes' ends, and a rule whose event has not happened (a relationship that
 * has not ended, a consent not withdrawn, no closed request) keeps it with no end. The category
 * expires the day after its last day.
 *
 * A rule whose event can never happen for a person does not apply to them, and counts from the
 * category's collection: a withdrawal of a permission kind they never gave, a closed request of
 * one who never made one, and the end of a relationship that never began. A relationship began
 * when the person's data were first written under a relationship purpose (resting on the
 * contract, or with a rule from the end of the relationship): a lasting mark
 * (`subject_retention.related_at`, migration 0046) that no later write clears, so a customer whose
 * field a marketer re-tagged stays a customer. A related person's data are kept by the rule until
 * the relationship ends; an ended one counts from the end. A value still collected for a
 * relationship purpose keeps the person related too (a purpose that became one after they were
 * written). People stored before the mark existed count as related (docs/retention.md).
 */
import type { Register, RETENTION_EVENTS } from '../definition/index.ts';
import type { RetentionFacts } from '../subjects/index.ts';

const HELSINKI = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Helsinki',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** Helsinki dates by UTC hour (its offsets are whole hours), and sums by date and duration. */
const dateCache = new Map<number, string>();
const sumCache = new Map<string, string>();

/** The Helsinki calendar date of an instant, YYYY-MM-DD. */
export function helsinkiDate(t: Date): string {
  const hour = Math.floor(t.getTime() / 3_600_000);
  let d = dateCache.get(hour);
  if (d === undefined) {
    if (dateCache.size > 100_000) {
      dateCache.clear();
    }
    d = HELSINKI.format(t);
    dateCache.set(hour, d);
  }
  return d;
}

/** A calendar date plus an ISO 8601 duration (PnYnMnWnD), month-end clamped. */
export function addDuration(date: string, duration: string): string {
  const key = `${date}${duration}`;
  let sum = sumCache.get(key);
  if (sum === undefined) {
    if (sumCache.size > 100_000) {
      sumCache.clear();
    }
    sum = computeDuration(date, duration);
    sumCache.set(key, sum);
  }
  return sum;
}

function computeDuration(date: string, duration: string): string {
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
 * The end of the financial year a date falls in: the first `yearEnd` (MM-DD) on or after it; a
 * year ending with February (02-28) ends on 29 February in a leap year.
 */
export function financialYearEndOf(date: string, yearEnd: string): string {
  const year = Number(date.slice(0, 4));
  const endIn = (y: number) =>
    yearEnd === '02-28'
      ? new Date(Date.UTC(y, 2, 0)).toISOString().slice(0, 10)
      : `${String(y).padStart(4, '0')}-${yearEnd}`;
  const thisYear = endIn(year);
  return date <= thisYear ? thisYear : endIn(year + 1);
}

/** One purpose's verdict on one category. */
export interface PurposeEnd {
  purpose: string;
  rule: string;
  /**
   * The event the end counts from: the rule's own, or `collection` where the rule's event cannot
   * happen for this person (a permission kind never given, no request ever made, no relationship
   * ever begun). Null: the rule states no duration or event (kept, no end known), or names no
   * rule of the definition.
   */
  countedFrom: (typeof RETENTION_EVENTS)[number] | null;
  /** The last day kept under this purpose, or null while the rule's event has not happened. */
  until: string | null;
}

/**
 * Whether a customer relationship began for the person: marked so (their data were once written
 * under a relationship purpose), ended, or with a value still collected for a relationship
 * purpose.
 */
export function relationshipBegan(register: Register, person: RetentionFacts): boolean {
  return (
    person.relatedAt !== null ||
    person.relationshipEndedAt !== null ||
    person.rows.some((r) => r.purposes.some((p) => register.relationshipPurposes.has(p)))
  );
}

export interface CategoryExpiry {
  category: string;
  /** The last day kept (the latest of its purposes' ends), or null: kept with no end yet. */
  until: string | null;
  /** The rules whose ends decide it (the purposes' rules that reach `until`). */
  rules: string[];
  expired: boolean;
  purposes: PurposeEnd[];
}

/** Per category the person has, its last day and whether it has expired at `today`. */
export function expiryOf(
  register: Register,
  person: RetentionFacts,
  today: string,
): CategoryExpiry[] {
  const def = register.definition;
  const rules = new Map(def.retention.rules.map((r) => [r.id, r]));
  const yearEnd = def.controller.financialYearEnd;
  const out: CategoryExpiry[] = [];
  const related = relationshipBegan(register, person);
  for (const row of person.rows) {
    const purposes: PurposeEnd[] = [];
    for (const p of def.purposes) {
      if (!p.categories.includes(row.category)) {
        continue;
      }
      const rule = rules.get(p.retention);
      if (!rule) {
        purposes.push({ purpose: p.id, rule: p.retention, countedFrom: null, until: null });
        continue;
      }
      // A stop of the purpose (a consent withdrawal request) counts while it stands. Else the
      // ledger: a kind granted now on some channel keeps the data whatever was withdrawn before
      // (a grant after a withdrawal stops its clock); granted on none, its latest withdrawal.
      const kind = p.permission?.kind;
      const grantedNow = kind !== undefined && person.kindsGranted.has(kind);
      const withdrawn =
        person.withdrawnAt.get(p.id) ??
        (kind !== undefined && !grantedNow ? person.kindWithdrawnAt.get(kind) : undefined);
      const collected = helsinkiDate(row.collectedAt);
      // A duration or an event the definition leaves unknown keeps the data (no end is known).
      const from = rule.duration === 'unknown' ? undefined : rule.from;
      let start: string | null = null;
      // Where the rule's event cannot happen for the person, it counts from collection.
      let countedFrom: PurposeEnd['countedFrom'] = from ?? null;
      switch (from) {
        case 'collection':
          start = collected;
          break;
        case 'last_activity':
          start = helsinkiDate(person.lastActivityAt);
          break;
        case 'end_of_financial_year':
          start = financialYearEndOf(helsinkiDate(row.updatedAt), yearEnd);
          break;
        case 'end_of_relationship':
          // Ended: counted from the end. Began and not ended: kept. Never began (the person's
          // data were never written under a relationship purpose, a mark no later write clears):
          // the rule does not apply, counted from the category's collection. Never read from the
          // purposes values are tagged with now alone: a correction under marketing re-tags a
          // customer's field.
          if (person.relationshipEndedAt) {
            start = helsinkiDate(person.relationshipEndedAt);
          } else if (!related) {
            start = collected;
            countedFrom = 'collection';
          }
          break;
        case 'withdrawal':
          // Withdrawn: counted from the withdrawal. Granted now: kept. A purpose of a permission
          // kind the person never gave does not apply to them: counted from the category's
          // collection.
          if (withdrawn) {
            start = helsinkiDate(withdrawn);
          } else if (kind !== undefined && !grantedNow) {
            start = collected;
            countedFrom = 'collection';
          }
          break;
        case 'request_closed':
          // A request open keeps the data; a person who never made one: from collection.
          if (person.requestOpen) {
            start = null;
          } else if (person.requestClosedAt) {
            start = helsinkiDate(person.requestClosedAt);
          } else {
            start = collected;
            countedFrom = 'collection';
          }
          break;
        default:
          start = null;
      }
      purposes.push({
        purpose: p.id,
        rule: rule.id,
        countedFrom,
        until: start ? addDuration(start, rule.duration) : null,
      });
    }
    // A category no purpose uses any more is kept by none: it has expired.
    const open = purposes.some((p) => p.until === null);
    const until = open
      ? null
      : purposes.reduce((max, p) => (p.until! > max ? p.until! : max), '0000-01-01');
    const deciding =
      until === null
        ? purposes.filter((p) => p.until === null)
        : purposes.filter((p) => p.until === until);
    out.push({
      category: row.category,
      until,
      rules: [...new Set(deciding.map((p) => p.rule))].sort(),
      expired: until !== null && until < today,
      purposes,
    });
  }
  return out;
}

/**
 * The moment before which a rule's event must lie for the rule to have ended by `today`: today
 * less the duration, plus four days (month-end clamping can shorten a period by up to three days,
 * and a Helsinki date starts before UTC midnight). Loose by design: it only narrows whom the
 * sweep looks at; `expiryOf` decides.
 */
export function eventBound(today: string, duration: string): Date {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/.exec(duration);
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(today);
  if (!m || !d) {
    throw new Error(`cannot take ${duration} from ${today}`);
  }
  return new Date(
    Date.UTC(
      Number(d[1]) - Number(m[1] ?? 0),
      Number(d[2]) - 1 - Number(m[2] ?? 0),
      Number(d[3]) - 7 * Number(m[3] ?? 0) - Number(m[4] ?? 0) + 4,
    ),
  );
}
