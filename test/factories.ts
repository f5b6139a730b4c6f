/**
 * Test factories: the people, staff members and API keys the suites set up again and again,
 * made the way a user or client would make them (through the HTTP API or the services), each
 * asserting that it worked so that a failure shows where it happened. Invented people only.
 */
import type { LightMyRequestResponse } from 'fastify';
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { operator, type Actor } from '../src/lib/actor.ts';
import { STAFF_SESSION_COOKIE as SESSION_COOKIE } from '../src/http/auth/index.ts';
import { generatePassword } from '../src/modules/staff/staff.service.ts';
import type { Services } from '../src/services.ts';
import type { TestContext } from './helpers.ts';

type Values = Record<string, Record<string, unknown>>;

/** A short random tag that keeps invented e-mail addresses and usernames apart. */
export function tag(): string {
  return randomBytes(4).toString('hex');
}

/** An invented person's values; the e-mail address differs each time (one subject per e-mail). */
export function personValues(firstName = 'Testi', lastName = 'Henkilö'): Values {
  return {
    identity: { firstName, lastName },
    contact: { email: `${firstName}.${tag()}@example.com`.toLowerCase() },
  };
}

export interface NewSubject {
  /** Defaults to customer_relationship. */
  purpose?: string;
  /** Defaults to subject. */
  source?: string;
  /** Defaults to personValues(). */
  values?: Values;
}

const allPowers = new WeakMap<TestContext, Promise<{ authorization: string }>>();

/** An API key for every purpose with every action, made once per test context. */
export function allPowersKey(t: TestContext): Promise<{ authorization: string }> {
  let key = allPowers.get(t);
  if (!key) {
    key = t.key(['*'], ['read', 'write', 'erase', 'export', 'handle_requests']);
    allPowers.set(t, key);
  }
  return key;
}

/**
 * A person created through POST /api/v1/subjects, as a client would; with `headers`, by that
 * client, otherwise with the context's all-powers key (allPowersKey).
 */
export async function newSubject(
  t: TestContext,
  input: NewSubject = {},
  headers?: Record<string, string>,
): Promise<{ id: string; values: Values }> {
  const values = input.values ?? personValues();
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/subjects',
    headers: headers ?? (await allPowersKey(t)),
    payload: {
      purpose: input.purpose ?? 'customer_relationship',
      source: input.source ?? 'subject',
      values,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return { id: res.json<{ id: string }>().id, values };
}

/** A person created through the subjects service (no HTTP): for a runtime without an app. */
export async function newSubjectVia(
  services: Services,
  input: NewSubject = {},
  actor: Actor = operator,
): Promise<{ id: string; values: Values }> {
  const values = input.values ?? personValues();
  const created = await services.subjects.createSubject(actor, {
    purpose: input.purpose ?? 'customer_relationship',
    source: input.source ?? 'subject',
    values,
  });
  return { id: created.id, values };
}

/**
 * Grants a person the demo's consent-based marketing, as a sign-up form would record it: the
 * newsletter by e-mail and profiling (web analytics). Without it the newsletter and analytics
 * purposes do not see the person at all (the permission ledger, docs/permissions.md).
 */
export async function consentToMarketing(services: Services, subjectId: string): Promise<void> {
  const r = await services.permissions.record(
    operator,
    subjectId,
    [
      { kind: 'newsletter', channel: 'email', state: 'granted' },
      { kind: 'profiling', channel: '*', state: 'granted' },
    ],
    { method: 'form', wording: { text: 'Yes, send me the newsletter.', language: 'en' } },
  );
  expect(r.recorded).toHaveLength(2);
}

/** A fresh API key's bearer header, with its id for revoking it and the token itself. */
export async function newApiKey(
  t: TestContext,
  purposes: string[],
  actions: string[],
  name = 'test',
): Promise<{ id: string; token: string; headers: { authorization: string } }> {
  const { token, key } = await t.services.apiKeys.createApiKey(operator, {
    name,
    purposes,
    actions,
  });
  return { id: key.id, token, headers: { authorization: `Bearer ${token}` } };
}

export interface StaffSession {
  username: string;
  password: string;
  /** `rk_session=…`, for the cookie header. */
  cookie: string;
  csrf: string;
  /** The cookie and the CSRF header, for requests that change something. */
  headers: { cookie: string; 'x-csrf-token': string };
}

/** The session cookie a sign-in answer set, as a cookie header value. */
export function sessionCookie(res: LightMyRequestResponse): string {
  const set = res.cookies.find((c) => c.name === SESSION_COOKIE);
  expect(set, 'a session cookie').toBeDefined();
  return `${SESSION_COOKIE}=${set?.value ?? ''}`;
}

/** The cookie and CSRF token of a sign-in answer. */
export function sessionOf(
  res: LightMyRequestResponse,
): Omit<StaffSession, 'username' | 'password'> {
  const cookie = sessionCookie(res);
  const csrf = res.json<{ csrfToken: string }>().csrfToken;
  return { cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } };
}

/** POST /api/v1/auth/login from `remoteAddress` (each test's own, so the limits stay apart). */
export function login(
  t: TestContext,
  username: string,
  password: string,
  remoteAddress = '10.0.0.1',
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username, password },
    remoteAddress,
  });
}

/**
 * A staff member of `role` with a password they chose (not a one-time one), made by the
 * operator; not signed in.
 */
export async function newStaff(
  t: TestContext,
  role: string,
  opts: { username?: string; password?: string; displayName?: string } = {},
): Promise<{ id: string; username: string; password: string }> {
  const username = opts.username ?? `${role}-${tag()}`;
  const { staff, password } = await t.services.staff.createStaff(operator, {
    username,
    displayName: opts.displayName ?? `Test ${role}`,
    role,
    password: opts.password ?? generatePassword(),
  });
  return { id: staff.id, username, password };
}

/** A signed-in staff member of `role` (newStaff, then a sign-in that must succeed). */
export async function newStaffSession(
  t: TestContext,
  role: string,
  opts: { username?: string; password?: string; displayName?: string; remoteAddress?: string } = {},
): Promise<StaffSession & { id: string }> {
  const member = await newStaff(t, role, opts);
  return { id: member.id, ...(await signIn(t, member.username, member.password, opts)) };
}

/** Signs an existing staff member in; the sign-in must succeed. */
export async function signIn(
  t: TestContext,
  username: string,
  password: string,
  opts: { remoteAddress?: string } = {},
): Promise<StaffSession> {
  const res = await login(t, username, password, opts.remoteAddress);
  expect(res.statusCode, res.body).toBe(200);
  return { username, password, ...sessionOf(res) };
}
