/**
 * Imports people from CSV or JSON Lines through a mapping. Rows are checked, sealed and indexed
 * like any other write; each batch is one transaction that also records how far the file has got,
 * so re-running an interrupted import (even after kill -9) resumes after the last committed line
 * and neither duplicates nor loses rows. Rejected rows are kept with their line number and reason
 * (never their content) and written to an error file at the end.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Kysely } from 'kysely';
import type { BulkTransaction } from '../../db/copy.ts';
import type { Database } from '../../db/types.ts';
import type { RegisterDefinition } from '../definition/index.ts';
import { requireAction, requirePurpose, type Actor } from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import {
  createSealPool,
  type CategoryValues,
  type FieldValue,
  type NewSubjectRow,
  type SealPool,
  type SubjectsService,
  type ValuesInput,
} from '../subjects/index.ts';
import type { Vault } from '../../vault/vault.ts';
import { csvCell } from '../../lib/csv.ts';
import { importsRepo as repo } from './imports.repo.ts';
import type { Mapping } from './mapping.ts';
import { readCsv, readJsonLines, type RawRecord, type ReadProgress } from './readers.ts';

export interface ImportSummary {
  runId: string;
  resumedAfterLine: number;
  alreadyImported: boolean;
  created: number;
  merged: number;
  skipped: number;
  rejected: number;
  lines: number;
  errorFile: string | null;
}

export interface ImportProgress {
  bytes: number;
  totalBytes: number;
  created: number;
  merged: number;
  skipped: number;
  rejected: number;
}

/** A record ready for the database, or rejected with a reason. */
export type PreparedRecord =
  { line: number; values: CategoryValues } | { line: number; error: string };

const DEFAULT_BATCH = 1000;

function fileDigest(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** CSV cells are text; turn them into the JSON types their fields expect. */
function coerce(type: string, text: string): unknown {
  switch (type) {
    case 'number':
      return text.trim() === '' || Number.isNaN(Number(text)) ? text : Number(text);
    case 'boolean':
      return (
        { true: true, yes: true, '1': true, false: false, no: false, '0': false }[
          text.trim().toLowerCase()
        ] ?? text
      );
    case 'json':
    case 'address':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    default:
      return text;
  }
}

export function createImportService(deps: {
  db: Kysely<Database>;
  /** Batches are written in these transactions, the new rows with COPY. */
  bulkTransaction: BulkTransaction;
  /** Checks, seals and writes people: the subjects module's authorised bulk writer. */
  subjects: Pick<SubjectsService, 'bulkValues' | 'bulkWrite'>;
  clock: Clock;
  /**
   * When given, imports seal on this many worker threads; the definition and the vault's sealing
   * keys (not the master key) go there.
   */
  sealWorkers?: { definition: RegisterDefinition; vault: Vault; size: number };
}) {
  const { db, clock } = deps;
  const bulk = deps.subjects.bulkValues;

  /** Runs `fn` with a seal pool for the length of one import, when workers are configured. */
  const withPool = async <T>(fn: (pool: SealPool | undefined) => Promise<T>): Promise<T> => {
    const pool =
      deps.sealWorkers && deps.sealWorkers.size > 0 ? createSealPool(deps.sealWorkers) : undefined;
    try {
      return await fn(pool);
    } finally {
      await pool?.close();
    }
  };

  /** Checks one raw record against the mapping and the definition. */
  const prepare = (
    mapping: Mapping,
    raw: RawRecord,
    fieldType: (target: string) => string,
  ): PreparedRecord => {
    if ('error' in raw) {
      return raw;
    }
    const values: ValuesInput = {};
    for (const [column, target] of Object.entries(mapping.columns)) {
      const cell = raw.fields[column];
      if (cell === undefined || cell === null || cell === '') {
        continue;
      }
      const [category, field] = target.split('.') as [string, string];
      (values[category] ??= {})[field] =
        typeof cell === 'string' ? coerce(fieldType(target), cell) : cell;
    }
    try {
      return {
        line: raw.line,
        values: bulk.check(mapping.purpose, values, 'create', 'row'),
      };
    } catch (err) {
      if (err instanceof AppError) {
        return {
          line: raw.line,
          error:
            err.issues.map((i) => `${i.field.replace(/^row\./, '')}: ${i.detail}`).join('; ') ||
            err.message,
        };
      }
      throw err;
    }
  };

  /**
   * Writes prepared records in batches. The ledger row of `runId` records the last committed line
   * in the same transaction as the rows, which is what makes re-running safe.
   */
  const writeBatches = async (
    actor: Actor,
    mapping: Pick<Mapping, 'purpose' | 'source' | 'dedupe'>,
    runId: string,
    records: AsyncIterable<PreparedRecord>,
    opts: {
      batchSize?: number;
      onBatch?: (counts: Omit<ImportProgress, 'bytes' | 'totalBytes'>) => void;
      pool?: SealPool;
      /** Records erased people's addresses (the suppression list) instead of rejecting them. */
      allowSuppressed?: boolean;
    },
  ) => {
    const counts = { created: 0, merged: 0, skipped: 0, rejected: 0 };
    const batchSize = opts.batchSize ?? DEFAULT_BATCH;
    let batch: PreparedRecord[] = [];
    let lastLine = 0;

    /** The CPU half of a batch: checks done, duplicates folded, new people sealed and indexed. */
    const prepareBatch = async (records: PreparedRecord[], throughLine: number) => {
      const now = clock.now();
      const meta = {
        source: mapping.source,
        purpose: mapping.purpose,
        collectedAt: now.toISOString(),
      };
      const rejected: Array<{ line: number; reason: string }> = [];
      // Duplicates inside the batch are folded before sealing: first one wins for skip, later
      // values overwrite earlier ones for merge.
      const byEmail = new Map<string, { line: number; values: CategoryValues }>();
      const fresh: Array<{ line: number; values: CategoryValues; email: string | null }> = [];
      let skippedHere = 0;
      let mergedInBatch = 0;
      for (const r of records) {
        if ('error' in r) {
          rejected.push({ line: r.line, reason: r.error });
          continue;
        }
        const email = bulk.emailIndex(r.values);
        const first = email === null ? undefined : byEmail.get(email);
        if (first) {
          if (mapping.dedupe === 'merge') {
            for (const [c, fields] of r.values) {
              const into = first.values.get(c) ?? new Map<string, FieldValue | null>();
              for (const [f, v] of fields) {
                into.set(f, v);
              }
              first.values.set(c, into);
            }
          }
          skippedHere += mapping.dedupe === 'skip' ? 1 : 0;
          mergedInBatch += mapping.dedupe === 'merge' ? 1 : 0;
          continue;
        }
        if (email !== null) {
          byEmail.set(email, r);
        }
        fresh.push({ ...r, email });
      }
      const rows = opts.pool
        ? await opts.pool.seal(fresh, meta)
        : fresh.map((r) => bulk.seal(r.values, meta, r.email));
      const prepared = fresh.map((r, i) => ({
        line: r.line,
        values: r.values,
        row: rows[i] as NewSubjectRow,
      }));
      return { now, rejected, prepared, skippedHere, mergedInBatch, throughLine };
    };

    /** The database half: one transaction with the rows, their log entries and the ledger. */
    const writeBatch = async (b: Awaited<ReturnType<typeof prepareBatch>>) => {
      const { now, prepared, throughLine } = b;
      const written = await deps.bulkTransaction(async (tx, copy) => {
        const result = await deps.subjects.bulkWrite(
          actor,
          { tx, copy },
          {
            purpose: mapping.purpose,
            source: mapping.source,
            dedupe: mapping.dedupe,
            now,
            records: prepared,
            reason: `import ${runId.slice(0, 12)}`,
            run: runId.slice(0, 12),
            ...(opts.allowSuppressed ? { allowSuppressed: true } : {}),
          },
        );
        const outcome = {
          created: result.created,
          merged: b.mergedInBatch + result.merged,
          skipped: b.skippedHere + result.skipped,
          rejected: [...b.rejected, ...result.rejected],
        };
        await repo.recordBatch(tx, runId, { throughLine, ...outcome });
        return outcome;
      });
      counts.created += written.created;
      counts.merged += written.merged;
      counts.skipped += written.skipped;
      counts.rejected += written.rejected.length;
      opts.onBatch?.({ ...counts });
    };

    // While one batch is written, the next is read and sealed: Node's work overlaps the database's.
    // Batches still commit one after another, in file order, each with its ledger line.
    let writing: Promise<void> | undefined;
    const flush = async () => {
      if (batch.length === 0) {
        return;
      }
      // Without seal workers the preparation runs right here; with them it runs on the workers
      // while the previous batch is written and this thread reads on.
      const preparing = prepareBatch(batch, lastLine);
      preparing.catch(() => undefined);
      batch = [];
      const previous = writing;
      writing = (async () => {
        const next = await preparing;
        if (previous) {
          await previous;
        }
        await writeBatch(next);
      })();
      // Its failure is reported where it is awaited: the next flush or the end.
      writing.catch(() => undefined);
      if (previous) {
        await previous;
      }
    };

    for await (const r of records) {
      batch.push(r);
      lastLine = r.line;
      if (batch.length >= batchSize) {
        await flush();
      }
    }
    await flush();
    if (writing) {
      await writing;
    }
    return { counts, lastLine };
  };

  const startRun = async (runId: string, fileName: string) => {
    const existing = await repo.findRun(db, runId);
    if (!existing) {
      await repo.insertRun(db, runId, fileName);
    }
    return existing;
  };

  const finishRun = (runId: string) => repo.finishRun(db, runId, clock.now());

  return {
    async importFile(
      actor: Actor,
      input: {
        file: string;
        mapping: Mapping;
        errorFile?: string;
        batchSize?: number;
        onProgress?: (p: ImportProgress) => void;
        /**
         * Records addresses on the suppression list (people erased earlier) instead of rejecting
         * their lines: an explicit override for actors who handle requests, logged per person.
         */
        allowSuppressed?: boolean;
      },
    ): Promise<ImportSummary> {
      requireAction(actor, 'write');
      requirePurpose(actor, input.mapping.purpose, 'write');
      if (input.allowSuppressed) {
        requireAction(actor, 'handle_requests');
      }
      const { mapping } = input;
      let totalBytes: number;
      try {
        totalBytes = (await stat(input.file)).size;
      } catch {
        throw new AppError('validation_failed', `file ${input.file} cannot be read`, [
          { field: 'file', detail: 'not found or not readable' },
        ]);
      }
      const format =
        mapping.format ??
        (['.jsonl', '.ndjson'].includes(extname(input.file).toLowerCase()) ? 'jsonl' : 'csv');
      const runId = createHash('sha256')
        .update(await fileDigest(input.file))
        .update(JSON.stringify(mapping))
        // An override is another run: re-running a finished import with it records what was refused.
        .update(input.allowSuppressed ? 'allow-suppressed' : '')
        .digest('hex');
      const previous = await startRun(runId, basename(input.file));
      const errorFile = input.errorFile ?? `${input.file}.errors.csv`;
      if (previous?.finished_at) {
        return {
          runId,
          resumedAfterLine: Number(previous.lines_committed),
          alreadyImported: true,
          created: 0,
          merged: 0,
          skipped: 0,
          rejected: 0,
          lines: Number(previous.lines_committed),
          errorFile: null,
        };
      }
      const resumeAfter = Number(previous?.lines_committed ?? 0);
      const progress: ReadProgress = { bytes: 0 };
      const reader =
        format === 'csv'
          ? readCsv(input.file, mapping.delimiter, progress)
          : readJsonLines(input.file, progress);
      const types = (target: string) => {
        const [c, f] = target.split('.') as [string, string];
        return bulk.fieldType(c, f);
      };
      async function* prepared(): AsyncGenerator<PreparedRecord> {
        for await (const raw of reader) {
          if (raw.line > resumeAfter) {
            yield prepare(mapping, raw, types);
          }
        }
      }
      try {
        await withPool((pool) =>
          writeBatches(actor, mapping, runId, prepared(), {
            ...(input.batchSize ? { batchSize: input.batchSize } : {}),
            ...(pool ? { pool } : {}),
            ...(input.allowSuppressed ? { allowSuppressed: true } : {}),
            onBatch: (c) => input.onProgress?.({ ...c, bytes: progress.bytes, totalBytes }),
          }),
        );
      } catch (err) {
        // A file that fails before anything was committed leaves no trace, not even its ledger row.
        await repo.deleteUncommittedRun(db, runId);
        throw err;
      }
      const totals = await finishRun(runId);
      const rejections = await repo.rejections(db, runId);
      if (rejections.length > 0) {
        // The reasons are the service's own words, but they name the mapping's columns and fields:
        // the shared cell guard keeps a spreadsheet from taking one for a formula.
        await writeFile(
          errorFile,
          `line,reason\n${rejections.map((r) => `${r.line},${csvCell(r.reason)}`).join('\n')}\n`,
        );
      }
      return {
        runId,
        resumedAfterLine: resumeAfter,
        alreadyImported: false,
        created: Number(totals.created),
        merged: Number(totals.merged),
        skipped: Number(totals.skipped),
        rejected: Number(totals.rejected),
        lines: Number(totals.lines_committed),
        errorFile: rejections.length > 0 ? errorFile : null,
      };
    },

    /** Bulk-creates already-built value sets (the seeder), through the same batches. */
    async createMany(
      actor: Actor,
      input: {
        purpose: string;
        source: string;
        records: AsyncIterable<ValuesInput> | Iterable<ValuesInput>;
        batchSize?: number;
        onBatch?: (created: number) => void;
      },
    ) {
      requireAction(actor, 'write');
      requirePurpose(actor, input.purpose, 'write');
      const runId = `seed-${randomUUID()}`;
      await startRun(runId, 'seed');
      const purpose = input.purpose;
      async function* prepared(): AsyncGenerator<PreparedRecord> {
        let line = 0;
        for await (const values of input.records) {
          line++;
          yield { line, values: bulk.check(purpose, values, 'create') };
        }
      }
      const result = await withPool((pool) =>
        writeBatches(actor, { purpose, source: input.source, dedupe: 'skip' }, runId, prepared(), {
          ...(input.batchSize ? { batchSize: input.batchSize } : {}),
          ...(pool ? { pool } : {}),
          onBatch: (c) => input.onBatch?.(c.created),
        }),
      );
      await finishRun(runId);
      return result.counts;
    },
  };
}

export type ImportService = ReturnType<typeof createImportService>;
