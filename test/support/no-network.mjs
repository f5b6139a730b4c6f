/**
 * Keeps tests off the network: any TCP (net, tls, http, fetch) or UDP connection, and any DNS
 * question, to somewhere other than this machine fails at once with code
 * ERR_TEST_NETWORK_BLOCKED and a line on stderr, without a packet being sent.
 *
 * Loaded in every test process (vitest.config.ts, setupFiles: test/support/no-network-setup.ts)
 * and, through NODE_OPTIONS=--import, in every Node.js process a test starts (the `rekisteri`
 * command under test). Plain JavaScript so that Node.js loads it before tsx is registered.
 *
 * Allowed, narrowly:
 * - loopback (127.0.0.0/8, ::1, localhost and *.localhost), Unix sockets, and the addresses of
 *   this machine's own interfaces (test/mail.test.ts uses one to stand for a relay elsewhere:
 *   the connection does not leave the machine); a name under .localhost is looked up as
 *   localhost (no resolver is asked), and a connection by name goes through only when every
 *   address it resolves to is one of these;
 * - names under .invalid (RFC 6761: they never resolve) are answered ENOTFOUND here, as a
 *   resolver would, without asking one (test/startup.test.ts checks what a mistyped host says).
 * - no DNS server is ever asked (resolve*, reverse): questions about this machine or .invalid are
 *   answered "not found" here, any other is refused.
 * Everything else, TEST-NET addresses included, is refused.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import process from 'node:process';
import { syncBuiltinESMExports } from 'node:module';
import { networkInterfaces } from 'node:os';

const INSTALLED = Symbol.for('rekisteri.test.noNetwork');

export const BLOCKED_CODE = 'ERR_TEST_NETWORK_BLOCKED';

function isLoopbackName(host) {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

function isInvalidName(host) {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'invalid' || h.endsWith('.invalid');
}

function ownAddress(address) {
  const a = address.replace(/^::ffff:/i, '').replace(/%.*$/, '');
  if (net.isIPv4(a)) {
    if (a.startsWith('127.') || a === '0.0.0.0') {
      return true;
    }
  } else if (a === '::1' || a === '::') {
    return true;
  }
  return Object.values(networkInterfaces())
    .flat()
    .some((i) => i && i.address.replace(/%.*$/, '') === a);
}

/** Whether `host` (a name or an address) stays on this machine. */
export function allowedHost(host) {
  const h = String(host).replace(/^\[|\]$/g, '');
  return net.isIP(h) ? ownAddress(h) : isLoopbackName(h);
}

function blockedError(what) {
  const err = new Error(
    `test network blocker: ${what} refused: tests may reach only this machine (test/support/no-network.mjs)`,
  );
  err.code = BLOCKED_CODE;
  process.stderr.write(`${err.message}\n`);
  return err;
}

function notFound(host, syscall) {
  const err = new Error(`${syscall} ENOTFOUND ${host}`);
  err.code = 'ENOTFOUND';
  err.errno = -3008;
  err.syscall = syscall;
  err.hostname = host;
  return err;
}

/**
 * A net.Socket#connect call's options and callback, in one shape: an options object, or
 * undefined for a Unix socket (never leaves the machine).
 */
function target(args) {
  let list = args;
  if (Array.isArray(args[0])) {
    // net.connect() and tls.connect() pass their normalised [options, callback].
    list = args[0];
  }
  const [first, second] = list;
  const callback = list.find((a) => typeof a === 'function');
  if (first !== null && typeof first === 'object') {
    return first.path === undefined
      ? { options: { ...first, host: first.host ?? 'localhost' }, callback }
      : undefined;
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) {
    return undefined;
  }
  return {
    options: { port: first, host: typeof second === 'string' ? second : 'localhost' },
    callback,
  };
}

function install() {
  if (globalThis[INSTALLED]) {
    return;
  }
  globalThis[INSTALLED] = true;

  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (...args) {
    const t = target(args);
    if (t && !allowedHost(t.options.host)) {
      const host = String(t.options.host);
      const err = isInvalidName(host)
        ? notFound(host, 'getaddrinfo')
        : blockedError(`connection to ${host}:${t.options.port}`);
      // The socket fails the way one whose host name does not resolve fails (what net, tls,
      // http and fetch already handle): Node.js asks this lookup, which answers the error, and
      // no connection is begun. The placeholder name makes Node.js ask even for an address.
      return connect.call(
        this,
        { ...t.options, host: 'blocked.invalid', lookup: (_h, _o, cb) => cb(err) },
        ...(t.callback ? [t.callback] : []),
      );
    }
    if (t && !net.isIP(String(t.options.host).replace(/^\[|\]$/g, ''))) {
      // A name let through (localhost, *.localhost): what it resolves to must stay on this
      // machine too, whatever answers (the caller's lookup, or a resolver that answers a public
      // address for such a name).
      const resolveWith = t.options.lookup ?? dns.lookup;
      const checked = (hostname, opts, cb) =>
        resolveWith(hostname, opts, (err, address, family) => {
          if (err) {
            cb(err);
            return;
          }
          const list = Array.isArray(address) ? address : [{ address, family }];
          const away = list.find((a) => !ownAddress(String(a.address)));
          if (away) {
            cb(blockedError(`connection to ${hostname} (${away.address}):${t.options.port}`));
            return;
          }
          cb(null, address, family);
        });
      return connect.call(
        this,
        { ...t.options, lookup: checked },
        ...(t.callback ? [t.callback] : []),
      );
    }
    return connect.apply(this, args);
  };

  /** A name under .localhost is answered as localhost is (from the hosts file), never asked. */
  const asked = (host) =>
    typeof host === 'string' && isLoopbackName(host) && !/^localhost\.?$/i.test(host)
      ? 'localhost'
      : host;
  const lookup = dns.lookup;
  dns.lookup = function (host, ...rest) {
    host = asked(host);
    if (typeof host === 'string' && !allowedHost(host) && !net.isIP(host)) {
      const callback = rest[rest.length - 1];
      const err = isInvalidName(host)
        ? notFound(host, 'getaddrinfo')
        : blockedError(`DNS lookup of ${host}`);
      process.nextTick(() => callback(err));
      return {};
    }
    return lookup.call(this, host, ...rest);
  };
  const promisesLookup = dns.promises.lookup;
  dns.promises.lookup = async function (host, ...rest) {
    host = asked(host);
    if (typeof host === 'string' && !allowedHost(host) && !net.isIP(host)) {
      throw isInvalidName(host)
        ? notFound(host, 'getaddrinfo')
        : blockedError(`DNS lookup of ${host}`);
    }
    return promisesLookup.call(this, host, ...rest);
  };

  // Questions to a DNS server (resolve*, reverse) go over UDP from inside Node.js, past dgram, so
  // none is asked: about this machine (a reverse lookup of a loopback client by the tests' SMTP
  // server, nodemailer resolving localhost before it falls back to dns.lookup) or a name under
  // .invalid the answer is "not found", as from a resolver without such a record; any other
  // question is refused loudly.
  const resolvers = [dns, dns.promises, dns.Resolver.prototype, dns.promises.Resolver.prototype];
  for (const holder of resolvers) {
    for (const name of Object.getOwnPropertyNames(holder)) {
      if (!/^(resolve|reverse)/.test(name) || typeof holder[name] !== 'function') {
        continue;
      }
      const original = holder[name];
      const isPromise = holder === dns.promises || holder === dns.promises.Resolver.prototype;
      holder[name] = function (host, ...rest) {
        if (typeof host === 'string') {
          const local = name === 'reverse' ? allowedHost(host) : isLoopbackName(host);
          const err =
            local || isInvalidName(host)
              ? notFound(host, name === 'reverse' ? 'getHostByAddr' : 'queryA')
              : blockedError(`DNS query ${name}(${host})`);
          if (isPromise) {
            return Promise.reject(err);
          }
          const callback = rest[rest.length - 1];
          process.nextTick(() => callback(err));
          return undefined;
        }
        return original.call(this, host, ...rest);
      };
    }
  }
  for (const name of ['resolve', 'resolve4', 'resolve6', 'resolveAny']) {
    if (!Object.getOwnPropertyNames(dns).includes(name)) {
      throw new Error(`test network blocker: dns.${name} was not wrapped`);
    }
  }

  const send = dgram.Socket.prototype.send;
  dgram.Socket.prototype.send = function (...args) {
    // send(msg[, offset, length][, port][, address][, callback]): the address is the only string.
    const address = args.slice(1).find((a) => typeof a === 'string');
    if (address !== undefined && !allowedHost(address)) {
      throw blockedError(`UDP datagram to ${address}`);
    }
    return send.apply(this, args);
  };
  const udpConnect = dgram.Socket.prototype.connect;
  dgram.Socket.prototype.connect = function (port, address, ...rest) {
    if (typeof address === 'string' && !allowedHost(address)) {
      throw blockedError(`UDP connection to ${address}:${port}`);
    }
    return udpConnect.call(this, port, address, ...rest);
  };
  // `import { lookup } from 'node:dns'` sees the wrapped functions too.
  syncBuiltinESMExports();
}

install();
