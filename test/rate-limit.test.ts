/**
 * Request rate limits (src/http/rate-limit): counted in the database, so two server instances on
 * one database share them; a window resets; a refused request changes nothing; the table never
 * holds an address.
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { openDatabase, type DatabaseHandle } from '../src/db/database.ts';
import { operator } from '../src/lib/actor.ts';
import { createServices, type Services } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import { createTestContext, DATABASES, type TestContext } from './helpers.ts';

describe.each(DATABASES)('request rate limits on %s', (kind) => {
  let t: TestContext;
  /** The second instance's own connection pool (PostgreSQL); PGlite is one process. */
  let second: DatabaseHandle | undefined;
  let now = new Date('2026-03-02T09:00:00Z');
  const clock = { now: () => now };
  const instances: Array<{ services: Services; app: FastifyInstance }> = [];

  beforeAll(async () => {
    t = await createTestContext(kind);
    second = t.db.url ? await openDatabase({ url: t.db.url, poolSize: 2 }) : undefined;
    for (const database of [t.db.handle, second ?? t.db.handle]) {
      const services = createServices({
        database,
        keys: t.keys,
        register: t.register,
        vault: createVault(t.masterKey),
        clock,
      });
      instances.push({ services, app: await createApp(services) });
    }
    await t.services.staff.createStaff(operator, {
      username: 'ratkaisija',
      displayName: 'Ratkaisija',
      role: 'support',
      password: 'pitka-ja-oma-salasana',
    });
  });
  afterAll(async () => {
    for (const i of instances) {
      await i.app.close();
    }
    await second?.close();
    await t?.close();
  });

  const login = (instance: number, password: string, remoteAddress: string) =>
    instances[instance]!.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'ratkaisija', password },
      remoteAddress,
    });
  const counts = async () => {
    const one = async (table: 'staff_sessions' | 'audit_events' | 'rate_limits') =>
      Number(
        (
          await t.db.handle.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const staff = await t.db.handle.db
      .selectFrom('staff')
      .select(['failed_logins', 'locked_until'])
      .where('username', '=', 'ratkaisija')
      .executeTakeFirstOrThrow();
    return {
      sessions: await one('staff_sessions'),
      events: await one('audit_events'),
      counters: await one('rate_limits'),
      staff,
    };
  };

  it('shares the sign-in limit between two instances on one database, and says what was limited', async () => {
    // 20 attempts per address in five minutes, on either instance.
    for (let i = 0; i < 20; i++) {
      const res = await login(i % 2, `vaara-salasana-${i}`, '10.20.0.1');
      expect(res.statusCode).toBe(401);
      if (i % 4 === 3) {
        // right password now and then, so the account's own lockout never starts
        expect((await login(i % 2, 'pitka-ja-oma-salasana', '10.20.0.9')).statusCode).toBe(200);
      }
    }
    const before = await counts();
    // The 21st, on either instance, and even with the right password, is refused.
    const limited = await login(0, 'pitka-ja-oma-salasana', '10.20.0.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/application\/problem\+json/);
    const wait = Number(limited.headers['retry-after']);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(300);
    expect(limited.headers['x-content-type-options']).toBe('nosniff');
    expect(limited.headers['content-security-policy']).toBeDefined();
    const body = limited.json<{ status: number; detail: string }>();
    expect(body.status).toBe(429);
    expect(body.detail).toMatch(/too many sign-in attempts from this address; try again in \d+ s/);
    expect((await login(1, 'pitka-ja-oma-salasana', '10.20.0.1')).statusCode).toBe(429);
    // A refused request changes nothing: no session, no access-log entry, no failure counted.
    expect(await counts()).toEqual(before);
    // Another address is not limited.
    expect((await login(1, 'pitka-ja-oma-salasana', '10.20.0.2')).statusCode).toBe(200);
  });

  it('lifts the limit when its window has passed', async () => {
    expect((await login(1, 'pitka-ja-oma-salasana', '10.20.0.1')).statusCode).toBe(429);
    now = new Date(now.getTime() + 5 * 60_000 + 1000);
    expect((await login(1, 'pitka-ja-oma-salasana', '10.20.0.1')).statusCode).toBe(200);
  });

  it('counts IPv6 addresses per /64 network', async () => {
    for (let i = 0; i < 20; i++) {
      await login(0, `vaara-${i}`, `2001:db8:7:1::${(i + 1).toString(16)}`);
      if (i % 4 === 3) {
        await login(0, 'pitka-ja-oma-salasana', '10.20.1.1');
      }
    }
    expect((await login(1, 'pitka-ja-oma-salasana', '2001:db8:7:1::ffff')).statusCode).toBe(429);
    expect((await login(1, 'pitka-ja-oma-salasana', '2001:db8:7:2::1')).statusCode).toBe(200);
  });

  it('limits password changes per account', async () => {
    const signedIn = await login(0, 'pitka-ja-oma-salasana', '10.20.3.1');
    const headers = {
      cookie: `rk_session=${signedIn.cookies.find((c) => c.name === 'rk_session')?.value ?? ''}`,
      'x-csrf-token': signedIn.json<{ csrfToken: string }>().csrfToken,
    };
    const change = (instance: number, current: string) =>
      instances[instance]!.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers,
        payload: { current, next: 'uusi-ja-viela-pidempi-salasana' },
        remoteAddress: `10.20.4.${instance}`,
      });
    for (let i = 0; i < 10; i++) {
      expect((await change(i % 2, `arvaus-${i}`)).statusCode).toBe(403);
    }
    const limited = await change(0, 'pitka-ja-oma-salasana');
    expect(limited.statusCode).toBe(429);
    expect(limited.json<{ detail: string }>().detail).toMatch(/password changes for this account/);
    // The password did not change.
    expect((await login(1, 'pitka-ja-oma-salasana', '10.20.3.2')).statusCode).toBe(200);
  });

  it('shares the general API limit between instances within a second, without a write per request', async () => {
    const definition = await instances[0]!.app.inject({
      url: '/api/v1/definition',
      remoteAddress: '10.20.5.1',
    });
    expect(definition.statusCode).toBe(200);
    expect(definition.headers['x-ratelimit-limit']).toBe('1200');
    const [a, b] = instances.map((i) => i.services.rateLimits) as [
      Services['rateLimits'],
      Services['rateLimits'],
    ];
    const key = 'api\u0000api_key\u0000an-integration';
    for (let i = 1; i <= 5; i++) {
      expect(a.hitSoon(key, 60_000).current).toBe(i);
    }
    // Not synced yet: the other instance knows only its own.
    expect(b.hitSoon(key, 60_000).current).toBe(1);
    await a.flush();
    await b.flush();
    // Now each knows the shared count (5 + 1) and adds its own since.
    expect(b.hitSoon(key, 60_000).current).toBe(7);
    expect(a.hitSoon(key, 60_000).current).toBe(6);
    await a.flush();
    await b.flush();
    expect(b.hitSoon(key, 60_000).current).toBe(9);
  });

  it('gives API keys their own limit (API_KEY_RATE_LIMIT), and none at 0', async () => {
    const key = await t.key(['*'], ['read']);
    const limited = await createApp(instances[0]!.services, { apiKeyRateLimit: 3 });
    const free = await createApp(instances[0]!.services, { apiKeyRateLimit: 0 });
    try {
      const ask = (app: FastifyInstance) =>
        app.inject({
          url: '/api/v1/subjects?purpose=customer_relationship&q=nobody',
          headers: key,
          remoteAddress: '10.20.6.1',
        });
      for (let i = 0; i < 3; i++) {
        const ok = await ask(limited);
        expect(ok.statusCode, ok.body).toBe(200);
        expect(ok.headers['x-ratelimit-limit']).toBe('3');
      }
      const refused = await ask(limited);
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      expect(refused.json<{ detail: string }>().detail).toMatch(/requests from this API key/);
      // A session (here: a client that has not signed in) keeps the staff limit.
      const anonymous = await limited.inject({
        url: '/api/v1/definition',
        remoteAddress: '10.20.6.1',
      });
      expect(anonymous.statusCode).toBe(200);
      expect(anonymous.headers['x-ratelimit-limit']).toBe('1200');
      // With 0, API keys are not counted at all, far past the staff limit's 1,200.
      for (let i = 0; i < 1300; i++) {
        const r = await ask(free);
        if (r.statusCode !== 200) {
          throw new Error(`request ${i + 1} answered ${r.statusCode}`);
        }
        expect(r.headers['x-ratelimit-limit']).toBeUndefined();
      }
    } finally {
      await limited.close();
      await free.close();
    }
  });

  it('stores no address, only HMACs of the keys, and prunes spent counters', async () => {
    for (const i of instances) {
      await i.services.rateLimits.flush();
    }
    const rows = await t.db.handle.db.selectFrom('rate_limits').selectAll().execute();
    expect(rows.length).toBeGreaterThan(0);
    const dump = await sql<{
      text: string;
    }>`select rate_limits::text as text from rate_limits`.execute(t.db.handle.db);
    for (const row of rows) {
      expect(row.key_hash.length).toBe(32);
    }
    const everything = dump.rows.map((r) => r.text).join('\n');
    for (const address of ['10.20.0.1', '2001:db8:7:1', '10.20.3.1']) {
      expect(everything).not.toContain(address);
      expect(everything).not.toContain(Buffer.from(address).toString('hex'));
    }
    // A day later every window has passed: the cleaning job's pass removes them all.
    now = new Date(now.getTime() + 86_400_000);
    expect(await instances[1]!.services.rateLimits.prune()).toBe(rows.length);
    expect(await t.db.handle.db.selectFrom('rate_limits').selectAll().execute()).toEqual([]);
  });

  it('writes no counter while storage is low, and writes the hits kept meanwhile once it has room', async () => {
    const counter = instances[0]!.services.rateLimits;
    let low = true;
    counter.pauseWhen(() => low);
    try {
      const key = 'api\u0000api_key\u0000while-the-disk-is-full';
      expect(counter.hitSoon(key, 60_000).current).toBe(1);
      expect(counter.hitSoon(key, 60_000).current).toBe(2);
      await counter.flush();
      const rows = () => t.db.handle.db.selectFrom('rate_limits').select('hits').execute();
      expect(await rows()).toEqual([]);
      low = false;
      await counter.flush();
      expect(await rows()).toEqual([{ hits: 2 }]);
    } finally {
      counter.pauseWhen(() => false);
    }
  });
});
