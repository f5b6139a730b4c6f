/** The staff module's public surface. */
export { staffEvents } from './events.ts';
export {
  createStaffService,
  type SessionInfo,
  type StaffService,
  type StaffView,
} from './staff.service.ts';
