/**
 * A worker thread that seals and indexes new people for an import: the CPU-heavy half of a batch
 * (a key, three seals and some twenty HMACs per person), so that two cores share it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createRegister } from '../definition/index.ts';
import type { RegisterDefinition } from '../definition/index.ts';
import type { FieldMeta } from '../../db/types.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { createVault, type SealingKeys } from '../../vault/vault.ts';
import type { FieldValue } from './field-types.ts';
import { createSubjectCodec } from './subject-codec.ts';

export interface SealRequest {
  id: number;
  meta: FieldMeta;
  /**
   * Each person: the blind index of their primary e-mail (already computed for dedupe) and their
   * values as entries, [category, [field, value][]][].
   */
  items: Array<{
    email: string | null;
    values: Array<[string, Array<[string, FieldValue | null]>]>;
  }>;
}

/** Name words repeat across a file; their indexes are kept for the length of one import. */
const TOKEN_CACHE = 200_000;

export interface SealWorkerData {
  definition: RegisterDefinition;
  /** The wrapping and index keys: all a worker needs, and all it gets. */
  sealingKeys: SealingKeys;
}

const data = workerData as SealWorkerData;
const register = createRegister(data.definition, '');
const codec = createSubjectCodec(
  register,
  createVault({ sealingKeys: data.sealingKeys }, data.definition.defaultCountryCallingCode, {
    tokenCache: TOKEN_CACHE,
  }),
);

parentPort?.on('message', (msg: SealRequest) => {
  const rows = msg.items.map(({ email, values }) =>
    codec.newSubject(uuidv7(), new Map(values.map(([c, f]) => [c, new Map(f)])), msg.meta, email),
  );
  // Each buffer goes over in an ArrayBuffer of its own: Buffer.concat hands out slices of an 8 KiB
  // slab, and sending a slice copies the whole slab, with whatever else this thread kept there.
  const own = (b: Buffer) => new Uint8Array(b);
  parentPort?.postMessage({
    id: msg.id,
    rows: rows.map((r) => ({
      ...r,
      wrappedKey: own(r.wrappedKey),
      values: r.values.map((v) => ({ ...v, sealed: own(v.sealed) })),
    })),
  });
});
