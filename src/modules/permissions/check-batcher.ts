/**
 * Reads the ledger for permission checks that arrive together in one statement (docs/permissions.md,
 * "The check under load"). A check asks its question and waits; the questions gathered in one
 * turn of the event loop, and any that arrive while `maxStatements` reads are already under way,
 * go to the database together: one statement per kind of question (purpose, channel, the time
 * asked about), `s.id = any(ids)`, instead of one each.
 *
 * Nothing is cached: every read starts after the request it answers arrived, so each answer is the
 * ledger as it stood at some moment between the request and the answer, as a read of its own
 * would be. A read that fails fails every check it carried.
 */
import type { CheckQuery, CheckRow } from './permissions.repo.ts';
import { UNKNOWN_CHECK_ROW } from './permissions.repo.ts';

/** Reads the ledger for one check: the person's row, or UNKNOWN_CHECK_ROW. */
export type LedgerRead = (q: CheckQuery, subjectId: string) => Promise<CheckRow>;

/** At most this many people in one statement (a power of two: permissions.repo.ts); more wait for the next. */
export const MAX_BATCH = 256;

interface Waiter {
  subjectId: string;
  resolve: (row: CheckRow) => void;
  reject: (err: unknown) => void;
}

export function createCheckBatcher(
  readMany: (q: CheckQuery, subjectIds: string[]) => Promise<Map<string, CheckRow>>,
  maxStatements: number,
): LedgerRead {
  if (!Number.isInteger(maxStatements) || maxStatements < 1) {
    throw new Error('maxStatements: expected a whole number of at least 1');
  }
  /** Questions waiting, by their kind (everything but the person). */
  const waiting = new Map<string, { q: CheckQuery; waiters: Waiter[] }>();
  let running = 0;
  let scheduled = false;

  const run = (q: CheckQuery, waiters: Waiter[]) => {
    running++;
    const ids = [...new Set(waiters.map((w) => w.subjectId))];
    readMany(q, ids)
      .then(
        (rows) => {
          for (const w of waiters) {
            w.resolve(rows.get(w.subjectId) ?? UNKNOWN_CHECK_ROW);
          }
        },
        (err: unknown) => {
          for (const w of waiters) {
            w.reject(err);
          }
        },
      )
      .finally(() => {
        running--;
        start();
      });
  };

  /**
   * Sends waiting questions while fewer than maxStatements reads are under way, the kinds of
   * question in turn: a kind with more than MAX_BATCH people waiting has one statement's worth
   * sent and goes to the back, so a flood of one kind never holds up another (round-robin).
   */
  const start = () => {
    scheduled = false;
    while (running < maxStatements && waiting.size > 0) {
      const [key, group] = waiting.entries().next().value as [
        string,
        { q: CheckQuery; waiters: Waiter[] },
      ];
      if (group.waiters.length > MAX_BATCH) {
        run(group.q, group.waiters.splice(0, MAX_BATCH));
        // A Map iterates in insertion order: deleted and set again, it is served last.
        waiting.delete(key);
        waiting.set(key, group);
      } else {
        waiting.delete(key);
        run(group.q, group.waiters);
      }
    }
  };

  return (q, subjectId) =>
    new Promise<CheckRow>((resolve, reject) => {
      const key = JSON.stringify([
        q.purpose,
        q.kind,
        q.channel,
        q.organisationCategory,
        q.customerCategory,
        q.address,
        q.at === null ? null : q.at.toISOString(),
      ]);
      let group = waiting.get(key);
      if (!group) {
        group = { q, waiters: [] };
        waiting.set(key, group);
      }
      // The database answers ids in lower case.
      group.waiters.push({ subjectId: subjectId.toLowerCase(), resolve, reject });
      // The rest of this turn's requests join before the statement goes out.
      if (!scheduled && running < maxStatements) {
        scheduled = true;
        setImmediate(start);
      }
    });
}
