/**
 * A small pool of seal workers for bulk writes (imports). A batch is split into one slice per worker and the
 * slices come back in order. Started for one import and closed after it.
 */
import { Worker } from 'node:worker_threads';
import type { FieldMeta } from '../../db/types.ts';
import type { RegisterDefinition } from '../definition/index.ts';
import type { CategoryValues } from './subject-codec.ts';
import type { NewSubjectRow } from './subjects.repo.ts';
import type { Vault } from '../../vault/vault.ts';
import type { SealRequest, SealWorkerData } from './seal-worker.ts';

export interface SealPool {
  /** Seals and indexes new people; `email` is each one's e-mail index, already computed. */
  seal(
    people: Array<{ values: CategoryValues; email: string | null }>,
    meta: FieldMeta,
  ): Promise<NewSubjectRow[]>;
  close(): Promise<void>;
}

/** Maps do not survive postMessage as cheaply as arrays do. */
const toItem = (p: {
  values: CategoryValues;
  email: string | null;
}): SealRequest['items'][number] => ({
  email: p.email,
  values: [...p.values].map(([category, fields]) => [category, [...fields]]),
});

/** A view of what came over the channel as a Buffer, without copying it. */
const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * What each seal worker is started with: the definition and the two derived keys sealing needs.
 * Not the master key: a worker cannot derive the keys of the access log, of staff secrets or of
 * recovery codes, nor anything else to come.
 */
export function sealWorkerData(definition: RegisterDefinition, vault: Vault): SealWorkerData {
  return { definition, sealingKeys: vault.exportSealingKeys() };
}

export function createSealPool(opts: {
  definition: RegisterDefinition;
  vault: Vault;
  size: number;
}): SealPool {
  const workerData = sealWorkerData(opts.definition, opts.vault);
  const workers = Array.from(
    { length: opts.size },
    () =>
      // The entry registers tsx in the thread, as bin/rekisteri.js does for the main program.
      // The environment is the process's, from which the master key variable is already gone.
      new Worker(new URL('./seal-worker-entry.mjs', import.meta.url), { workerData }),
  );
  // Each worker has its own copy now (workerData is cloned when a Worker is constructed).
  workerData.sealingKeys.wrap.fill(0);
  workerData.sealingKeys.blindIndex.fill(0);
  let next = 0;
  const waiting = new Map<
    number,
    { resolve: (rows: NewSubjectRow[]) => void; reject: (err: unknown) => void }
  >();
  for (const w of workers) {
    w.on('message', (m: { id: number; rows: NewSubjectRow[] }) => {
      const rows = m.rows.map((r) => ({
        ...r,
        wrappedKey: asBuffer(r.wrappedKey),
        values: r.values.map((v) => ({ ...v, sealed: asBuffer(v.sealed) })),
      }));
      waiting.get(m.id)?.resolve(rows);
      waiting.delete(m.id);
    });
    w.on('error', (err) => {
      for (const p of waiting.values()) {
        p.reject(err);
      }
      waiting.clear();
    });
  }
  const ask = (worker: Worker, request: Omit<SealRequest, 'id'>) =>
    new Promise<NewSubjectRow[]>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });

  return {
    async seal(people, meta) {
      const size = Math.ceil(people.length / workers.length);
      const slices = workers.map((w, i) => {
        const part = people.slice(i * size, (i + 1) * size);
        return part.length === 0 ? Promise.resolve([]) : ask(w, { meta, items: part.map(toItem) });
      });
      return (await Promise.all(slices)).flat();
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
