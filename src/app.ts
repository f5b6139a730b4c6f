/**
 * Builds the Fastify application from services. Never listens: main.ts does, tests inject.
 */
import fastifyHelmet from '@fastify/helmet';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerAuth } from './http/auth.ts';
import { registerErrorHandling } from './http/problem.ts';
import { registerRoutes } from './modules/register/register.routes.ts';
import { subjectsRoutes } from './modules/subjects/subjects.routes.ts';
import type { Services } from './services.ts';

export interface AppOptions {
  logger?: FastifyServerOptions['logger'];
  trustProxy?: boolean;
  bodyLimit?: number;
  version?: string;
}

/**
 * Logging that keeps personal data out: the request line without its query string (which may hold
 * an e-mail address or phone number), no headers, no bodies.
 */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: ['req.headers', 'req.body', 'body', 'email', 'phone', 'values'],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        path: req.url.split('?')[0],
        id: req.id,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

export async function createApp(
  services: Services,
  opts: AppOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    trustProxy: opts.trustProxy ?? false,
    bodyLimit: opts.bodyLimit ?? 1_048_576,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Rekisteri API',
        version: opts.version ?? '0.1.0',
        description:
          'A register of personal data that enforces its own definition. Every read names a purpose and returns only the categories that purpose may use. Errors are RFC 9457 problem details.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key from `rekisteri apikey create`',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', staticCSP: true });

  app
    .withTypeProvider<ZodTypeProvider>()
    .get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());

  app.withTypeProvider<ZodTypeProvider>().get('/healthz', {
    schema: {
      tags: ['health'],
      summary: 'Liveness and database check',
      response: { 200: z.object({ status: z.literal('ok') }) },
    },
    handler: async () => {
      await services.subjects.ping();
      return { status: 'ok' as const };
    },
  });

  await app.register(
    async (api) => {
      registerRoutes(api, services.register);
      await api.register((secured, _opts, done) => {
        secured.addHook('onRequest', bearerAuth(services.apiKeys));
        subjectsRoutes(secured, services.subjects);
        done();
      });
    },
    { prefix: '/api/v1' },
  );

  app.get('/', { schema: { hide: true } }, (_req, reply) => reply.redirect('/api/docs'));
  return app;
}
