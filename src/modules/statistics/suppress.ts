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
 * knowing this rule tells an attacker nothing more. Where even that would pin a small group to
 * one value (a small register: one group `<5` and the rest adding up to a sum of 6 leaves only
 * 1 and 5), the whole breakdown is hidden.
 *
 * Groups that overlap (a person has several categories) add up to nothing, but the total minus one
 * of them is the people outside it: a count is hidden where that would be 1 to 4, and in a
 * register of 5 to 9 people every count not `<5` is hidden.
 */

/** The smallest group shown as a number. */
export const MIN_GROUP = 5;

/** A count as shown: the number, `'<5'` for 1 to 4 people, or `'hidden'` (complementary). */
export type Shown = number | '<5' | 'hidden';

const small = (n: number) => n >= 1 && n < MIN_GROUP;

/**
 * Whether a small group could still be pinned to one value when the groups add up to one of
 * `sums`, `p` groups are small (1 to 4 each) and `h` are hidden (each 0 or at least 5).
 */
function pinned(sums: readonly number[], p: number, h: number): boolean {
  // What the hidden groups can add up to: nothing, or (each 0 or at least 5) 0 or at least 5.
  const hiddenCanBe = (n: number) => n === 0 || (h > 0 && n >= MIN_GROUP);
  for (let i = 0; i < p; i++) {
    const values = new Set<number>();
    for (const s of sums) {
      for (let v = 1; v < MIN_GROUP; v++) {
        // The other small groups add up to anything from p-1 to 4(p-1).
        for (let q = p - 1; q <= (MIN_GROUP - 1) * (p - 1); q++) {
          const rest = s - v - q;
          if (hiddenCanBe(rest)) {
            values.add(v);
            break;
          }
        }
      }
    }
    if (values.size < 2) {
      return true;
    }
  }
  return false;
}

/**
 * One breakdown whose groups add up to `sum` (a number, or `'<5'`: 1 to 4): shown whole when no
 * group is 1 to 4; otherwise the small groups `'<5'` and the rest `'hidden'`; all hidden where
 * that would still pin a small group down.
 */
export function suppressPartition(counts: readonly number[], sum: number | '<5'): Shown[] {
  const p = counts.filter(small).length;
  if (p === 0) {
    return [...counts];
  }
  const sums = sum === '<5' ? [1, 2, 3, 4] : [sum];
  if (pinned(sums, p, counts.length - p)) {
    return counts.map(() => 'hidden');
  }
  return counts.map((c) => (small(c) ? '<5' : 'hidden'));
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

/** The total itself: `'<5'` for 1 to 4. */
export function suppressTotal(total: number): Shown {
  return small(total) ? '<5' : total;
}
