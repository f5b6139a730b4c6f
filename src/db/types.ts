/** Table types for Kysely. Keep in step with migrations/. */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Bytes = ColumnType<Buffer, Buffer | Uint8Array, Buffer | Uint8Array>;

export interface SettingsTable {
  key: string;
  value: string;
}

export interface SubjectsTable {
  id: string;
  email_index: string | null;
  phone_index: string | null;
  blind_index: ColumnType<string[], string[] | undefined, string[]>;
  restricted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  restriction_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  erased_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** A held record (an erasure's legal hold): the one purpose it is readable for. */
  held_purpose: ColumnType<string | null, string | null | undefined, string | null>;
  /** A held record's last day (YYYY-MM-DD); shredded after it. */
  held_until: ColumnType<string | null, string | null | undefined, string | null>;
  held_holds: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
  /** A held record: the erased person it was taken from. */
  erased_from: ColumnType<string | null, string | null | undefined, string | null>;
}

/** After an erasure: the keyed blind index of an e-mail address or phone number, nothing else. */
export interface SuppressionTable {
  kind: 'email' | 'phone';
  index_value: string;
  suppressed_at: ColumnType<Date, Date | string, never>;
  reason: string;
  /** HMAC-SHA256 (hex) of the normalised address under the interchange key; null before 0022. */
  share_hash: ColumnType<string | null, string | null | undefined, never>;
}

/** Prohibition-list and undeliverable addresses, as blind indexes (0022, docs/interchange.md). */
export interface AddressListsTable {
  list: 'prohibition' | 'undeliverable';
  kind: 'email' | 'phone';
  index_value: string;
  listed_at: ColumnType<Date, Date | string, never>;
  source: string;
  share_hash: string | null;
}

/** Where each field of a category row came from; no personal data. */
export interface FieldMeta {
  source: string;
  purpose: string;
  collectedAt: string;
}

export interface SubjectValuesTable {
  subject_id: string;
  category: string;
  sealed: Bytes;
  source: string;
  purpose: string;
  collected_at: ColumnType<Date, Date | string, Date | string>;
  field_meta: ColumnType<Record<string, FieldMeta> | null, string | null, string | null>;
  /** Incremented on every write; bound into the sealed value's associated data. */
  version: ColumnType<number, number | undefined, number>;
  updated_at: Timestamp;
}

export interface SubjectHistoryTable {
  subject_id: string;
  id: Generated<string>;
  category: string;
  field: string;
  sealed_change: Bytes;
  purpose: string;
  source: string;
  actor: string;
  changed_at: Timestamp;
}

/** Retention events of a person (migration 0027, src/modules/retention). */
/** A category a legal hold keeps in place, readable only for `purpose` (migration 0030). */
export interface SubjectCategoryHoldsTable {
  subject_id: string;
  category: string;
  purpose: string;
}

export interface SubjectRetentionTable {
  subject_id: string;
  relationship_ended_at: ColumnType<
    Date | null,
    Date | string | null | undefined,
    Date | string | null
  >;
  last_activity_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The purpose that ended the relationship (null: before migration 0038, or not ended). */
  relationship_ended_by: ColumnType<string | null, string | null | undefined, string | null>;
  /**
   * When the person's data were first written under a relationship purpose, or their relationship
   * ended (migration 0046; people stored before it count from the upgrade). Never cleared.
   */
  related_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** A purpose stopped for one person, and why (migration 0015). */
export interface SubjectStopsTable {
  subject_id: string;
  purpose: string;
  reason: 'objection' | 'consent_withdrawal' | 'marketing_prohibition';
  since: ColumnType<Date, Date | string, Date | string>;
}

/** Compelling grounds recorded to go on after an objection; the reason sealed (migration 0015). */
export interface SubjectCompellingGroundsTable {
  subject_id: string;
  purpose: string;
  since: ColumnType<Date, Date | string, Date | string>;
  sealed_reason: Bytes;
  recorded_by: string;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  secret_hash: Bytes;
  purposes: string[];
  actions: string[];
  created_at: Timestamp;
  created_by: string;
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface ImportRunsTable {
  id: string;
  file_name: string;
  started_at: Timestamp;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  lines_committed: ColumnType<string, number | string | undefined, number | string>;
  created: ColumnType<string, number | string | undefined, number | string>;
  merged: ColumnType<string, number | string | undefined, number | string>;
  skipped: ColumnType<string, number | string | undefined, number | string>;
  rejected: ColumnType<string, number | string | undefined, number | string>;
}

export interface ImportRejectionsTable {
  run_id: string;
  line: ColumnType<string, number | string, number | string>;
  reason: string;
}

export interface AuditEventsTable {
  id: Generated<string>;
  at: Timestamp;
  actor_kind: string;
  actor_id: string;
  role: string | null;
  purpose: string | null;
  subject_id: string | null;
  action: string;
  categories: ColumnType<string[], string[] | undefined, never>;
  fields: ColumnType<string[], string[] | undefined, never>;
  outcome: string;
  request_id: string | null;
  /** Free text of events from before structured data (migration 0009); null on newer events. */
  detail: string | null;
  /** The event's structured data, of its declaration's schema; null on events from before. */
  data: ColumnType<Record<string, unknown> | null, string | null | undefined, never>;
  xid: ColumnType<string, never, never>;
  /** Nonce (16 bytes) and HMAC-SHA256 (32) by the application; null on events from before it. */
  mac: Bytes | null;
}

export interface AuditChainTable {
  seq: string;
  event_id: string;
  hash: Bytes;
  sealed_at: Timestamp;
}

type NullableTime = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface StaffTable {
  id: string;
  username: string;
  display_name: string;
  role: string;
  password_hash: string;
  totp_secret: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>;
  totp_enabled: ColumnType<boolean, boolean | undefined, boolean>;
  totp_last_step: ColumnType<string, string | number | undefined, string | number>;
  recovery_codes: ColumnType<string[], string[] | undefined, string[]>;
  failed_logins: ColumnType<number, number | undefined, number>;
  locked_until: NullableTime;
  created_at: Timestamp;
  updated_at: Timestamp;
  disabled_at: NullableTime;
  must_change_password: ColumnType<boolean, boolean | undefined, boolean>;
  /** Where the requests digest goes (0017); null: none given. */
  email: ColumnType<string | null, string | null | undefined, string | null>;
  /** The language of mail to the staff member: sv, fi or en (0017); null: not known. */
  lang: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface StaffSessionsTable {
  id_hash: Bytes;
  staff_id: string;
  csrf_token: string;
  mfa_passed: boolean;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
}

export interface ErasureJournalTable {
  seq: Generated<string>;
  subject_id: string;
  erased_at: ColumnType<Date, Date | string, never>;
  reason: string;
}

/** The jobs runner's queue (src/jobs); payloads are ids, never personal data. */
export interface JobsTable {
  id: Generated<string>;
  name: string;
  payload: ColumnType<unknown, string, string>;
  state: ColumnType<
    'queued' | 'running' | 'failed',
    'queued' | undefined,
    'queued' | 'running' | 'failed'
  >;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: number;
  run_at: Timestamp;
  locked_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  locked_by: string | null;
  last_error: string | null;
  created_at: Timestamp;
}

export interface JobSchedulesTable {
  name: string;
  last_slot: ColumnType<string, string | number, string | number>;
  ran_at: Timestamp;
}

/** Mail waiting for delivery (src/mail): the recipient and the data sealed. */
export interface OutboxTable {
  id: string;
  template: string;
  locale: string;
  sealed: Bytes;
  /** Whether a delivery job was queued for it (false while no SMTP server is configured). */
  queued: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Timestamp;
  /** The person the mail is to, sealed under their key; null for an address tied to no one. */
  subject_id: string | null;
  /** The row is removed at this time, delivered or not. */
  expires_at: ColumnType<Date, Date, Date>;
  /** Sealed under a key of its own in the key store (named by the row's id), destroyed with it. */
  own_key: ColumnType<boolean, boolean | undefined, boolean>;
}

/** A request rate-limit counter (src/http/rate-limit); the key only as an HMAC. */
export interface RateLimitsTable {
  key_hash: Bytes;
  hits: number;
  resets_at: ColumnType<Date, Date, Date>;
}

/** A data subject's request (src/modules/requests); its personal data sealed under its own key. */
export interface RequestsTable {
  id: string;
  type: string;
  state: string;
  extended: ColumnType<boolean, boolean | undefined, boolean>;
  channel: string;
  lang: string;
  subject_id: string | null;
  email_index: string | null;
  phone_index: string | null;
  sealed: Bytes;
  received_at: Timestamp;
  identity_proven_at: NullableTime;
  /** A calendar date, read as `YYYY-MM-DD` text. */
  due_on: ColumnType<string | null, string | null | undefined, string | null>;
  original_due_on: ColumnType<string | null, string | null | undefined, string | null>;
  closed_at: NullableTime;
  identity_proof: string | null;
  identity_document: string | null;
  identity_checked_by: string | null;
  download_until: NullableTime;
  /** Set while one handler's completion is running (a claim; 0016). */
  completing_since: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Access, portability without e-mail: how the copy is to reach the person (0024). */
  delivery_how: ColumnType<string | null, string | null | undefined, string | null>;
  delivered_how: ColumnType<string | null, string | null | undefined, string | null>;
  /** A calendar date, read as `YYYY-MM-DD` text. */
  delivered_on: ColumnType<string | null, string | null | undefined, string | null>;
  delivered_by: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One step of a request's history; data never personal. */
export interface RequestEventsTable {
  request_id: string;
  seq: number;
  at: Timestamp;
  step: string;
  actor: string;
  data: ColumnType<Record<string, unknown>, string | undefined, never>;
}

/** When and how a recipient of the person's data was told (Art. 19). */
export interface RequestRecipientsTable {
  request_id: string;
  recipient_id: string;
  told_at: Timestamp;
  how: string;
  recorded_by: string;
  recorded_at: Timestamp;
}

/** A letter to send to a person whose request gives no e-mail address (migration 0023). */
export interface RequestLettersTable {
  id: string;
  request_id: string;
  template: string;
  lang: string;
  sealed: Bytes;
  sealed_with: string;
  has_address: boolean;
  due_at: Timestamp;
  sent_how: string | null;
  /** A calendar date, read as `YYYY-MM-DD` text. */
  sent_on: ColumnType<string | null, string | null | undefined, string | null>;
  sent_by: string | null;
  sent_recorded_at: NullableTime;
  /** Closed without being sent (0024): `shredded`, `expired`; its text dropped. */
  closed_why: ColumnType<string | null, string | null | undefined, string | null>;
  closed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** A campaign (0026, docs/campaigns.md): marketing copy and state, no personal data. */
export interface CampaignsTable {
  id: string;
  name: string;
  purpose: string;
  channel: string;
  filters: ColumnType<unknown, string, string>;
  content: ColumnType<unknown, string, string>;
  sender: ColumnType<unknown, string | null, string | null>;
  state: 'draft' | 'starting' | 'sending' | 'paused' | 'cancelled' | 'finished';
  generation: ColumnType<number, number | undefined, number>;
  created_by: string;
  created_at: Timestamp;
  started_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  finished_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  updated_at: Timestamp;
  /** The campaign's own mails per minute (0031), at most CAMPAIGN_SEND_RATE; null: that rate. */
  rate_per_minute: ColumnType<number | null, number | null | undefined, number | null>;
  /** The start that holds a `starting` campaign (0037), and when it last renewed its claim. */
  start_token: ColumnType<string | null, string | null | undefined, string | null>;
  start_claimed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Why the campaign stopped by itself (0037): its send job gave up. */
  reason: ColumnType<string | null, string | null | undefined, string | null>;
}

/** One person of a campaign: what became of their mail (0026). */
export interface CampaignSendsTable {
  campaign_id: string;
  subject_id: string;
  state:
    'queued' | 'sending' | 'sent' | 'skipped' | 'failed' | 'uncertain' | 'bounced' | 'complained';
  reason: string | null;
  locale: string | null;
  message_id: string | null;
  recipient_index: string | null;
  updated_at: Timestamp;
  /** When the mail began to be handed to the SMTP server (0031), committed before it was. */
  attempted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** How many times the person's mail was deferred by their server (0037). */
  attempts: ColumnType<number, number | undefined, number>;
  /** A deferred person is not tried again before this (0037). */
  not_before: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** What staff did about a campaign mail (0040): append-only. */
export interface CampaignSendEventsTable {
  id: string;
  campaign_id: string;
  subject_id: string;
  action: 'marked_sent' | 'marked_failed' | 'requeued' | 'bounce_lifted' | 'bounced' | 'complained';
  from_state: string;
  to_state: string;
  previous_reason: string | null;
  message_id: string | null;
  recipient_index: string | null;
  reason: string;
  actor: string;
  at: Timestamp;
}

/**
 * A bounce of an erased person's mail (a late one, or one reported after the erasure), without
 * the person (migration 0045).
 */
export interface CampaignBouncesTable {
  recipient_index: string;
  at: Timestamp;
}

/** A published version of the privacy notice (migration 0028). */
export interface NoticeVersionsTable {
  version: number;
  /** A calendar date, read as `YYYY-MM-DD` text. */
  notice_date: ColumnType<string, string, never>;
  published_at: ColumnType<Date, Date, never>;
  published_by: string;
  digest: string;
  definition: ColumnType<unknown, string, never>;
  notice: ColumnType<unknown, string, never>;
}

/** A run of telling people of a version of the notice (migration 0032). */
export interface NoticeAnnouncementsTable {
  id: string;
  version: number;
  started_at: ColumnType<Date, Date, never>;
  started_by: string;
  finished_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  eligible: ColumnType<string, number, never>;
  mailed: ColumnType<string, number | undefined, number>;
  /** The last person's id the batches are done with. */
  after_subject: ColumnType<string | null, string | null | undefined, string | null>;
  /** The version whose notice the mail lists the changes since (migration 0039). */
  since_version: ColumnType<number | null, number | null | undefined, never>;
  /** People whose mail was refused and who were skipped (migration 0039). */
  skipped: ColumnType<string, number | undefined, number>;
  /** When its job gave up: the run is over without having told everyone (migration 0039). */
  failed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** A person mailed of a version of the notice: once per version (migration 0032). */
export interface NoticeAnnouncedTable {
  version: number;
  subject_id: string;
  announcement_id: string;
  mailed_at: ColumnType<Date, Date, never>;
}

export interface Database {
  campaigns: CampaignsTable;
  campaign_sends: CampaignSendsTable;
  campaign_send_events: CampaignSendEventsTable;
  campaign_bounces: CampaignBouncesTable;
  notice_versions: NoticeVersionsTable;
  notice_announcements: NoticeAnnouncementsTable;
  notice_announced: NoticeAnnouncedTable;
  requests: RequestsTable;
  request_letters: RequestLettersTable;
  request_events: RequestEventsTable;
  request_recipients: RequestRecipientsTable;
  rate_limits: RateLimitsTable;
  jobs: JobsTable;
  job_schedules: JobSchedulesTable;
  outbox: OutboxTable;
  erasure_journal: ErasureJournalTable;
  suppression: SuppressionTable;
  address_lists: AddressListsTable;
  staff: StaffTable;
  staff_sessions: StaffSessionsTable;
  audit_events: AuditEventsTable;
  audit_chain: AuditChainTable;
  settings: SettingsTable;
  subjects: SubjectsTable;
  subject_values: SubjectValuesTable;
  subject_history: SubjectHistoryTable;
  subject_stops: SubjectStopsTable;
  subject_retention: SubjectRetentionTable;
  subject_category_holds: SubjectCategoryHoldsTable;
  subject_compelling_grounds: SubjectCompellingGroundsTable;
  api_keys: ApiKeysTable;
  import_runs: ImportRunsTable;
  import_rejections: ImportRejectionsTable;
  request_tokens: RequestTokensTable;
  permission_states: PermissionStatesTable;
  permission_history: PermissionHistoryTable;
  permission_wordings: PermissionWordingsTable;
  permission_links: PermissionLinksTable;
}

/** The permission ledger (src/modules/permissions/): what a person allows, per kind and channel. */
export type PermissionStateValue = 'granted' | 'refused' | 'withdrawn' | 'objected' | 'pending';

export interface PermissionStatesTable {
  subject_id: string;
  kind: string;
  /** A channel id of the definition, or `*` for the kind as a whole. */
  channel: string;
  state: PermissionStateValue;
  changed_at: ColumnType<Date, Date | string, Date | string>;
  history_id: ColumnType<string, string | number, string | number>;
}

/** Append-only (a trigger refuses UPDATE, and DELETE unless the person is erased). */
export interface PermissionHistoryTable {
  subject_id: string;
  id: Generated<string>;
  kind: string;
  channel: string;
  state: PermissionStateValue;
  previous_state: PermissionStateValue | null;
  given_at: ColumnType<Date, Date | string, never>;
  recorded_at: ColumnType<Date, Date | string, never>;
  method: string;
  notice_version: string | null;
  wording_id: string | null;
  reference: string | null;
  actor: string;
}

/** The texts shown when permission was asked, once each by SHA-256; not personal data. */
export interface PermissionWordingsTable {
  id: string;
  language: string;
  text: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

/** A portal link's token (src/modules/requests/tokens.repo.ts): only its SHA-256 is kept. */
export interface RequestTokensTable {
  token_hash: Bytes;
  request_id: string;
  kind: 'verify' | 'download';
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** The preference page's and double opt-in's links, and person sessions (migration 0020). */
export interface PermissionLinksTable {
  token_hash: Bytes;
  kind: 'manage' | 'confirm' | 'session';
  /** Null for a sign-up not yet confirmed (migration 0025): no person until it is. */
  subject_id: string | null;
  data: ColumnType<unknown, string | null | undefined, string | null>;
  /** A pending sign-up's address, sealed (vault.sealSecret, 'permission-signup:v1'). */
  email_sealed: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>;
  /** Its keyed hash (vault.rateLimitHash): no second confirmation within a window. */
  email_key: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}
