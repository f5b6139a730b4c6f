/** The access log's public surface: what code outside the module may use. */
export { fileAnchors, type AnchorStore } from './audit.anchors.ts';
export { createAuditRepo } from './audit.repo.ts';
export { auditRoutes } from './audit.routes.ts';
export {
  AUDIT_ACTIONS,
  createAuditService,
  type AuditAction,
  type AuditEvent,
  type AuditLogger,
  type AuditService,
} from './audit.service.ts';
