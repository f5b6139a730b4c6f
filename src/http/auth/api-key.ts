/**
 * The API-key strategy: an integration sends `Authorization: Bearer <key>`; the API-keys module
 * checks the key and answers with the actor it stands for.
 */
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../lib/actor.ts';
import { AppError } from '../../lib/errors.ts';
import type { ApiKeysService } from '../../modules/apikeys/index.ts';

/** Whether the request tries this strategy at all (it sends an Authorization header). */
export function sendsApiKey(request: FastifyRequest): boolean {
  return request.headers.authorization !== undefined;
}

/** The actor of the request's bearer key; throws `unauthenticated` for a malformed or bad one. */
export async function authenticateApiKey(
  apiKeys: Pick<ApiKeysService, 'authenticate'>,
  request: FastifyRequest,
): Promise<Actor> {
  const m = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (!m) {
    throw new AppError('unauthenticated', 'the Authorization header must be `Bearer <key>`', [
      { field: 'authorization', detail: 'not a bearer token' },
    ]);
  }
  return apiKeys.authenticate(m[1] as string);
}
