/**
 * Health for orchestrators and load balancers:
 *
 * - `/healthz/live`: the process works (its event loop answers). Never touches the database, so a
 *   database outage does not make an orchestrator restart every instance.
 * - `/healthz/ready`: this instance can serve: the database and the key store answer within a
 *   short timeout, the embedded databases' volumes have room, and the access log's sealer keeps
 *   up. `/healthz` is the same as ready.
 *
 * Bodies name the checks that failed and nothing else (no personal data, no error messages).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DatabaseHandle } from '../db/database.ts';
import { sealerBacklog } from '../ops/backlog.ts';
import type { StorageGuard } from '../ops/storage.ts';
import type { Services } from '../services.ts';
import { problemSchema, unavailable } from './problem.ts';

export interface OpsOptions {
  /** The data database (the sealer's backlog, pool metrics). */
  database?: DatabaseHandle;
  /** The embedded volumes' guard: writes are refused and readiness fails while it is low. */
  storage?: StorageGuard;
  /** REKISTERI_METRICS_TOKEN; without it /metrics answers 404. */
  metricsToken?: string;
  /** How long each readiness check may take (ms). */
  readyTimeoutMs?: number;
  /** Readiness fails when the oldest unsealed access-log entry is older than this (s). */
  maxSealerLagSeconds?: number;
}

const CHECKS = ['database', 'keystore', 'storage', 'sealer'] as const;
type Check = (typeof CHECKS)[number];

const checkSchema = z.enum(['ok', 'failed', 'skipped']);
const readySchema = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    checks: z.object({
      database: checkSchema,
      keystore: checkSchema,
      storage: checkSchema,
      sealer: checkSchema,
    }),
    failed: z.array(z.enum(CHECKS)),
  })
  .meta({ id: 'Readiness' });

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function healthRoutes(app: FastifyInstance, services: Services, ops: OpsOptions): void {
  const timeout = ops.readyTimeoutMs ?? 2000;
  const maxLag = ops.maxSealerLagSeconds ?? 120;
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  app.addHook('onClose', (_app, done) => {
    loop.disable();
    done();
  });

  const check = async () => {
    const run = async (fn: () => Promise<boolean>): Promise<'ok' | 'failed'> => {
      try {
        return (await within(timeout, fn())) ? 'ok' : 'failed';
      } catch {
        return 'failed';
      }
    };
    const [database, keystore, sealer] = await Promise.all([
      run(async () => {
        await services.subjects.ping();
        return true;
      }),
      run(async () => {
        await services.keys.ping();
        return true;
      }),
      ops.database
        ? run(async () => (await sealerBacklog(ops.database!.db)).lagSeconds <= maxLag)
        : Promise.resolve('skipped' as const),
    ]);
    const storage = ops.storage ? (ops.storage.low ? 'failed' : 'ok') : 'skipped';
    const checks: Record<Check, 'ok' | 'failed' | 'skipped'> = {
      database,
      keystore,
      storage,
      sealer,
    };
    const failed = CHECKS.filter((c) => checks[c] === 'failed');
    return {
      status: failed.length > 0 ? ('unavailable' as const) : ('ok' as const),
      checks,
      failed,
    };
  };
  // Probes that arrive while a check runs share its answer: the route is public, and a flood of
  // probes must not take every connection of the pools from the requests they serve.
  let running: ReturnType<typeof check> | undefined;
  const ready = async (_req: FastifyRequest, reply: FastifyReply) => {
    running ??= check().finally(() => {
      running = undefined;
    });
    const answer = await running;
    void reply.code(answer.failed.length > 0 ? 503 : 200);
    return answer;
  };

  const typed = app.withTypeProvider<ZodTypeProvider>();
  // Public, as probes are; 400 is what the text guard answers to a malformed query string.
  const readySchemaFor = (operationId: string, summary: string, description: string) => ({
    tags: ['health'],
    operationId,
    security: [],
    summary,
    description,
    response: { 200: readySchema, 400: problemSchema, 503: readySchema },
  });
  typed.get('/healthz/ready', {
    schema: readySchemaFor(
      'getReadiness',
      'Readiness: whether this instance can serve requests',
      'The database and the key store answer within 2 s, the embedded databases’ volumes are above REKISTERI_MIN_FREE_SPACE, and the access log’s sealer is less than 120 s behind. 503 names the failed checks. Use it to route traffic (a load balancer, a Kubernetes readiness probe); it recovers by itself.',
    ),
    handler: ready,
  });
  typed.get('/healthz', {
    schema: readySchemaFor(
      'getHealth',
      'Readiness (the same as /healthz/ready)',
      'Kept for existing monitors: the same checks and answers as /healthz/ready.',
    ),
    handler: ready,
  });
  typed.get('/healthz/live', {
    schema: {
      operationId: 'getLiveness',
      security: [],
      tags: ['health'],
      summary: 'Liveness: the process works',
      description:
        'Answers 200 while the event loop runs; never touches the database, so an outage of the database does not make it fail. Use it to restart a stuck process (a Kubernetes liveness probe); the built-in watchdog (REKISTERI_WATCHDOG_TIMEOUT) ends a process whose event loop stops.',
      response: {
        200: z
          .object({ status: z.literal('ok'), eventLoopDelayMs: z.number() })
          .meta({ id: 'Liveness' }),
        400: problemSchema,
      },
    },
    handler: () => {
      const delay = Math.round(loop.max / 1e6);
      loop.reset();
      return { status: 'ok' as const, eventLoopDelayMs: delay };
    },
  });
}

/**
 * While the embedded volume is low, every request that could write answers 503 without touching
 * the database. Every /api/v1 request writes (reads record an access-log entry), except the public
 * register definition. Logged once per change of state by the guard, not per request.
 */
export function registerStorageRefusal(app: FastifyInstance, guard: StorageGuard): void {
  app.addHook('onRequest', (request, reply, done) => {
    // The route the router chose, not the raw URL: `/%61pi/v1/subjects` reaches the same handler
    // as `/api/v1/subjects` and must be refused the same way.
    const route = request.routeOptions.url ?? '';
    if (guard.low && route.startsWith('/api/v1/') && route !== '/api/v1/definition') {
      void unavailable(reply, request, 'storage');
      return;
    }
    done();
  });
}
