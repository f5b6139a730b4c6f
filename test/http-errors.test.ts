/**
 * Every error answer is problem+json with the security headers and `Cache-Control: no-store`, and
 * echoes nothing of the request: not a path no route knows, not the query string, not a header.
 * Also: HSTS only over TLS, and 429/423 with Retry-After.
 */
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { login, newStaff } from './factories.ts';
import { createTestContext, type TestContext } from './helpers.ts';

const SECRET = 'salainen.sahkoposti@example.com';

function expectGuarded(
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  name: string,
) {
  expect(res.headers['content-type'], name).toMatch(/^application\/problem\+json/);
  for (const h of [
    'content-security-policy',
    'x-content-type-options',
    'x-frame-options',
    'referrer-policy',
    'cross-origin-opener-policy',
  ]) {
    expect(res.headers[h], `${name}: ${h}`).toBeTruthy();
  }
  expect(res.headers['cache-control'], name).toBe('no-store');
  expect(res.headers['strict-transport-security'], name).toBeUndefined();
  expect(res.body, name).not.toContain('salainen');
  expect(res.body, name).not.toContain('%c0');
  expect(res.body, name).not.toContain('evil');
  const body = JSON.parse(res.body) as { status: number; title: string };
  expect(body.status, name).toBe(res.statusCode);
}

/** Sends raw bytes to a listening server and returns the parsed answer. */
async function raw(port: number, request: string | Buffer) {
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('end', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.on('error', (e) => (out ? resolve(out) : reject(e)));
    socket.write(request);
  });
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { statusCode: Number(statusLine.split(' ')[1]), headers, body };
}

describe('error answers', () => {
  let t: TestContext;
  let key: { authorization: string };
  let port = 0;

  beforeAll(async () => {
    t = await createTestContext('pglite');
    key = await t.key(['*'], ['read', 'write']);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(async () => {
    await t?.close();
  });

  const cases = () => [
    {
      name: 'malformed percent-encoding in the path',
      status: 400,
      req: { url: `/api/v1/subjects/%c0%ae?email=${SECRET}`, headers: key },
    },
    {
      name: 'unknown route',
      status: 404,
      req: { url: `/api/v1/evil/${SECRET}?email=${SECRET}` },
    },
    {
      name: 'unknown method on a route',
      status: 404,
      req: { method: 'PUT' as const, url: `/healthz?evil=${SECRET}` },
    },
    {
      name: 'a path parameter too long',
      status: 414,
      req: { url: `/api/v1/subjects/${'evil'.repeat(40)}?email=${SECRET}`, headers: key },
    },
    {
      name: 'body too large',
      status: 413,
      req: {
        method: 'POST' as const,
        url: `/api/v1/subjects?evil=${SECRET}`,
        headers: { ...key, 'content-type': 'application/json' },
        payload: `{"purpose":"${'x'.repeat(1_100_000)}"}`,
      },
    },
    {
      name: 'unsupported content type',
      status: 415,
      req: {
        method: 'POST' as const,
        url: '/api/v1/subjects',
        headers: { ...key, 'content-type': `application/evil+${SECRET}` },
        payload: '<x/>',
      },
    },
    {
      name: 'a body that is not JSON',
      status: 400,
      req: {
        method: 'POST' as const,
        url: '/api/v1/subjects',
        headers: { ...key, 'content-type': 'application/json' },
        payload: `{"evil": "${SECRET}"`,
      },
    },
    {
      name: 'missing credentials',
      status: 401,
      req: { url: `/api/v1/subjects?purpose=newsletter&email=${SECRET}` },
    },
  ];

  it.each(cases().map((c) => c.name))('%s', async (name) => {
    // Built here, once the key exists.
    const c = cases().find((x) => x.name === name);
    const res = await t.app.inject(c?.req ?? {});
    expect(res.statusCode, res.body).toBe(c?.status);
    expectGuarded(res, name);
  });

  it('answers the same over a real socket, where the router decodes the path', async () => {
    const res = await raw(
      port,
      `GET /api/v1/subjects/%c0%ae?email=${SECRET} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(res.statusCode).toBe(400);
    expectGuarded(res, 'bad url over a socket');
  });

  it('answers headers too large (431) from Node’s parser as problem+json', async () => {
    const res = await raw(
      port,
      `GET /healthz?email=${SECRET} HTTP/1.1\r\nHost: x\r\nX-Evil: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(res.statusCode).toBe(431);
    expectGuarded(res, '431');
  });

  it('answers a request that is not HTTP (400) as problem+json', async () => {
    const res = await raw(port, `EVIL ${SECRET} \x00\r\n\r\n`);
    expect(res.statusCode).toBe(400);
    expectGuarded(res, 'not HTTP');
  });
});

describe('caching, HSTS and Retry-After', () => {
  let t: TestContext;
  let proxied: FastifyInstance;
  let key: { authorization: string };

  beforeAll(async () => {
    t = await createTestContext('pglite');
    key = await t.key(['*'], ['read', 'write']);
    proxied = await createApp(t.services, { trustProxy: 1 });
  });
  afterAll(async () => {
    await proxied?.close();
    await t?.close();
  });

  it('tells caches to keep nothing that may hold personal data', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers: key,
      payload: {
        purpose: 'customer_relationship',
        source: 'subject',
        values: { identity: { firstName: 'Välimuisti' } },
      },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    for (const url of [
      `/api/v1/subjects/${id}?purpose=customer_relationship`,
      '/api/v1/subjects?purpose=customer_relationship',
      `/api/v1/subjects/${id}/history?purpose=customer_relationship`,
      '/api/v1/definition',
      '/healthz',
      '/api/openapi.json',
    ]) {
      const res = await t.app.inject({ url, headers: key });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
  });

  it('sends HSTS only over TLS, as a trusted proxy reports it', async () => {
    const plain = await t.app.inject({ url: '/healthz' });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    // A client cannot claim TLS where no proxy is trusted.
    const claimed = await t.app.inject({
      url: '/healthz',
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(claimed.headers['strict-transport-security']).toBeUndefined();
    const viaProxy = await proxied.inject({
      url: '/healthz',
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(viaProxy.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    const missing = await proxied.inject({
      url: '/nowhere',
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    const proxiedPlain = await proxied.inject({
      url: '/healthz',
      headers: { 'x-forwarded-proto': 'http' },
    });
    expect(proxiedPlain.headers['strict-transport-security']).toBeUndefined();
  });

  it('says when to try again after too many sign-ins (429) and on a locked account (423)', async () => {
    await newStaff(t, 'support', {
      username: 'kiireinen',
      displayName: 'Kiireinen',
      password: 'hidas-ja-varma-kahvi',
    });
    const attempt = (password: string, remoteAddress: string) =>
      login(t, 'kiireinen', password, remoteAddress);
    for (let i = 0; i < 5; i++) {
      await attempt(`väärä-salasana-${i}`, `10.9.0.${i}`);
    }
    const locked = await attempt('hidas-ja-varma-kahvi', '10.9.1.1');
    expect(locked.statusCode).toBe(423);
    const lockWait = Number(locked.headers['retry-after']);
    expect(lockWait).toBeGreaterThan(14 * 60);
    expect(lockWait).toBeLessThanOrEqual(15 * 60);

    let limited;
    for (let i = 0; i < 25; i++) {
      limited = await attempt('väärä', '10.9.2.2');
      if (limited.statusCode === 429) {
        break;
      }
    }
    expect(limited?.statusCode).toBe(429);
    expect(limited?.headers['content-type']).toMatch(/problem\+json/);
    const wait = Number(limited?.headers['retry-after']);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(300);
  });
});
