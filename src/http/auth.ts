/**
 * Authentication for the API: an integration's bearer key, or a staff member's session cookie.
 * Session requests that change state must carry the session's CSRF token in `X-CSRF-Token`.
 */
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../lib/actor.ts';
import { AppError } from '../lib/errors.ts';
import type { ApiKeysService } from '../modules/apikeys/index.ts';
import { SESSION_COOKIE, type SessionInfo, type StaffService } from '../modules/staff/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
    session?: SessionInfo & { token: string };
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function authenticate(
  apiKeys: ApiKeysService,
  staff: StaffService,
  opts: { allowPendingMfa?: boolean; allowPasswordChange?: boolean } = {},
) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) {
        throw new AppError('unauthenticated', 'the Authorization header must be `Bearer <key>`', [
          { field: 'authorization', detail: 'not a bearer token' },
        ]);
      }
      request.actor = await apiKeys.authenticate(m[1] as string);
      return;
    }
    const cookie = request.cookies[SESSION_COOKIE];
    const session = cookie ? await staff.session(cookie) : undefined;
    if (!cookie || !session) {
      throw new AppError(
        'unauthenticated',
        'sign in, or send an API key as `Authorization: Bearer <key>`',
        [{ field: 'authorization', detail: 'missing' }],
      );
    }
    if (!session.mfaPassed && !opts.allowPendingMfa) {
      throw new AppError('unauthenticated', 'finish signing in with your second factor', [
        { field: 'code', detail: 'second factor pending' },
      ]);
    }
    if (
      !SAFE.has(request.method) &&
      !staff.csrfMatches(session.csrfToken, request.headers['x-csrf-token'])
    ) {
      throw new AppError(
        'forbidden',
        'missing or wrong CSRF token; send the token from sign-in in X-CSRF-Token',
        [{ field: 'x-csrf-token', detail: 'missing or wrong' }],
      );
    }
    if (session.staff.mustChangePassword && !opts.allowPasswordChange) {
      // Signed in with a one-time password: only choosing a new one (and signing out, and asking
      // who is signed in) is open until then. The console shows its password form on this code.
      throw new AppError(
        'password_change_required',
        'you signed in with a one-time password: choose your own password first',
        [{ field: 'password', detail: 'a one-time password must be replaced' }],
      );
    }
    request.session = { ...session, token: cookie };
    request.actor = session.actor;
  };
}

export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) {
    throw new AppError('unauthenticated', 'not authenticated');
  }
  return { ...request.actor, requestId: request.id };
}

/** The session cookie: HttpOnly, SameSite=Strict, Secure when the request came over TLS. */
export function setSessionCookie(
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
    void reply.clearCookie(SESSION_COOKIE, options);
  } else {
    void reply.setCookie(SESSION_COOKIE, token, options);
  }
}
