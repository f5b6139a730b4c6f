/** The access log's public surface: what code outside the module may use. */
export { fileAnchors, type AnchorStore } from './audit.anchors.ts';
export { createAuditRepo } from './audit.repo.ts';
export { auditRoutes } from './audit.routes.ts';
export {
  createAuditService,
  type AuditEvent,
  type AuditLogger,
  type AuditService,
} from './audit.service.ts';
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
