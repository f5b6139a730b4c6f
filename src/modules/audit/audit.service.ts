/**
 * The tamper-evident access log. `record` writes events inside the caller's transaction; `seal`
 * chains committed events (HMAC of the previous hash and the event); `verify` recomputes the chain
 * and names the first entry that does not match. The log identifies people only by their id.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';
import type { Actor } from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Vault } from '../../vault/vault.ts';
import type { CopyIn } from '../../db/copy.ts';
import type { AuditEventRow, AuditRepo, NewAuditEvent } from './audit.repo.ts';

export const AUDIT_ACTIONS = [
  'subject.create',
  'subject.read',
  'subject.search',
  'subject.update',
  'subject.history',
  'subject.erase',
  'subject.restrict',
  'subject.unrestrict',
  'subject.export',
  'subject.import',
  'staff.login',
  'staff.login_failed',
  'staff.lockout',
  'staff.logout',
  'staff.create',
  'staff.update',
  'staff.password',
  'staff.totp',
  'apikey.create',
  'apikey.revoke',
  'definition.change',
  'audit.read',
  'audit.verify',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEvent {
  actor: Pick<Actor, 'kind' | 'id' | 'role' | 'requestId'>;
  action: AuditAction;
  purpose?: string | null;
  subjectId?: string | null;
  categories?: readonly string[];
  fields?: readonly string[];
  outcome?: 'ok' | 'denied' | 'failed';
  /** Free text without personal data: a reason code, a count. */
  detail?: string | null;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  unsealed: number;
  /** The first chain entry that does not match, and why. */
  broken?: { seq: string; eventId: string; reason: string };
  /**
   * The last entry and its hash. Kept somewhere else (a ticket, a printout), it also reveals entries
   * cut off the end of the chain, which the chain alone cannot show.
   */
  head?: { seq: string; hash: string };
}

const GENESIS = Buffer.alloc(32);
const SEAL_BATCH = 5000;

/** The exact bytes an entry's hash covers. */
export function canonicalEvent(e: AuditEventRow): string {
  return JSON.stringify([
    e.id,
    new Date(e.at).toISOString(),
    e.actor_kind,
    e.actor_id,
    e.role,
    e.purpose,
    e.subject_id,
    e.action,
    e.categories,
    e.fields,
    e.outcome,
    e.request_id,
    e.detail,
  ]);
}

export function createAuditService(deps: {
  db: Kysely<Database>;
  repo: AuditRepo;
  vault: Vault;
  clock: Clock;
}) {
  const { db, repo, vault, clock } = deps;
  /** Events up to this id are known to be sealed; the search for unsealed ones starts after it. */
  let floor: string | undefined;
  const marks: Array<{ at: number; id: string }> = [];
  let lastFullScan = Date.now();

  const toRow = (e: AuditEvent, at: Date): NewAuditEvent => ({
    at,
    actor_kind: e.actor.kind,
    actor_id: e.actor.id,
    role: e.actor.role ?? null,
    purpose: e.purpose ?? null,
    subject_id: e.subjectId ?? null,
    action: e.action,
    categories: [...(e.categories ?? [])],
    fields: [...(e.fields ?? [])],
    outcome: e.outcome ?? 'ok',
    request_id: e.actor.requestId ?? null,
    detail: e.detail ?? null,
  });

  let pending: Array<{
    rows: NewAuditEvent[];
    resolve: () => void;
    reject: (err: unknown) => void;
  }> = [];
  let flushing = false;
  const flush = async (): Promise<void> => {
    flushing = true;
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        await repo.insert(
          db,
          batch.flatMap((b) => b.rows),
        );
        batch.forEach((b) => b.resolve());
      } catch (err) {
        batch.forEach((b) => b.reject(err));
      }
    }
    flushing = false;
  };

  /**
   * Chains committed events. Within one call the scan moves on from the last event chained; across
   * calls it restarts from `floor`, which trails a minute behind, so that an event written by a
   * transaction that was still running (invisible, with a lower id than events chained around it)
   * is picked up once it commits.
   */
  const seal = async (): Promise<number> => {
    floor ??= String(Math.max(0, Number(await repo.maxSealedEvent()) - 100_000));
    // Every ten minutes a pass starts from the beginning, for events of transactions that ran
    // longer than the floor's lag.
    const full = Date.now() - lastFullScan > 10 * 60_000;
    if (full) {
      lastFullScan = Date.now();
    }
    let from = full ? '0' : floor;
    let total = 0;
    for (;;) {
      const sealed = await db.transaction().execute(async (tx) => {
        if (!(await repo.tryLockSealer(tx))) {
          return [];
        }
        const tail = await repo.chainTail(tx);
        const events = await repo.unsealed(tx, from, SEAL_BATCH);
        let prev: Buffer = tail?.hash ?? GENESIS;
        let seq = BigInt(tail?.seq ?? '0');
        const rows = events.map((e) => {
          seq += 1n;
          prev = vault.auditHash(prev, canonicalEvent(e));
          return { seq: seq.toString(), event_id: e.id, hash: prev };
        });
        await repo.appendChain(tx, rows);
        return rows;
      });
      total += sealed.length;
      const last = sealed[sealed.length - 1];
      if (last) {
        from = last.event_id;
        marks.push({ at: Date.now(), id: last.event_id });
      }
      if (sealed.length < SEAL_BATCH) {
        break;
      }
    }
    const horizon = Date.now() - 60_000;
    // Never past a committed event that is still waiting for an older transaction to end.
    const due = marks.length > 0 && (marks[0]?.at ?? Infinity) < horizon;
    const waiting = due ? await repo.oldestWaiting(floor) : null;
    while (marks.length > 0 && (marks[0]?.at ?? Infinity) < horizon) {
      const mark: string = marks.shift()?.id ?? floor;
      floor =
        waiting !== null && BigInt(waiting) <= BigInt(mark) ? String(BigInt(waiting) - 1n) : mark;
    }
    return total;
  };

  return {
    /** Writes events in the caller's transaction (or on their own when given the database). */
    async record(tx: Kysely<Database>, events: AuditEvent | AuditEvent[]): Promise<void> {
      const at = clock.now();
      await repo.insert(
        tx,
        (Array.isArray(events) ? events : [events]).map((e) => toRow(e, at)),
      );
    },

    /** As record, through the COPY of a bulk transaction (imports). */
    async recordBulk(copy: CopyIn, events: AuditEvent[]): Promise<void> {
      const at = clock.now();
      await repo.copy(
        copy,
        events.map((e) => toRow(e, at)),
      );
    },

    /**
     * Writes events on their own, outside any transaction of the caller: the log of reads. Events
     * arriving while a write is under way are gathered and written together in the next one, so
     * concurrent reads share one commit (and one disk flush) instead of paying one each. Each caller
     * still waits until its event is committed.
     */
    log(events: AuditEvent | AuditEvent[]): Promise<void> {
      const at = clock.now();
      const rows = (Array.isArray(events) ? events : [events]).map((e) => toRow(e, at));
      if (rows.length === 0) {
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        pending.push({ rows, resolve, reject });
        if (!flushing) {
          void flush();
        }
      });
    },

    seal,

    /** Seals what is pending, then recomputes the whole chain from its start. */
    async verify(): Promise<VerifyResult> {
      await seal();
      let prev: Buffer = GENESIS;
      let expectedSeq = 1n;
      let checked = 0;
      let after = '0';
      for (;;) {
        const page = await repo.chainPage(after, SEAL_BATCH);
        for (const entry of page) {
          const broken = (reason: string): VerifyResult => ({
            ok: false,
            checked,
            unsealed: 0,
            broken: { seq: entry.seq, eventId: entry.event_id, reason },
          });
          if (BigInt(entry.seq) !== expectedSeq) {
            return broken(`chain entry ${expectedSeq} is missing`);
          }
          if (!entry.event) {
            return broken(`event ${entry.event_id} has been deleted`);
          }
          const hash = vault.auditHash(prev, canonicalEvent(entry.event));
          if (!hash.equals(entry.hash)) {
            return broken(
              `event ${entry.event_id} does not match its hash: it was changed after it was sealed`,
            );
          }
          prev = entry.hash;
          expectedSeq++;
          checked++;
        }
        if (page.length < SEAL_BATCH) {
          break;
        }
        after = page[page.length - 1]?.seq ?? after;
      }
      return {
        ok: true,
        checked,
        unsealed: await repo.countUnsealed(),
        ...(checked > 0
          ? { head: { seq: String(expectedSeq - 1n), hash: prev.toString('hex') } }
          : {}),
      };
    },

    /** A page of the log, newest first, with whether each entry is sealed into the chain yet. */
    list: (opts: { subjectId?: string; beforeId?: string; limit: number }) => repo.list(opts),

    /**
     * The person's own view, for their access copy: when, for which purpose, by which role and
     * what was done, without naming the employee (CJEU C-579/21).
     */
    async forSubject(subjectId: string) {
      const rows = await repo.list({ subjectId, limit: 10_000 });
      return rows.map((r) => ({
        at: new Date(r.at).toISOString(),
        action: r.action,
        purpose: r.purpose,
        role: r.role ?? (r.actor_kind === 'api_key' ? 'integration' : r.actor_kind),
        categories: r.categories,
      }));
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
