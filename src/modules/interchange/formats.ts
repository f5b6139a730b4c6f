/**
 * Reading e-mail services' audience exports: Mailchimp's member CSVs (subscribed, unsubscribed and
 * cleaned, one file each or together) and listmonk's subscriber CSV. Each line becomes what it
 * says about the person's permission, with the list's own date as evidence, or a rejection naming
 * the column. Nothing here keeps or logs a value.
 */

export type AudienceFormat = 'mailchimp' | 'listmonk';
export const AUDIENCE_FORMATS = ['mailchimp', 'listmonk'] as const;

/** What one member line says. `undeliverable`: cleaned (hard bounce), no permission change. */
export type AudienceStatus = 'granted' | 'withdrawn' | 'refused' | 'pending' | 'undeliverable';

export interface AudienceMember {
  line: number;
  /** The column the address came from, to name in a rejection. */
  emailColumn: string;
  email: string;
  firstName?: string;
  lastName?: string;
  status: AudienceStatus;
  /** When the list says it happened. */
  givenAt: Date | undefined;
  /** The column the date came from. */
  dateColumn: string;
}

export interface Rejection {
  line: number;
  field: string;
  reason: string;
}

/** The columns each format must have (its header). */
export const REQUIRED_COLUMNS: Record<AudienceFormat, string[]> = {
  mailchimp: ['Email Address'],
  listmonk: ['email', 'status'],
};

/**
 * A date as the services write it: Mailchimp `2024-03-01 09:15:00` (UTC), listmonk ISO 8601 or
 * PostgreSQL's `2024-03-01 09:15:00.123456+02`. Undefined for an empty cell, null when unreadable.
 */
export function parseListDate(text: string | undefined): Date | undefined | null {
  const t = (text ?? '').trim();
  if (t === '') {
    return undefined;
  }
  const m =
    /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
      t,
    );
  if (!m) {
    return /^\d{4}-\d{2}-\d{2}$/.test(t) ? valid(new Date(`${t}T00:00:00Z`)) : null;
  }
  const [, day, time, frac, zone] = m;
  const z = !zone
    ? 'Z'
    : zone.toUpperCase() === 'Z'
      ? 'Z'
      : /^[+-]\d{2}$/.test(zone)
        ? `${zone}:00`
        : zone.includes(':')
          ? zone
          : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = frac ? frac.slice(0, 4).padEnd(4, '0') : '';
  return valid(new Date(`${day}T${time}${ms}${z}`));
}

const valid = (d: Date) => (Number.isNaN(d.getTime()) ? null : d);

type Fields = Record<string, unknown>;
const cell = (f: Fields, name: string) => {
  const v = f[name];
  return typeof v === 'string' ? v.trim() : '';
};

/** The first non-empty date among `columns`, or a rejection naming the column that is wrong. */
function dateOf(
  line: number,
  f: Fields,
  columns: string[],
): { at: Date | undefined; column: string } | Rejection {
  for (const column of columns) {
    const d = parseListDate(cell(f, column));
    if (d === null) {
      return { line, field: column, reason: 'not a date and time the service writes' };
    }
    if (d !== undefined) {
      return { at: d, column };
    }
  }
  return { at: undefined, column: columns[0] ?? '' };
}

/**
 * Mailchimp: a line with CLEAN_TIME is a cleaned member, one with UNSUB_TIME an unsubscribed
 * member, any other a subscribed member (the three exports differ in these columns only).
 */
function mailchimp(line: number, f: Fields): AudienceMember | Rejection {
  const email = cell(f, 'Email Address');
  const names = {
    ...(cell(f, 'First Name') ? { firstName: cell(f, 'First Name') } : {}),
    ...(cell(f, 'Last Name') ? { lastName: cell(f, 'Last Name') } : {}),
  };
  const base = { line, emailColumn: 'Email Address', email, ...names };
  if (cell(f, 'CLEAN_TIME') !== '') {
    const d = dateOf(line, f, ['CLEAN_TIME']);
    return 'reason' in d
      ? d
      : { ...base, status: 'undeliverable', givenAt: d.at, dateColumn: d.column };
  }
  if (cell(f, 'UNSUB_TIME') !== '') {
    const d = dateOf(line, f, ['UNSUB_TIME']);
    return 'reason' in d
      ? d
      : { ...base, status: 'withdrawn', givenAt: d.at, dateColumn: d.column };
  }
  // Consent is given when it is confirmed (double opt-in), or when the form was sent (single).
  const d = dateOf(line, f, ['CONFIRM_TIME', 'OPTIN_TIME']);
  if ('reason' in d) {
    return d;
  }
  if (d.at === undefined) {
    return {
      line,
      field: 'OPTIN_TIME',
      reason:
        'a subscribed member needs CONFIRM_TIME or OPTIN_TIME: when consent was given is its evidence',
    };
  }
  return { ...base, status: 'granted', givenAt: d.at, dateColumn: d.column };
}

const LISTMONK_SUBSCRIPTION: Record<string, AudienceStatus> = {
  confirmed: 'granted',
  unconfirmed: 'pending',
  unsubscribed: 'withdrawn',
};

/**
 * listmonk: `blocklisted` is a refusal whatever the list says; otherwise the list subscription's
 * status (`subscription_status`: confirmed, unconfirmed, unsubscribed) decides. An enabled
 * subscriber with no subscription status says nothing about consent and is rejected.
 */
function listmonk(line: number, f: Fields): AudienceMember | Rejection {
  const email = cell(f, 'email');
  const name = cell(f, 'name');
  const [first, ...rest] = name.split(/\s+/).filter((w) => w !== '');
  const base = {
    line,
    emailColumn: 'email',
    email,
    ...(first ? { firstName: first } : {}),
    ...(rest.length ? { lastName: rest.join(' ') } : {}),
  };
  const status = cell(f, 'status').toLowerCase();
  const sub = cell(f, 'subscription_status').toLowerCase();
  const dates = ['subscription_updated_at', 'updated_at', 'subscription_created_at', 'created_at'];
  let to: AudienceStatus;
  if (status === 'blocklisted') {
    to = 'refused';
  } else if (!['enabled', 'disabled'].includes(status)) {
    return { line, field: 'status', reason: 'expected enabled, disabled or blocklisted' };
  } else if (sub === '') {
    return {
      line,
      field: 'subscription_status',
      reason:
        'without the list subscription status (confirmed, unconfirmed, unsubscribed) the line says nothing about consent',
    };
  } else if (LISTMONK_SUBSCRIPTION[sub] === undefined) {
    return {
      line,
      field: 'subscription_status',
      reason: 'expected confirmed, unconfirmed or unsubscribed',
    };
  } else {
    to = LISTMONK_SUBSCRIPTION[sub];
  }
  const d = dateOf(line, f, status === 'blocklisted' ? dates.slice(1) : dates);
  if ('reason' in d) {
    return d;
  }
  if (d.at === undefined && to === 'granted') {
    return {
      line,
      field: 'updated_at',
      reason: 'a confirmed subscription needs a date: when consent was given is its evidence',
    };
  }
  return { ...base, status: to, givenAt: d.at, dateColumn: d.column };
}

export function readMember(
  format: AudienceFormat,
  line: number,
  fields: Fields,
): AudienceMember | Rejection {
  return format === 'mailchimp' ? mailchimp(line, fields) : listmonk(line, fields);
}
