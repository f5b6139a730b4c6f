/**
 * People and their values: the subjects service composes one use case per file (use-cases/)
 * around the access helper (access.ts). Every read names a purpose and returns only that
 * purpose's categories; every write names the purpose it collects for.
 */
import { createAccess, type SubjectsDeps, type UseCaseContext } from './access.ts';
import { subjectsRepo as repo } from './subjects.repo.ts';
import { createAudience } from './use-cases/audience.ts';
import { createApplyChanges } from './use-cases/apply-changes.ts';
import { createBulkValues, createBulkWrite } from './use-cases/bulk-write.ts';
import { createCreateSubject } from './use-cases/create-subject.ts';
import {
  createEraseSubject,
  createReconcileErasures,
  createShredEndedHolds,
} from './use-cases/erase-subject.ts';
import { createRetentionData } from './use-cases/expire.ts';
import { createExportSubject } from './use-cases/export-subject.ts';
import { createFindSubjects } from './use-cases/find-subjects.ts';
import { createMatchForMarketing } from './use-cases/match-for-marketing.ts';
import { createMatchForRequest } from './use-cases/match-for-request.ts';
import { createReadSubject } from './use-cases/read-subject.ts';
import { createRectifyBySubject } from './use-cases/rectify-by-subject.ts';
import { createRecipientsAndContact } from './use-cases/recipients-contact.ts';
import { createRectifySubject } from './use-cases/rectify-subject.ts';
import { createSetRestriction } from './use-cases/restrict-subject.ts';
import { createStopProcessing } from './use-cases/stop-processing.ts';
import { createSubjectHistory } from './use-cases/subject-history.ts';
import { createIsSuppressed } from './use-cases/suppression.ts';

export type { HistoryEntry, SubjectsDeps, SubjectView } from './access.ts';

export function createSubjectsService(deps: SubjectsDeps) {
  const ctx: UseCaseContext = { ...deps, access: createAccess(deps) };
  // Writes without authorising: passed only to the use cases that authorise before calling it.
  const applyChanges = createApplyChanges(ctx);
  const getSubject = createReadSubject(ctx);
  const stops = createStopProcessing(ctx);
  const person = createRecipientsAndContact(ctx);
  const audiences = createAudience(ctx);
  const eraseSubject = createEraseSubject(ctx);

  return {
    createSubject: createCreateSubject(ctx),
    findSubjects: createFindSubjects(ctx),
    getSubject,
    ...createMatchForRequest(ctx),
    /** The portal's marketing side: only people the marketing purposes see by the address. */
    ...createMatchForMarketing(ctx),
    updateSubject: createRectifySubject(ctx, applyChanges, getSubject),
    getHistory: createSubjectHistory(ctx),
    setRestriction: createSetRestriction(ctx),
    /** Objection, consent withdrawal, marketing prohibition: purposes stopped for the person. */
    stopProcessing: stops.stopProcessing,
    /** Lifts the stops of one reason (new consent, an objection withdrawn). */
    resumeProcessing: stops.resumeProcessing,
    /** The person's stops and compelling grounds, for the request page. */
    stopsOf: stops.stopsOf,
    /** The person's own correction of self-editable fields (the portal). */
    rectifyBySubject: createRectifyBySubject(ctx, applyChanges),
    /** Recipients of the definition that receive a category the person has data in (Art. 19). */
    recipientsOf: person.recipientsOf,
    /** The person's e-mail, phone and preferred language, to write to them. */
    contactOf: person.contactOf,
    eraseSubject,
    /** Times retention decides by, and the deletion of what has expired (src/modules/retention). */
    retention: createRetentionData(ctx, eraseSubject),
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
    /** How many people a marketing purpose may reach on a channel now (docs/audiences.md). */
    countAudience: audiences.countAudience,
    /** Those people, page by page, opened for the categories asked for (docs/audiences.md). */
    audience: audiences.audience,
    countSubjects: () => repo.countLive(deps.db),
    ping: () => repo.ping(deps.db),
  };
}

export type SubjectsService = ReturnType<typeof createSubjectsService>;
