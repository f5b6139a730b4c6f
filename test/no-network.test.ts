/**
 * The tests' network blocker (test/support/no-network.mjs): nothing leaves this machine, neither
 * from the test process nor from a Node.js process it starts; this machine stays reachable.
 */
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import dns from 'node:dns';
import { createServer, connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const PUBLIC = '93.184.216.34';

/** The error a socket ends with, and whether it ever started connecting. */
function outcome(socket: Socket): Promise<{ code: unknown; message: string; connecting: boolean }> {
  return new Promise((resolve) => {
    socket.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ code: err.code, message: err.message, connecting: socket.connecting }),
    );
    socket.on('connect', () => resolve({ code: 'connected', message: '', connecting: false }));
  });
}

describe('the tests’ network blocker', () => {
  it('refuses TCP to a public address before any packet is sent', async () => {
    const socket = connect(80, PUBLIC);
    const got = await outcome(socket);
    // The blocker raises this code only in place of handing the address to Node.js (it fails
    // the address-lookup step), so no SYN went out, and nothing was written.
    expect(socket.bytesWritten).toBe(0);
    expect(got.code).toBe('ERR_TEST_NETWORK_BLOCKED');
    expect(got.message).toContain(`${PUBLIC}:80`);
    expect(socket.remoteAddress).toBeUndefined();
  });

  it('refuses TLS, fetch and DNS for a public name', async () => {
    const tls = await outcome(tlsConnect({ host: 'example.com', port: 443 }));
    expect(tls.code).toBe('ERR_TEST_NETWORK_BLOCKED');

    const err = await fetch('https://example.com/').then(
      () => undefined,
      (e: Error & { cause?: { code?: string } }) => e,
    );
    expect(err?.cause?.code).toBe('ERR_TEST_NETWORK_BLOCKED');
    const direct = await fetch(`http://${PUBLIC}/`).then(
      () => undefined,
      (e: Error & { cause?: { code?: string } }) => e,
    );
    expect(direct?.cause?.code).toBe('ERR_TEST_NETWORK_BLOCKED');

    await expect(dns.promises.lookup('example.com')).rejects.toMatchObject({
      code: 'ERR_TEST_NETWORK_BLOCKED',
    });
    await expect(dns.promises.resolve4('example.com')).rejects.toMatchObject({
      code: 'ERR_TEST_NETWORK_BLOCKED',
    });
    const viaCallback = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      dns.lookup('example.com', (e) => resolve(e)),
    );
    expect(viaCallback?.code).toBe('ERR_TEST_NETWORK_BLOCKED');
  });

  it('refuses UDP to a public address', () => {
    const socket = dgram.createSocket('udp4');
    try {
      expect(() => socket.send('x', 53, PUBLIC)).toThrow(
        expect.objectContaining({ code: 'ERR_TEST_NETWORK_BLOCKED' }),
      );
    } finally {
      socket.close();
    }
  });

  it('answers a name under .invalid "not found" without asking a resolver', async () => {
    await expect(dns.promises.lookup('no-such-host.invalid')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    const got = await outcome(connect(5432, 'no-such-host.invalid'));
    expect(got.code).toBe('ENOTFOUND');
  });

  it('lets loopback through, by address and by name', async () => {
    const server = createServer((s) => s.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      for (const host of ['127.0.0.1', 'localhost']) {
        const socket = connect(port, host);
        const text = await new Promise<string>((resolve, reject) => {
          let data = '';
          socket.on('data', (d: Buffer) => (data += d.toString()));
          socket.on('end', () => resolve(data));
          socket.on('error', reject);
        });
        expect(text, host).toBe('hello');
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a loopback name that resolves elsewhere (a lookup or resolver answering publicly)', async () => {
    // A name under .localhost is let through by name; what it resolves to must stay local too.
    const socket = connect({
      host: 'evil.localhost',
      port: 80,
      lookup: ((_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) =>
        opts.all ? cb(null, [{ address: PUBLIC, family: 4 }]) : cb(null, PUBLIC, 4)) as never,
    });
    const got = await outcome(socket);
    expect(socket.bytesWritten).toBe(0);
    expect(got.code).toBe('ERR_TEST_NETWORK_BLOCKED');
    expect(got.message).toContain(PUBLIC);
  });

  it('answers a name under .localhost here, as localhost, without asking a resolver', async () => {
    const answer = await dns.promises.lookup('anything.localhost');
    expect(['127.0.0.1', '::1']).toContain(answer.address);
    const viaCallback = await new Promise<string>((resolve, reject) =>
      dns.lookup('anything.localhost', (e, address) => (e ? reject(e) : resolve(address))),
    );
    expect(['127.0.0.1', '::1']).toContain(viaCallback);
  });

  it('is in the Node.js processes the tests start', async () => {
    const script = `
      const net = require('node:net');
      const s = net.connect(80, '${PUBLIC}');
      s.on('error', (e) => { console.log(e.code); process.exit(0); });
      s.on('connect', () => { console.log('connected'); process.exit(0); });
    `;
    const { stdout, stderr } = await exec(process.execPath, ['-e', script], {
      env: process.env,
      timeout: 30_000,
    });
    expect(stdout.trim()).toBe('ERR_TEST_NETWORK_BLOCKED');
    expect(stderr).toContain(`test network blocker: connection to ${PUBLIC}:80 refused`);
  });
});
