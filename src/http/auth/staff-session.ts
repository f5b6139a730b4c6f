/**
 * The staff-session strategy: the console's session cookie, checked by the staff module (which
 * deals in tokens). A state-changing request must also carry the session's CSRF token in
 * `X-CSRF-Token`. Until the second factor is given, and until a one-time password is replaced,
 * only the routes that allow it are open.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.ts';
import type { SessionInfo, StaffService } from '../../modules/staff/index.ts';
import { sessionToken, STAFF_SESSION_COOKIE } from './cookies.ts';

export interface StaffSessionOptions {
  /** Open before the second factor is given (completing sign-in, who am I, signing out). */
  allowPendingMfa?: boolean;
  /** Open before a one-time password is replaced (choosing a new one). */
  allowPasswordChange?: boolean;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The request's staff session with its token; throws for a missing, expired or unfit one. */
export async function authenticateStaffSession(
  staff: Pick<StaffService, 'session' | 'csrfMatches'>,
  request: FastifyRequest,
  opts: StaffSessionOptions = {},
): Promise<SessionInfo & { token: string }> {
  const token = sessionToken(STAFF_SESSION_COOKIE, request);
  const session = token ? await staff.session(token) : undefined;
  if (!token || !session) {
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
  return { ...session, token };
}
