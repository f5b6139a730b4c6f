/**
 * Small-group suppression of the statistics (docs/statistics.md). Pure functions, no database.
 *
 * Primary: a count of 1 to 4 is never shown, only as "fewer than 5" (`'<5'`).
 *
 * Complementary (secondary): in a breakdown whose groups add up to a known sum (the states of one
 * permission, every live person once; the requests, every request once) the sum minus the shown
 * groups would tell what the suppressed ones add up to. So where any group of a breakdown is
 * 1 to 4, every other group of it is hidden (`'hidden'`), zeros too: what is hidden then depends
 * only on which groups are small, which `'<5'` shows anyway, never on the other counts, so
 * knowing this rule tells an attacker nothing more. Where the sum is too small for that (under
 * 4 × groups + 5: one `<5` beside hidden groups adding up to 6 could only be 1), the whole
 * breakdown is hidden.
 *
 * Linked breakdowns (the `*` row of a permission kind and each of its channels' rows: the same
 * people, each row a breakdown of them by state) are suppressed together: the same state in two
 * rows differs by the people whose state differs between them, so where any such difference is 1
 * to 4, or any count of any of the rows is, every row is suppressed as one breakdown with a small
 * group (its small counts `'<5'`, every other `'hidden'`). Shown numbers then never stand beside a
 * `'<5'` or a small difference, and what is hidden depends only on whether something small exists.
 *
 * Groups that overlap (a person has several categories) add up to nothing, but the total minus one
 * of them is the people outside it: a count is hidden where that would be 1 to 4, and in a
 * register of 5 to 9 people every count not `<5` is hidden. And one of them may be a subset of
 * another (a purpose that only writes one category, a source that feeds one purpose, or simply
 * everyone with orders having an identity): their difference is then the people in the larger but
 * not the smaller. So the categories, purposes and sources are suppressed as one family
 * (`suppressOverlapping`): no two numbers shown in it differ by 1 to 4.
 */

/** The smallest group shown as a number. */
export const MIN_GROUP = 5;

/** A count as shown: the number, `'<5'` for 1 to 4 people, or `'hidden'` (complementary). */
export type Shown = number | '<5' | 'hidden';

const small = (n: number) => n >= 1 && n < MIN_GROUP;

/**
 * The smallest sum at which a breakdown of `groups` groups shows its small groups: below it, one
 * small group hidden among the rest could be pinned down by the sum (4 and 4 adding up to 8; 1
 * beside hidden counts adding up to 6 leaves only 1 and 5). From it on, the other small groups
 * (1 each at least) and a hidden one (5 at least) leave every small group free to be any of 1–4.
 * It depends only on the number of groups, never on the counts, so the rule itself tells nothing.
 */
export const safeSum = (groups: number) => (MIN_GROUP - 1) * groups + MIN_GROUP;

/**
 * One breakdown whose groups add up to `sum` (a number, or `'<5'`: 1 to 4): shown whole when no
 * group is 1 to 4; otherwise the small groups `'<5'` and every other `'hidden'`, zeros too; and
 * all hidden while the sum is under `safeSum(groups)`.
 */
export function suppressPartition(counts: readonly number[], sum: number | '<5'): Shown[] {
  if (!counts.some(small)) {
    return [...counts];
  }
  if (sum === '<5' || sum < safeSum(counts.length)) {
    return counts.map(() => 'hidden');
  }
  return counts.map((c) => (small(c) ? '<5' : 'hidden'));
}

/**
 * Linked breakdowns over the same people (`rows`, each adding up to `sum`, state by state in the
 * same order): shown whole when no count and no difference between the same state of two rows is
 * 1 to 4; otherwise each row as a breakdown with a small group (`'<5'` for its small counts, the
 * rest `'hidden'`, all hidden under `safeSum`), whether or not that row has a small count itself.
 */
export function suppressLinked(
  rows: readonly (readonly number[])[],
  sum: number | '<5',
): Shown[][] {
  const linkedSmall =
    rows.some((row) => row.some(small)) ||
    rows.some((a, i) =>
      rows.slice(i + 1).some((b) => a.some((n, j) => small(Math.abs(n - b[j]!)))),
    );
  if (!linkedSmall) {
    return rows.map((row) => [...row]);
  }
  return rows.map((row) =>
    sum === '<5' || sum < safeSum(row.length)
      ? row.map((): Shown => 'hidden')
      : row.map((c): Shown => (small(c) ? '<5' : 'hidden')),
  );
}

/**
 * One group out of `total` people where the groups overlap: `'<5'` for 1 to 4; hidden where the
 * people outside it would be 1 to 4 (the total minus the count), and in a register of 5 to 9
 * people, where that rule alone would pin the count down.
 */
export function suppressOne(count: number, total: number): Shown {
  if (small(count)) {
    return '<5';
  }
  if (total >= MIN_GROUP && total < 2 * MIN_GROUP) {
    return 'hidden';
  }
  return small(total - count) ? 'hidden' : count;
}

/**
 * A family of overlapping groups of the same `total` people (the categories, purposes and sources
 * together), each first as `suppressOne`; then every count that would be shown (5 or more) and
 * lies within 1 to 4 of another that would be shown is hidden too, both of them: either could be a
 * subset of the other, and the difference would then be the people in one but not the other. No
 * two numbers shown then differ by 1 to 4 (a difference of 0 says that nobody is in one but not
 * the other, which a shown 0 says as well). What is hidden depends only on which pairs are close,
 * never on which of them is the larger. Sums of several groups are not compared (docs/statistics.md,
 * "What it does not protect against").
 */
export function suppressOverlapping(counts: readonly number[], total: number): Shown[] {
  const first = counts.map((c) => suppressOne(c, total));
  const candidate = (j: number) => typeof first[j] === 'number' && counts[j]! >= MIN_GROUP;
  return first.map((s, i) => {
    if (!candidate(i)) {
      return s;
    }
    const c = counts[i]!;
    const near = counts.some((d, j) => j !== i && candidate(j) && small(Math.abs(c - d)));
    return near ? 'hidden' : s;
  });
}

/** The total itself: `'<5'` for 1 to 4. */
export function suppressTotal(total: number): Shown {
  return small(total) ? '<5' : total;
}
