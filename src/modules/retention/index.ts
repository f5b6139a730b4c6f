/**
 * Retention (docs/retention.md): events, expiry dates, the plan and the sweep. Code outside the
 * module uses only what is exported here.
 */
export { retentionEvents } from './events.ts';
export { retentionRoutes } from './retention.routes.ts';
export {
  createRetentionService,
  type RetentionPlan,
  type RetentionService,
  type SubjectRetention,
  type SweepResult,
} from './retention.service.ts';
export { addDuration, expiryOf, financialYearEndOf, type CategoryExpiry } from './rules.ts';
