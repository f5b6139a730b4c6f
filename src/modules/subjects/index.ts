/**
 * The subjects module's public surface: people and their values. Code outside the module uses
 * only what is exported here; writing without authorising (`applyChanges`) is not among it.
 */
export type { FieldValue } from './field-types.ts';
export type { AccessCopy, AccessCopyRequest, RequestsOfPerson } from './present-access-copy.ts';
export { createSealPool, type SealPool } from './seal-pool.ts';
export type { CategoryValues, ValuesInput } from './subject-codec.ts';
export type { NewSubjectRow } from './subjects.repo.ts';
export { subjectsRoutes } from './subjects.routes.ts';
export {
  createSubjectsService,
  type HistoryEntry,
  type SubjectsDeps,
  type SubjectsService,
  type SubjectView,
} from './subjects.service.ts';
export type { BulkBatch, BulkResult } from './use-cases/bulk-write.ts';
export { STOP_REASONS, type StopReason } from './subjects.repo.ts';
export type { StopInput, StopResult, StopsOfPerson } from './use-cases/stop-processing.ts';
export type { AudienceMember, AudienceQuery } from './use-cases/audience.ts';
export { addressIsPrimary } from './use-cases/audience.ts';
export type { OpenedCategories } from './subject-codec.ts';
export type { SelfChange } from './use-cases/rectify-by-subject.ts';
export type { ContactLang, PersonContact } from './use-cases/recipients-contact.ts';
export { subjectEvents } from './events.ts';
export { erasureEvents } from './erasure-events.ts';
export type { HeldListing } from './holds.ts';
export {
  buildAccessPackage,
  buildAccessPdf,
  portableCopy,
  type AccessPackageOptions,
} from './access-package/build.ts';
export { PACKAGE_LANGS, type PackageLang } from './access-package/messages.ts';
export type {
  CandidateBound,
  ExpireOutcome,
  ExpiryDecision,
  RetentionFacts,
} from './use-cases/expire.ts';
// The access copy's neutral document, its words and its PDF renderer: the privacy notice
// (src/modules/notice) is set with the same fonts and terms.
export type { AccessDocument, Block } from './access-package/document.ts';
export { renderPdf } from './access-package/pdf.ts';
export {
  formatDuration,
  packageMessages,
  type PackageMessages,
} from './access-package/messages.ts';
export { showable } from './access-package/text.ts';
