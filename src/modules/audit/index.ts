/** The access log's public surface. */
export {
  AUDIT_LANGS,
  auditData,
  canonicalJson,
  createAuditEventRegistry,
  defineAuditEvent,
  sampleAuditData,
  type AnyAuditEventDefinition,
  type AuditAction,
  type AuditData,
  type AuditEventDefinition,
  type AuditEventMap,
  type AuditEventRegistry,
  type AuditEventTypes,
  type AuditLang,
} from './define-event.ts';
export { auditEvents } from './events.ts';
export type { AuditEvent, AuditService } from './audit.service.ts';
