/** Background work: declare jobs and schedules, queue jobs, run them (see docs/jobs-and-mail.md). */
export {
  defineJob,
  defineSchedule,
  describeError,
  JobError,
  type JobContext,
  type JobDefinition,
  type JobLogger,
  type RetryPolicy,
  type ScheduleContext,
  type ScheduledJob,
} from './define.ts';
export { enqueue } from './jobs.repo.ts';
export { createRunner, type Runner, type RunnerOptions } from './runner.ts';
