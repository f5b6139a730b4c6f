/**
 * Authentication of API requests, one strategy per file:
 *
 * - ./api-key.ts: an integration's `Authorization: Bearer <key>`;
 * - ./staff-session.ts: a staff member's console session cookie, with its CSRF token;
 * - ./person-session.ts: a data subject's own portal session (no route uses it yet).
 *
 * The cookie names are owned by ./cookies.ts. `authenticate` is the hook of the staff and data
 * routes: a bearer key when the request sends an Authorization header, the staff session
 * otherwise.
 */
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../lib/actor.ts';
import { AppError } from '../../lib/errors.ts';
import type { ApiKeysService } from '../../modules/apikeys/index.ts';
import type { SessionInfo, StaffService } from '../../modules/staff/index.ts';
import { authenticateApiKey, sendsApiKey } from './api-key.ts';
import type { PersonSession } from './person-session.ts';
import { authenticateStaffSession, type StaffSessionOptions } from './staff-session.ts';

export {
  PERSON_SESSION_COOKIE,
  STAFF_SESSION_COOKIE,
  sessionToken,
  setSessionCookie,
} from './cookies.ts';
export { authenticateApiKey } from './api-key.ts';
export { authenticateStaffSession, type StaffSessionOptions } from './staff-session.ts';
export {
  authenticatePersonSession,
  hashPersonSessionToken,
  newPersonSessionToken,
  personSessionRefused,
  type PersonSession,
  type PersonSessionRecord,
  type PersonSessionStore,
} from './person-session.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
    session?: SessionInfo & { token: string };
    /** A data subject's own session, once the portal's routes use one. */
    person?: PersonSession;
  }
}

/** The hook of the staff and data routes: an API key, or a staff session. */
export function authenticate(
  apiKeys: Pick<ApiKeysService, 'authenticate'>,
  staff: Pick<StaffService, 'session' | 'csrfMatches'>,
  opts: StaffSessionOptions & {
    /** A staff session only (a route about one's own session or account): no API key. */
    sessionOnly?: boolean;
  } = {},
) {
  return async (request: FastifyRequest): Promise<void> => {
    if (sendsApiKey(request)) {
      if (opts.sessionOnly) {
        throw new AppError('unauthenticated', 'this is for a signed-in staff member', [
          { field: 'authorization', detail: 'an API key is not a staff session' },
        ]);
      }
      request.actor = await authenticateApiKey(apiKeys, request);
      return;
    }
    const session = await authenticateStaffSession(staff, request, opts);
    request.session = session;
    request.actor = session.actor;
  };
}

export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) {
    throw new AppError('unauthenticated', 'not authenticated');
  }
  return { ...request.actor, requestId: request.id };
}
