/**
 * Bearer authentication for the API: the key becomes the request's actor.
 */
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../lib/actor.ts';
import { AppError } from '../lib/errors.ts';
import type { ApiKeysService } from '../modules/apikeys/apikeys.service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
  }
}

export function bearerAuth(apiKeys: ApiKeysService) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    if (!header) {
      throw new AppError('unauthenticated', 'send an API key as `Authorization: Bearer <key>`', [
        { field: 'authorization', detail: 'missing' },
      ]);
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) {
      throw new AppError('unauthenticated', 'the Authorization header must be `Bearer <key>`', [
        { field: 'authorization', detail: 'not a bearer token' },
      ]);
    }
    request.actor = await apiKeys.authenticate(m[1] as string);
  };
}

export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) {
    throw new AppError('unauthenticated', 'not authenticated');
  }
  return { ...request.actor, requestId: request.id };
}
