/**
 * Builds the Fastify application from services. Never listens: main.ts does, tests inject.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
} from 'fastify';
import pinoPretty from 'pino-pretty';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { authenticate, PERSON_SESSION_COOKIE, STAFF_SESSION_COOKIE } from './http/auth/index.ts';
import { registerRateLimits } from './http/rate-limit/index.ts';
import { auditRoutes } from './modules/audit/index.ts';
import { outboxRoutes } from './mail/outbox.routes.ts';
import { staffRoutes } from './modules/staff/index.ts';
import { healthRoutes, registerStorageRefusal, type OpsOptions } from './http/health.ts';
import {
  clientError,
  frameworkError,
  registerClosing,
  registerErrorHandling,
} from './http/problem.ts';
import { registerMetrics } from './ops/metrics.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import { registerTextGuard } from './http/text-guard.ts';
import { definitionRoutes } from './modules/definition/index.ts';
import { portalRoutes, requestsRoutes } from './modules/requests/index.ts';
import {
  definitionCheckRoutes,
  noticePages,
  noticeRoutes,
  noticeStaffRoutes,
} from './modules/notice/index.ts';
import {
  permissionPortalRoutes,
  permissionsRoutes,
  publicPermissionPages,
  redactUnsubscribePath,
} from './modules/permissions/index.ts';
import { interchangeRoutes } from './modules/interchange/index.ts';
import { audiencesRoutes } from './modules/audiences/index.ts';
import { campaignsRoutes } from './modules/campaigns/index.ts';
import { retentionRoutes } from './modules/retention/index.ts';
import { statisticsRoutes } from './modules/statistics/index.ts';
import { subjectsRoutes } from './modules/subjects/index.ts';
import type { Services } from './services.ts';

export interface AppOptions {
  logger?: FastifyServerOptions['logger'];
  trustProxy?: false | number | string[];
  bodyLimit?: number;
  version?: string;
  /** The built staff console (web/dist/console); served at /admin when it exists. */
  consoleDir?: string;
  /** The built public portal (web/dist/portal); served at / when it exists. Defaults to the
   * portal folder beside consoleDir. */
  portalDir?: string;
  /** Health, metrics and the storage guard (src/http/health.ts). */
  ops?: OpsOptions;
  /** Requests per minute an API key may make (API_KEY_RATE_LIMIT); 0: no limit. */
  apiKeyRateLimit?: number;
}

/**
 * Logging that keeps personal data out: the request line without its query string (which may hold
 * an e-mail address or phone number), no headers, no bodies. JSON lines, one per event, unless
 * `format` asks for readable lines, or is `auto` and stdout is a terminal (someone watching
 * `rekisteri start`); the redaction is the same either way, done before the line is formatted.
 */
export function loggerOptions(
  level: string,
  format: 'auto' | 'json' | 'pretty' = 'auto',
  terminal: boolean = process.stdout.isTTY === true,
): FastifyServerOptions['logger'] {
  const pretty = format === 'pretty' || (format === 'auto' && terminal);
  return {
    level,
    ...(pretty
      ? {
          // Synchronous on the main thread: no worker, and nothing lost when the process ends.
          stream: pinoPretty({
            colorize: terminal,
            sync: true,
            translateTime: 'SYS:yyyy-mm-dd HH:MM:ss',
            ignore: 'pid,hostname',
          }),
        }
      : {}),
    redact: {
      paths: ['req.headers', 'req.body', 'body', 'email', 'phone', 'values'],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        // An unsubscribe link's token is a credential: never logged.
        path: redactUnsubscribePath(req.url.split('?')[0] ?? ''),
        id: req.id,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/**
 * Drops the component schemas no operation refers to, directly or through another schema: zod's
 * registry yields an input and an output variant of every named schema, and most are used only
 * one way.
 */
export function withoutUnusedSchemas<T>(doc: T): T {
  const d = doc as { components?: { schemas?: Record<string, unknown> } };
  const schemas = d.components?.schemas;
  if (!schemas) {
    return doc;
  }
  const refs = (value: unknown): string[] =>
    [...JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
  const { components, ...rest } = d as { components: Record<string, unknown> };
  const used = new Set<string>();
  const pending = refs({ ...rest, components: { ...components, schemas: undefined } });
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (!used.has(name) && name in schemas) {
      used.add(name);
      // A schema's own $id names itself; only its $refs lead further.
      const body = { ...(schemas[name] as Record<string, unknown>) };
      delete body.$id;
      pending.push(...refs(body));
    }
  }
  for (const name of Object.keys(schemas)) {
    if (!used.has(name)) {
      delete schemas[name];
    }
  }
  return doc;
}

/** The portal's pages besides `/`, each served its one page (web/portal/Portal.tsx routes them). */
export const PORTAL_PAGES = [
  '/requests/new',
  '/requests/sent',
  '/requests/verify',
  '/requests/download',
  '/preferences',
  '/signup',
  '/signup/confirm',
] as const;

function trustHops(n: number) {
  return (_address: string, hop: number) => hop < n;
}

export async function createApp(
  services: Services,
  opts: AppOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    // A number n trusts the n nearest proxy hops (what Fastify does with an integer).
    trustProxy:
      typeof opts.trustProxy === 'number' ? trustHops(opts.trustProxy) : (opts.trustProxy ?? false),
    bodyLimit: opts.bodyLimit ?? 1_048_576,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
    // Errors met before routing, and requests Node's parser refuses, answer as problem+json with
    // the security headers, echoing nothing of the request.
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
    // Answered by registerClosing instead, as problem+json with the security headers.
    return503OnClosing: false,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  // First of the hooks, so that every answer has the headers, even one refused by a later hook.
  registerSecurityHeaders(app);
  registerClosing(app);
  const ops = opts.ops ?? {};
  if (ops.storage) {
    registerStorageRefusal(app, ops.storage);
  }
  registerTextGuard(app);
  await app.register(fastifyCookie);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Rekisteri API',
        version: opts.version ?? '0.1.0',
        description:
          'A register of personal data that enforces its own definition. Every read names a purpose and returns only the categories that purpose may use. Errors are RFC 9457 problem details.',
        license: { name: 'AGPL-3.0-only', identifier: 'AGPL-3.0-only' },
      },
      // Relative: the API is served by the server that serves this document, wherever it is.
      servers: [{ url: '/', description: 'This server' }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key from `rekisteri apikey create`',
          },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: STAFF_SESSION_COOKIE,
            description:
              'A staff session from POST /api/v1/auth/login (its second factor still pending until POST /api/v1/auth/mfa); state-changing requests also send X-CSRF-Token',
          },
          person: {
            type: 'apiKey',
            in: 'cookie',
            name: PERSON_SESSION_COOKIE,
            description:
              'A data subject’s short session on the preference page, opened by POST /api/v1/portal/preferences/session with a mailed single-use link (30 minutes; HttpOnly, SameSite=Strict)',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: (input) => withoutUnusedSchemas(jsonSchemaTransformObject(input)),
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', staticCSP: true });

  app
    .withTypeProvider<ZodTypeProvider>()
    .get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());

  healthRoutes(app, services, ops);
  registerMetrics(app, {
    services,
    token: ops.metricsToken,
    ...(ops.database ? { database: ops.database } : {}),
    ...(ops.storage ? { storage: ops.storage } : {}),
  });

  const portalPermissionDeps = {
    preferences: services.preferences,
    rateLimits: services.rateLimits,
    vault: services.vault,
    clock: services.clock,
  };
  await app.register(
    async (api) => {
      // Before the routes, so that each gets its limit (src/http/rate-limit).
      await registerRateLimits(api, services.rateLimits, opts.apiKeyRateLimit);
      definitionRoutes(api, services.register);
      staffRoutes(api, { staff: services.staff, apiKeys: services.apiKeys });
      // The public portal's request routes: no sign-in, limited per address and per e-mail.
      portalRoutes(api, {
        portal: services.portal,
        rateLimits: services.rateLimits,
        vault: services.vault,
      });
      // The person's own side of the permission ledger: preference page and sign-up.
      permissionPortalRoutes(api, portalPermissionDeps);
      // The privacy notice and its completeness: public, as the notice is.
      noticeRoutes(api, services.notice, services.noticeVersions);
      await api.register((secured, _opts, done) => {
        secured.addHook('onRequest', authenticate(services.apiKeys, services.staff));
        subjectsRoutes(secured, services.subjects);
        permissionsRoutes(secured, services.permissions);
        interchangeRoutes(secured, services.interchange);
        audiencesRoutes(secured, services.audiences);
        campaignsRoutes(secured, services.campaigns);
        auditRoutes(secured, { audit: services.audit, staff: services.staff });
        outboxRoutes(secured, { mail: services.mail });
        requestsRoutes(secured, services.requests);
        retentionRoutes(secured, services.retention);
        statisticsRoutes(secured, services.statistics);
        // What `rekisteri check` says, for the console's register page (read_audit).
        definitionCheckRoutes(secured, services.register);
        noticeStaffRoutes(secured, {
          notice: services.notice,
          versions: services.noticeVersions,
          announcements: services.noticeAnnouncements,
        });
        done();
      });
    },
    { prefix: '/api/v1' },
  );

  // The one-click unsubscribe (/u/<token>) and the embeddable sign-up form's target (/signup).
  await publicPermissionPages(app, portalPermissionDeps);
  // The privacy notice as a page of the portal: /notice and /{sv,fi,en}/notice.
  noticePages(app, services.notice, services.noticeVersions);

  const consoleDir = opts.consoleDir;
  const hasConsole = consoleDir !== undefined && existsSync(join(consoleDir, 'index.html'));
  if (hasConsole) {
    await app.register(fastifyStatic, {
      root: consoleDir,
      prefix: '/admin/',
      decorateReply: true,
      index: 'index.html',
      wildcard: false,
    });
    // Any other path under /admin is a route of the single-page app.
    app.get('/admin', { schema: { hide: true } }, (_req, reply) => reply.redirect('/admin/'));
    app.get('/admin/*', { schema: { hide: true } }, (_req, reply) =>
      reply.type('text/html').sendFile('index.html', consoleDir),
    );
  }
  // The portal is built beside the console unless told otherwise (web/dist/portal).
  const portalDir =
    opts.portalDir ?? (consoleDir ? join(dirname(consoleDir), 'portal') : undefined);
  if (portalDir && existsSync(join(portalDir, 'index.html'))) {
    // Its page at / and its hashed files under /assets/; nothing else at the top level. The
    // assets are looked up per request (not listed once at start), so that after a rebuild the
    // page's new hashed names are found without a restart.
    await app.register(fastifyStatic, {
      root: join(portalDir, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      dotfiles: 'ignore',
    });
    // Read on each request, so that a rebuild (new hashed asset names) shows without a restart.
    const portalPage = async (_req: unknown, reply: FastifyReply) =>
      reply.type('text/html; charset=utf-8').send(await readFile(join(portalDir, 'index.html')));
    app.get('/', { schema: { hide: true } }, portalPage);
    // The portal's request pages (the mailed links open /requests/verify and /requests/download,
    // their token in the fragment, which never reaches the server).
    for (const page of PORTAL_PAGES) {
      app.get(page, { schema: { hide: true } }, portalPage);
    }
  } else {
    app.get('/', { schema: { hide: true } }, (_req, reply) =>
      reply.redirect(hasConsole ? '/admin/' : '/api/docs'),
    );
  }
  return app;
}
