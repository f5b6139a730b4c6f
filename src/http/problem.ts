/**
 * Errors out as RFC 9457 problem details (`application/problem+json`), naming the field at fault.
 * Server errors say nothing of their cause.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, assertUnreachable, type AppErrorCode, type FieldIssue } from '../lib/errors.ts';

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), detail: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

function status(code: AppErrorCode): number {
  switch (code) {
    case 'validation_failed':
    case 'definition_invalid':
      return 400;
    case 'unauthenticated':
      return 401;
    case 'forbidden':
    case 'subject_restricted':
      return 403;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'payload_too_large':
      return 413;
    case 'locked':
      return 423;
    case 'too_many_requests':
      return 429;
    case 'integrity_failed':
      // The server's own stored data is at fault, not the request; retrying will not help.
      return 500;
    default:
      return assertUnreachable(code);
  }
}

const TITLES: Record<AppErrorCode, string> = {
  validation_failed: 'The request is not valid',
  definition_invalid: 'The register definition is not valid',
  unauthenticated: 'Authentication is required',
  forbidden: 'Not allowed',
  subject_restricted: 'Processing of the subject is restricted',
  not_found: 'Not found',
  conflict: 'Conflict',
  payload_too_large: 'The request is too large',
  locked: 'The account is locked',
  too_many_requests: 'Too many attempts',
  integrity_failed: 'Stored data failed its integrity check',
};

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  p: { code: string; status: number; title: string; detail?: string; errors?: FieldIssue[] },
) {
  const body = {
    type: `https://rekisteri.example/problems/${p.code.replaceAll('_', '-')}`,
    title: p.title,
    status: p.status,
    ...(p.detail ? { detail: p.detail } : {}),
    instance: request.url.split('?')[0],
    ...(p.errors && p.errors.length > 0 ? { errors: p.errors } : {}),
  };
  if (p.status === 401) {
    void reply.header('www-authenticate', 'Bearer realm="rekisteri"');
  }
  return reply
    .code(p.status)
    .type('application/problem+json')
    .serializer(JSON.stringify)
    .send(body);
}

function pathOf(
  instancePath: string,
  context: string | undefined,
  issuePath?: PropertyKey[],
): string {
  const parts =
    issuePath && issuePath.length > 0
      ? issuePath.map(String)
      : instancePath.split('/').filter(Boolean);
  return parts.length > 0 ? parts.join('.') : (context ?? 'body');
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, {
      code: 'not_found',
      status: 404,
      title: 'Not found',
      detail: `no route ${request.method} ${request.url.split('?')[0]}`,
    }),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      if (error.code === 'integrity_failed') {
        // An alarm for the operator: someone changed sealed rows in the database. The message
        // names the subject's id only, never a value.
        request.log.error({ code: error.code }, error.message);
      }
      return sendProblem(reply, request, {
        code: error.code,
        status: status(error.code),
        title: TITLES[error.code],
        detail: error.message,
        errors: error.issues,
      });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const validation = error.validation as unknown as Array<{
        instancePath: string;
        message?: string;
        params: { issue?: { path?: PropertyKey[] } };
      }>;
      const errors = validation.map((v) => {
        const issue = v.params.issue;
        return {
          field: pathOf(v.instancePath, error.validationContext, issue?.path),
          detail: v.message ?? 'invalid',
        };
      });
      return sendProblem(reply, request, {
        code: 'validation_failed',
        status: 400,
        title: TITLES.validation_failed,
        detail: errors.map((e) => `${e.field}: ${e.detail}`).join('; '),
        errors,
      });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendProblem(reply, request, {
        code: 'payload_too_large',
        status: 413,
        title: TITLES.payload_too_large,
        detail: `the body is larger than the limit`,
        errors: [{ field: 'body', detail: 'too large' }],
      });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return sendProblem(reply, request, {
        code: 'bad_request',
        status: error.statusCode,
        title: 'The request is not valid',
        detail: error.message,
        errors: [
          {
            field: error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'content-type' : 'body',
            detail: error.message,
          },
        ],
      });
    }
    request.log.error(
      { err: { type: error.name, code: error.code, stack: error.stack } },
      'request failed',
    );
    return sendProblem(reply, request, {
      code: 'internal',
      status: 500,
      title: 'Internal server error',
      detail: `reference ${request.id}`,
    });
  });
}
