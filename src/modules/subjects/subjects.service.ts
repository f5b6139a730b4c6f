/**
 * People and their values: the subjects service composes one use case per file (use-cases/)
 * around the access helper (access.ts). Every read names a purpose and returns only that
 * purpose's categories; every write names the purpose it collects for.
 */
import { createAccess, type SubjectsDeps, type UseCaseContext } from './access.ts';
import { subjectsRepo as repo } from './subjects.repo.ts';
import { createApplyChanges } from './use-cases/apply-changes.ts';
import { createBulkValues, createBulkWrite } from './use-cases/bulk-write.ts';
import { createCreateSubject } from './use-cases/create-subject.ts';
import {
  createEraseSubject,
  createReconcileErasures,
  createShredEndedHolds,
} from './use-cases/erase-subject.ts';
import { createExportSubject } from './use-cases/export-subject.ts';
import { createFindSubjects } from './use-cases/find-subjects.ts';
import { createReadSubject } from './use-cases/read-subject.ts';
import { createRectifySubject } from './use-cases/rectify-subject.ts';
import { createSetRestriction } from './use-cases/restrict-subject.ts';
import { createSubjectHistory } from './use-cases/subject-history.ts';
import { createIsSuppressed } from './use-cases/suppression.ts';

export type { HistoryEntry, SubjectsDeps, SubjectView } from './access.ts';

export function createSubjectsService(deps: SubjectsDeps) {
  const ctx: UseCaseContext = { ...deps, access: createAccess(deps) };
  // Writes without authorising: passed only to the use cases that authorise before calling it.
  const applyChanges = createApplyChanges(ctx);
  const getSubject = createReadSubject(ctx);

  return {
    createSubject: createCreateSubject(ctx),
    findSubjects: createFindSubjects(ctx),
    getSubject,
    updateSubject: createRectifySubject(ctx, applyChanges, getSubject),
    getHistory: createSubjectHistory(ctx),
    setRestriction: createSetRestriction(ctx),
    eraseSubject: createEraseSubject(ctx),
    reconcileErasures: createReconcileErasures(ctx),
    /** Shreds held records whose legal hold has ended (a daily job). */
    shredEndedHolds: createShredEndedHolds(ctx),
    exportSubject: createExportSubject(ctx),
    /** Whether an e-mail address or phone number belonged to an erased person (suppression list). */
    isSuppressed: createIsSuppressed(ctx),
    /** Checking and sealing for bulk writers (imports), before their batches are written. */
    bulkValues: createBulkValues(ctx),
    /** Writes one batch of people in a bulk transaction, for an actor authorised once per batch. */
    bulkWrite: createBulkWrite(ctx, applyChanges),
    countSubjects: () => repo.countLive(deps.db),
    ping: () => repo.ping(deps.db),
  };
}

export type SubjectsService = ReturnType<typeof createSubjectsService>;
