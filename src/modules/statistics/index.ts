/**
 * Anonymised statistics (docs/statistics.md): counts by category, purpose, source, permission
 * state and request, every group under 5 suppressed. Code outside the module uses only what is
 * exported here.
 */
export { statisticsEvents } from './events.ts';
export { statisticsRoutes } from './statistics.routes.ts';
export {
  createStatisticsService,
  statisticsCsv,
  STATISTICS_FORMATS,
  type PermissionCounts,
  type Statistics,
  type StatisticsFormat,
  type StatisticsService,
} from './statistics.service.ts';
export {
  MIN_GROUP,
  safeSum,
  suppressLinked,
  suppressOne,
  suppressOverlapping,
  suppressPartition,
  suppressTotal,
  type Shown,
} from './suppress.ts';
