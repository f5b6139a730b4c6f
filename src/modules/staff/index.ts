/** Staff accounts' and sessions' public surface: what code outside the module may use. */
export { staffEvents } from './events.ts';
export { createStaffRepo } from './staff.repo.ts';
export { staffRoutes } from './staff.routes.ts';
export {
  createStaffService,
  type SessionInfo,
  type StaffService,
  STAFF_LANGS,
  type StaffLang,
  type StaffView,
} from './staff.service.ts';
