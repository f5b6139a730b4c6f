/**
 * Errors out as RFC 9457 problem details (`application/problem+json`), naming the field at fault.
 * Server errors say nothing of their cause.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AppError,
  assertUnreachable,
  zodIssueFields,
  type AppErrorCode,
  type FieldIssue,
} from '../lib/errors.ts';
import { isDatabaseUnavailable, StorageLowError, unavailableReason } from '../ops/unavailable.ts';
import { headersFor } from './security-headers.ts';

/** Seconds a client is asked to wait after a 503. */
export const RETRY_AFTER_SECONDS = 5;

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z
      .array(
        z.object({
          field: z
            .string()
            .describe(
              'The field at fault: object keys joined by dots, array positions in brackets (changes[0].state); an unknown key named itself',
            ),
          detail: z.string(),
        }),
      )
      .optional(),
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
    case 'password_change_required':
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
  password_change_required: 'Choose a new password first',
  integrity_failed: 'Stored data failed its integrity check',
};

interface ProblemInput {
  code: string;
  status: number;
  title: string;
  detail?: string;
  errors?: FieldIssue[];
  /**
   * Whether `instance` names the request's path. Only where a route matched, so the path is one
   * of ours with ids in it; a path no route knows is never echoed.
   */
  echoPath?: boolean;
}

function problemBody(p: ProblemInput, path?: string) {
  return {
    type: `https://rekisteri.example/problems/${p.code.replaceAll('_', '-')}`,
    title: p.title,
    status: p.status,
    ...(p.detail ? { detail: p.detail } : {}),
    ...(path !== undefined ? { instance: path } : {}),
    ...(p.errors && p.errors.length > 0 ? { errors: p.errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, p: ProblemInput) {
  const body = problemBody(p, p.echoPath === false ? undefined : request.url.split('?')[0]);
  if (p.status === 401) {
    void reply.header('www-authenticate', 'Bearer realm="rekisteri"');
  }
  return reply
    .code(p.status)
    .type('application/problem+json')
    .serializer(JSON.stringify)
    .send(body);
}

/**
 * A validation error's fields (fastify-type-provider-zod gives zod's issue as `keyword`, the
 * path as `instancePath` and the rest as `params`): array positions in brackets, an unknown key
 * named itself.
 */
function fieldsOf(
  v: { keyword?: string; instancePath: string; message?: string; params?: { keys?: unknown } },
  context: string | undefined,
): FieldIssue[] {
  const path = v.instancePath
    .split('/')
    .filter(Boolean)
    .map((p) => (/^(0|[1-9][0-9]*)$/.test(p) ? Number(p) : p));
  return zodIssueFields(
    {
      ...(v.keyword === undefined ? {} : { code: v.keyword }),
      path,
      message: v.message ?? 'invalid',
      keys: v.params?.keys,
    },
    context ?? 'body',
  );
}

/** Fastify's own 4xx errors: a fixed explanation each, never the error's message. */
const FRAMEWORK_4XX: Record<string, { status: number; field: string; detail: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    field: 'content-type',
    detail: 'this content type is not accepted; send application/json',
  },
  FST_ERR_CTP_INVALID_TYPE: {
    status: 400,
    field: 'content-type',
    detail: 'the content type is not valid',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    field: 'body',
    detail: 'the body is empty; send a JSON object',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    field: 'body',
    detail: 'the body is not valid JSON',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    field: 'content-length',
    detail: 'the length of the body is not what Content-Length says',
  },
  FST_ERR_BAD_URL: {
    status: 400,
    field: 'url',
    detail: 'the path is not valid: malformed percent-encoding or not UTF-8',
  },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, field: 'url', detail: 'a part of the path is too long' },
};

/**
 * For errors Fastify meets before routing (a path it cannot decode, a parameter too long): no
 * hook has run, so the security headers are set here.
 */
export function frameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const known = FRAMEWORK_4XX[error.code];
  let secure: FastifyRequest | undefined = request;
  try {
    void request.protocol;
  } catch {
    secure = undefined;
  }
  void reply.headers(headersFor(secure));
  void sendProblem(reply, request, {
    code: 'bad_request',
    status: known?.status ?? 400,
    title: 'The request is not valid',
    detail: known?.detail ?? 'the request is not valid',
    errors: [{ field: known?.field ?? 'url', detail: known?.detail ?? 'not valid' }],
    echoPath: false,
  });
}

/**
 * For requests Node's HTTP parser refuses (headers too large, a malformed request line, a client
 * too slow): the answer goes straight to the socket, as problem+json with the same headers.
 */
export function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) {
    return;
  }
  const [status, detail] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request took too long to arrive']
        : [400, 'the request could not be read as HTTP'];
  const title = STATUS_CODES[status] ?? 'Bad Request';
  const body = JSON.stringify(
    problemBody({ code: 'bad_request', status, title, detail, echoPath: false }),
  );
  if (socket.writable) {
    const headers = {
      ...headersFor(undefined),
      'content-type': 'application/problem+json',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    };
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\n${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n${body}`,
    );
  }
  socket.destroy(err);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, {
      code: 'not_found',
      status: 404,
      title: 'Not found',
      detail: 'there is no such route (or no such method on it)',
      echoPath: false,
    }),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      if (error.retryAfter !== undefined) {
        void reply.header('retry-after', String(error.retryAfter));
      }
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
        keyword?: string;
        instancePath: string;
        message?: string;
        params?: { keys?: unknown };
      }>;
      const errors = validation.flatMap((v) => fieldsOf(v, error.validationContext));
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
      // Fastify's messages may quote the request (a content type, a path): none is passed on.
      const known = FRAMEWORK_4XX[error.code];
      const detail = known?.detail ?? 'the request is not valid';
      return sendProblem(reply, request, {
        code: 'bad_request',
        status: known?.status ?? error.statusCode,
        title: 'The request is not valid',
        detail,
        errors: [{ field: known?.field ?? 'body', detail }],
      });
    }
    if (isDatabaseUnavailable(error)) {
      // One line per failed request, no stack: an outage must not flood the log.
      const storage = error instanceof StorageLowError;
      request.log.warn(
        { reason: unavailableReason(error) },
        storage ? 'refused: storage is low' : 'the database is unavailable',
      );
      return unavailable(reply, request, storage ? 'storage' : 'database');
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

/** A 503 with Retry-After: the database cannot be reached, or its volume is nearly full. */
export function unavailable(
  reply: FastifyReply,
  request: FastifyRequest,
  what: 'database' | 'storage' | 'closing',
): FastifyReply {
  void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  const p =
    what === 'storage'
      ? {
          code: 'storage_low',
          title: 'Storage is low',
          detail:
            'the database volume is nearly full, so nothing is written until an operator frees space; reads of the public register still work',
        }
      : what === 'closing'
        ? {
            code: 'shutting_down',
            title: 'The server is shutting down',
            detail:
              'this instance is stopping; try again (another instance, or this one restarted)',
          }
        : {
            code: 'database_unavailable',
            title: 'The database is unavailable',
            detail: 'the database did not answer in time or cannot be reached; try again shortly',
          };
  return sendProblem(reply, request, { ...p, status: 503, echoPath: false });
}

/**
 * Requests that arrive while the server closes (on a connection kept alive) answer 503 as
 * problem+json with the security headers, in place of Fastify's own plain JSON.
 */
export function registerClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (!closing) {
      done();
      return;
    }
    void reply.header('connection', 'close');
    void unavailable(reply, request, 'closing');
  });
}
