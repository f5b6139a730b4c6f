/**
 * Plain-factory wiring: repos → services. No container, no singletons: each caller (server, CLI,
 * test) builds its own from its own database.
 */
import { allAuditEvents } from './audit-events.ts';
import type { DatabaseHandle } from './db/database.ts';
import { createRateLimitCounter } from './http/rate-limit/index.ts';
import type { Register } from './definition/register.ts';
import type { Clock } from './lib/clock.ts';
import { systemClock } from './lib/clock.ts';
import { createAuditRepo } from './modules/audit/audit.repo.ts';
import { fileAnchors } from './modules/audit/audit.anchors.ts';
import { createAuditService, type AuditLogger } from './modules/audit/audit.service.ts';
import { createApiKeysRepo } from './modules/apikeys/apikeys.repo.ts';
import { createApiKeysService } from './modules/apikeys/apikeys.service.ts';
import { createImportService } from './modules/imports/imports.service.ts';
import { createStaffRepo } from './modules/staff/staff.repo.ts';
import { createStaffService } from './modules/staff/staff.service.ts';
import { createSubjectsRepo } from './modules/subjects/subjects.repo.ts';
import { createSubjectsService } from './modules/subjects/subjects.service.ts';
import type { KeyStore } from './keystore/keystore.ts';
import type { RetryPolicy } from './jobs/index.ts';
import { createMailService } from './mail/index.ts';
import type { Vault } from './vault/vault.ts';

export function createServices(deps: {
  database: DatabaseHandle;
  /** Person keys and the erasure journal, in a database apart from the data. */
  keys: KeyStore;
  register: Register;
  vault: Vault;
  clock?: Clock;
  /** Given, imports seal on this many worker threads, with the vault's sealing keys only. */
  sealWorkers?: { size: number };
  /**
   * The access log's anchors outside the database (`<keystore>/audit-anchors.jsonl`), where the
   * sealer reports, and how often it anchors. Without a file the sealer remembers heads in memory.
   */
  audit?: { anchorFile?: string; logger?: AuditLogger; anchorIntervalMs?: number };
  /** The SMTP server and sender (without them mail waits in the outbox), and delivery retries. */
  mail?: {
    smtp?: { url: string; from: string } | undefined;
    retry?: Partial<RetryPolicy>;
    /** How long a mail stays in the outbox, delivered or not (MAIL_OUTBOX_TTL). */
    ttlMs?: number;
  };
}) {
  const { database, register, vault, keys } = deps;
  const clock = deps.clock ?? systemClock;
  const db = database.db;
  const audit = createAuditService({
    db,
    repo: createAuditRepo(),
    events: allAuditEvents,
    vault,
    clock,
    ...(deps.audit?.anchorFile ? { anchors: fileAnchors(deps.audit.anchorFile) } : {}),
    ...(deps.audit?.logger ? { logger: deps.audit.logger } : {}),
    ...(deps.audit?.anchorIntervalMs !== undefined
      ? { anchorIntervalMs: deps.audit.anchorIntervalMs }
      : {}),
  });
  const subjectsRepo = createSubjectsRepo(db);
  const subjects = createSubjectsService({
    db,
    keys,
    repo: subjectsRepo,
    register,
    vault,
    clock,
    audit,
  });
  const apiKeys = createApiKeysService({
    db,
    repo: createApiKeysRepo(),
    register,
    clock,
    audit,
  });
  const imports = createImportService({
    db,
    bulkTransaction: database.bulkTransaction,
    repo: subjectsRepo,
    keys,
    wrapKeyId: vault.wrapKeyId(),
    codec: subjects.codec,
    subjects,
    audit,
    clock,
    ...(deps.sealWorkers
      ? { sealWorkers: { size: deps.sealWorkers.size, definition: register.definition, vault } }
      : {}),
  });
  const staff = createStaffService({
    db,
    repo: createStaffRepo(),
    register,
    vault,
    audit,
    clock,
  });
  const mail = createMailService({
    db,
    vault,
    keys,
    audit,
    clock,
    smtp: deps.mail?.smtp,
    ...(deps.mail?.retry ? { retry: deps.mail.retry } : {}),
    ...(deps.mail?.ttlMs !== undefined ? { ttlMs: deps.mail.ttlMs } : {}),
  });
  // The request rate limits' counters, shared by the instances that share the database.
  const rateLimits = createRateLimitCounter({ db, vault, clock });
  return {
    register,
    vault,
    clock,
    keys,
    audit,
    subjects,
    apiKeys,
    imports,
    staff,
    mail,
    rateLimits,
  };
}

export type Services = ReturnType<typeof createServices>;
