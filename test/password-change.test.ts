/**
 * A one-time password (the first administrator's, one from `rekisteri admin create` or from the
 * console) signs in once: the session can then only choose a new password, ask who is signed in
 * and sign out; every other route answers 403 `password-change-required`.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../src/lib/actor.ts';
import { login as loginRequest, sessionOf } from './factories.ts';
import { createTestContext, DATABASES, type TestContext } from './helpers.ts';

const session = (res: LightMyRequestResponse) => sessionOf(res).headers;

describe.each(DATABASES)('one-time passwords on %s', (kind) => {
  let t: TestContext;
  let first: { username: string; password: string };

  beforeAll(async () => {
    t = await createTestContext(kind);
    const made = await t.services.staff.ensureFirstAdmin();
    expect(made).toBeDefined();
    first = made as { username: string; password: string };
  });
  afterAll(async () => {
    await t?.close();
  });

  const login = (username: string, password: string) =>
    loginRequest(
      t,
      username,
      password,
      `10.5.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
    );

  /** Every route a signed-in administrator could use, but not before the password is changed. */
  const closed = (headers: Record<string, string>) => [
    { method: 'GET' as const, url: '/api/v1/staff', headers },
    { method: 'GET' as const, url: '/api/v1/roles', headers },
    { method: 'GET' as const, url: '/api/v1/subjects?purpose=newsletter', headers },
    { method: 'GET' as const, url: '/api/v1/audit', headers },
    {
      method: 'POST' as const,
      url: '/api/v1/staff',
      headers,
      payload: { username: 'salaa', displayName: 'Salaa', role: 'admin' },
    },
    {
      method: 'POST' as const,
      url: '/api/v1/subjects',
      headers,
      payload: {
        purpose: 'newsletter',
        source: 'subject',
        values: { identity: { firstName: 'Eino' } },
      },
    },
    {
      method: 'POST' as const,
      url: '/api/v1/auth/totp/setup',
      headers,
      payload: { password: first.password },
    },
  ];

  it('lets the first administrator do nothing but choose a new password', async () => {
    const res = await login(first.username, first.password);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ staff: { mustChangePassword: true }, mfaRequired: false });
    const headers = session(res);

    const staffBefore = (await t.services.staff.listStaff(operator)).length;
    for (const req of closed(headers)) {
      const refused = await t.app.inject(req);
      expect(refused.statusCode, `${req.method} ${req.url}`).toBe(403);
      expect(refused.headers['content-type']).toMatch(/problem\+json/);
      expect(refused.json()).toMatchObject({
        type: 'https://rekisteri.example/problems/password-change-required',
        errors: [{ field: 'password' }],
      });
    }
    expect((await t.services.staff.listStaff(operator)).length).toBe(staffBefore);
    expect(await t.services.subjects.countSubjects()).toBe(0);

    const me = await t.app.inject({ url: '/api/v1/auth/me', headers });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ staff: { mustChangePassword: true } });

    // The one-time password cannot be kept, and the new one follows the usual rules.
    for (const next of [first.password, 'short']) {
      const bad = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers,
        payload: { current: first.password, next },
      });
      expect(bad.statusCode, next).toBe(400);
      expect(bad.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe('next');
    }
    const changed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers,
      payload: { current: first.password, next: 'oma-salasana-aamukahvilla' },
    });
    expect(changed.statusCode, changed.body).toBe(204);

    // The same session now works, and two-factor sign-in can be switched on.
    expect((await t.app.inject({ url: '/api/v1/staff', headers })).statusCode).toBe(200);
    const me2 = await t.app.inject({ url: '/api/v1/auth/me', headers });
    expect(me2.json()).toMatchObject({ staff: { mustChangePassword: false } });
    const totp = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp/setup',
      headers,
      payload: { password: 'oma-salasana-aamukahvilla' },
    });
    expect(totp.statusCode).toBe(200);

    // The one-time password is spent; the new one signs in without conditions.
    expect((await login(first.username, first.password)).statusCode).toBe(401);
    const again = await login(first.username, 'oma-salasana-aamukahvilla');
    expect(again.json()).toMatchObject({ staff: { mustChangePassword: false } });
  });

  it('treats passwords made in the console and by `admin create` the same way', async () => {
    const admin = session(await login(first.username, 'oma-salasana-aamukahvilla'));
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/v1/staff',
      headers: admin,
      payload: { username: 'maija', displayName: 'Maija Virta', role: 'support' },
    });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({ staff: { mustChangePassword: true } });
    // What `rekisteri admin create` calls.
    const cli = await t.services.staff.createStaff(operator, {
      username: 'kalle',
      displayName: 'Kalle',
      role: 'auditor',
    });
    for (const [username, password] of [
      ['maija', made.json<{ password: string }>().password],
      ['kalle', cli.password],
    ] as const) {
      const res = await login(username, password);
      expect(res.statusCode).toBe(200);
      const headers = session(res);
      const refused = await t.app.inject({ url: '/api/v1/roles', headers });
      expect(refused.statusCode).toBe(403);
      expect(refused.json<{ type: string }>().type).toMatch(/password-change-required$/);
      // Signing out stays open.
      const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers });
      expect(out.statusCode).toBe(204);
      expect((await t.app.inject({ url: '/api/v1/auth/me', headers })).statusCode).toBe(401);
    }
  });
});
