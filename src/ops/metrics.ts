/**
 * `/metrics` in the Prometheus text format, with prom-client. Served only when
 * REKISTERI_METRICS_TOKEN is set, to requests that send it as a bearer token (compared in constant
 * time); otherwise the route answers 404 as if it did not exist. Labels carry route patterns,
 * never URLs, so no id or query string reaches the metrics.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DatabaseHandle } from '../db/database.ts';
import { sendProblem } from '../http/problem.ts';
import type { Services } from '../services.ts';
import { queueDepths, sealerBacklog, type QueueDepths } from './backlog.ts';
import type { StorageGuard } from './storage.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether the Authorization header carries the token; equal-length digests, compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/i.exec(header ?? '');
  return timingSafeEqual(digest(m?.[1] ?? ''), digest(token)) && m !== null;
}

export function registerMetrics(
  app: FastifyInstance,
  deps: {
    services: Services;
    token: string | undefined;
    database?: DatabaseHandle;
    storage?: StorageGuard;
  },
): void {
  const { token } = deps;
  const registry = new Registry();
  if (token) {
    collectDefaultMetrics({ register: registry });
  }
  const requests = new Counter({
    name: 'rekisteri_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'rekisteri_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const pools: Array<[string, DatabaseHandle | undefined]> = [
    ['data', deps.database],
    ['keys', deps.services.keys.handle],
  ];
  new Gauge({
    name: 'rekisteri_db_pool_connections',
    help: 'PostgreSQL pool connections by pool (data, keys) and state (total, idle, waiting: requests queued for one)',
    labelNames: ['pool', 'state'] as const,
    registers: [registry],
    collect() {
      for (const [pool, handle] of pools) {
        const s = handle?.poolStats?.();
        if (s) {
          this.set({ pool, state: 'total' }, s.total);
          this.set({ pool, state: 'idle' }, s.idle);
          this.set({ pool, state: 'waiting' }, s.waiting);
        }
      }
    },
  });
  const database = deps.database;
  if (database) {
    let backlog: Promise<{ entries: number; lagSeconds: number } | undefined> | undefined;
    // Both gauges read one query per scrape.
    const read = () => {
      backlog ??= sealerBacklog(database.db)
        .catch(() => undefined)
        .finally(() => setTimeout(() => (backlog = undefined), 100).unref());
      return backlog;
    };
    new Gauge({
      name: 'rekisteri_access_log_unsealed_entries',
      help: 'Access-log entries written after the last one chained by the sealer',
      registers: [registry],
      async collect() {
        const b = await read();
        if (b) {
          this.set(b.entries);
        }
      },
    });
    new Gauge({
      name: 'rekisteri_access_log_sealer_lag_seconds',
      help: 'Age of the oldest access-log entry not yet chained (0 when none)',
      registers: [registry],
      async collect() {
        const b = await read();
        if (b) {
          this.set(b.lagSeconds);
        }
      },
    });
  }
  if (database) {
    let depths: Promise<QueueDepths | undefined> | undefined;
    const readDepths = () => {
      depths ??= queueDepths(database.db)
        .catch(() => undefined)
        .finally(() => setTimeout(() => (depths = undefined), 100).unref());
      return depths;
    };
    new Gauge({
      name: 'rekisteri_jobs',
      help: 'Background jobs by state: queued (waiting or retrying), running, failed (given up; see docs/jobs-and-mail.md)',
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        const d = await readDepths();
        if (d) {
          for (const [state, n] of Object.entries(d.jobs)) {
            this.set({ state }, n);
          }
        }
      },
    });
    new Gauge({
      name: 'rekisteri_outbox_mails',
      help: 'Mails waiting in the outbox (undelivered: no SMTP configured, or retrying)',
      registers: [registry],
      async collect() {
        const d = await readDepths();
        if (d) {
          this.set(d.outbox);
        }
      },
    });
  }
  const storage = deps.storage;
  if (storage) {
    new Gauge({
      name: 'rekisteri_storage_free_bytes',
      help: 'Free bytes on the volume of each embedded database (REKISTERI_DATA, REKISTERI_KEYSTORE)',
      labelNames: ['variable'] as const,
      registers: [registry],
      collect() {
        for (const r of storage.readings) {
          this.set({ variable: r.variable }, r.freeBytes);
        }
      },
    });
    new Gauge({
      name: 'rekisteri_storage_low',
      help: '1 while writes are refused because a volume is below REKISTERI_MIN_FREE_SPACE',
      registers: [registry],
      collect() {
        this.set(storage.low ? 1 : 0);
      },
    });
  }

  if (token) {
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const method = request.method;
      requests.inc({ method, route, status_code: String(reply.statusCode) });
      duration.observe({ method, route }, reply.elapsedTime / 1000);
      done();
    });
  }

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (!token) {
      return sendProblem(reply, request, {
        code: 'not_found',
        status: 404,
        title: 'Not found',
        detail: 'there is no such route (or no such method on it)',
        echoPath: false,
      });
    }
    if (!bearerMatches(request.headers.authorization, token)) {
      return sendProblem(reply, request, {
        code: 'unauthenticated',
        status: 401,
        title: 'Authentication is required',
        detail: 'send Authorization: Bearer with REKISTERI_METRICS_TOKEN',
        echoPath: false,
      });
    }
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
}
