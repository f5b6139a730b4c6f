/**
 * Data subjects' requests: the module's public surface. Code outside the module uses only what
 * is exported here.
 */
export {
  addDays,
  addMonths,
  DEADLINE_TIME_ZONE,
  dueDate,
  easterSunday,
  extendedDueDate,
  finnishHolidays,
  helsinkiDate,
  isOverdue,
  isWorkingDay,
  nextWorkingDay,
} from './deadlines.ts';
export { requestEvents } from './events.ts';
export {
  CLOSED_STATES,
  DOCUMENT_TYPES,
  REQUEST_STATES,
  TOLD_HOW,
  type DocumentType,
  type IdentityInput,
  type RequestedChange,
  type RequestState,
  type RequestSummary,
  type RequestView,
  type SubmitInput,
  type ToldHow,
} from './model.ts';
export type { RequestRow } from './requests.repo.ts';
export { requestsRoutes } from './requests.routes.ts';
export {
  createRequestsService,
  DIGEST_DAYS,
  DOWNLOAD_DAYS,
  type CompleteBody,
  type RequestFilterInput,
  type RequestsDeps,
  type RequestsPorts,
  type RequestsService,
} from './requests.service.ts';
export {
  createPortalService,
  portalActor,
  type PortalDeps,
  type PortalPorts,
  type PortalService,
} from './portal.service.ts';
export { portalEvents } from './portal.events.ts';
export { portalRoutes } from './portal.routes.ts';
export { TOKEN_LIFETIME_MS } from './tokens.ts';
