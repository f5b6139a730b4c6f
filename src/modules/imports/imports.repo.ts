/**
 * The import ledger's SQL: one row per run (a file and mapping, or a seeding) with how far it has
 * committed, and the rejected lines with their reason (never their content). Every method runs on
 * the executor it is given: the database, or the batch's bulk transaction.
 */
import type { Executor } from '../../db/transaction.ts';

export interface RunTotals {
  lines_committed: string;
  created: string;
  merged: string;
  skipped: string;
  rejected: string;
}

export const importsRepo = {
  /** The run's ledger row, or undefined when this run has never started. */
  async findRun(
    ex: Executor,
    runId: string,
  ): Promise<(RunTotals & { finished_at: Date | null }) | undefined> {
    return ex
      .selectFrom('import_runs')
      .select(['lines_committed', 'finished_at', 'created', 'merged', 'skipped', 'rejected'])
      .where('id', '=', runId)
      .executeTakeFirst();
  },

  async insertRun(ex: Executor, runId: string, fileName: string): Promise<void> {
    await ex.insertInto('import_runs').values({ id: runId, file_name: fileName }).execute();
  },

  /** Records a committed batch: through which line, and what it did. */
  async recordBatch(
    ex: Executor,
    runId: string,
    batch: {
      throughLine: number;
      created: number;
      merged: number;
      skipped: number;
      rejected: ReadonlyArray<{ line: number; reason: string }>;
    },
  ): Promise<void> {
    if (batch.rejected.length > 0) {
      await ex
        .insertInto('import_rejections')
        .values(batch.rejected.map((r) => ({ run_id: runId, line: r.line, reason: r.reason })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    await ex
      .updateTable('import_runs')
      .set((eb) => ({
        lines_committed: batch.throughLine,
        created: eb('created', '+', String(batch.created)),
        merged: eb('merged', '+', String(batch.merged)),
        skipped: eb('skipped', '+', String(batch.skipped)),
        rejected: eb('rejected', '+', String(batch.rejected.length)),
      }))
      .where('id', '=', runId)
      .execute();
  },

  async finishRun(ex: Executor, runId: string, at: Date): Promise<RunTotals> {
    return ex
      .updateTable('import_runs')
      .set({ finished_at: at })
      .where('id', '=', runId)
      .returning(['lines_committed', 'created', 'merged', 'skipped', 'rejected'])
      .executeTakeFirstOrThrow();
  },

  /** Forgets a run that committed nothing (a file that failed before its first batch). */
  async deleteUncommittedRun(ex: Executor, runId: string): Promise<void> {
    await ex
      .deleteFrom('import_runs')
      .where('id', '=', runId)
      .where('lines_committed', '=', '0')
      .execute();
  },

  async rejections(ex: Executor, runId: string): Promise<Array<{ line: number; reason: string }>> {
    const rows = await ex
      .selectFrom('import_rejections')
      .select(['line', 'reason'])
      .where('run_id', '=', runId)
      .orderBy('line')
      .execute();
    return rows.map((r) => ({ line: Number(r.line), reason: r.reason }));
  },
};
