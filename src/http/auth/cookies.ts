/**
 * The cookies that carry a session, owned here: services deal in tokens, never in cookie names.
 * Both are HttpOnly, SameSite=Strict, on path /, and Secure when the request came over TLS.
 */
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A staff member's console session (src/http/auth/staff-session.ts). */
export const STAFF_SESSION_COOKIE = 'rk_session';
/** A data subject's own session in the public portal (src/http/auth/person-session.ts). */
export const PERSON_SESSION_COOKIE = 'rk_person';

export type SessionCookie = typeof STAFF_SESSION_COOKIE | typeof PERSON_SESSION_COOKIE;

/** Sets the cookie to `token`, or clears it when `token` is null. */
export function setSessionCookie(
  name: SessionCookie,
  request: FastifyRequest,
  reply: FastifyReply,
  token: string | null,
): void {
  const options = {
    path: '/',
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: request.protocol === 'https',
  };
  if (token === null) {
    void reply.clearCookie(name, options);
  } else {
    void reply.setCookie(name, token, options);
  }
}

/** The cookie's token, or undefined when the request has none (or an empty one). */
export function sessionToken(name: SessionCookie, request: FastifyRequest): string | undefined {
  const value = request.cookies[name];
  return value ? value : undefined;
}
