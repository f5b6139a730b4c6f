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

/** Inside `finish`: keys remain under the old wrapping key; roll back and go round again. */
class Retry extends Error {}

export interface RotationResult {
  rewrapped: number;
  /** Cleaning steps the key store's database refused (see KeyStore.clean). */
  warnings: string[];
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
    const ours = JSON.stringify({ from: fromId, to: toId });
    if (!(await keys.setting('rotation'))) {
      if ((await keys.setting('key_check')) !== from.keyCheck()) {
        throw new RotationError('the current master key does not belong to this key store');
      }
      const wrapping = await keys.setting('wrap_key_id');
      if (wrapping !== undefined && wrapping !== fromId) {
        throw new RotationError(
          "the current master key is not the one this key store's person keys are wrapped under",
        );
      }
    }
    // Claimed, not overwritten: of two rotations started together, one goes on, one stops here.
    if ((await keys.claimSetting('rotation', ours)) !== ours) {
      throw new RotationError(
        'another rotation is unfinished: finish it with the key files it was started with',
      );
    }
    // Checked again now that the claim is ours: another rotation may have finished between the
    // checks above and the claim. Refused here, nothing has been re-wrapped yet, so the claim is
    // given back; left behind, it would keep every server from starting.
    const refuse = async (message: string): Promise<never> => {
      await keys.db
        .deleteFrom('keystore_settings')
        .where('key', '=', 'rotation')
        .where('value', '=', ours)
        .execute();
      throw new RotationError(message);
    };
    const wrappingNow = await keys.setting('wrap_key_id');
    if (wrappingNow !== undefined && wrappingNow !== fromId && wrappingNow !== toId) {
      await refuse(
        "the current master key is not the one this key store's person keys are wrapped under (another rotation finished first)",
      );
    }
    const strangers = await keys.db
      .selectFrom('person_keys')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('wrapped_by', 'not in', [fromId, toId])
      .executeTakeFirstOrThrow();
    if (Number(strangers.n) > 0) {
      await refuse(
        `${strangers.n} person keys are wrapped under neither the current nor the new master key`,
      );
    }
    let rewrapped = 0;
    let batches = 0;
    for (;;) {
      rewrapped += await rewrapAll();
      if (await finish()) {
        break;
      }
    }
    // The old wrapped forms stay in dead rows until the table is rewritten.
    const cleaned = await keys.clean({ force: true });
    return { rewrapped, wrapKeyId: toId, warnings: cleaned.warnings };

    /** Re-wraps, batch by batch, every key still under the old wrapping key. */
    async function rewrapAll(): Promise<number> {
      let done = 0;
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
        const updated = await keys.db.transaction().execute(async (tx) => {
          let n = 0n;
          for (const r of rows) {
            const key = from.unwrapSubjectKey(r.subject_id, r.wrapped);
            const wrapped = to.wrapSubjectKey(r.subject_id, key);
            key.fill(0);
            const result = await tx
              .updateTable('person_keys')
              .set({ wrapped, wrapped_by: toId })
              .where('subject_id', '=', r.subject_id)
              .where('wrapped_by', '=', fromId)
              .executeTakeFirst();
            n += result.numUpdatedRows;
          }
          return Number(n);
        });
        done += updated;
        batches++;
        opts.onBatch?.(rewrapped + done);
      }
      return done;
    }

    /**
     * The last step, in one transaction: the new wrapping key becomes the key store's (which waits
     * for any key being added under the old one, and refuses such keys from then on), and only if
     * this rotation is still the pending one and no key is left under the old key, the root is
     * sealed under the new key and the rotation ends. Answers false when keys remain to re-wrap.
     */
    async function finish(): Promise<boolean> {
      return keys.db
        .transaction()
        .execute(async (tx) => {
          await tx
            .insertInto('keystore_settings')
            .values({ key: 'wrap_key_id', value: toId })
            .onConflict((oc) => oc.column('key').doUpdateSet({ value: toId }))
            .execute();
          const pending = await tx
            .selectFrom('keystore_settings')
            .select('value')
            .where('key', '=', 'rotation')
            .forUpdate()
            .executeTakeFirst();
          if (pending?.value !== ours) {
            throw new RotationError('another rotation took over this key store; nothing finished');
          }
          const left = await tx
            .selectFrom('person_keys')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('wrapped_by', '=', fromId)
            .executeTakeFirstOrThrow();
          if (Number(left.n) > 0) {
            // Keys added under the old key while this ran: re-wrap them too. Rolling back puts
            // the wrapping key back, so they could still be added.
            throw new Retry();
          }
          const value = to.sealRoot(root).toString('base64');
          await tx
            .insertInto('keystore_settings')
            .values({ key: 'root_sealed', value })
            .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
            .execute();
          await tx.deleteFrom('keystore_settings').where('key', '=', 'rotation').execute();
          return true;
        })
        .catch((err: unknown) => {
          if (err instanceof Retry) {
            return false;
          }
          throw err;
        });
    }
  } finally {
    root.fill(0);
  }
}
