/** The access log's public surface for code outside the module. */
export {
  AUDIT_ACTIONS,
  type AuditAction,
  type AuditEvent,
  type AuditService,
} from './audit.service.ts';
