/**
 * Request rate limits, by `@fastify/rate-limit` with its counters in the database
 * (./store.ts): instances sharing a database share them. Every route under /api/v1 has one limit:
 * its own where it names one in `config.rateLimit` (sign-in, the second factor, a password
 * change), the general API limit otherwise. A refused request answers 429 problem+json with
 * Retry-After, naming what was limited, and changes nothing.
 *
 * Not a rate limit, and not here: the lockout of a staff account after five failed sign-ins in a
 * row, which is the account's state (src/modules/staff).
 */
import fastifyRateLimit, { normalizeIP, type RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.ts';
import type {} from '../auth/index.ts';
import { databaseStore, type RateLimitCounter } from './store.ts';

export { createRateLimitCounter, databaseStore, type RateLimitCounter } from './store.ts';

export interface RateLimit {
  /** At most this many requests… */
  readonly max: number;
  /** …in a fixed window of this many ms, from its first request. */
  readonly windowMs: number;
  /**
   * Counted per client address, or per signed-in account or API key (address when neither), or
   * per e-mail address a public form names (`limitEmail`; only its HMAC is ever a key).
   */
  readonly per: 'address' | 'account' | 'email';
  /** What was limited, in the refusal's words. */
  readonly what: string;
  /**
   * `exact`: each request is counted in the database before it is let through. `within a
   * second`: counted here at once and in the database within a second (a generous limit on every
   * request, where a write per request would cost more than the limit is worth; instances may
   * together let through a second's worth more than the limit).
   */
  readonly shared: 'exact' | 'within a second';
}

/** The limits, documented in docs/staff-and-security.md. */
export const RATE_LIMITS = {
  /** Sign-in and its second factor together, per address (as before, now across instances). */
  'sign-in': {
    max: 20,
    windowMs: 5 * 60_000,
    per: 'address',
    what: 'sign-in attempts from this address',
    shared: 'exact',
  },
  /** Choosing a new password checks the current one: a stolen session must not guess it. */
  password: {
    max: 10,
    windowMs: 15 * 60_000,
    per: 'account',
    what: 'password changes for this account',
    shared: 'exact',
  },
  /**
   * Everything else under /api/v1, for a staff session (or a client before it signs in): more
   * than a person clicks, less than a stolen session copying out the register. API keys have
   * their own limit (`API_KEY_RATE_LIMIT`), since an integration may rightly make far more.
   */
  api: {
    max: 1200,
    windowMs: 60_000,
    per: 'account',
    what: 'requests from this API key or session',
    shared: 'within a second',
  },
  /**
   * The public portal's request routes (a new request, its verification, a download link, the
   * download), per client address: what a person needs, with room for a household behind one
   * address; far less than a script trying addresses or tokens.
   */
  portal: {
    max: 30,
    windowMs: 15 * 60_000,
    per: 'address',
    what: 'requests to the portal from this address',
    shared: 'exact',
  },
  /**
   * The portal's new requests, per the e-mail address they name, whoever sends them: no one can
   * fill a person's mailbox with our links. Counted the same whether or not the address is in
   * the register.
   */
  'portal-email': {
    max: 5,
    windowMs: 60 * 60_000,
    per: 'email',
    what: 'portal requests for this e-mail address',
    shared: 'exact',
  },
  /**
   * The portal's download-link requests, per the e-mail address they name: counted apart from new
   * requests, so that a handful of requests made in a person's name cannot keep them from their
   * own access copy.
   */
  'portal-download-email': {
    max: 5,
    windowMs: 60 * 60_000,
    per: 'email',
    what: 'download links for this e-mail address',
    shared: 'exact',
  },
  /**
   * The one-click unsubscribe pages (`/u/<token>`), per client address: a mail provider posting
   * for many people comes from few addresses, so more than the portal's; still far less than a
   * script trying tokens.
   */
  unsubscribe: {
    max: 120,
    windowMs: 15 * 60_000,
    per: 'address',
    what: 'unsubscribe requests from this address',
    shared: 'exact',
  },
  /** Links to the preference page, per the e-mail address they are asked for. */
  'preferences-email': {
    max: 5,
    windowMs: 60 * 60_000,
    per: 'email',
    what: 'preference links for this e-mail address',
    shared: 'exact',
  },
  /**
   * Sign-ups (double opt-in), per client address: each may send a confirmation mail to an address
   * of the sender's choosing, so far fewer than the portal's other routes.
   */
  signup: {
    max: 10,
    windowMs: 60 * 60_000,
    per: 'address',
    what: 'sign-ups from this address',
    shared: 'exact',
  },
  /** Sign-ups (double opt-in), per the e-mail address: no one fills a mailbox with our asks. */
  'signup-email': {
    max: 5,
    windowMs: 60 * 60_000,
    per: 'email',
    what: 'sign-ups for this e-mail address',
    shared: 'exact',
  },
} as const satisfies Record<string, RateLimit>;

export type RateLimitName = keyof typeof RATE_LIMITS;

/** What a limit counts: its name, then the address or the account (hashed before it is stored). */
function keyOf(name: RateLimitName, request: FastifyRequest): string {
  const actor = request.actor;
  if (RATE_LIMITS[name].per === 'account' && actor) {
    return `${name}\u0000${actor.kind}\u0000${actor.id}`;
  }
  // IPv6 addresses count per /64, the smallest network one subscriber usually gets.
  return `${name}\u0000address\u0000${normalizeIP(request.ip)}`;
}

/** Requests per minute per API key by default (`API_KEY_RATE_LIMIT`); 0 lifts the limit. */
export const DEFAULT_API_KEY_RATE_LIMIT = 300_000;

/**
 * The options of one limit, for a route's `config.rateLimit`. `apiKeyMax`: for the general limit,
 * what an API key may make in its window instead (0: no limit for API keys).
 */
export function rateLimit(name: RateLimitName, apiKeyMax?: number): RateLimitOptions {
  const limit: RateLimit = RATE_LIMITS[name];
  const forKeys = apiKeyMax ?? limit.max;
  return {
    max: (request) => (request.actor?.kind === 'api_key' ? forKeys : limit.max),
    ...(forKeys === 0 ? { allowList: (request) => request.actor?.kind === 'api_key' } : {}),
    timeWindow: limit.windowMs,
    keyGenerator: (request) => keyOf(name, request),
    errorResponseBuilder: (_request, context) => {
      const wait = Math.max(1, Math.ceil(context.ttl / 1000));
      return new AppError(
        'too_many_requests',
        `too many ${limit.what}; try again in ${wait} s`,
        [],
        {
          retryAfter: wait,
        },
      );
    },
  };
}

/**
 * Counts one use of a limit counted `per: 'email'` for `email`, and refuses (429, naming what was
 * limited) past its maximum. The key is an HMAC of the normalised address (`hash`: the vault's
 * `rateLimitHash`), so neither the counter here nor the table ever holds the address itself.
 */
export async function limitEmail(
  counter: RateLimitCounter,
  hash: (key: string) => Buffer,
  name: 'portal-email' | 'portal-download-email' | 'preferences-email' | 'signup-email',
  normalisedEmail: string,
): Promise<void> {
  const limit: RateLimit = RATE_LIMITS[name];
  const key = `${name}\u0000email\u0000${hash(`email\u0000${normalisedEmail}`).toString('base64url')}`;
  const { current, ttl } = await counter.hit(key, limit.windowMs);
  if (current > limit.max) {
    const wait = Math.max(1, Math.ceil(ttl / 1000));
    throw new AppError('too_many_requests', `too many ${limit.what}; try again in ${wait} s`, [], {
      retryAfter: wait,
    });
  }
}

/**
 * Registers the limits on `scope` (the /api/v1 prefix): the general limit on each of its routes,
 * a route's own where its `config.rateLimit` names one.
 */
export async function registerRateLimits(
  scope: FastifyInstance,
  counter: RateLimitCounter,
  apiKeyPerMinute: number = DEFAULT_API_KEY_RATE_LIMIT,
): Promise<void> {
  await scope.register(fastifyRateLimit, {
    global: true,
    store: databaseStore(counter, (key) => {
      const name = key.slice(0, key.indexOf('\u0000')) as RateLimitName;
      return RATE_LIMITS[name]?.shared === 'within a second';
    }),
    ...rateLimit('api', apiKeyPerMinute),
  });
}
