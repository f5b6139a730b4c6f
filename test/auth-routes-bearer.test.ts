/**
 * The routes about one's own staff session and account (/auth/*) are for a signed-in staff
 * member: a bearer API key is refused there, and writes nothing to the access log.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiKey } from './factories.ts';
import { createTestContext, DATABASES, type TestContext } from './helpers.ts';

describe.each(DATABASES)('a bearer key on the /auth routes on %s', (kind) => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  const logoutEntries = async () =>
    Number(
      (
        await sql<{
          n: string;
        }>`select count(*) as n from audit_events where action = 'staff.logout'`.execute(
          t.db.handle.db,
        )
      ).rows[0]?.n,
    );

  it.each([
    ['POST', '/api/v1/auth/logout', undefined],
    ['GET', '/api/v1/auth/me', undefined],
    ['POST', '/api/v1/auth/mfa', { code: '123456' }],
    ['POST', '/api/v1/auth/password', { current: 'x', next: 'y' }],
    ['POST', '/api/v1/auth/totp/setup', { password: 'x' }],
    ['POST', '/api/v1/auth/totp/enable', { code: '123456' }],
  ] as const)('%s %s answers 401', async (method, url, payload) => {
    const key = await newApiKey(t, ['*'], ['read', 'write', 'erase', 'export', 'handle_requests']);
    const before = await logoutEntries();
    const res = await t.app.inject({
      method,
      url,
      headers: key.headers,
      ...(payload ? { payload } : {}),
    });
    expect(res.statusCode, res.body).toBe(401);
    expect(await logoutEntries()).toBe(before);
  });
});
