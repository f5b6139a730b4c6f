/**
 * Erasure by crypto-shredding: values and history deleted and the erasure journalled in the data
 * database, then the person's key destroyed in the key store. Should the second step fail, the
 * journal entry makes `reconcileErasures` finish it.
 */
import { withTransaction } from '../../../db/transaction.ts';
import type { ErasureReason } from '../../../keystore/keystore.ts';
import { requireAction, requireEveryPurpose, system, type Actor } from '../../../lib/actor.ts';
import type { UseCaseContext } from '../access.ts';
import { subjectsRepo as repo } from '../subjects.repo.ts';

export function createEraseSubject(ctx: UseCaseContext) {
  const { access, audit, clock, db, keys } = ctx;
  return async (actor: Actor, id: string, reason: ErasureReason = 'request'): Promise<void> => {
    requireAction(actor, 'erase');
    requireAction(actor, 'handle_requests'); // a whole person: only for those who handle requests
    requireEveryPurpose(actor, access.allPurposes, 'erase a person');
    const at = clock.now();
    await withTransaction(db, async (tx) => {
      await access.requireSubject(tx, id, true);
      await repo.erase(tx, id, at, reason);
      await audit.record(tx, { actor, action: 'subject.erase', subjectId: id, data: { reason } });
    });
    try {
      await keys.erase([{ subjectId: id, erasedAt: at, reason }]);
    } catch {
      // The erasure has happened (the values are gone and it is journalled); the key store was
      // unreachable. The next reconciling pass (within a minute on a server) destroys the key.
    }
  };
}

/**
 * Makes both erasure journals agree and applies them: a person erased in the data database loses
 * their key (an erasure interrupted before the key store was told, or an older key store
 * restored), and a person the key store's journal names is erased in the data database too (an
 * older data backup restored). Answers how many were applied each way.
 */
export function createReconcileErasures(ctx: UseCaseContext) {
  const { audit, db, keys } = ctx;
  /** How far each erasure journal has been applied to the other store by this process. */
  const journalSeen = { data: '0', keys: '0' };
  let reconcileCalls = 0;

  return async (): Promise<{ keysDestroyed: number; subjectsErased: number }> => {
    // Each call reads only what both journals gained since the last one; every tenth call (and
    // the first) reads both whole, since a journal's numbers are taken before commit and an
    // entry can become visible after a higher-numbered one was read.
    if (reconcileCalls++ % 10 === 0) {
      journalSeen.data = '0';
      journalSeen.keys = '0';
    }
    const dataJournal = await repo.erasureJournal(db, journalSeen.data);
    const keyJournal = await keys.journal(journalSeen.keys);
    const inKeyJournal = new Set(keyJournal.map((e) => e.subjectId));
    const ids = dataJournal.map((e) => e.subject_id);
    const withKey = new Set(await keys.present(ids));
    const toKeys = dataJournal
      .filter((e) => withKey.has(e.subject_id) || !inKeyJournal.has(e.subject_id))
      .map((e) => ({
        subjectId: e.subject_id,
        erasedAt: new Date(e.erased_at),
        reason: e.reason as ErasureReason,
      }));
    await keys.erase(toKeys);
    const named = keyJournal.map((e) => e.subjectId);
    const live = new Set(await repo.live(db, named));
    const unjournalled = new Set(await repo.unjournalled(db, named));
    let subjectsErased = 0;
    for (const e of keyJournal) {
      if (!live.has(e.subjectId) && !unjournalled.has(e.subjectId)) {
        continue;
      }
      await withTransaction(db, async (tx) => {
        await repo.erase(tx, e.subjectId, e.erasedAt, e.reason);
        if (live.has(e.subjectId)) {
          await audit.record(tx, {
            actor: system,
            action: 'subject.erase',
            subjectId: e.subjectId,
            data: { reason: 'journal' },
          });
        }
      });
      if (live.has(e.subjectId)) {
        subjectsErased++;
      }
    }
    journalSeen.data = dataJournal.at(-1)?.seq ?? journalSeen.data;
    journalSeen.keys = keyJournal.at(-1)?.seq ?? journalSeen.keys;
    return { keysDestroyed: withKey.size, subjectsErased };
  };
}
