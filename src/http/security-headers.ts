/**
 * The headers every answer carries, errors included: helmet's set (content security policy,
 * framing, sniffing, referrer, cross-origin policies), computed once so that the same set goes
 * out where Fastify's hooks never run (a URL the router cannot decode, a request Node's HTTP
 * parser refuses); `Cache-Control: no-store` on everything but static assets, since answers carry
 * personal data; HSTS only when the request came over TLS (directly, or through a proxy trusted
 * with TRUST_PROXY that says so).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet from 'helmet';

const HELMET_OPTIONS = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
      fontSrc: ["'self'", 'data:'],
      // Served over plain HTTP on a LAN address, this would send the console's own scripts to
      // https:// and break it; TLS deployments get HSTS instead.
      upgradeInsecureRequests: null,
    },
  },
  // Sent per request, only over TLS (below): over plain HTTP it means nothing to a browser, and a
  // deployment reached by plain HTTP on a LAN address must not be told to insist on TLS.
  strictTransportSecurity: false,
} as const;

export const HSTS = 'max-age=31536000; includeSubDomains';

function computeHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(HELMET_OPTIONS)(
    {} as Parameters<ReturnType<typeof helmet>>[0],
    res as unknown as Parameters<ReturnType<typeof helmet>>[1],
    () => undefined,
  );
  return Object.freeze(headers);
}

/** Helmet's headers, the same for every answer. */
export const SECURITY_HEADERS = computeHeaders();

/** Hashed build output and the API docs' own files: the only answers a cache may keep. */
export function isStaticAsset(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return (
    path.startsWith('/admin/assets/') ||
    path.startsWith('/assets/') ||
    path.startsWith('/api/docs/static/')
  );
}

/** The headers for an answer to `request`: helmet's, no-store, and HSTS over TLS. */
export function headersFor(request: FastifyRequest | undefined): Record<string, string> {
  return {
    ...SECURITY_HEADERS,
    'cache-control': 'no-store',
    ...(request?.protocol === 'https' ? { 'strict-transport-security': HSTS } : {}),
  };
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    void reply.headers(headersFor(request));
    done();
  });
  // Static files set their own Cache-Control when sent; only hashed assets keep it.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (!isStaticAsset(request.url)) {
      void reply.header('cache-control', 'no-store');
    }
    done(null, payload);
  });
}
