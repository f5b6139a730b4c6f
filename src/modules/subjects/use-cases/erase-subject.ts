/**
 * Erasure by crypto-shredding, with legal holds: the categories a hold of the definition keeps
 * are re-sealed into a new held record (a new id and a new key, readable only for the hold's
 * purpose until the hold ends), then the person is erased whole: values and history deleted, the
 * erasure journalled in the data database, the person's key destroyed in the key store. Every
 * e-mail address and phone number the person had goes on the suppression list as a blind index.
 * Should the key store be unreachable after the commit, the journal entry makes
 * `reconcileErasures` finish it. A held record is shredded the same way when its hold ends
 * (`shredEndedHolds`, a daily job).
 */
import { withTransaction, type Executor } from '../../../db/transaction.ts';
import type { ErasureReason } from '../../../keystore/keystore.ts';
import { requireAction, requireEveryPurpose, system, type Actor } from '../../../lib/actor.ts';
import { AppError } from '../../../lib/errors.ts';
import { uuidv7 } from '../../../lib/ids.ts';
import type { UseCaseContext } from '../access.ts';
import type { FieldValue } from '../field-types.ts';
import { holdsRepo } from '../holds.repo.ts';
import { helsinkiDate, planHolds, type HeldListing } from '../holds.ts';
import { canonicalTime } from '../subject-codec.ts';
import { subjectsRepo as repo, type ValueRow } from '../subjects.repo.ts';

export interface ErasureResult {
  /** What legal holds keep, per hold (empty when everything was shredded). */
  held: HeldListing[];
}

/** The latest collection time among a row's fields. */
function latestCollection(row: ValueRow): Date {
  let t = new Date(row.meta.default.collectedAt).getTime();
  for (const m of Object.values(row.meta.fields)) {
    t = Math.max(t, new Date(m.collectedAt).getTime());
  }
  return new Date(t);
}

export function createEraseSubject(ctx: UseCaseContext) {
  const { access, audit, clock, db, keys, register, vault } = ctx;
  const { codec } = access;

  /** Re-seals the held categories of a person into new held records; answers their keys. */
  const keepHeld = async (
    tx: Executor,
    actor: Actor,
    id: string,
    rows: readonly ValueRow[],
    opened: Map<string, Record<string, FieldValue>>,
    groups: ReturnType<typeof planHolds>['groups'],
    createdAt: Date,
    at: Date,
  ) => {
    const newKeys: Array<{ subjectId: string; wrapped: Buffer }> = [];
    const records: Array<() => Promise<void>> = [];
    for (const g of groups) {
      const heldId = uuidv7();
      const { key, wrapped } = vault.newSubjectKey(heldId);
      newKeys.push({ subjectId: heldId, wrapped });
      const values = new Map<string, Map<string, FieldValue | null>>();
      for (const c of g.categories) {
        values.set(c, new Map(Object.entries(opened.get(c) ?? {})));
      }
      records.push(async () => {
        await holdsRepo.insertHeld(
          tx,
          {
            id: heldId,
            purpose: g.purpose,
            until: g.until,
            holds: g.holds,
            erasedFrom: id,
            indexes: codec.indexes(values),
            createdAt,
          },
          at,
        );
        for (const row of rows.filter((r) => g.categories.includes(r.category))) {
          // Provenance is kept as it was (source, purpose, collection time per field).
          const meta = {
            default: {
              ...row.meta.default,
              collectedAt: canonicalTime(row.meta.default.collectedAt),
            },
            fields: row.meta.fields,
          };
          await repo.upsertValue(
            tx,
            {
              subjectId: heldId,
              category: row.category,
              sealed: codec.sealRow(
                key,
                heldId,
                row.category,
                1,
                meta,
                opened.get(row.category) ?? {},
              ),
              meta,
              version: 1,
            },
            at,
            // A held record is no person with a relationship: no retention rule applies to it.
            new Set(),
          );
        }
        await audit.record(tx, {
          actor,
          action: 'subject.hold',
          purpose: g.purpose,
          subjectId: heldId,
          categories: g.categories,
          data: { erasedFrom: id, holds: g.holds },
        });
      });
    }
    // The keys first, as a new person's: a key whose record was never written opens nothing.
    await keys.put(newKeys, vault.wrapKeyId());
    for (const write of records) {
      await write();
    }
  };

  return async (
    actor: Actor,
    id: string,
    reason: ErasureReason = 'request',
  ): Promise<ErasureResult> => {
    requireAction(actor, 'erase');
    requireAction(actor, 'handle_requests'); // a whole person: only for those who handle requests
    requireEveryPurpose(actor, access.allPurposes, 'erase a person');
    const at = clock.now();
    let held: HeldListing[] = [];
    await withTransaction(db, async (tx) => {
      const subject = await repo.findById(tx, id, true);
      if (!subject) {
        throw new AppError('not_found', `no subject with id ${id}`);
      }
      if (subject.held_purpose !== null && reason !== 'unlawful') {
        // What a legal hold keeps is shredded when the hold ends, by the daily job; before that
        // only data found to be processed unlawfully may go.
        throw new AppError('not_found', `no subject with id ${id}`);
      }
      // A person whose key the key store has already destroyed (an erasure the data side has
      // not yet been told of) opens nothing: there is nothing left to hold, only to erase.
      const wrapped = await keys.get(id);
      const rows = wrapped ? await repo.values(tx, id) : [];
      const opened = new Map<string, Record<string, FieldValue>>();
      if (wrapped && rows.length > 0) {
        const key = codec.key(id, wrapped);
        for (const row of rows) {
          opened.set(row.category, codec.openRow(key, row));
        }
      }
      if (subject.held_purpose === null) {
        const plan = planHolds(
          register,
          rows.map((r) => ({
            category: r.category,
            collectedAt: latestCollection(r),
            updatedAt: r.updated_at,
          })),
          { updatedAt: subject.updated_at },
          at,
        );
        held = plan.listing;
        await keepHeld(tx, actor, id, rows, opened, plan.groups, subject.created_at, at);
        const valueOf = (c: string, f: string) => opened.get(c)?.[f];
        // With each blind index, the interchange hash the list is exported as (docs/interchange.md).
        const addresses = codec.addressIndexes(valueOf).map((a) => {
          const [c = '', f = ''] = a.field.split('.');
          const v = valueOf(c, f);
          const share = typeof v === 'string' ? vault.interchangeHash(a.kind, v) : undefined;
          return share === undefined ? a : { ...a, share };
        });
        await holdsRepo.suppress(tx, addresses, at, reason);
      }
      await repo.erase(tx, id, at, reason);
      await audit.record(tx, { actor, action: 'subject.erase', subjectId: id, data: { reason } });
    });
    try {
      await keys.erase([{ subjectId: id, erasedAt: at, reason }]);
    } catch {
      // The erasure has happened (the values are gone and it is journalled); the key store was
      // unreachable. The next reconciling pass (within a minute on a server) destroys the key.
    }
    return { held };
  };
}

/**
 * Shreds the held records whose hold has ended (their last day is before today, Europe/Helsinki)
 * through the erasure path, reason `retention`: a daily job. Answers how many.
 */
export function createShredEndedHolds(ctx: UseCaseContext) {
  const { audit, clock, db, keys } = ctx;
  return async (): Promise<{ shredded: number }> => {
    const at = clock.now();
    const today = helsinkiDate(at);
    let shredded = 0;
    for (;;) {
      const ids = await holdsRepo.ended(db, today, 500);
      if (ids.length === 0) {
        break;
      }
      await withTransaction(db, async (tx) => {
        for (const id of ids) {
          await repo.erase(tx, id, at, 'retention');
          await audit.record(tx, {
            actor: system,
            action: 'subject.erase',
            subjectId: id,
            data: { reason: 'retention' },
          });
        }
      });
      await keys
        .erase(ids.map((subjectId) => ({ subjectId, erasedAt: at, reason: 'retention' as const })))
        .catch(() => undefined); // reconciled from the journal on the next pass
      shredded += ids.length;
    }
    return { shredded };
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
