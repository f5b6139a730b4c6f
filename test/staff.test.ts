import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { operator } from '../src/lib/actor.ts';
import { createServices } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import {
  consentToMarketing,
  login as signInRequest,
  newStaff,
  sessionCookie as cookieOf,
  sessionOf,
  signIn as signInAs,
  type StaffSession,
} from './factories.ts';
import { anna, createTestContext, DATABASES, type TestContext } from './helpers.ts';

describe.each(DATABASES)('staff accounts and roles on %s', (kind) => {
  let t: TestContext;
  const passwords = new Map<string, string>();

  const login = async (
    username: string,
    password = passwords.get(username) ?? '',
    address = '10.0.0.1',
  ) => signInRequest(t, username, password, address);

  const signIn = async (username: string): Promise<StaffSession> =>
    signInAs(t, username, passwords.get(username) ?? '');

  beforeAll(async () => {
    // An SMTP server that is never reached (no jobs runner runs here): campaigns can be started.
    t = await createTestContext(kind, undefined, {
      smtp: { url: 'smtp://127.0.0.1:9', from: 'walk@example.fi' },
      publicUrl: 'https://rekisteri.example.fi',
    });
    for (const role of ['admin', 'dpo', 'support', 'marketing', 'auditor']) {
      // A password the account's owner chose (not a one-time one, which must be replaced first:
      // see password-change.test.ts).
      const { password } = await newStaff(t, role, { username: role });
      passwords.set(role, password);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('signs in with a password, in an HttpOnly SameSite cookie rotated at each sign-in', async () => {
    const first = await login('support');
    expect(first.statusCode).toBe(200);
    const cookie = first.cookies.find((c) => c.name === 'rk_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie?.secure).toBeFalsy();
    const second = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'support', password: passwords.get('support') },
      headers: { cookie: cookieOf(first) },
    });
    expect(cookieOf(second)).not.toBe(cookieOf(first));
    // the session of the first sign-in no longer works
    expect(
      (await t.app.inject({ url: '/api/v1/auth/me', headers: { cookie: cookieOf(first) } }))
        .statusCode,
    ).toBe(401);
    const me = await t.app.inject({
      url: '/api/v1/auth/me',
      headers: { cookie: cookieOf(second) },
    });
    expect(me.json()).toMatchObject({
      staff: { username: 'support', role: 'support' },
      mfaRequired: false,
      role: { id: 'support' },
    });
  });

  it('marks the cookie Secure behind a TLS proxy it trusts', async () => {
    const app = await createApp(t.services, { trustProxy: 1 });
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'auditor', password: passwords.get('auditor') },
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(res.cookies.find((c) => c.name === 'rk_session')?.secure).toBe(true);
    await app.close();
  });

  it('refuses a wrong password the same way as an unknown user, and records both', async () => {
    for (const payload of [
      { username: 'support', password: 'not the password' },
      { username: 'nobody', password: 'whatever-it-is' },
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload,
        remoteAddress: '10.0.0.2',
      });
      expect(res.statusCode).toBe(401);
      expect(res.json<{ detail: string }>().detail).toBe('wrong username or password');
      expect(res.cookies).toHaveLength(0);
    }
    const log = await t.services.audit.list({ limit: 20 });
    expect(log.filter((e) => e.action === 'staff.login_failed').length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(log)).not.toContain('nobody');
  });

  it('locks an account after five failures in a row, even against the right password', async () => {
    await newStaff(t, 'support', {
      username: 'clumsy',
      displayName: 'Clumsy',
      password: 'a-long-enough-passphrase',
    });
    for (let i = 0; i < 5; i++) {
      expect((await login('clumsy', 'wrong-guess-number-' + i, '10.0.1.' + i)).statusCode).toBe(
        401,
      );
    }
    const locked = await login('clumsy', 'a-long-enough-passphrase', '10.0.2.1');
    expect(locked.statusCode).toBe(423);
    expect(locked.json<{ detail: string }>().detail).toMatch(/locked until/);
    expect((await t.services.audit.list({ limit: 10 })).map((e) => e.action)).toContain(
      'staff.lockout',
    );
  });

  it('locks an account even when the wrong guesses arrive all at once', async () => {
    await newStaff(t, 'support', {
      username: 'stormed',
      displayName: 'Stormed',
      password: 'another-long-passphrase',
    });
    const guesses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => login('stormed', `parallel-wrong-${i}`, `10.0.3.${i}`)),
    );
    expect(guesses.every((r) => r.statusCode === 401)).toBe(true);
    expect((await login('stormed', 'another-long-passphrase', '10.0.4.1')).statusCode).toBe(423);
    // someone without the password learns nothing about the lock
    const stranger = await login('stormed', 'still-guessing-here', '10.0.4.2');
    expect(stranger.statusCode).toBe(401);
    expect(stranger.json<{ detail: string }>().detail).toBe('wrong username or password');
  });

  it('limits sign-in attempts per address', async () => {
    let last = 0;
    for (let i = 0; i < 21; i++) {
      last = (await login(`someone${i}`, 'wrong-password-here', '10.9.9.9')).statusCode;
    }
    expect(last).toBe(429);
    expect((await login('support', undefined, '10.9.9.10')).statusCode).toBe(200);
  });

  it('requires the CSRF token on state-changing requests made with the session', async () => {
    const s = await signIn('admin');
    const body = {
      purpose: 'customer_relationship',
      source: 'staff',
      values: { identity: { firstName: 'Csrf' } },
    };
    const without = await t.app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers: { cookie: s.cookie },
      payload: body,
    });
    expect(without.statusCode).toBe(403);
    expect(without.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe(
      'x-csrf-token',
    );
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers: { cookie: s.cookie, 'x-csrf-token': 'x'.repeat(32) },
      payload: body,
    });
    expect(wrong.statusCode).toBe(403);
    // As many characters as the real token, but more bytes: refused like any wrong token.
    for (const forged of ['ä'.repeat(s.csrf.length), `${s.csrf.slice(0, -1)}ÿ`, 'x', '']) {
      expect(forged.length === s.csrf.length || forged.length < 2).toBe(true);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/subjects',
        headers: { cookie: s.cookie, 'x-csrf-token': forged },
        payload: body,
      });
      expect(res.statusCode, JSON.stringify(forged)).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe(
        'x-csrf-token',
      );
    }
    const right = await t.app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers: s.headers,
      payload: body,
    });
    expect(right.statusCode).toBe(201);
    // a read with the session needs no token, and lands in the log under the staff member and role
    const id = right.json<{ id: string }>().id;
    const read = await t.app.inject({
      url: `/api/v1/subjects/${id}?purpose=customer_relationship`,
      headers: { cookie: s.cookie },
    });
    expect(read.statusCode).toBe(200);
    const entry = (await t.services.audit.list({ subjectId: id, limit: 5 })).find(
      (e) => e.action === 'subject.read',
    );
    expect(entry).toMatchObject({
      actor_kind: 'staff',
      role: 'admin',
      purpose: 'customer_relationship',
    });
  });

  it('signs in with a second factor, refuses a reused code, and accepts a recovery code once', async () => {
    const { password } = await newStaff(t, 'dpo', {
      username: 'twofactor',
      displayName: 'Two Factor',
    });
    const { headers } = sessionOf(await login('twofactor', password, '10.1.0.1'));
    const wrongPassword = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp/setup',
      headers,
      payload: { password: 'not-my-password' },
    });
    expect(wrongPassword.statusCode).toBe(403);
    const setup = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/totp/setup',
        headers,
        payload: { password },
      })
    ).json<{ secret: string; otpauthUrl: string }>();
    expect(setup.otpauthUrl).toMatch(/^otpauth:\/\/totp\//);
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(setup.secret) });
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/totp/enable',
          headers,
          payload: { code: '000000' },
        })
      ).statusCode,
    ).toBe(400);
    const enabled = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp/enable',
      headers,
      payload: { code: totp.generate({ timestamp: Date.now() - 30_000 }) },
    });
    expect(enabled.statusCode, enabled.body).toBe(200);
    const codes = enabled.json<{ recoveryCodes: string[] }>().recoveryCodes;
    expect(codes).toHaveLength(10);

    const step1 = await login('twofactor', password, '10.1.0.2');
    expect(step1.json()).toMatchObject({ mfaRequired: true });
    const half = sessionOf(step1).headers;
    expect(
      (await t.app.inject({ url: '/api/v1/subjects?purpose=newsletter', headers: half }))
        .statusCode,
    ).toBe(401);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/mfa',
          headers: half,
          payload: { code: '123456' },
        })
      ).statusCode,
    ).toBe(401);
    const code = totp.generate();
    const done = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa',
      headers: half,
      payload: { code },
    });
    expect(done.statusCode, done.body).toBe(200);
    expect(
      (
        await t.app.inject({
          url: '/api/v1/subjects?purpose=newsletter',
          headers: { cookie: cookieOf(done) },
        })
      ).statusCode,
    ).toBe(200);

    const again = await login('twofactor', password, '10.1.0.3');
    const againHeaders = sessionOf(again).headers;
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/mfa',
          headers: againHeaders,
          payload: { code },
        })
      ).statusCode,
    ).toBe(401);
    const recovered = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa',
      headers: againHeaders,
      payload: { code: codes[0] },
    });
    expect(recovered.statusCode).toBe(200);
    const reuse = await login('twofactor', password, '10.1.0.4');
    const reuseHeaders = sessionOf(reuse).headers;
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/mfa',
          headers: reuseHeaders,
          payload: { code: codes[0] },
        })
      ).statusCode,
    ).toBe(401);

    // Each code carries 80 random bits, in four groups a person can copy by hand.
    for (const c of codes) {
      expect(c).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    }
    expect(new Set(codes).size).toBe(10);
    // What the table holds is no plain hash of a code: a thief of the table cannot try codes.
    const stored = async () =>
      (
        await t.db.handle.db
          .selectFrom('staff')
          .select('recovery_codes')
          .where('username', '=', 'twofactor')
          .executeTakeFirstOrThrow()
      ).recovery_codes;
    const held = await stored();
    expect(held).toHaveLength(9);
    const sha = (x: string) => createHash('sha256').update(x).digest('hex');
    for (const c of codes) {
      for (const form of [c, c.replaceAll('-', ''), c.toLowerCase()]) {
        expect(held.some((h) => h.includes(sha(form)))).toBe(false);
      }
    }
    expect(held.every((h) => /^hmac-sha256:[0-9a-f]{64}$/.test(h))).toBe(true);

    const secondStep = async (code: string, address: string) => {
      const step = await login('twofactor', password, address);
      return t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/mfa',
        headers: sessionOf(step).headers,
        payload: { code },
      });
    };
    // Typed in lower case with spaces for dashes, a code still works.
    const typed = (codes[1] as string).toLowerCase().replaceAll('-', ' ');
    expect((await secondStep(typed, '10.1.0.5')).statusCode).toBe(200);
    expect(await stored()).toHaveLength(8);

    // A code in the pre-release form (40 bits, stored as bare SHA-256) is refused.
    const oldCode = 'A1B2C3D4E5';
    await sql`update staff set recovery_codes = array_append(recovery_codes, ${sha(oldCode)})
               where username = 'twofactor'`.execute(t.db.handle.db);
    const refused = await secondStep(oldCode, '10.1.0.6');
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    expect(await stored()).toHaveLength(9);
    await sql`update staff set failed_logins = 0 where username = 'twofactor'`.execute(
      t.db.handle.db,
    );
  });

  it('checks a second-factor code against the server clock it was given, not the wall clock', async () => {
    // A clock seven hours behind the wall clock: every code is judged by it alone.
    let now = new Date(Date.now() - 7 * 3_600_000);
    const clock = { now: () => now };
    const services = createServices({
      database: t.db.handle,
      keys: t.keys,
      register: t.register,
      vault: createVault(t.masterKey),
      clock,
    });
    const staff = services.staff;
    const { staff: member, password } = await staff.createStaff(operator, {
      username: 'clocked',
      displayName: 'Clocked',
      role: 'support',
    });
    const actor = { ...operator, kind: 'staff' as const, id: member.id };
    const setup = await staff.setupTotp(actor, password);
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(setup.secret) });
    const at = (d: Date) => totp.generate({ timestamp: d.getTime() });
    // A code of the wall clock's time is not one of the server clock's.
    await expect(staff.enableTotp(actor, at(new Date()))).rejects.toThrow(/does not match/);
    await staff.enableTotp(actor, at(now));

    const signIn = () => staff.login({ username: 'clocked', password }).then((r) => r.sessionToken);
    await expect(staff.completeMfa(await signIn(), at(new Date()))).rejects.toThrow(/not valid/);
    now = new Date(now.getTime() + 60_000);
    const code = at(now);
    const done = await staff.completeMfa(await signIn(), code);
    expect(done.mfaRequired).toBe(false);
    // The replay guard reads the same clock: the same code again is refused.
    await expect(staff.completeMfa(await signIn(), code)).rejects.toThrow(/not valid/);
  });

  it('changes a password only to a long, uncommon one, ending other sessions', async () => {
    await newStaff(t, 'support', {
      username: 'changer',
      displayName: 'Changer',
      password: 'first-long-passphrase',
    });
    const other = {
      cookie: (await signInAs(t, 'changer', 'first-long-passphrase', { remoteAddress: '10.2.0.1' }))
        .cookie,
    };
    const { headers } = await signInAs(t, 'changer', 'first-long-passphrase', {
      remoteAddress: '10.2.0.2',
    });
    for (const [next, detail] of [
      ['short', 'at least 12'],
      ['password1234', 'attackers try first'],
      ['changer-is-my-name', 'username'],
    ] as const) {
      const refused = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers,
        payload: { current: 'first-long-passphrase', next },
      });
      expect(refused.statusCode).toBe(400);
      expect(
        refused.json<{ errors: Array<{ field: string; detail: string }> }>().errors[0],
      ).toMatchObject({ field: 'next', detail: expect.stringContaining(detail) });
    }
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/password',
          headers,
          payload: { current: 'wrong', next: 'a-new-long-passphrase' },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/password',
          headers,
          payload: { current: 'first-long-passphrase', next: 'a-new-long-passphrase' },
        })
      ).statusCode,
    ).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: other })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers })).statusCode).toBe(200);
  });

  it('ends a session left idle for half an hour, and prunes it', async () => {
    const s = await signIn('marketing');
    expect(
      (await t.app.inject({ url: '/api/v1/auth/me', headers: { cookie: s.cookie } })).statusCode,
    ).toBe(200);
    await sql`update staff_sessions set last_seen_at = now() - interval '31 minutes'`.execute(
      t.db.handle.db,
    );
    expect(
      (await t.app.inject({ url: '/api/v1/auth/me', headers: { cookie: s.cookie } })).statusCode,
    ).toBe(401);
    const other = await signIn('marketing');
    await sql`update staff_sessions set last_seen_at = now() - interval '2 hours'`.execute(
      t.db.handle.db,
    );
    expect(await t.services.staff.pruneSessions()).toBeGreaterThanOrEqual(1);
    expect(
      (await t.app.inject({ url: '/api/v1/auth/me', headers: { cookie: other.cookie } }))
        .statusCode,
    ).toBe(401);
  });

  it('signs out', async () => {
    const s = await signIn('auditor');
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: s.headers }))
        .statusCode,
    ).toBe(204);
    expect(
      (await t.app.inject({ url: '/api/v1/auth/me', headers: { cookie: s.cookie } })).statusCode,
    ).toBe(401);
  });

  describe('every route with every role', () => {
    type Allowed = Record<
      'admin' | 'dpo' | 'support' | 'marketing' | 'auditor' | 'apikey',
      boolean
    >;
    const everyone: Allowed = {
      admin: true,
      dpo: true,
      support: true,
      marketing: true,
      auditor: true,
      apikey: true,
    };
    const only = (...who: Array<keyof Allowed>): Allowed =>
      Object.fromEntries(
        Object.keys(everyone).map((k) => [k, who.includes(k as keyof Allowed)]),
      ) as Allowed;

    let subjectFor: (who: string) => Promise<string>;
    beforeAll(() => {
      subjectFor = async (who) => {
        const id = (
          await t.services.subjects.createSubject(operator, {
            purpose: 'customer_relationship',
            source: 'staff',
            values: {
              ...anna,
              contact: { email: `${who}.${Math.random().toString(36).slice(2)}@example.com` },
            },
          })
        ).id;
        // Signed up for the newsletter and analytics, which read and write under them below.
        await consentToMarketing(t.services, id);
        return id;
      };
    });

    /**
     * A data subject's request, proven by a photo ID checked in person (the clock runs), for the
     * request routes: each call gets a fresh one, so one role's step never closes the next one's.
     */
    const newRequest = async (
      type: 'access' | 'restriction' = 'access',
      subjectId?: string,
      proven = true,
    ) =>
      (
        await t.services.requests.intake(operator, {
          type,
          channel: 'in_person',
          lang: 'fi',
          name: 'Pyytäjä',
          phone: '+358 40 000 0000',
          ...(proven ? { identity: { proof: 'photo_id', documentType: 'id_card' } } : {}),
          ...(subjectId ? { subjectId } : {}),
        })
      ).id;
    let linkTo = '';
    /** An access request without e-mail, completed to be handed over: its copy to print. */
    const completedForHand = async (person: string) => {
      const id = await newRequest('access', person);
      await t.services.requests.complete(operator, id, { delivery: 'handed_over' });
      return id;
    };
    const newCampaign = async (start = false) => {
      const c = await t.services.campaigns.create(operator, {
        name: 'Walk',
        purpose: 'newsletter',
        channel: 'email',
        content: { fi: { subject: 'Hei', body: 'Uutisia.' } },
      });
      if (start) {
        await t.services.campaigns.start(operator, c.id);
      }
      return c.id;
    };

    /**
     * A campaign's mail to the person in `state`, as the job records it: `campaign|person`. The
     * campaign is set paused (a requeue needs one that may still send) without queueing an
     * audience, which would slow the walk.
     */
    const sendIn = async (person: string, state: 'uncertain' | 'bounced') => {
      const campaign = await newCampaign();
      await t.db.handle.db
        .updateTable('campaigns')
        .set({ state: 'paused', generation: 1 })
        .where('id', '=', campaign)
        .execute();
      await t.db.handle.db
        .insertInto('campaign_sends')
        .values({
          campaign_id: campaign,
          subject_id: person,
          state,
          reason: state === 'uncertain' ? 'interrupted' : 'bounce 5.1.1',
          message_id: `<campaign.${campaign}.${person}@walk.example>`,
          recipient_index: `walk-${person}`,
          updated_at: new Date(),
        })
        .onConflict((oc) =>
          oc.columns(['campaign_id', 'subject_id']).doUpdateSet({
            state,
            reason: state === 'uncertain' ? 'interrupted' : 'bounce 5.1.1',
            recipient_index: `walk-${person}`,
          }),
        )
        .execute();
      return `${campaign}|${person}`;
    };
    /** The walk's address of a person, listed on an address list: the person's id. */
    const listed = async (list: 'undeliverable' | 'prohibition', person: string) => {
      await t.db.handle.db
        .insertInto('address_lists')
        .values({
          list,
          kind: 'email',
          index_value: t.services.vault.emailIndex(`walk.${person}@example.com`)!,
          listed_at: new Date(),
          source: 'walk',
          share_hash: null,
        })
        .execute();
      return person;
    };
    const sendUrl = (id: string, action: string) => {
      const [campaign, person = campaign] = id.split('|');
      return `/api/v1/campaigns/${campaign}/sends/${person}${action}`;
    };

    const routes: Array<{
      name: string;
      method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
      url: (id: string) => string;
      body?: (id: string) => object;
      /** The id the route is called with, when it is not a fresh person's. */
      prepare?: (person: string) => Promise<string>;
      allowed: Allowed;
    }> = [
      {
        name: 'list requests',
        method: 'GET',
        url: () => '/api/v1/requests',
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'register a request',
        method: 'POST',
        url: () => '/api/v1/requests',
        body: () => ({ type: 'access', channel: 'email', lang: 'sv', email: 'ada@example.com' }),
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'read a request',
        method: 'GET',
        url: (id) => `/api/v1/requests/${id}`,
        prepare: () => newRequest(),
        allowed: only('admin', 'dpo'),
      },
      {
        name: "record a request's identity proof",
        method: 'POST',
        url: (id) => `/api/v1/requests/${id}/identity`,
        body: () => ({ proof: 'photo_id', documentType: 'passport' }),
        prepare: () => newRequest('access', undefined, false),
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'link a request to its person',
        method: 'POST',
        url: (id) => `/api/v1/requests/${id}/subject`,
        body: () => ({ subjectId: linkTo }),
        prepare: async (person) => {
          linkTo = person;
          return newRequest();
        },
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'extend a request',
        method: 'POST',
        url: (id) => `/api/v1/requests/${id}/extend`,
        body: () => ({ months: 1, reason: 'many systems to search' }),
        prepare: () => newRequest(),
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'refuse a request',
        method: 'POST',
        url: (id) => `/api/v1/requests/${id}/refuse`,
        body: () => ({ reason: 'manifestly unfounded' }),
        prepare: () => newRequest(),
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'cancel a request',
        method: 'POST',
        url: (id) => `/api/v1/requests/${id}/cancel`,
        body: () => ({ reason: 'withdrawn by the person' }),
        prepare: () => newRequest(),
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'complete a request',
        method: 'POST',
        url: (id) => `/api/v1/requests/${id}/complete`,
        // The request gives no e-mail address: the printed copy is handed over.
        body: () => ({ delivery: 'handed_over' }),
        prepare: (person) => newRequest('access', person),
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'record a recipient told',
        method: 'POST',
        url: (id) => `/api/v1/requests/${id}/recipients/webshop_platform`,
        body: () => ({ how: 'email' }),
        prepare: (person) => newRequest('restriction', person),
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'read a person for customer service',
        method: 'GET',
        url: (id) => `/api/v1/subjects/${id}?purpose=customer_relationship`,
        allowed: only('admin', 'dpo', 'support'),
      },
      {
        name: 'read marketing analytics',
        method: 'GET',
        url: (id) => `/api/v1/subjects/${id}?purpose=analytics`,
        allowed: only('admin', 'dpo', 'marketing'),
      },
      {
        name: 'search for customer service',
        method: 'GET',
        url: () => `/api/v1/subjects?purpose=customer_relationship&q=kuus`,
        allowed: only('admin', 'dpo', 'support'),
      },
      {
        name: 'list for the newsletter',
        method: 'GET',
        url: () => `/api/v1/subjects?purpose=newsletter`,
        allowed: only('admin', 'dpo', 'marketing', 'apikey'),
      },
      {
        name: 'history for customer service',
        method: 'GET',
        url: (id) => `/api/v1/subjects/${id}/history?purpose=customer_relationship`,
        allowed: only('admin', 'dpo', 'support'),
      },
      {
        name: 'create for customer service',
        method: 'POST',
        url: () => '/api/v1/subjects',
        body: () => ({
          purpose: 'customer_relationship',
          source: 'staff',
          values: { identity: { firstName: 'Matrix' } },
        }),
        allowed: only('admin', 'support'),
      },
      {
        name: 'rectify for customer service',
        method: 'PATCH',
        url: (id) => `/api/v1/subjects/${id}`,
        body: () => ({
          purpose: 'customer_relationship',
          source: 'staff',
          values: { identity: { lastName: 'Muutettu' } },
        }),
        allowed: only('admin', 'support'),
      },
      {
        name: 'rectify for the newsletter',
        method: 'PATCH',
        url: (id) => `/api/v1/subjects/${id}`,
        body: () => ({
          purpose: 'newsletter',
          source: 'staff',
          values: { identity: { lastName: 'Uutiskirje' } },
        }),
        allowed: only('admin', 'marketing', 'apikey'),
      },
      {
        name: 'restrict',
        method: 'PUT',
        url: (id) => `/api/v1/subjects/${id}/restriction`,
        body: () => ({ reason: 'contested' }),
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'lift a restriction',
        method: 'DELETE',
        url: (id) => `/api/v1/subjects/${id}/restriction`,
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'erase',
        method: 'DELETE',
        url: (id) => `/api/v1/subjects/${id}`,
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'export a person',
        method: 'GET',
        url: (id) => `/api/v1/subjects/${id}/export`,
        allowed: only('admin', 'dpo'),
      },
      {
        name: "mark a request's letter sent",
        method: 'POST',
        // The id is the request's and its letter's: a request by phone, without an e-mail address,
        // is acknowledged by a letter to send.
        url: (id) => {
          const [request, letter] = id.split('|');
          return `/api/v1/requests/${request}/letters/${letter}/sent`;
        },
        // In person, without a postal address: the person is told by hand.
        body: () => ({ how: 'handed_over' }),
        prepare: async () => {
          const request = await newRequest();
          const letter = await t.db.handle.db
            .selectFrom('request_letters')
            .select('id')
            .where('request_id', '=', request)
            .executeTakeFirstOrThrow();
          return `${request}|${letter.id}`;
        },
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'print the access copy of a request without e-mail',
        method: 'GET',
        url: (id) => `/api/v1/requests/${id}/package?format=pdf`,
        prepare: (person) => completedForHand(person),
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'record the delivery of a printed access copy',
        method: 'POST',
        url: (id) => `/api/v1/requests/${id}/delivery`,
        body: () => ({ how: 'handed_over' }),
        prepare: (person) => completedForHand(person),
        allowed: only('admin', 'dpo'),
      },
      {
        name: "correct a request's contact details",
        method: 'POST',
        url: (id) => `/api/v1/requests/${id}/contact`,
        body: () => ({ address: { street: 'Kulmakatu 1', postalCode: '00100', city: 'Helsinki' } }),
        prepare: () => newRequest(),
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'count an audience',
        method: 'POST',
        url: () => '/api/v1/audiences/count',
        body: () => ({ purpose: 'newsletter', channel: 'email' }),
        allowed: only('admin', 'marketing'),
      },
      {
        name: 'export an audience',
        method: 'POST',
        url: () => '/api/v1/audiences/export',
        body: () => ({ purpose: 'newsletter', channel: 'email' }),
        allowed: only('admin', 'marketing'),
      },
      {
        name: "import an e-mail service's audience (dry run)",
        method: 'POST',
        url: () => '/api/v1/interchange/audience',
        body: (id) => ({
          format: 'mailchimp',
          purpose: 'newsletter',
          dryRun: true,
          csv: `"Email Address",OPTIN_TIME\nwalk.${id}@example.com,"2024-01-01 10:00:00"\n`,
        }),
        allowed: only('admin', 'marketing', 'apikey'),
      },
      {
        name: 'import a prohibition list (dry run)',
        method: 'POST',
        url: () => '/api/v1/interchange/prohibitions',
        body: (id) => ({ source: 'walk', dryRun: true, csv: `email\nwalk.${id}@example.com\n` }),
        allowed: only('admin', 'dpo', 'support', 'marketing', 'apikey'),
      },
      {
        name: 'look up an address on the undeliverable list',
        method: 'POST',
        url: () => '/api/v1/interchange/address-lists/undeliverable/lookup',
        body: (id) => ({ email: `walk.${id}@example.com` }),
        allowed: only('admin', 'dpo', 'marketing'),
      },
      {
        name: 'take an address off the undeliverable list',
        method: 'POST',
        url: () => '/api/v1/interchange/address-lists/undeliverable/remove',
        body: (id) => ({ email: `walk.${id}@example.com`, reason: 'The mailbox works again.' }),
        prepare: (person) => listed('undeliverable', person),
        allowed: only('admin', 'dpo', 'marketing'),
      },
      {
        name: 'take an address off the prohibition list',
        method: 'POST',
        url: () => '/api/v1/interchange/address-lists/prohibition/remove',
        body: (id) => ({
          email: `walk.${id}@example.com`,
          reason: 'No longer on the prohibition service (checked 2026-12-01).',
        }),
        prepare: (person) => listed('prohibition', person),
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'check a permission',
        method: 'GET',
        url: (id) => `/api/v1/permissions/check?purpose=newsletter&subject=${id}&channel=email`,
        allowed: only('admin', 'dpo', 'marketing', 'apikey'),
      },
      {
        name: "read a person's permissions",
        method: 'GET',
        url: (id) => `/api/v1/subjects/${id}/permissions`,
        allowed: only('admin', 'dpo', 'support', 'marketing', 'apikey'),
      },
      {
        name: 'record a refusal of marketing',
        method: 'POST',
        url: (id) => `/api/v1/subjects/${id}/permissions`,
        body: () => ({
          changes: [{ kind: 'newsletter', channel: 'email', state: 'refused' }],
          evidence: { method: 'staff' },
        }),
        allowed: only('admin', 'dpo', 'support', 'marketing', 'apikey'),
      },
      {
        name: 'record a consent to marketing by post',
        method: 'POST',
        url: (id) => `/api/v1/subjects/${id}/permissions`,
        body: () => ({
          changes: [{ kind: 'direct_marketing', channel: 'post', state: 'granted' }],
          evidence: { method: 'staff', wording: { text: 'Saa lähettää postia.', language: 'fi' } },
        }),
        allowed: only('admin', 'marketing'),
      },
      {
        name: "a person's consent receipts",
        method: 'GET',
        url: (id) => `/api/v1/subjects/${id}/consent-receipts`,
        allowed: only('admin', 'dpo', 'support', 'marketing', 'apikey'),
      },
      {
        name: 'list campaigns',
        method: 'GET',
        url: () => '/api/v1/campaigns',
        allowed: only('admin', 'marketing'),
      },
      {
        name: 'draft a campaign',
        method: 'POST',
        url: () => '/api/v1/campaigns',
        body: () => ({
          name: 'Walk',
          purpose: 'newsletter',
          channel: 'email',
          content: { sv: { subject: 'Hej', body: 'Nyheter.' } },
        }),
        allowed: only('admin', 'marketing'),
      },
      {
        name: 'read a campaign',
        method: 'GET',
        url: (id) => `/api/v1/campaigns/${id}`,
        prepare: () => newCampaign(),
        allowed: only('admin', 'marketing'),
      },
      {
        name: "count a campaign's audience",
        method: 'GET',
        url: (id) => `/api/v1/campaigns/${id}/count`,
        prepare: () => newCampaign(),
        allowed: only('admin', 'marketing'),
      },
      {
        name: 'start a campaign',
        method: 'POST',
        url: (id) => `/api/v1/campaigns/${id}/start`,
        prepare: () => newCampaign(),
        allowed: only('admin', 'marketing'),
      },
      {
        name: 'pause a campaign',
        method: 'POST',
        url: (id) => `/api/v1/campaigns/${id}/pause`,
        prepare: () => newCampaign(true),
        allowed: only('admin', 'marketing'),
      },
      {
        name: 'cancel a campaign',
        method: 'POST',
        url: (id) => `/api/v1/campaigns/${id}/cancel`,
        prepare: () => newCampaign(),
        allowed: only('admin', 'marketing'),
      },
      {
        name: "a campaign's sends",
        method: 'GET',
        url: (id) => `/api/v1/campaigns/${id}/sends`,
        prepare: () => newCampaign(),
        allowed: only('admin', 'marketing'),
      },
      {
        name: 'feed back a bounce',
        method: 'POST',
        url: () => '/api/v1/campaigns/feedback',
        body: (id) => ({ type: 'bounce', messageId: id }),
        // A mail of a campaign to the person, as the job records it.
        prepare: async (person) => {
          const campaign = await newCampaign(true);
          const messageId = `<campaign.${person}@walk.example>`;
          await t.db.handle.db
            .insertInto('campaign_sends')
            .values({
              campaign_id: campaign,
              subject_id: person,
              state: 'sent',
              message_id: messageId,
              updated_at: new Date(),
            })
            .onConflict((oc) =>
              oc
                .columns(['campaign_id', 'subject_id'])
                .doUpdateSet({ state: 'sent', message_id: messageId }),
            )
            .execute();
          return messageId;
        },
        allowed: only('admin', 'marketing'),
      },
      {
        name: "one person's campaign mail",
        method: 'GET',
        url: (id) => sendUrl(id, ''),
        prepare: (person) => sendIn(person, 'uncertain'),
        allowed: only('admin', 'marketing'),
      },
      {
        name: 'resolve an uncertain campaign mail',
        method: 'POST',
        url: (id) => sendUrl(id, '/resolve'),
        body: () => ({ outcome: 'failed', reason: 'The mail server log shows no handover.' }),
        prepare: (person) => sendIn(person, 'uncertain'),
        allowed: only('admin', 'marketing'),
      },
      {
        name: 'requeue an uncertain campaign mail',
        method: 'POST',
        url: (id) => sendUrl(id, '/requeue'),
        body: () => ({ reason: 'Not in the mail server log.', confirmSendAgain: true }),
        prepare: (person) => sendIn(person, 'uncertain'),
        allowed: only('admin', 'marketing'),
      },
      {
        name: "lift a campaign mail's bounce",
        method: 'POST',
        url: (id) => sendUrl(id, '/lift-bounce'),
        body: () => ({ reason: 'The person says the mailbox works again.' }),
        prepare: (person) => sendIn(person, 'bounced'),
        allowed: only('admin', 'marketing'),
      },
      {
        name: 'read the access log',
        method: 'GET',
        url: () => '/api/v1/audit',
        allowed: only('admin', 'dpo', 'auditor'),
      },
      {
        name: 'verify the access log',
        method: 'GET',
        url: () => '/api/v1/audit/verify',
        allowed: only('admin', 'dpo', 'auditor'),
      },
      {
        name: 'end a customer relationship',
        method: 'POST',
        url: (id) => `/api/v1/subjects/${id}/relationship/end`,
        body: () => ({ purpose: 'customer_relationship' }),
        allowed: only('admin', 'support'),
      },
      {
        name: 'resume a customer relationship',
        method: 'POST',
        url: (id) => `/api/v1/subjects/${id}/relationship/resume`,
        body: () => ({ purpose: 'customer_relationship' }),
        allowed: only('admin', 'support'),
      },
      {
        name: 'read what retention has due',
        method: 'GET',
        url: () => '/api/v1/retention/due',
        allowed: only('admin', 'dpo'),
      },
      {
        name: "read a person's retention dates",
        method: 'GET',
        url: (id) => `/api/v1/subjects/${id}/retention`,
        allowed: only('admin', 'dpo'),
      },
      {
        name: 'read the anonymised statistics',
        method: 'GET',
        url: () => '/api/v1/statistics',
        allowed: only('admin', 'dpo', 'auditor'),
      },
      {
        name: 'export the anonymised statistics as CSV',
        method: 'GET',
        url: () => '/api/v1/statistics.csv',
        allowed: only('admin', 'dpo', 'auditor'),
      },
      {
        name: 'read the outbox',
        method: 'GET',
        url: () => '/api/v1/outbox',
        allowed: only('admin', 'dpo'),
      },
      { name: 'list staff', method: 'GET', url: () => '/api/v1/staff', allowed: only('admin') },
      {
        name: 'create staff',
        method: 'POST',
        url: () => '/api/v1/staff',
        body: () => ({
          username: `new${Math.random().toString(36).slice(2, 8)}`,
          displayName: 'New',
          role: 'auditor',
        }),
        allowed: only('admin'),
      },
      {
        name: 'change a staff member',
        method: 'PATCH',
        url: () => `/api/v1/staff/${staffId}`,
        body: () => ({ displayName: 'Renamed' }),
        allowed: only('admin'),
      },
      {
        name: 'list roles',
        method: 'GET',
        url: () => '/api/v1/roles',
        allowed: only('admin', 'dpo', 'support', 'marketing', 'auditor'),
      },
      {
        name: 'export the records of processing (Art. 30)',
        method: 'GET',
        url: () => '/api/v1/records',
        allowed: only('admin', 'dpo', 'auditor'),
      },
      {
        name: 'check the register definition (errors, warnings, transfers)',
        method: 'POST',
        url: () => '/api/v1/definition/check',
        body: () => ({}),
        allowed: only('admin', 'dpo', 'auditor'),
      },
      {
        name: 'publish a version of the privacy notice',
        method: 'POST',
        url: () => '/api/v1/notice/versions',
        body: () => ({ date: '2026-01-15' }),
        allowed: only('admin'),
      },
      {
        name: 'tell people of a material change of the notice',
        method: 'POST',
        // Two more versions, the latest changing the retention of every one before it (and so of
        // the last one people were told of, or the first): announceable.
        prepare: async () => {
          const db = t.db.handle.db;
          const latest =
            (
              await db
                .selectFrom('notice_versions')
                .select('version')
                .orderBy('version', 'desc')
                .executeTakeFirst()
            )?.version ?? 0;
          const changed = structuredClone(t.register.definition);
          changed.retention.rules[0]!.duration = 'P99Y';
          for (const [version, definition] of [
            [latest + 1, t.register.definition],
            [latest + 2, changed],
          ] as const) {
            await db
              .insertInto('notice_versions')
              .values({
                version,
                notice_date: '2026-01-15',
                published_at: new Date(),
                published_by: 'test',
                digest: `walk-${version}`,
                definition: JSON.stringify(definition),
                notice: JSON.stringify({ fi: '# Tietosuojaseloste' }),
              })
              .execute();
          }
          return String(latest + 2);
        },
        url: (v) => `/api/v1/notice/versions/${v === '{id}' ? '{version}' : v}/announce`,
        allowed: only('admin'),
      },
      {
        name: 'list the announcements of notice versions',
        method: 'GET',
        url: () => '/api/v1/notice/announcements',
        allowed: only('admin'),
      },
    ];
    let staffId = '';

    for (const who of ['admin', 'dpo', 'support', 'marketing', 'auditor', 'apikey'] as const) {
      it(`as ${who}`, async () => {
        staffId =
          (await t.services.staff.listStaff(operator)).find((s) => s.username === 'auditor')?.id ??
          '';
        const headers =
          who === 'apikey'
            ? await t.key(['newsletter'], ['read', 'write'])
            : (await signIn(who)).headers;
        for (const route of routes) {
          const person = await subjectFor(who);
          const id = route.prepare ? await route.prepare(person) : person;
          const res = await t.app.inject({
            method: route.method,
            url: route.url(id),
            headers,
            ...(route.body ? { payload: route.body(id) } : {}),
          });
          const allowed = route.allowed[who];
          if (allowed) {
            expect(res.statusCode, `${who}: ${route.name} → ${res.body}`).toBeLessThan(300);
          } else {
            expect(res.statusCode, `${who}: ${route.name} → ${res.body}`).toBe(403);
            expect(res.headers['content-type']).toMatch(/problem\+json/);
          }
        }
      }, 120_000);
    }

    it('walks every documented route that needs credentials', async () => {
      const doc = (await t.app.inject({ url: '/api/openapi.json' })).json<{
        paths: Record<string, Record<string, unknown>>;
      }>();
      const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      );
      // Public, or about one's own session: tested on their own above.
      const own = new Set([
        'GET /healthz',
        'GET /healthz/live',
        'GET /healthz/ready',
        'GET /api/v1/definition',
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/mfa',
        'GET /api/v1/auth/me',
        'POST /api/v1/auth/logout',
        'POST /api/v1/auth/password',
        'POST /api/v1/auth/totp/setup',
        'POST /api/v1/auth/totp/enable',
        // The public portal's request routes (test/portal-requests.test.ts).
        'POST /api/v1/portal/requests',
        'POST /api/v1/portal/verify',
        'POST /api/v1/portal/download-links',
        'POST /api/v1/portal/downloads',
        // The portal's preference page and sign-up: public, or the person's own short session
        // (test/permissions-portal.test.ts).
        'GET /api/v1/portal/preferences/choices',
        'POST /api/v1/portal/preferences/links',
        'POST /api/v1/portal/preferences/session',
        'DELETE /api/v1/portal/preferences/session',
        'GET /api/v1/portal/preferences',
        'PUT /api/v1/portal/preferences',
        'POST /api/v1/portal/signups',
        'POST /api/v1/portal/signups/confirm',
        // The privacy notice and its completeness: public (test/notice.test.ts).
        'GET /api/v1/notice',
        'GET /api/v1/notice/completeness',
        'GET /api/v1/notice/versions',
        'GET /api/v1/notice/versions/diff',
        'GET /api/v1/notice/versions/{version}',
      ]);
      const walked = new Set(
        routes.map(
          (r) =>
            `${r.method} ${r
              .url('{id}')
              .split('?')[0]
              ?.replace(/\/staff\/.*$/, '/staff/{id}')
              .replace(/\/recipients\/[a-z_]+$/, '/recipients/{recipientId}')
              .replace(/\/address-lists\/[a-z]+\//, '/address-lists/{list}/')
              .replace(/\/campaigns\/\{id\}\/sends\/\{id\}/, '/campaigns/{id}/sends/{subjectId}')
              .replace(
                /\/requests\/[^/]+\/letters\/[^/]+\/sent$/,
                '/requests/{id}/letters/{letterId}/sent',
              )}`,
        ),
      );
      expect(documented.length).toBeGreaterThan(20);
      const missing = documented.filter((op) => !own.has(op) && !walked.has(op));
      expect(missing).toEqual([]);
    });

    it('refuses every route without credentials', async () => {
      for (const route of routes) {
        const res = await t.app.inject({
          method: route.method,
          url: route.url('00000000-0000-4000-8000-000000000000'),
          ...(route.body ? { payload: route.body('x') } : {}),
        });
        expect(res.statusCode, route.name).toBe(401);
      }
    });
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('first administrator (PostgreSQL)', () => {
  it('is made once even when two instances start together', async () => {
    const t = await createTestContext('postgres');
    try {
      const results = await Promise.all([
        t.services.staff.ensureFirstAdmin(),
        t.services.staff.ensureFirstAdmin(),
        t.services.staff.ensureFirstAdmin(),
      ]);
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      expect((await t.services.staff.listStaff(operator)).map((s) => s.username)).toEqual([
        'admin',
      ]);
    } finally {
      await t.close();
    }
  });
});
