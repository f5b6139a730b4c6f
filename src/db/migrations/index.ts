/** Migrations, indexed statically so bundling and tests need no file-system scan. */
import type { Migration } from 'kysely';
import * as m0001 from './0001_core.ts';
import * as m0002 from './0002_audit.ts';
import * as m0003 from './0003_staff.ts';
import * as m0004 from './0004_audit_mac.ts';
import * as m0005 from './0005_password_change.ts';
import * as m0006 from './0006_value_version.ts';
import * as m0007 from './0007_erasure_journal.ts';
import * as m0008 from './0008_jobs_outbox.ts';
import * as m0009 from './0009_audit_data.ts';
import * as m0010 from './0010_rate_limits.ts';
import * as m0011 from './0011_outbox_subject_expiry.ts';
import * as m0012 from './0012_requests.ts';
import * as m0013 from './0013_request_tokens.ts';
import * as m0014 from './0014_holds_suppression.ts';
import * as m0015 from './0015_subject_stops.ts';
import * as m0016 from './0016_request_claims.ts';
import * as m0017 from './0017_staff_contact.ts';
import * as m0018 from './0018_permissions.ts';
import * as m0020 from './0020_permission_links.ts';
import * as m0022 from './0022_address_lists.ts';
import * as m0023 from './0023_request_letters.ts';
import * as m0024 from './0024_request_delivery.ts';
import * as m0025 from './0025_permission_fixes.ts';
import * as m0026 from './0026_campaigns.ts';
import * as m0027 from './0027_retention.ts';
import * as m0028 from './0028_notice_versions.ts';
import * as m0029 from './0029_outbox_own_key.ts';
import * as m0030 from './0030_category_holds.ts';
import * as m0031 from './0031_campaign_delivery.ts';
import * as m0032 from './0032_notice_announcements.ts';
import * as m0037 from './0037_campaign_start_retry.ts';
import * as m0038 from './0038_relationship_ended_by.ts';
import * as m0039 from './0039_notice_announce_runs.ts';
import * as m0040 from './0040_campaign_send_events.ts';
import * as m0041 from './0041_campaign_send_event_indexes.ts';
import * as m0044 from './0044_campaign_send_late_reports.ts';
import * as m0045 from './0045_campaign_bounces.ts';
import * as m0046 from './0046_relationship_began.ts';

export const migrations: Record<string, Migration> = {
  '0001_core': m0001,
  '0002_audit': m0002,
  '0003_staff': m0003,
  '0004_audit_mac': m0004,
  '0005_password_change': m0005,
  '0006_value_version': m0006,
  '0007_erasure_journal': m0007,
  '0008_jobs_outbox': m0008,
  '0009_audit_data': m0009,
  '0010_rate_limits': m0010,
  '0011_outbox_subject_expiry': m0011,
  '0012_requests': m0012,
  '0013_request_tokens': m0013,
  '0014_holds_suppression': m0014,
  '0015_subject_stops': m0015,
  '0016_request_claims': m0016,
  '0017_staff_contact': m0017,
  '0018_permissions': m0018,
  '0020_permission_links': m0020,
  '0022_address_lists': m0022,
  '0023_request_letters': m0023,
  '0024_request_delivery': m0024,
  '0025_permission_fixes': m0025,
  '0026_campaigns': m0026,
  '0027_retention': m0027,
  '0028_notice_versions': m0028,
  '0029_outbox_own_key': m0029,
  '0030_category_holds': m0030,
  '0031_campaign_delivery': m0031,
  '0032_notice_announcements': m0032,
  '0037_campaign_start_retry': m0037,
  '0038_relationship_ended_by': m0038,
  '0039_notice_announce_runs': m0039,
  '0040_campaign_send_events': m0040,
  '0041_campaign_send_event_indexes': m0041,
  '0044_campaign_send_late_reports': m0044,
  '0045_campaign_bounces': m0045,
  '0046_relationship_began': m0046,
};
