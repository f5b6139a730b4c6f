/**
 * Every access-log event the application writes, from the modules' own declarations: the access
 * log refuses any other. A new module adds its `events` list here.
 */
import { mailEvents } from './mail/events.ts';
import { audienceEvents } from './modules/audiences/index.ts';
import { campaignEvents } from './modules/campaigns/index.ts';
import { apiKeyEvents } from './modules/apikeys/index.ts';
import { auditEvents } from './modules/audit/index.ts';
import { definitionEvents } from './modules/definition/index.ts';
import { interchangeEvents } from './modules/interchange/index.ts';
import { noticeEvents } from './modules/notice/index.ts';
import { permissionEvents } from './modules/permissions/index.ts';
import { portalEvents, requestEvents } from './modules/requests/index.ts';
import { retentionEvents } from './modules/retention/index.ts';
import { staffEvents } from './modules/staff/index.ts';
import { statisticsEvents } from './modules/statistics/index.ts';
import { erasureEvents, subjectEvents } from './modules/subjects/index.ts';

export const allAuditEvents = [
  ...auditEvents,
  ...staffEvents,
  ...apiKeyEvents,
  ...subjectEvents,
  ...erasureEvents,
  ...definitionEvents,
  ...mailEvents,
  ...requestEvents,
  ...portalEvents,
  ...permissionEvents,
  ...interchangeEvents,
  ...audienceEvents,
  ...campaignEvents,
  ...retentionEvents,
  ...noticeEvents,
  ...statisticsEvents,
] as const;
