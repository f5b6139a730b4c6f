/**
 * What the request pages share: the words for types, states, channels, proofs and document types,
 * days left to a due date (Helsinki calendar days), and the queue's order — overdue first, then
 * due within a week, then the rest.
 */
import type {
  DocumentType,
  IdentityProof,
  LetterHow,
  RequestChannel,
  RequestState,
  RequestSummary,
  RequestType,
  ToldHow,
} from '../shared/api.ts';
import { LOCALES } from '../shared/i18n.ts';
import type { I18n, MessageKey } from './i18n.ts';

export const REQUEST_TYPE_LIST: RequestType[] = [
  'access',
  'rectification',
  'erasure',
  'restriction',
  'restriction_lift',
  'portability',
  'objection',
  'consent_withdrawal',
  'marketing_prohibition',
];
/** Channels staff register a request from; the portal's come by themselves. */
export type StaffChannel = Exclude<RequestChannel, 'portal'>;
export const STAFF_CHANNELS: StaffChannel[] = ['email', 'postal', 'phone', 'in_person'];
export const OPEN_STATES: RequestState[] = ['received', 'identity_pending', 'in_progress'];
/** Due within this many days counts as due soon. */
export const DUE_SOON_DAYS = 7;

const key = (prefix: string, value: string) => `${prefix}.${value}` as MessageKey;
const label = (i18n: I18n, prefix: string, value: string) =>
  i18n.has(key(prefix, value)) ? i18n.t(key(prefix, value)) : value;

export const typeLabel = (i18n: I18n, v: RequestType) => label(i18n, 'requestType', v);
export const stateLabel = (i18n: I18n, v: RequestState) => label(i18n, 'requestState', v);
export const channelLabel = (i18n: I18n, v: RequestChannel) => label(i18n, 'channel', v);
export const proofLabel = (i18n: I18n, v: IdentityProof) => label(i18n, 'proof', v);
export const documentLabel = (i18n: I18n, v: DocumentType) => label(i18n, 'document', v);
export const toldHowLabel = (i18n: I18n, v: ToldHow) => label(i18n, 'toldHow', v);
export const letterHowLabel = (i18n: I18n, v: LetterHow) => label(i18n, 'letterHow', v);
export const stepLabel = (i18n: I18n, v: string) => label(i18n, 'requestStep', v);

export function isOpen(state: RequestState): boolean {
  return OPEN_STATES.includes(state);
}

/** Today's date in Helsinki, `YYYY-MM-DD`: the calendar the law's deadlines are counted in. */
export function helsinkiToday(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Helsinki',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

/** Whole days from today to a `YYYY-MM-DD` due date: negative when it has passed. */
export function daysLeft(dueOn: string, today = helsinkiToday()): number {
  const utc = (d: string) => {
    const [y, m, day] = d.split('-').map(Number);
    return Date.UTC(y ?? 0, (m ?? 1) - 1, day ?? 1);
  };
  return Math.round((utc(dueOn) - utc(today)) / 86_400_000);
}

export type Urgency = 'overdue' | 'soon' | 'later' | 'none';

export function urgency(r: RequestSummary, today = helsinkiToday()): Urgency {
  // A completed request whose printed copy is not yet delivered still counts against its date.
  if ((!isOpen(r.state) && !r.deliveryPending) || !r.dueOn) {
    return 'none';
  }
  const days = daysLeft(r.dueOn, today);
  if (r.overdue || days < 0) {
    return 'overdue';
  }
  return days <= DUE_SOON_DAYS ? 'soon' : 'later';
}

const RANK: Record<Urgency, number> = { overdue: 0, soon: 1, later: 2, none: 3 };

/** Overdue first (longest overdue first), then due soon, then the rest by due date, then received. */
export function queueOrder(items: RequestSummary[], today = helsinkiToday()): RequestSummary[] {
  return [...items].sort((a, b) => {
    const ra = RANK[urgency(a, today)];
    const rb = RANK[urgency(b, today)];
    if (ra !== rb) {
      return ra - rb;
    }
    if (a.dueOn && b.dueOn && a.dueOn !== b.dueOn) {
      return a.dueOn < b.dueOn ? -1 : 1;
    }
    if (a.dueOn !== b.dueOn) {
      return a.dueOn ? -1 : 1;
    }
    return a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : 0;
  });
}

/** "12 days left", "due today", "3 days overdue". */
export function dueText(i18n: I18n, dueOn: string, today = helsinkiToday()): string {
  const days = daysLeft(dueOn, today);
  if (days === 0) {
    return i18n.t('requests.dueToday');
  }
  return days > 0
    ? i18n.t('requests.daysLeft', { count: days })
    : i18n.t('requests.daysOverdue', { count: -days });
}

/** A `YYYY-MM-DD` calendar date in the language's conventions, the same day wherever the browser is. */
export function dayText(i18n: I18n, ymd: string): string {
  const when = new Date(`${ymd}T00:00:00Z`);
  return Number.isNaN(when.getTime())
    ? ymd
    : new Intl.DateTimeFormat(LOCALES[i18n.lang], { dateStyle: 'medium', timeZone: 'UTC' }).format(
        when,
      );
}
