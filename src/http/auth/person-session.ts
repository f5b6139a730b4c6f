/**
 * The person's own session, for the public portal where a data subject will see and use their
 * rights. No route uses it yet: the portal's sign-in (how a person proves who they are) is its
 * own feature. What is fixed here is the contract it will meet:
 *
 * - the token travels in the `rk_person` cookie (./cookies.ts), never in a URL;
 * - the token is 32 random bytes, base64url; only its SHA-256 is stored, so a copy of the store
 *   cannot be replayed as a cookie;
 * - a store, given by whoever keeps the sessions, finds a session by that hash; this strategy
 *   refuses a missing, malformed, unknown (forged) or expired token alike, saying only
 *   "sign in", so that an answer never tells which.
 *
 * A person's session is never a staff session: it yields the subject's id, not an actor with
 * staff rights, and the two cookies are separate.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { PERSON_SESSION_COOKIE, sessionToken } from './cookies.ts';

export interface PersonSessionRecord {
  /** The data subject the session belongs to. */
  subjectId: string;
  /** After this moment the session is refused (and may be removed). */
  expiresAt: Date;
}

export interface PersonSessionStore {
  /** The session stored under this SHA-256 of its token, or undefined. */
  find(tokenHash: Buffer): Promise<PersonSessionRecord | undefined>;
}

export interface PersonSession {
  subjectId: string;
  token: string;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** What a store keeps of a person's session token. */
export function hashPersonSessionToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** A new session token (for the cookie) and its hash (for the store). */
export function newPersonSessionToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashPersonSessionToken(token) };
}

/** The one refusal of a session that is not (or no longer) a live one, whatever the reason. */
export function personSessionRefused(): AppError {
  return new AppError('unauthenticated', 'sign in to see your own data', [
    { field: PERSON_SESSION_COOKIE, detail: 'missing, unknown or expired session' },
  ]);
}

/** The request's person session; throws `unauthenticated` for anything but a live one. */
export async function authenticatePersonSession(
  store: PersonSessionStore,
  clock: Clock,
  request: FastifyRequest,
): Promise<PersonSession> {
  const token = sessionToken(PERSON_SESSION_COOKIE, request);
  const found =
    token && TOKEN.test(token) ? await store.find(hashPersonSessionToken(token)) : undefined;
  if (!token || !found || found.expiresAt.getTime() <= clock.now().getTime()) {
    throw personSessionRefused();
  }
  return { subjectId: found.subjectId, token };
}
