/**
 * A small pool of seal workers for imports. A batch is split into one slice per worker and the
 * slices come back in order. Started for one import and closed after it.
 */
import { Worker } from 'node:worker_threads';
import type { FieldMeta } from '../../db/types.ts';
import type { RegisterDefinition } from '../../definition/schema.ts';
import type { CategoryValues } from '../subjects/subject-codec.ts';
import type { NewSubjectRow } from '../subjects/subjects.repo.ts';
import type { SealRequest } from './seal-worker.ts';

export interface SealPool {
  seal(values: CategoryValues[], meta: FieldMeta): Promise<NewSubjectRow[]>;
  close(): Promise<void>;
}

/** Maps do not survive postMessage as cheaply as arrays do. */
const toEntries = (values: CategoryValues): SealRequest['items'][number] =>
  [...values].map(([category, fields]) => [category, [...fields]]);

export function createSealPool(opts: {
  definition: RegisterDefinition;
  masterKey: Buffer;
  size: number;
}): SealPool {
  const workers = Array.from(
    { length: opts.size },
    () =>
      // The entry registers tsx in the thread, as bin/rekisteri.js does for the main program.
      new Worker(new URL('./seal-worker-entry.mjs', import.meta.url), {
        workerData: { definition: opts.definition, masterKey: new Uint8Array(opts.masterKey) },
      }),
  );
  let next = 0;
  const waiting = new Map<
    number,
    { resolve: (rows: NewSubjectRow[]) => void; reject: (err: unknown) => void }
  >();
  for (const w of workers) {
    w.on('message', (m: { id: number; rows: NewSubjectRow[] }) => {
      const rows = m.rows.map((r) => ({
        ...r,
        wrappedKey: Buffer.from(r.wrappedKey),
        values: r.values.map((v) => ({ ...v, sealed: Buffer.from(v.sealed) })),
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
    async seal(values, meta) {
      const size = Math.ceil(values.length / workers.length);
      const slices = workers.map((w, i) => {
        const part = values.slice(i * size, (i + 1) * size);
        return part.length === 0
          ? Promise.resolve([])
          : ask(w, {
              meta,
              items: part.map(toEntries),
            });
      });
      return (await Promise.all(slices)).flat();
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
