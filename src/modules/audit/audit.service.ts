/**
 * The tamper-evident access log. `record` writes events inside the caller's transaction; `seal`
 * chains committed events (HMAC of the previous hash and the event); `verify` recomputes the chain
 * and names the first entry that does not match. The log identifies people only by their id.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { withTransaction, type Executor } from '../../db/transaction.ts';
import type { Actor } from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Vault } from '../../vault/vault.ts';
import type { CopyIn } from '../../db/copy.ts';
import type { Anchor, AnchorStore } from './audit.anchors.ts';
import type { AuditEventRow, AuditRepo, NewAuditEvent } from './audit.repo.ts';
import {
  canonicalJson,
  createAuditEventRegistry,
  type AuditAction,
  type AnyAuditEventDefinition,
  type AuditEventTypes,
  type AuditLang,
} from './define-event.ts';

type EventBase = {
  actor: Pick<Actor, 'kind' | 'id' | 'role' | 'requestId'>;
  purpose?: string | null;
  subjectId?: string | null;
  categories?: readonly string[];
  fields?: readonly string[];
  outcome?: 'ok' | 'denied' | 'failed';
};

/** Data is optional for events whose schema has no required key. */
type DataOf<A extends AuditAction> =
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  {} extends AuditEventTypes[A] ? { data?: AuditEventTypes[A] } : { data: AuditEventTypes[A] };

/** Events checked and MACed at once by `record` before it lets other work run. */
const RECORD_SHARE = 200;

/**
 * An event to record: one of the declared actions, with the data its declaration describes (ids,
 * identifiers, reason codes, counts; never personal data).
 */
export type AuditEvent = {
  [A in AuditAction]: EventBase & { action: A } & DataOf<A>;
}[AuditAction];

export interface VerifyResult {
  ok: boolean;
  checked: number;
  unsealed: number;
  /** Chained entries written before events carried a MAC: protected by the chain only. */
  unauthenticated: number;
  /**
   * The first entry that does not match, and why. `seq` is the chain position (null for an event
   * that was never chained); `eventId` the event (null where the chain entry itself is gone).
   */
  broken?: {
    seq: string | null;
    eventId: string | null;
    kind: BrokenKind;
    reason: string;
  };
  /** Events not in the chain whose MAC does not fit: written or changed by SQL (first 100). */
  forged: string[];
  /** The last entry and its hash. */
  head?: { seq: string; hash: string };
  /** The latest anchor outside the database the chain was checked against. */
  anchor?: Anchor;
  /** What the sealer has raised since this process started (first 100). */
  alarms: AuditAlarm[];
}

export type BrokenKind = 'missing' | 'deleted' | 'changed' | 'forged' | 'truncated' | 'anchor';

export interface AuditAlarm {
  kind: 'forged' | 'truncated' | 'missing' | 'replaced';
  /** When it was first seen. */
  at: string;
  seq: string | null;
  eventId: string | null;
  message: string;
}

/** Where the sealer reports: pino's (Fastify's) logger fits. */
export interface AuditLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** A JSON line on standard error per message, for commands that have no logger of their own. */
export const stderrLogger: AuditLogger = {
  info: (obj, msg) =>
    process.stderr.write(`${JSON.stringify({ level: 'info', time: Date.now(), ...obj, msg })}\n`),
  error: (obj, msg) =>
    process.stderr.write(`${JSON.stringify({ level: 'error', time: Date.now(), ...obj, msg })}\n`),
};

const GENESIS = Buffer.alloc(32);
const SEAL_BATCH = 5000;
const NONCE_BYTES = 16;
const MAC_BYTES = NONCE_BYTES + 32;
const MAX_ALARMS = 100;
/**
 * Writes of the read log under way at once: while one waits for its commit to reach the disk,
 * the next gathers the events that arrived meanwhile and is written beside it, so an event
 * waits for about one commit instead of the rest of another's and then its own.
 */
export const DEFAULT_LOG_WRITES = 2;
/** Anchor at most this often by default (after a pass that advanced the chain). */
export const ANCHOR_INTERVAL_MS = 10_000;

/** The exact bytes an entry's hash covers (the MAC too, on events that have one). */
export function canonicalEvent(e: AuditEventRow): string {
  const fields: unknown[] = [
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
  ];
  // Events written before events carried data keep the bytes they were chained with.
  if (e.data !== null) {
    fields.push(canonicalJson(e.data));
  }
  if (e.mac) {
    fields.push(Buffer.from(e.mac).toString('hex'));
  }
  return JSON.stringify(fields);
}

/**
 * The exact bytes an event's MAC covers: its nonce and every field the application writes. The id
 * is the database's and is not known yet; the nonce makes each event's MAC its own instead.
 * Version 2 (events with structured data) adds the data as canonical JSON; events written before
 * it carry no data and keep verifying under version 1. Clearing an event's data, or adding data to
 * an old one, changes the version its MAC is checked under, so the MAC no longer fits.
 */
export function macInput(nonce: Uint8Array, e: NewAuditEvent): string {
  const common = [
    Buffer.from(nonce).toString('hex'),
    new Date(e.at).toISOString(),
    e.actor_kind,
    e.actor_id,
    e.role,
    e.purpose,
    e.subject_id === null ? null : e.subject_id.toLowerCase(),
    e.action,
    e.categories,
    e.fields,
    e.outcome,
    e.request_id,
    e.detail,
  ];
  return e.data === null
    ? JSON.stringify(['rekisteri/audit-event/1', ...common])
    : JSON.stringify(['rekisteri/audit-event/2', ...common, canonicalJson(e.data)]);
}

export function createAuditService(deps: {
  db: Executor;
  repo: AuditRepo;
  /** The events the modules declare (`allAuditEvents` of the composition root). */
  events: readonly AnyAuditEventDefinition[];
  vault: Vault;
  clock: Clock;
  /** Where chain heads are anchored outside the database; none: remembered in memory only. */
  anchors?: AnchorStore;
  logger?: AuditLogger;
  /** Anchor at most this often (milliseconds). */
  anchorIntervalMs?: number;
  /** Called with each new alarm, after it is logged. */
  onAlarm?: (alarm: AuditAlarm) => void;
  /** Writes of the read log (`log`) under way at once (DEFAULT_LOG_WRITES). */
  logWrites?: number;
}) {
  const { db, repo, vault, clock, anchors } = deps;
  const registry = createAuditEventRegistry(deps.events);
  let logger = deps.logger ?? stderrLogger;
  const anchorIntervalMs = deps.anchorIntervalMs ?? ANCHOR_INTERVAL_MS;
  /** Events up to this id are known to be sealed; the search for unsealed ones starts after it. */
  let floor: string | undefined;
  const marks: Array<{ at: number; id: string }> = [];
  let lastFullScan = Date.now();
  let passes = 0;

  /**
   * The highest chain position known to have been sealed, by this process or (through the anchor
   * file) by any: the chain must never again end below it, nor hold another hash there.
   */
  let sealedHead: { seq: bigint; hash: string } | undefined;
  let anchoredSeq = 0n;
  let lastAnchorAt = 0;
  const alarms: AuditAlarm[] = [];
  const alarmKeys = new Set<string>();
  let alarmsLeftOut = 0;

  const raise = (a: Omit<AuditAlarm, 'at'>): void => {
    const key = `${a.kind}:${a.seq ?? ''}:${a.eventId ?? ''}`;
    if (alarmKeys.has(key)) {
      return;
    }
    alarmKeys.add(key);
    const alarm: AuditAlarm = { ...a, at: clock.now().toISOString() };
    if (alarms.length >= MAX_ALARMS) {
      alarmsLeftOut++;
      if (alarmsLeftOut % 1000 === 1) {
        logger.error(
          { auditAlarm: { kind: a.kind, more: alarmsLeftOut } },
          `access log: ${alarmsLeftOut} more alarms of this kind and others; see rekisteri audit verify`,
        );
      }
      return;
    }
    alarms.push(alarm);
    logger.error(
      { auditAlarm: { kind: a.kind, seq: a.seq, eventId: a.eventId } },
      `access log tampered with: ${a.message}`,
    );
    deps.onAlarm?.(alarm);
  };

  /** The highest head sealed before, folding in the anchor file's latest line. */
  const knownHead = async (): Promise<{ seq: bigint; hash: string } | undefined> => {
    const a = anchors ? await anchors.latest() : undefined;
    if (a) {
      const seq = BigInt(a.seq);
      if (!sealedHead || seq > sealedHead.seq) {
        sealedHead = { seq, hash: a.hash };
      }
      if (seq > anchoredSeq) {
        anchoredSeq = seq;
      }
    }
    return sealedHead;
  };

  /** Why an event may not be chained, or null when the application wrote it as it stands. */
  const authenticate = (e: AuditEventRow & { duplicate?: boolean }): string | null => {
    if (!e.mac) {
      return 'it carries no MAC, so it was not written by Rekisteri';
    }
    if (e.mac.length !== MAC_BYTES) {
      return 'its MAC is malformed';
    }
    const nonce = e.mac.subarray(0, NONCE_BYTES);
    const expected = vault.auditMac(macInput(nonce, e));
    if (!timingSafeEqual(expected, e.mac.subarray(NONCE_BYTES))) {
      return 'its MAC does not match its contents: it was inserted or changed by SQL';
    }
    if (e.duplicate) {
      return 'it repeats the MAC of another event: it is a copy inserted by SQL';
    }
    return null;
  };

  /** A reason the sealer must not extend the chain as it stands, or null. */
  const checkChain = async (
    tx: Executor,
    tail: { seq: string; hash: Buffer } | undefined,
    deep: boolean,
  ): Promise<Omit<AuditAlarm, 'at'> | null> => {
    const head = await knownHead();
    if (head) {
      const tailSeq = BigInt(tail?.seq ?? '0');
      if (tailSeq < head.seq) {
        return {
          kind: 'truncated',
          seq: String(tailSeq + 1n),
          eventId: null,
          message: `chain entries ${tailSeq + 1n} to ${head.seq} have disappeared (the chain ends at ${tailSeq}, entry ${head.seq} was sealed before); the sealer will not chain on top`,
        };
      }
      const there = await repo.chainEntry(tx, String(head.seq));
      if (!there) {
        return {
          kind: 'missing',
          seq: String(head.seq),
          eventId: null,
          message: `chain entry ${head.seq}, sealed before, has disappeared; the sealer will not chain on top`,
        };
      }
      if (there.hash.toString('hex') !== head.hash) {
        return {
          kind: 'replaced',
          seq: String(head.seq),
          eventId: null,
          message: `chain entry ${head.seq} is not the one sealed before; the sealer will not chain on top`,
        };
      }
    }
    if (deep) {
      const gap = await repo.firstGap(tx);
      if (gap !== null) {
        return {
          kind: 'missing',
          seq: gap,
          eventId: null,
          message: `chain entry ${gap} has disappeared from the middle of the chain; the sealer will not chain on top`,
        };
      }
    }
    return null;
  };

  /** Appends the head to the anchor file when the chain has moved on since the last anchor. */
  const anchor = async (force: boolean): Promise<Anchor | undefined> => {
    if (!anchors || !sealedHead || sealedHead.seq <= anchoredSeq) {
      return undefined;
    }
    if (!force && Date.now() - lastAnchorAt < anchorIntervalMs) {
      return undefined;
    }
    const a: Anchor = {
      seq: String(sealedHead.seq),
      hash: sealedHead.hash,
      time: clock.now().toISOString(),
    };
    await anchors.append(a);
    anchoredSeq = sealedHead.seq;
    lastAnchorAt = Date.now();
    logger.info({ auditAnchor: { seq: a.seq, hash: a.hash } }, 'access log chain head anchored');
    return a;
  };

  const toRows = (events: AuditEvent[], at: Date): NewAuditEvent[] => {
    const random = randomBytes(10 * events.length);
    return events.map((e, i) => {
      const data = registry.validate(e.action, e.data);
      const row: NewAuditEvent = {
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
        detail: null,
        data,
        mac: null,
      };
      // Six bytes of time first keep the unique index on the MAC growing at its end.
      const nonce = Buffer.alloc(NONCE_BYTES);
      nonce.writeUIntBE(at.getTime() % 2 ** 48, 0, 6);
      random.copy(nonce, 6, 10 * i, 10 * i + 10);
      row.mac = Buffer.concat([nonce, vault.auditMac(macInput(nonce, row))], MAC_BYTES);
      return row;
    });
  };

  let pending: Array<{
    rows: NewAuditEvent[];
    resolve: () => void;
    reject: (err: unknown) => void;
  }> = [];
  /** Writes of the read log under way; at most `logWrites` at once. */
  let writing = 0;
  const logWrites = deps.logWrites ?? DEFAULT_LOG_WRITES;
  const flush = async (): Promise<void> => {
    writing++;
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
    writing--;
  };

  /**
   * Chains committed events. Within one call the scan moves on from the last event chained; across
   * calls it restarts from `floor`, which trails a minute behind, so that an event written by a
   * transaction that was still running (invisible, with a lower id than events chained around it)
   * is picked up once it commits.
   *
   * Each event's MAC is checked first: an event the application did not write is never chained,
   * and raises an alarm. Before extending the chain the sealer checks that it still reaches the
   * highest position sealed before (by this process, or any, through the anchor file); if rows
   * have disappeared it raises an alarm and chains nothing.
   */
  const seal = async (opts: { deep?: boolean; anchor?: boolean } = {}): Promise<number> => {
    floor ??= String(Math.max(0, Number(await repo.maxSealedEvent(db)) - 100_000));
    // Every ten minutes a pass starts from the beginning, for events of transactions that ran
    // longer than the floor's lag, and checks the whole chain for holes.
    const full = Date.now() - lastFullScan > 10 * 60_000;
    if (full) {
      lastFullScan = Date.now();
    }
    const deep = full || passes === 0 || opts.deep === true;
    passes++;
    let from = full ? '0' : floor;
    let total = 0;
    for (;;) {
      const pass = await withTransaction(db, async (tx) => {
        if (!(await repo.tryLockSealer(tx))) {
          return null;
        }
        const tail = await repo.chainTail(tx);
        const problem = await checkChain(tx, tail, deep && total === 0);
        if (problem) {
          return {
            problem,
            rows: [],
            forged: [],
            scanned: 0,
            lastScanned: undefined,
            tail: undefined,
          };
        }
        const events = await repo.unsealed(tx, from, SEAL_BATCH);
        let prev: Buffer = tail?.hash ?? GENESIS;
        let seq = BigInt(tail?.seq ?? '0');
        const rows: Array<{ seq: string; event_id: string; hash: Buffer }> = [];
        const forged: Array<{ id: string; why: string }> = [];
        for (const e of events) {
          const why = authenticate(e);
          if (why) {
            forged.push({ id: e.id, why });
            continue;
          }
          seq += 1n;
          prev = vault.auditHash(prev, canonicalEvent(e));
          rows.push({ seq: seq.toString(), event_id: e.id, hash: prev });
        }
        await repo.appendChain(tx, rows);
        return {
          problem: null,
          rows,
          forged,
          scanned: events.length,
          lastScanned: events[events.length - 1]?.id,
          tail: tail ? { seq: BigInt(tail.seq), hash: tail.hash.toString('hex') } : undefined,
        };
      });
      if (pass === null) {
        break;
      }
      if (pass.problem) {
        raise(pass.problem);
        break;
      }
      // The chain checked out up to its tail: that much is known sealed (from now on).
      if (pass.tail && (!sealedHead || pass.tail.seq > sealedHead.seq)) {
        sealedHead = pass.tail;
      }
      const last = pass.rows[pass.rows.length - 1];
      if (last) {
        sealedHead = { seq: BigInt(last.seq), hash: last.hash.toString('hex') };
        marks.push({ at: Date.now(), id: last.event_id });
      }
      for (const f of pass.forged) {
        raise({
          kind: 'forged',
          seq: null,
          eventId: f.id,
          message: `event ${f.id} is forged (${f.why}); it is not chained`,
        });
      }
      total += pass.rows.length;
      if (pass.lastScanned) {
        from = pass.lastScanned;
      }
      if (pass.scanned < SEAL_BATCH) {
        break;
      }
    }
    const horizon = Date.now() - 60_000;
    // Never past a committed event that is still waiting for an older transaction to end.
    const due = marks.length > 0 && (marks[0]?.at ?? Infinity) < horizon;
    const waiting = due ? await repo.oldestWaiting(db, floor) : null;
    while (marks.length > 0 && (marks[0]?.at ?? Infinity) < horizon) {
      const mark: string = marks.shift()?.id ?? floor;
      floor =
        waiting !== null && BigInt(waiting) <= BigInt(mark) ? String(BigInt(waiting) - 1n) : mark;
    }
    await anchor(opts.anchor === true);
    return total;
  };

  return {
    /** Writes events in the caller's transaction (or on their own when given the database). */
    async record(tx: Executor, events: AuditEvent | AuditEvent[]): Promise<void> {
      const at = clock.now();
      const list = Array.isArray(events) ? events : [events];
      // Many events (a retention sweep's batch) are checked and MACed a share at a time, letting
      // the process's other work (the API's requests) run in between; still one insert.
      const rows: NewAuditEvent[] = [];
      for (let i = 0; i < list.length; i += RECORD_SHARE) {
        if (i > 0) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        rows.push(...toRows(list.slice(i, i + RECORD_SHARE), at));
      }
      await repo.insert(tx, rows);
    },

    /** As record, through the COPY of a bulk transaction (imports). */
    async recordBulk(copy: CopyIn, events: AuditEvent[]): Promise<void> {
      const at = clock.now();
      await repo.copy(copy, toRows(events, at));
    },

    /**
     * Writes events on their own, outside any transaction of the caller: the log of reads. Events
     * arriving while writes are under way (at most `logWrites` at once) are gathered and written
     * together in the next one, so concurrent reads share one commit (and one disk flush) instead
     * of paying one each. Each caller still waits until its event is committed.
     */
    log(events: AuditEvent | AuditEvent[]): Promise<void> {
      const at = clock.now();
      let rows: NewAuditEvent[];
      try {
        rows = toRows(Array.isArray(events) ? events : [events], at);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      if (rows.length === 0) {
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        pending.push({ rows, resolve, reject });
        if (writing < logWrites) {
          void flush();
        }
      });
    },

    seal,

    /**
     * Seals what is pending, then recomputes the whole chain from its start, checks each event's
     * MAC, checks the chain against the latest anchor (and the head this process sealed), and
     * checks the MAC of every event not chained.
     */
    async verify(): Promise<VerifyResult> {
      await seal();
      const known = await knownHead();
      const latest = anchors ? await anchors.latest() : undefined;
      let prev: Buffer = GENESIS;
      let expectedSeq = 1n;
      let checked = 0;
      let unauthenticated = 0;
      let seenMac = false;
      let after = '0';
      let broken: VerifyResult['broken'];
      walk: for (;;) {
        const page = await repo.chainPage(db, after, SEAL_BATCH);
        for (const entry of page) {
          const stop = (
            kind: BrokenKind,
            reason: string,
            seq: string | null = entry.seq,
            eventId: string | null = entry.event_id,
          ) => (broken = { seq, eventId, kind, reason });
          if (BigInt(entry.seq) !== expectedSeq) {
            stop('missing', `chain entry ${expectedSeq} is missing`, String(expectedSeq), null);
            break walk;
          }
          if (!entry.event) {
            stop('deleted', `event ${entry.event_id} has been deleted`);
            break walk;
          }
          const hash = vault.auditHash(prev, canonicalEvent(entry.event));
          if (!hash.equals(entry.hash)) {
            stop(
              'changed',
              `event ${entry.event_id} does not match its hash: it was changed after it was sealed`,
            );
            break walk;
          }
          if (entry.event.mac) {
            const why = authenticate(entry.event);
            if (why) {
              stop('forged', `event ${entry.event_id} is forged: ${why}`);
              break walk;
            }
            seenMac = true;
          } else if (seenMac) {
            stop(
              'forged',
              `event ${entry.event_id} is forged: it carries no MAC, although entries before it do`,
            );
            break walk;
          } else {
            unauthenticated++;
          }
          if (
            known &&
            entry.seq === String(known.seq) &&
            entry.hash.toString('hex') !== known.hash
          ) {
            stop(
              'anchor',
              `chain entry ${entry.seq} differs from the one anchored${latest?.seq === entry.seq ? ` at ${latest.time}` : ''}: the chain was rebuilt`,
            );
            break walk;
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
      if (!broken && known && expectedSeq <= known.seq) {
        broken = {
          seq: String(expectedSeq),
          eventId: null,
          kind: 'truncated',
          reason: `chain entries ${expectedSeq} to ${known.seq} are missing: the chain ends at ${expectedSeq - 1n}, but entry ${known.seq} was sealed${latest?.seq === String(known.seq) ? ` and anchored at ${latest.time}` : ' before'}`,
        };
      }
      // Events never chained: those the application did not write are named.
      const forged: string[] = [];
      let firstForged: { id: string; why: string } | undefined;
      for (let from = '0'; ;) {
        const page = await repo.unchained(db, from, SEAL_BATCH);
        for (const e of page) {
          const why = authenticate(e);
          if (why) {
            firstForged ??= { id: e.id, why };
            if (forged.length < MAX_ALARMS) {
              forged.push(e.id);
            }
          }
        }
        if (page.length < SEAL_BATCH) {
          break;
        }
        from = page[page.length - 1]?.id ?? from;
      }
      if (!broken && firstForged) {
        broken = {
          seq: null,
          eventId: firstForged.id,
          kind: 'forged',
          reason: `event ${firstForged.id} is forged (${firstForged.why}); it was never chained`,
        };
      }
      const head =
        checked > 0 ? { seq: String(expectedSeq - 1n), hash: prev.toString('hex') } : undefined;
      return {
        ok: !broken,
        checked,
        unsealed: await repo.countUnsealed(db),
        unauthenticated,
        ...(broken ? { broken } : {}),
        forged,
        ...(!broken && head ? { head } : {}),
        ...(latest ? { anchor: latest } : {}),
        alarms: [...alarms],
      };
    },

    /** What the sealer has raised since this process started. */
    alarms: (): AuditAlarm[] => [...alarms],

    /** Anchors the current head now, whatever the interval (tests, shutdown). */
    anchor: () => anchor(true),

    /** Replaces the logger (the server's, once it exists). */
    setLogger(next: AuditLogger): void {
      logger = next;
    },

    /** A page of the log, newest first, with whether each entry is sealed into the chain yet. */
    list: (opts: { subjectId?: string; beforeId?: string; limit: number }) => repo.list(db, opts),

    /** An entry as a sentence in `lang`, from its data (or, on entries from before, its detail). */
    render: (
      e: { action: string; data: Record<string, unknown> | null; detail?: string | null },
      lang: AuditLang,
    ): string => registry.render(e, lang),

    /** The names of the declared events. */
    actions: (): string[] => registry.names(),

    /**
     * The person's own view, for their access copy: when, for which purpose, by which role and
     * what was done (as a sentence in `lang`), without naming the employee (CJEU C-579/21).
     */
    async forSubject(subjectId: string, lang: AuditLang = 'en') {
      const rows = await repo.list(db, { subjectId, limit: 10_000 });
      return rows.map((r) => ({
        at: new Date(r.at).toISOString(),
        action: r.action,
        text: registry.render(r, lang),
        purpose: r.purpose,
        role: r.role ?? (r.actor_kind === 'api_key' ? 'integration' : r.actor_kind),
        categories: r.categories,
      }));
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
