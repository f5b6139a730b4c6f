/**
 * The person's own session strategy (src/http/auth/person-session.ts), on a real Fastify app with
 * the API's error handling: only a live session's token in the `rk_person` cookie passes; a
 * missing, malformed, forged or expired one is refused alike, and a staff cookie is not one.
 */
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authenticatePersonSession,
  newPersonSessionToken,
  PERSON_SESSION_COOKIE,
  STAFF_SESSION_COOKIE,
  type PersonSessionRecord,
  type PersonSessionStore,
} from '../src/http/auth/index.ts';
import { registerErrorHandling } from '../src/http/problem.ts';

describe("the person's own session", () => {
  let app: FastifyInstance;
  let now = new Date('2026-05-04T10:00:00Z');
  const sessions = new Map<string, PersonSessionRecord>();
  /** The store is the portal's to give; here a plain map by token hash. */
  const store: PersonSessionStore = {
    find: (hash) => Promise.resolve(sessions.get(hash.toString('hex'))),
  };
  const issue = (subjectId: string, minutes: number) => {
    const { token, hash } = newPersonSessionToken();
    sessions.set(hash.toString('hex'), {
      subjectId,
      expiresAt: new Date(now.getTime() + minutes * 60_000),
    });
    return token;
  };

  beforeAll(async () => {
    app = Fastify();
    registerErrorHandling(app);
    await app.register(fastifyCookie);
    app.get('/me', async (request) => {
      const person = await authenticatePersonSession(store, { now: () => now }, request);
      return { subjectId: person.subjectId };
    });
  });
  afterAll(async () => {
    await app.close();
  });

  const me = (cookie?: string) =>
    app.inject({ method: 'GET', url: '/me', headers: cookie ? { cookie } : {} });

  it('accepts a live session and names its subject only', async () => {
    const token = issue('0196f5a0-0000-7000-8000-000000000001', 30);
    const res = await me(`${PERSON_SESSION_COOKIE}=${token}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ subjectId: '0196f5a0-0000-7000-8000-000000000001' });
  });

  it('refuses a missing, malformed, forged or expired token alike', async () => {
    const expired = issue('0196f5a0-0000-7000-8000-000000000002', 5);
    now = new Date(now.getTime() + 5 * 60_000);
    const forged = newPersonSessionToken().token;
    for (const cookie of [
      undefined,
      `${PERSON_SESSION_COOKIE}=`,
      `${PERSON_SESSION_COOKIE}=not-a-token`,
      `${PERSON_SESSION_COOKIE}=${'A'.repeat(500)}`,
      `${PERSON_SESSION_COOKIE}=${forged}`,
      `${PERSON_SESSION_COOKIE}=${expired}`,
    ]) {
      const res = await me(cookie);
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.json<{ detail: string }>().detail).toBe('sign in to see your own data');
    }
  });

  it('does not take a token from the staff cookie', async () => {
    const token = issue('0196f5a0-0000-7000-8000-000000000003', 30);
    expect((await me(`${STAFF_SESSION_COOKIE}=${token}`)).statusCode).toBe(401);
    expect((await me(`${PERSON_SESSION_COOKIE}=${token}`)).statusCode).toBe(200);
  });
});
