/**
 * Master-key rotation: every person key in the key store is re-wrapped under a new master key, and
 * the register's root (what blind indexes, the access log's keys and staff secrets derive from) is
 * sealed under the new key too, so nothing else changes. Resumable: a rotation records where it is
 * going before it starts, re-wraps in batches that each commit on their own, and finishes in one
 * transaction; run again with the same new key, it goes on from where it stopped. Until it
 * finishes no server starts on the key store.
 */
import { createVault } from '../vault/vault.ts';
import type { KeyStore } from './keystore.ts';

export class RotationError extends Error {
  override name = 'RotationError';
}

export interface RotationResult {
  rewrapped: number;
  /** The new wrapping key's id (`Vault.wrapKeyId`). */
  wrapKeyId: string;
}

export async function rotateMasterKey(opts: {
  keys: KeyStore;
  oldMaster: Buffer;
  newMaster: Buffer;
  callingCode: string;
  batchSize?: number;
  /** For tests: stop (as a crash would) after this many batches. */
  stopAfterBatches?: number;
  onBatch?: (rewrapped: number) => void;
}): Promise<RotationResult> {
  const { keys, callingCode } = opts;
  const sealedRoot = await keys.setting('root_sealed');
  let root: Buffer;
  try {
    root = sealedRoot
      ? createVault(opts.oldMaster, callingCode).openRoot(Buffer.from(sealedRoot, 'base64'))
      : Buffer.from(opts.oldMaster);
  } catch {
    throw new RotationError('the current master key does not open this key store');
  }
  const from = createVault(opts.oldMaster, callingCode, { root });
  const to = createVault(opts.newMaster, callingCode, { root });
  try {
    const fromId = from.wrapKeyId();
    const toId = to.wrapKeyId();
    if (fromId === toId) {
      throw new RotationError('the new master key is the current one');
    }
    const pending = await keys.setting('rotation');
    if (pending) {
      const p = JSON.parse(pending) as { from: string; to: string };
      if (p.from !== fromId || p.to !== toId) {
        throw new RotationError(
          'another rotation is unfinished: finish it with the key files it was started with',
        );
      }
    } else {
      if ((await keys.setting('key_check')) !== from.keyCheck()) {
        throw new RotationError('the current master key does not belong to this key store');
      }
      await keys.setSetting('rotation', JSON.stringify({ from: fromId, to: toId }));
    }
    const strangers = await keys.db
      .selectFrom('person_keys')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('wrapped_by', 'not in', [fromId, toId])
      .executeTakeFirstOrThrow();
    if (Number(strangers.n) > 0) {
      throw new RotationError(
        `${strangers.n} person keys are wrapped under neither the current nor the new master key`,
      );
    }
    let rewrapped = 0;
    let batches = 0;
    for (;;) {
      const rows = await keys.db
        .selectFrom('person_keys')
        .select(['subject_id', 'wrapped'])
        .where('wrapped_by', '=', fromId)
        .orderBy('subject_id')
        .limit(opts.batchSize ?? 2000)
        .execute();
      if (rows.length === 0) {
        break;
      }
      if (opts.stopAfterBatches !== undefined && batches >= opts.stopAfterBatches) {
        throw new RotationError('stopped on purpose (test)');
      }
      await keys.db.transaction().execute(async (tx) => {
        for (const r of rows) {
          const key = from.unwrapSubjectKey(r.subject_id, r.wrapped);
          const wrapped = to.wrapSubjectKey(r.subject_id, key);
          key.fill(0);
          await tx
            .updateTable('person_keys')
            .set({ wrapped, wrapped_by: toId })
            .where('subject_id', '=', r.subject_id)
            .where('wrapped_by', '=', fromId)
            .execute();
        }
      });
      rewrapped += rows.length;
      batches++;
      opts.onBatch?.(rewrapped);
    }
    await keys.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('keystore_settings')
        .values({ key: 'root_sealed', value: to.sealRoot(root).toString('base64') })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({ value: to.sealRoot(root).toString('base64') }),
        )
        .execute();
      await tx.deleteFrom('keystore_settings').where('key', '=', 'rotation').execute();
    });
    // The old wrapped forms stay in dead rows until the table is rewritten.
    await keys.clean({ force: true });
    return { rewrapped, wrapKeyId: toId };
  } finally {
    root.fill(0);
  }
}
