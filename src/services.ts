/**
 * Plain-factory wiring: repos → services. No container, no singletons: each caller (server, CLI,
 * test) builds its own from its own database.
 */
import { allAuditEvents } from './audit-events.ts';
import type { DatabaseHandle } from './db/database.ts';
import { createRateLimitCounter } from './http/rate-limit/index.ts';
import type { Register } from './modules/definition/index.ts';
import type { Clock } from './lib/clock.ts';
import { systemClock } from './lib/clock.ts';
import {
  createAuditRepo,
  createAuditService,
  fileAnchors,
  type AuditLogger,
} from './modules/audit/index.ts';
import { createAudiencesService } from './modules/audiences/index.ts';
import { createCampaignsService } from './modules/campaigns/index.ts';
import { createApiKeysRepo, createApiKeysService } from './modules/apikeys/index.ts';
import { createImportService } from './modules/imports/index.ts';
import {
  createPermissionsService,
  createPreferencesService,
  createUnsubscribeLinks,
} from './modules/permissions/index.ts';
import {
  createPortalService,
  createRequestsService,
  portalActor,
} from './modules/requests/index.ts';
import { system } from './lib/actor.ts';
import { createInterchangeService } from './modules/interchange/index.ts';
import { createRetentionService } from './modules/retention/index.ts';
import {
  createNoticeAnnouncements,
  createNoticeService,
  createNoticeVersions,
  noticeInForce,
} from './modules/notice/index.ts';
import { createStaffRepo, createStaffService } from './modules/staff/index.ts';
import { createStatisticsService } from './modules/statistics/index.ts';
import {
  buildAccessPackage,
  buildAccessPdf,
  createSubjectsService,
} from './modules/subjects/index.ts';
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
  /** Where people reach the portal, for links in mail (PUBLIC_URL); no trailing slash. */
  publicUrl?: string;
  /** The SMTP server and sender (without them mail waits in the outbox), and delivery retries. */
  mail?: {
    smtp?: { url: string; from: string } | undefined;
    retry?: Partial<RetryPolicy>;
    /** How long a mail stays in the outbox, delivered or not (MAIL_OUTBOX_TTL). */
    ttlMs?: number;
  };
  /** Campaigns: mails per minute at most (CAMPAIGN_SEND_RATE), and the batch window. */
  campaigns?: {
    ratePerMinute?: number;
    windowMs?: number;
    deferMs?: number;
    recipientAttempts?: number;
    startStaleMs?: number;
  };
  /** People per batch when telling people of a notice change (default 500; tests use fewer). */
  noticeAnnounceBatch?: number;
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
  const subjects = createSubjectsService({
    db,
    keys,
    register,
    vault,
    clock,
    audit,
    // The requests module depends on subjects; the access copy asks it for the person's requests
    // through this function (`requests` is made below, before anything can export).
    requestsOf: (subjectId) => requests.requestsForCopy(subjectId),
  });
  // The permission ledger and the permission check (docs/permissions.md).
  const permissions = createPermissionsService({
    db,
    register,
    audit,
    clock,
    publicUrl: deps.publicUrl ?? DEFAULT_PUBLIC_URL,
    // Each change records the published privacy notice in force when it was given.
    noticeInForce,
  });
  // The links every marketing mail and audience row carries (RFC 8058; unsubscribe-links.ts).
  const unsubscribeLinks = createUnsubscribeLinks({
    vault,
    publicUrl: deps.publicUrl ?? DEFAULT_PUBLIC_URL,
  });
  // Audiences: who a marketing purpose may reach on a channel now, counted and exported as CSV,
  // each row with the person's unsubscribe link.
  const audiences = createAudiencesService({
    subjects,
    register,
    audit,
    unsubscribeUrls: (target) => unsubscribeLinks.urls(target),
    unsubscribeRefusal: () =>
      unsubscribeLinks.refusal('an audience cannot be exported with unsubscribe links'),
  });
  const apiKeys = createApiKeysService({ db, repo: createApiKeysRepo(), register, clock, audit });
  const imports = createImportService({
    db,
    bulkTransaction: database.bulkTransaction,
    subjects,
    clock,
    ...(deps.sealWorkers
      ? { sealWorkers: { size: deps.sealWorkers.size, definition: register.definition, vault } }
      : {}),
  });
  // Audience lists of e-mail services, prohibition lists, the suppression export (docs/interchange.md).
  const interchange = createInterchangeService({
    db,
    register,
    vault,
    subjects,
    permissions,
    audit,
    clock,
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
    purposes: register.definition.purposes.map((p) => p.id),
  });
  // Campaigns: marketing mail sent by the register itself, each person checked at send time.
  const campaigns = createCampaignsService({
    db,
    register,
    audit,
    clock,
    vault,
    audiences,
    subjects,
    permissions,
    mail,
    unsubscribeLinks,
    publicUrl: deps.publicUrl ?? DEFAULT_PUBLIC_URL,
    ...(deps.campaigns?.ratePerMinute !== undefined
      ? { ratePerMinute: deps.campaigns.ratePerMinute }
      : {}),
    ...(deps.campaigns?.windowMs !== undefined ? { windowMs: deps.campaigns.windowMs } : {}),
    ...(deps.campaigns?.deferMs !== undefined ? { deferMs: deps.campaigns.deferMs } : {}),
    ...(deps.campaigns?.recipientAttempts !== undefined
      ? { recipientAttempts: deps.campaigns.recipientAttempts }
      : {}),
    ...(deps.campaigns?.startStaleMs !== undefined
      ? { startStaleMs: deps.campaigns.startStaleMs }
      : {}),
  });
  const requests = createRequestsService({
    db,
    publicUrl: deps.publicUrl ?? DEFAULT_PUBLIC_URL,
    keys,
    vault,
    audit,
    mail,
    register,
    clock,
    subjects,
    ports: {
      // A completed objection, consent withdrawal or marketing prohibition stops the purposes and
      // records the change in the permission ledger, with the request as its evidence.
      stopProcessing: async (actor, subjectId, { request, ...input }) => {
        const result = await subjects.stopProcessing(actor, subjectId, input);
        await permissions.recordStop(actor, subjectId, {
          reason: input.reason,
          purposes: result.stopped,
          ...(request ? { reference: request } : {}),
        });
        return result;
      },
      recipientsOf: subjects.recipientsOf,
      // A copy printed for a request without e-mail, posted or handed over.
      buildAccessPackage,
      buildAccessPdf,
    },
    // The daily digest goes to the staff who handle requests, each in their language.
    handlers: () => staff.requestHandlers(),
  });
  // The public portal's side of requests: intake by a mailed link, its verification, downloads.
  const portal = createPortalService({
    db,
    clock,
    register,
    audit,
    mail,
    requests,
    subjects,
    ports: { rectifyBySubject: subjects.rectifyBySubject, buildAccessPackage },
    keys,
    vault,
    publicUrl: deps.publicUrl ?? DEFAULT_PUBLIC_URL,
  });
  // The person's own side of the ledger in the portal: unsubscribe, preference page, sign-up.
  const preferences = createPreferencesService({
    db,
    vault,
    clock,
    register,
    permissions,
    mail,
    publicUrl: deps.publicUrl ?? DEFAULT_PUBLIC_URL,
    unsubscribe: unsubscribeLinks,
    ports: {
      // Not the requests' matching: a person a legal hold keeps for other purposes is not found.
      findByEmail: (email) => subjects.matchForMarketing(portalActor, { email }),
      isKeptByHold: (email) => subjects.addressKeptFromMarketing(portalActor, { email }),
      isSuppressed: (email) => subjects.isSuppressed(db, { email }),
      createPerson: async ({ email, purpose }) =>
        (
          await subjects.createSubject(system, {
            purpose,
            source: 'subject',
            values: { contact: { email } },
          })
        ).id,
    },
  });
  // Retention: relationship ends, last activity, the plan and the daily sweep (docs/retention.md).
  const retention = createRetentionService({ db, register, subjects, audit, clock });
  // The request rate limits' counters, shared by the instances that share the database.
  const rateLimits = createRateLimitCounter({ db, vault, clock });
  const notice = createNoticeService({
    register,
    publicUrl: deps.publicUrl ?? DEFAULT_PUBLIC_URL,
  });
  const noticeVersions = createNoticeVersions({
    db,
    register,
    audit,
    clock,
    markdown: async (lang) => (await notice.render(lang, 'md')).body.toString(),
  });
  // Telling people of a material change of the notice, by mail through the outbox.
  const noticeAnnouncements = createNoticeAnnouncements({
    db,
    register,
    audit,
    clock,
    versions: noticeVersions,
    mail,
    contactOf: subjects.contactOf,
    publicUrl: deps.publicUrl ?? DEFAULT_PUBLIC_URL,
    ...(deps.noticeAnnounceBatch !== undefined ? { batchSize: deps.noticeAnnounceBatch } : {}),
  });
  return {
    register,
    publicUrl: deps.publicUrl ?? DEFAULT_PUBLIC_URL,
    vault,
    clock,
    keys,
    audit,
    subjects,
    permissions,
    audiences,
    campaigns,
    unsubscribeLinks,
    apiKeys,
    imports,
    interchange,
    staff,
    mail,
    requests,
    portal,
    preferences,
    retention,
    // Anonymised statistics, every group under 5 suppressed (docs/statistics.md).
    statistics: createStatisticsService({ db, register, audit, clock }),
    rateLimits,
    // The privacy notice and the records of processing, made from the definition, and the
    // notice's published versions (docs/notice.md).
    notice,
    noticeVersions,
    noticeAnnouncements,
  };
}

/** Where the portal's mailed links point when PUBLIC_URL is not given (a server on this machine). */
export const DEFAULT_PUBLIC_URL = 'http://localhost:8080';

export type Services = ReturnType<typeof createServices>;
