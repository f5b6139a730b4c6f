/**
 * The console's request queue without a browser: days left counted in Helsinki calendar days
 * (across month ends, a leap day and the change to summer time), and the queue's order — overdue
 * first, then due within seven days, then the rest, then those with no due date yet.
 */
import { describe, expect, it } from 'vitest';
import type { RequestSummary } from '../web/shared/api.ts';
import { daysLeft, helsinkiToday, queueOrder, urgency } from '../web/console/requests.ts';

const summary = (id: string, over: Partial<RequestSummary>): RequestSummary => ({
  id,
  type: 'access',
  state: 'in_progress',
  extended: false,
  channel: 'portal',
  lang: 'fi',
  subjectId: null,
  receivedAt: '2027-01-01T08:00:00.000Z',
  identityProvenAt: null,
  dueOn: null,
  originalDueOn: null,
  closedAt: null,
  overdue: false,
  lettersWaiting: 0,
  deliveryPending: false,
  ...over,
});

describe('a completed request whose printed copy is not yet delivered', () => {
  it('keeps its urgency in the queue until the delivery is recorded', () => {
    const today = '2027-03-10';
    const done = {
      state: 'completed' as const,
      dueOn: '2027-03-01',
      closedAt: '2027-02-20T08:00:00Z',
    };
    expect(urgency(summary('a', { ...done, deliveryPending: true }), today)).toBe('overdue');
    expect(urgency(summary('b', { ...done, deliveryPending: false }), today)).toBe('none');
  });
});

describe('days to a due date', () => {
  it('counts calendar days in Helsinki, not hours in the browser', () => {
    // 23:30 UTC on 31 January is already 1 February in Helsinki.
    expect(helsinkiToday(new Date('2027-01-31T23:30:00Z'))).toBe('2027-02-01');
    expect(daysLeft('2027-02-28', '2027-01-31')).toBe(28);
    expect(daysLeft('2028-02-29', '2028-01-31')).toBe(29);
    // Across the change to summer time (28 March 2027) a day is still one day.
    expect(daysLeft('2027-04-01', '2027-03-27')).toBe(5);
    expect(daysLeft('2027-03-01', '2027-03-03')).toBe(-2);
    expect(daysLeft('2027-03-03', '2027-03-03')).toBe(0);
  });
});

describe('the queue order', () => {
  const today = '2027-03-10';
  const items = [
    summary('later', { dueOn: '2027-04-09' }),
    summary('no-due', { state: 'identity_pending' }),
    summary('soon-2', { dueOn: '2027-03-17' }),
    summary('overdue-1', { dueOn: '2027-03-09', overdue: true }),
    summary('soon-1', { dueOn: '2027-03-10' }),
    summary('overdue-5', { dueOn: '2027-03-05', overdue: true }),
    summary('done', { state: 'completed', dueOn: '2027-03-01' }),
  ];

  it('puts the overdue first, then due within a week, then the rest', () => {
    expect(queueOrder(items, today).map((r) => r.id)).toEqual([
      'overdue-5',
      'overdue-1',
      'soon-1',
      'soon-2',
      'later',
      'done',
      'no-due',
    ]);
  });

  it('marks urgency only on open requests with a due date', () => {
    expect(items.map((r) => urgency(r, today))).toEqual([
      'later',
      'none',
      'soon',
      'overdue',
      'soon',
      'overdue',
      'none',
    ]);
  });
});
