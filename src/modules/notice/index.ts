/**
 * The privacy notice (GDPR Art. 13 and 14) and the records of processing (Art. 30), generated
 * from the register definition in sv, fi and en; the completeness check `rekisteri check` reports.
 * Code outside the module uses only what is exported here.
 */
export { NOTICE_ITEMS, noticeGaps, type NoticeGap } from './items.ts';
export { NOTICE_LANGS, type NoticeLang } from './messages.ts';
export {
  completenessOf,
  createNoticeService,
  NOTICE_FORMATS,
  RECORD_FORMATS,
  type Completeness,
  type NoticeFormat,
  type NoticeService,
  type RecordFormat,
  type Rendered,
} from './notice.service.ts';
export { noticePages, noticeRoutes, noticeStaffRoutes } from './notice.routes.ts';
export { CONTROLLER_COLUMNS, PROCESSOR_COLUMNS, RECORD_ROLES, type RecordRole } from './records.ts';
export { noticeEvents } from './events.ts';
export {
  articlesOf,
  checkRegister,
  checkText,
  refusedFindings,
  registerWarnings,
  transfersOf,
  VOID_MECHANISMS,
  type CheckReport,
  type Finding,
  type TransferView,
} from './findings.ts';
export { definitionCheckRoutes } from './check.routes.ts';
export {
  createNoticeVersions,
  diffMaterial,
  materialOf,
  MATERIAL_SECTIONS,
  noticeInForce,
  type MaterialChange,
  type NoticeVersion,
  type NoticeVersionsService,
  type VersionsStatus,
} from './versions.ts';
export {
  createNoticeAnnouncements,
  type Announcement,
  type NoticeAnnouncements,
} from './announce.ts';
