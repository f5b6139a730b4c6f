/** The staff module's public surface (minimal here; the module-seams work completes it). */
export {
  createStaffService,
  type SessionInfo,
  type StaffService,
  type StaffView,
} from './staff.service.ts';
