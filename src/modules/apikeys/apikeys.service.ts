/**
 * API keys for integrations. A key is `rk_<id>_<secret>`; only a SHA-256 of the secret is stored
 * (the secret is 256 random bits, so a slow password hash adds nothing). Each key is scoped to
 * purposes and actions, and becomes an Actor when presented.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { withTransaction, type Executor } from '../../db/transaction.ts';
import type { Register } from '../definition/index.ts';
import { API_KEY_ACTIONS, type Action, type Actor } from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, invalidAll, type FieldIssue } from '../../lib/errors.ts';
import type { AuditService } from '../audit/index.ts';
import type { ApiKeyRow, ApiKeysRepo } from './apikeys.repo.ts';

export interface ApiKeyView {
  id: string;
  name: string;
  purposes: string[];
  actions: string[];
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const TOKEN = /^rk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;
/** Verified keys are remembered this long; revocation on this instance clears them at once. */
const CACHE_MS = 30_000;
const TOUCH_MS = 60_000;

const hash = (secret: string) => createHash('sha256').update(secret).digest();

function present(r: ApiKeyRow): ApiKeyView {
  return {
    id: r.id,
    name: r.name,
    purposes: r.purposes,
    actions: r.actions,
    createdAt: r.created_at.toISOString(),
    createdBy: r.created_by,
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
  };
}

export function createApiKeysService(deps: {
  db: Executor;
  repo: ApiKeysRepo;
  register: Register;
  clock: Clock;
  audit: AuditService;
}) {
  const { db, repo, register, clock } = deps;
  const cache = new Map<string, { actor: Actor; until: number }>();
  const touched = new Map<string, number>();

  return {
    /**
     * Creates a key; the key and its access-log entry commit together. Only an actor with full
     * rights (the operator at the command line) may: a key can read everything its purposes reach.
     */
    async createApiKey(
      actor: Actor,
      input: { name: string; purposes: string[]; actions: string[] },
    ): Promise<{ token: string; key: ApiKeyView }> {
      requireManager(actor);
      const issues: FieldIssue[] = [];
      if (input.name.trim().length === 0 || input.name.length > 100) {
        issues.push({ field: 'name', detail: 'expected a name of 1 to 100 characters' });
      }
      if (input.purposes.length === 0) {
        issues.push({ field: 'purposes', detail: 'give at least one purpose, or * for all' });
      }
      input.purposes.forEach((p, i) => {
        if (p !== '*' && !register.purpose(p)) {
          issues.push({ field: `purposes[${i}]`, detail: `unknown purpose "${p}"` });
        }
      });
      if (input.actions.length === 0) {
        issues.push({
          field: 'actions',
          detail: `give at least one of ${API_KEY_ACTIONS.join(', ')}`,
        });
      }
      input.actions.forEach((a, i) => {
        if (!(API_KEY_ACTIONS as readonly string[]).includes(a)) {
          issues.push({
            field: `actions[${i}]`,
            detail: `unknown action "${a}"; expected one of ${API_KEY_ACTIONS.join(', ')}`,
          });
        }
      });
      if (issues.length > 0) {
        throw invalidAll(issues);
      }
      const id = randomUUID().replaceAll('-', '');
      const secret = randomBytes(32).toString('base64url');
      const row = {
        id: formatUuid(id),
        name: input.name.trim(),
        secret_hash: hash(secret),
        purposes: [...new Set(input.purposes)],
        actions: [...new Set(input.actions)],
        created_at: clock.now(),
        created_by: actor.id,
      };
      await withTransaction(db, async (tx) => {
        await repo.insert(tx, row);
        await deps.audit.record(tx, {
          actor,
          action: 'apikey.create',
          data: { keyId: row.id, purposes: row.purposes, actions: row.actions },
        });
      });
      return {
        token: `rk_${id}_${secret}`,
        key: present({ ...row, last_used_at: null, revoked_at: null }),
      };
    },

    async listApiKeys(): Promise<ApiKeyView[]> {
      return (await repo.list(db)).map(present);
    },

    /** Revokes a key; the revocation and its access-log entry commit together. */
    async revokeApiKey(actor: Actor, id: string): Promise<void> {
      requireManager(actor);
      const revoked =
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id) &&
        (await withTransaction(db, async (tx) => {
          if (!(await repo.revoke(tx, id, clock.now()))) {
            return false;
          }
          await deps.audit.record(tx, { actor, action: 'apikey.revoke', data: { keyId: id } });
          return true;
        }));
      if (!revoked) {
        throw new AppError('not_found', `no active API key with id ${id}`);
      }
      for (const [k, v] of cache) {
        if (v.actor.id === id) {
          cache.delete(k);
        }
      }
    },

    /** The actor a bearer token stands for; throws `unauthenticated` for anything else. */
    async authenticate(token: string): Promise<Actor> {
      const now = Date.now();
      const cached = cache.get(token);
      if (cached && cached.until > now) {
        return cached.actor;
      }
      const m = TOKEN.exec(token);
      const row = m ? await repo.findById(db, formatUuid(m[1] as string)) : undefined;
      if (!m || !row || !timingSafeEqual(row.secret_hash, hash(m[2] as string))) {
        throw new AppError('unauthenticated', 'the API key is not valid');
      }
      if (row.revoked_at) {
        throw new AppError('unauthenticated', 'the API key has been revoked');
      }
      const purposes = row.purposes.includes('*') ? '*' : new Set(row.purposes);
      const actor: Actor = {
        kind: 'api_key',
        id: row.id,
        read: purposes,
        write: purposes,
        actions: new Set(row.actions as Action[]),
      };
      if (cache.size > 10_000) {
        cache.clear();
      }
      cache.set(token, { actor, until: now + CACHE_MS });
      if ((touched.get(row.id) ?? 0) + TOUCH_MS < now) {
        touched.set(row.id, now);
        await repo.touch(db, row.id, clock.now());
      }
      return actor;
    },
  };
}

/** Keys are managed at the server's command line: only an actor with every right may. */
function requireManager(actor: Actor): void {
  if (actor.actions !== '*' || actor.read !== '*') {
    throw new AppError('forbidden', 'only the operator at the command line may manage API keys');
  }
}

function formatUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
