/**
 * The permission ledger and the permission check: the module's public surface (docs/permissions.md).
 * Code outside the module uses only what is exported here.
 */
export {
  ANY_CHANNEL,
  CHECK_CODES,
  isNegative,
  NEGATIVE_STATES,
  PERMISSION_METHODS,
  PERMISSION_STATES,
  PERSON_METHODS,
  WORDING_LANGUAGES,
  type CheckCode,
  type ConsentReceipt,
  type CheckInput,
  type CheckResult,
  type PermissionChange,
  type PermissionEvidence,
  type PermissionHistoryEntry,
  type PermissionMethod,
  type PermissionState,
  type PermissionStateEntry,
  type RecordResult,
  type WordingLanguage,
} from './model.ts';
export {
  createPermissionsService,
  type PermissionsDeps,
  type PermissionsService,
} from './permissions.service.ts';
export { permissionsRoutes } from './permissions.routes.ts';
export { permissionEvents } from './events.ts';
export {
  createUnsubscribeLinks,
  UNSUBSCRIBE_TOKEN_PATTERN,
  type OpenedUnsubscribeToken,
  type UnsubscribeLinks,
  type UnsubscribeTarget,
} from './unsubscribe-links.ts';
