/**
 * The data side of retention (src/modules/retention decides what has expired): the times a
 * decision needs (never a value), and the deletion of what was decided, in one transaction per
 * batch. People are locked `for update skip locked`, so two sweeps (two instances, or the job and
 * the CLI) never work on the same person, and their facts are read again under the lock, so a
 * write between the plan and the deletion is seen. A batch that fails rolls back whole; the next
 * sweep starts again from what is left. No personal data is read but to recompute the blind
 * indexes of a person who keeps some categories.
 */
import { sql } from 'kysely';
import { arrayLiteral } from '../../../db/array-literal.ts';
import { keepCampaignBounces } from '../../../db/campaign-bounces.ts';
import { withTransaction, type Executor } from '../../../db/transaction.ts';
import type { RETENTION_EVENTS } from '../../definition/index.ts';
import { system } from '../../../lib/actor.ts';
import { AppError } from '../../../lib/errors.ts';
import type { AuditEvent } from '../../audit/index.ts';
import type { UseCaseContext } from '../access.ts';
import type { FieldValue } from '../field-types.ts';
import { planHolds } from '../holds.ts';
import { subjectsRepo } from '../subjects.repo.ts';
import type { createEraseSubject } from './erase-subject.ts';

/** What retention knows of one person: times only, never a value. */
export interface RetentionFacts {
  id: string;
  /** The latest write to the person (subjects.updated_at) or their own portal use. */
  lastActivityAt: Date;
  relationshipEndedAt: Date | null;
  /**
   * When the person's data were first written under a relationship purpose, or their
   * relationship ended (subject_retention.related_at, migration 0046): null, no relationship began.
   */
  relatedAt: Date | null;
  /** The latest closed request of the person. */
  requestClosedAt: Date | null;
  /** Whether the person has a request still open. */
  requestOpen: boolean;
  /**
   * Permission kinds the person grants now (a `pending`, asked and never confirmed, is no grant) on some channel: the channel's
   * deciding state (the later of its row and the kind's `*` row) or the `*` row itself.
   */
  kindsGranted: ReadonlySet<string>;
  /** Per purpose, when consent to it was withdrawn (a stop of reason consent_withdrawal). */
  withdrawnAt: ReadonlyMap<string, Date>;
  /**
   * Per permission kind granted on no channel now, the latest withdrawal or objection of it (on
   * a channel or as a whole, `*`). A grant since then puts the kind in `kindsGranted` instead.
   */
  kindWithdrawnAt: ReadonlyMap<string, Date>;
  /** Whether processing of the person is restricted (Art. 18): the sweep only keeps them. */
  restricted: boolean;
  /**
   * A held record (an erasure's legal hold): the purpose it is readable for, its last day
   * (YYYY-MM-DD) and the holds keeping it; null for a person. The sweep never reads one.
   */
  heldRecord: { purpose: string; until: string; holds: readonly string[] } | null;
  /**
   * Per category row: its latest collection and write, and the purposes its values were
   * collected for (the row's default purpose and any field's own).
   */
  rows: ReadonlyArray<{
    category: string;
    collectedAt: Date;
    updatedAt: Date;
    purposes: readonly string[];
  }>;
}

/** A rule's event and the time before which it may have expired (a loose bound, never tight). */
export interface CandidateBound {
  from: (typeof RETENTION_EVENTS)[number];
  before: Date;
  /**
   * Only people for whom no relationship began (no `related_at`): a rule from the end of the
   * relationship counts from collection for them alone, so its bound on collection is narrowed to
   * them (everyone else would be a candidate every day).
   */
  unrelatedOnly?: true;
}

/** What retention decided for one person: the categories that have expired and by which rules. */
export interface ExpiryDecision {
  id: string;
  categories: string[];
  rules: string[];
}

export interface ExpireOutcome {
  /** People erased whole (every category expired). */
  erased: number;
  /** Of them, people whose held categories went to a held record (a legal hold). */
  heldRecords: number;
  /** Category rows deleted from people who keep others. */
  categoriesDeleted: number;
  /** Categories a legal hold kept in place. */
  categoriesHeld: number;
  /** People another sweep held locked (left for it). */
  skipped: number;
}

/** The categories a legal hold keeps for this person at `at` (by the hold's own end). */
export function heldCategories(
  ctx: Pick<UseCaseContext, 'register'>,
  facts: RetentionFacts,
  at: Date,
): Set<string> {
  const plan = planHolds(ctx.register, facts.rows, { updatedAt: facts.lastActivityAt }, at);
  return new Set(plan.groups.flatMap((g) => g.categories));
}

/**
 * Live people (not held records) who may have something expired, in id order: one set-based
 * query (each event's table read once, by index where there is one), never a lock. The bounds of
 * one event are merged (`t < a or t < b` is `t < max(a, b)`).
 */
async function candidates(ex: Executor, bounds: readonly CandidateBound[]): Promise<string[]> {
  const latest = new Map<CandidateBound['from'], Date>();
  let unrelated: Date | undefined;
  for (const b of bounds) {
    if (b.unrelatedOnly) {
      unrelated = !unrelated || b.before > unrelated ? b.before : unrelated;
      continue;
    }
    const cur = latest.get(b.from);
    if (!cur || b.before > cur) {
      latest.set(b.from, b.before);
    }
  }
  if (latest.size === 0 && !unrelated) {
    return [];
  }
  const parts = [];
  const collection = latest.get('collection');
  const fy = latest.get('end_of_financial_year');
  if (collection || fy) {
    const conds = [
      ...(collection ? [sql`v.collected_at < ${collection}`] : []),
      ...(fy ? [sql`v.updated_at < ${fy}`] : []),
    ];
    parts.push(
      sql`select v.subject_id as id from subject_values v where ${sql.join(conds, sql` or `)}`,
    );
  }
  if (unrelated && !(collection && collection >= unrelated)) {
    // People no relationship began for, collected before the bound of a rule from the end of the
    // relationship: an anti-join against the marked (a hash anti-join, or the primary key of
    // subject_retention for a few rows). Left out where a rule from collection with a bound as
    // late already reads every such row (the demo register's withdrawal rules do); kept apart from
    // that scan, as `or not exists` inside it is costed as a subplan per row.
    parts.push(sql`select v.subject_id as id from subject_values v
                    where v.collected_at < ${unrelated}
                      and not exists (select 1 from subject_retention r
                                       where r.subject_id = v.subject_id and r.related_at is not null)`);
  }
  const activity = latest.get('last_activity');
  if (activity) {
    parts.push(sql`select s.id from subjects s left join subject_retention r on r.subject_id = s.id
                    where greatest(s.updated_at, r.last_activity_at) < ${activity}`);
  }
  const ended = latest.get('end_of_relationship');
  if (ended) {
    parts.push(sql`select subject_id as id from subject_retention
                    where relationship_ended_at < ${ended}`);
  }
  const withdrawn = latest.get('withdrawal');
  if (withdrawn) {
    parts.push(sql`select subject_id as id from subject_stops
                    where reason = 'consent_withdrawal' and since < ${withdrawn}`);
    parts.push(sql`select subject_id as id from permission_states
                    where state in ('withdrawn', 'objected') and changed_at < ${withdrawn}`);
  }
  const closed = latest.get('request_closed');
  if (closed) {
    parts.push(sql`select subject_id as id from requests
                    where subject_id is not null and closed_at < ${closed}`);
  }
  const r = await sql<{ id: string }>`
      select s.id from subjects s
       where s.erased_at is null and s.held_purpose is null
         and s.id in (${sql.join(parts, sql` union `)})
       order by s.id`.execute(ex);
  return r.rows.map((x) => x.id);
}

/**
 * `in (…)` over a list of ids sent as one array parameter. Unlike `= any(array)`, which the
 * planner may answer with a scan of the whole table testing each row against the list (a table of
 * 100,000 rows took 25–125 ms a batch of 1,000), the set is joined by each table's index on its
 * subject.
 */
/** People decided at once in a sweep's batch before the process's other work may run. */
const DECIDE_SHARE = 200;

const inIds = (ids: readonly string[]) => sql`(select unnest(${arrayLiteral(ids)}::uuid[]))`;

/** The facts of these people, in the order given (people not found are left out). */
async function factsOf(ex: Executor, ids: readonly string[]): Promise<RetentionFacts[]> {
  if (ids.length === 0) {
    return [];
  }
  const set = inIds(ids);
  const [people, rows, stops, kinds] = await Promise.all([
    sql<{
      id: string;
      updated_at: Date;
      last_activity_at: Date | null;
      relationship_ended_at: Date | null;
      related_at: Date | null;
      closed_at: Date | null;
      open: boolean;
      restricted: boolean;
      held_purpose: string | null;
      held_until: string | null;
      held_holds: string[] | null;
    }>`
      select s.id, s.updated_at, s.held_purpose, s.held_until::text as held_until, s.held_holds,
             r.last_activity_at, r.relationship_ended_at, r.related_at,
             (select max(q.closed_at) from requests q where q.subject_id = s.id) as closed_at,
             exists (select 1 from requests q where q.subject_id = s.id and q.closed_at is null) as open,
             s.restricted_at is not null as restricted
        from subjects s
        left join subject_retention r on r.subject_id = s.id
       where s.id in ${set}`.execute(ex),
    sql<{
      subject_id: string;
      category: string;
      collected_at: Date;
      purpose: string;
      field_meta: Record<string, { collectedAt: string; purpose: string }> | string | null;
      updated_at: Date;
    }>`
      select subject_id, category, collected_at, purpose, field_meta, updated_at
        from subject_values where subject_id in ${set}`.execute(ex),
    sql<{ subject_id: string; purpose: string; since: Date }>`
      select subject_id, purpose, since from subject_stops
       where subject_id in ${set} and reason = 'consent_withdrawal'`.execute(ex),
    sql<LedgerRow>`
      select subject_id, kind, channel, state, changed_at from permission_states
       where subject_id in ${set}`.execute(ex),
  ]);
  const byId = new Map<string, RetentionFacts & { rows: RetentionFacts['rows'][number][] }>();
  for (const p of people.rows) {
    const lastActivity =
      p.last_activity_at && p.last_activity_at > p.updated_at ? p.last_activity_at : p.updated_at;
    byId.set(p.id, {
      id: p.id,
      lastActivityAt: new Date(lastActivity),
      relationshipEndedAt: p.relationship_ended_at && new Date(p.relationship_ended_at),
      relatedAt: p.related_at && new Date(p.related_at),
      requestClosedAt: p.closed_at && new Date(p.closed_at),
      requestOpen: p.open,
      kindsGranted: new Set(),
      withdrawnAt: new Map(),
      kindWithdrawnAt: new Map(),
      restricted: p.restricted === true,
      heldRecord:
        p.held_purpose !== null && p.held_until !== null
          ? { purpose: p.held_purpose, until: p.held_until, holds: p.held_holds ?? [] }
          : null,
      rows: [],
    });
  }
  for (const r of rows.rows) {
    // The latest collection among the row's fields (as an erasure's holds count it), and every
    // purpose the row's values were collected for.
    let collected = new Date(r.collected_at).getTime();
    const purposes = [r.purpose];
    const meta = (
      typeof r.field_meta === 'string' ? JSON.parse(r.field_meta) : r.field_meta
    ) as Record<string, { collectedAt: string; purpose: string }> | null;
    for (const m of Object.values(meta ?? {})) {
      collected = Math.max(collected, new Date(m.collectedAt).getTime());
      if (!purposes.includes(m.purpose)) {
        purposes.push(m.purpose);
      }
    }
    byId.get(r.subject_id)?.rows.push({
      category: r.category,
      collectedAt: new Date(collected),
      updatedAt: new Date(r.updated_at),
      purposes,
    });
  }
  for (const s of stops.rows) {
    (byId.get(s.subject_id)?.withdrawnAt as Map<string, Date> | undefined)?.set(
      s.purpose,
      new Date(s.since),
    );
  }
  const ledger = new Map<string, LedgerRow[]>();
  for (const k of kinds.rows) {
    const list = ledger.get(k.subject_id) ?? [];
    list.push(k);
    ledger.set(k.subject_id, list);
  }
  for (const [id, list] of ledger) {
    const f = byId.get(id);
    if (f) {
      const { granted, withdrawnAt } = kindsOf(list);
      f.kindsGranted = granted;
      f.kindWithdrawnAt = withdrawnAt;
    }
  }
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** One row of the permission ledger's current state. */
export interface LedgerRow {
  subject_id: string;
  kind: string;
  channel: string;
  state: string;
  changed_at: Date;
}

const GRANTING = new Set(['granted']);
const WITHDRAWING = new Set(['withdrawn', 'objected']);

/**
 * One person's ledger read for retention: the kinds granted now (a channel whose deciding state,
 * the later of its row and the kind's `*` row, grants; or the `*` row granting), and for every
 * other kind its latest withdrawal or objection. A grant after a withdrawal (of every channel or
 * of one) is a grant now: the withdrawal's clock stops, as the ledger's own check decides.
 */
export function kindsOf(rows: readonly Omit<LedgerRow, 'subject_id'>[]): {
  granted: Set<string>;
  withdrawnAt: Map<string, Date>;
} {
  const granted = new Set<string>();
  const withdrawnAt = new Map<string, Date>();
  const byKind = new Map<string, Array<Omit<LedgerRow, 'subject_id'>>>();
  for (const r of rows) {
    byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
  }
  for (const [kind, list] of byKind) {
    const all = list.find((r) => r.channel === '*');
    const at = (r: { changed_at: Date }) => new Date(r.changed_at).getTime();
    const deciding = (r: Omit<LedgerRow, 'subject_id'>) => {
      if (!all || r === all) {
        return r.state;
      }
      // The later of the two decides; given at the same moment, a refusal wins.
      if (at(r) === at(all)) {
        return GRANTING.has(all.state) ? r.state : all.state;
      }
      return at(r) > at(all) ? r.state : all.state;
    };
    if (list.some((r) => GRANTING.has(deciding(r)))) {
      granted.add(kind);
      continue;
    }
    const last = list
      .filter((r) => WITHDRAWING.has(r.state))
      .reduce<number | undefined>((m, r) => (m === undefined || at(r) > m ? at(r) : m), undefined);
    if (last !== undefined) {
      withdrawnAt.set(kind, new Date(last));
    }
  }
  return { granted, withdrawnAt };
}

export function createRetentionData(
  ctx: UseCaseContext,
  eraseSubject: ReturnType<typeof createEraseSubject>,
) {
  const { access, audit, clock, db, keys } = ctx;
  const { codec } = access;

  return {
    /** People who may have something expired, in id order (no lock). */
    candidates: (bounds: readonly CandidateBound[]) => candidates(db, bounds),
    facts: (ids: readonly string[]) => factsOf(db, ids),
    heldCategories: (facts: RetentionFacts, at: Date) => heldCategories(ctx, facts, at),

    /**
     * Locks a live person `purpose` may see, for a change of their retention events: not_found,
     * word for word as for an unknown id, when they are erased, a held record, stopped for the
     * purpose, out of its reach by the permission ledger (a read's rules: the caller learns
     * nothing of a person its purpose does not see), or without data collected for the purpose.
     * A restriction does not hide them.
     */
    async lockVisible(tx: Executor, id: string, purpose: string): Promise<void> {
      const s = await subjectsRepo.findForPurpose(
        tx,
        id,
        purpose,
        true,
        ctx.register.marketing.purpose(purpose),
      );
      if (
        !s ||
        s.held_purpose !== null ||
        s.stopped ||
        (s.allowed_channels !== null && s.allowed_channels.length === 0) ||
        // Only a purpose the person has data under (a value of a category of it, collected for
        // it, not kept by a legal hold for another purpose) ends or resumes their relationship.
        !(await subjectsRepo.values(tx, id, [...ctx.register.categoriesOf(purpose)], purpose)).some(
          (r) =>
            r.meta.default.purpose === purpose ||
            Object.values(r.meta.fields).some((m) => m.purpose === purpose),
        )
      ) {
        throw new AppError('not_found', `no subject with id ${id}`);
      }
    },

    /**
     * One batch of a sweep: locks these candidates (skipping those another sweep holds, and those
     * erased meanwhile), reads their facts under the lock, asks `decide`, and deletes what it answers:
     * a person all of whose categories expired is erased (crypto-shredded; a legal hold's
     * categories first go to a held record, through the erasure path), else the expired
     * categories are deleted, but for those a legal hold keeps. Each person's deletion is logged
     * (`subject.expire`). Answers the counts.
     *
     * The key store's erase of the people erased follows the commit. By default it is awaited;
     * given `keyStore`, it is handed over instead (it never rejects: a failure is finished from
     * the erasure journal), so that a sweep can start its next batch meanwhile.
     */
    async expireBatch(
      batch: readonly string[],
      decide: (facts: readonly RetentionFacts[]) => ExpiryDecision[],
      keyStore?: (erase: Promise<void>) => void,
    ): Promise<ExpireOutcome> {
      const at = clock.now();
      const outcome: ExpireOutcome = {
        erased: 0,
        heldRecords: 0,
        categoriesDeleted: 0,
        categoriesHeld: 0,
        skipped: 0,
      };
      const viaErasure: string[] = [];
      const erasedWhole: string[] = [];
      await withTransaction(db, async (tx) => {
        const locked = await sql<{ id: string }>`
            select id from subjects
             where id in ${inIds(batch)}
               and erased_at is null and held_purpose is null
             order by id for update skip locked`.execute(tx);
        const ids = locked.rows.map((r) => r.id);
        if (ids.length < batch.length) {
          // Some are gone or locked: those still live are another sweep's (skipped).
          const live = await sql<{ n: number }>`
              select count(*)::int as n from subjects
               where id = any(${arrayLiteral(batch)}::uuid[])
                 and erased_at is null and held_purpose is null`.execute(tx);
          outcome.skipped += (live.rows[0]?.n ?? 0) - ids.length;
        }
        if (ids.length === 0) {
          return;
        }
        const events: AuditEvent[] = [];
        // Read again under the lock (a statement after it: a write committed meanwhile is seen).
        const facts = await factsOf(tx, ids);
        const byId = new Map(facts.map((f) => [f.id, f]));
        const partial: Array<{ id: string; categories: string[]; rules: string[] }> = [];
        const heldInPlace = new Set<string>();
        // The decisions, a share of the batch at a time: between shares the process's other
        // work (the API's requests, when the job runs in the server) goes first.
        const decisions: ExpiryDecision[] = [];
        for (let i = 0; i < facts.length; i += DECIDE_SHARE) {
          if (i > 0) {
            await new Promise((resolve) => setImmediate(resolve));
          }
          decisions.push(...decide(facts.slice(i, i + DECIDE_SHARE)));
        }
        for (const d of decisions) {
          const f = byId.get(d.id);
          if (!f || d.categories.length === 0) {
            continue;
          }
          const all = f.rows.every((r) => d.categories.includes(r.category));
          const held = heldCategories(ctx, f, at);
          if (all && held.size > 0) {
            viaErasure.push(d.id);
            continue;
          }
          const categories = d.categories.filter((c) => !held.has(c));
          outcome.categoriesHeld += d.categories.length - categories.length;
          if (!all && categories.length < d.categories.length) {
            if (await keepHeldInPlace(tx, f, d.categories, at)) {
              heldInPlace.add(d.id);
            }
          }
          if (all) {
            erasedWhole.push(d.id);
            events.push({
              actor: system,
              action: 'subject.expire',
              subjectId: d.id,
              categories,
              data: { whole: true, rules: d.rules },
            });
          } else if (categories.length > 0) {
            partial.push({ id: d.id, categories, rules: d.rules });
          }
        }
        // The decisions were a stretch of JavaScript: let the process's other work (the API's
        // requests, when the job runs in the server) go first.
        await new Promise((resolve) => setImmediate(resolve));
        if (erasedWhole.length > 0) {
          await eraseMany(tx, erasedWhole, at);
          outcome.erased += erasedWhole.length;
        }
        for (const p of partial) {
          await tx
            .deleteFrom('subject_values')
            .where('subject_id', '=', p.id)
            .where('category', 'in', p.categories)
            .execute();
          await tx
            .deleteFrom('subject_history')
            .where('subject_id', '=', p.id)
            .where('category', 'in', p.categories)
            .execute();
          await tx
            .deleteFrom('subject_category_holds')
            .where('subject_id', '=', p.id)
            .where('category', 'in', p.categories)
            .execute();
          await reindex(tx, p.id);
          heldInPlace.delete(p.id);
          events.push({
            actor: system,
            action: 'subject.expire',
            subjectId: p.id,
            categories: p.categories,
            data: { whole: false, rules: p.rules },
          });
          outcome.categoriesDeleted += p.categories.length;
        }
        // Categories only held now, nothing else gone: their words leave the search index.
        for (const id of heldInPlace) {
          await reindex(tx, id);
        }
        await audit.record(tx, events);
      });
      if (erasedWhole.length > 0) {
        const erase = keys
          .erase(erasedWhole.map((subjectId) => ({ subjectId, erasedAt: at, reason: 'retention' })))
          .catch(() => undefined); // reconciled from the erasure journal on the next pass
        if (keyStore) {
          keyStore(erase);
        } else {
          await erase;
        }
      }
      for (const id of viaErasure) {
        // Its own transaction: the held categories are re-sealed under a new key first.
        try {
          await eraseSubject(system, id, 'retention');
          outcome.erased++;
          outcome.heldRecords++;
        } catch {
          outcome.skipped++; // erased meanwhile, or failed: the next sweep sees it again
        }
      }
      return outcome;
    },
  };

  /**
   * A person who keeps other categories: of the expired ones, those a legal hold keeps stay in
   * place readable only for the hold's purpose (subject_category_holds), until the hold ends or
   * the person's last category expires. Whether a category was newly kept so.
   */
  async function keepHeldInPlace(
    tx: Executor,
    f: RetentionFacts,
    expired: readonly string[],
    at: Date,
  ): Promise<boolean> {
    const rows = planHolds(
      ctx.register,
      f.rows,
      { updatedAt: f.lastActivityAt },
      at,
    ).groups.flatMap((g) =>
      g.categories
        .filter((c) => expired.includes(c))
        .map((category) => ({ subject_id: f.id, category, purpose: g.purpose })),
    );
    if (rows.length === 0) {
      return false;
    }
    const added = await tx
      .insertInto('subject_category_holds')
      .values(rows)
      .onConflict((oc) => oc.doNothing())
      .returning('category')
      .execute();
    return added.length > 0;
  }

  /**
   * The blind indexes of a person after some categories went or are only held (no write time: not
   * activity). The words of a category a legal hold keeps in place stay out of the search index.
   */
  async function reindex(tx: Executor, id: string): Promise<void> {
    const wrapped = await keys.get(id);
    const rows = wrapped ? await subjectsRepo.values(tx, id) : [];
    const held = await subjectsRepo.heldCategories(tx, id);
    const values = new Map<string, Map<string, FieldValue | null>>();
    if (wrapped) {
      const key = codec.key(id, wrapped);
      for (const row of rows) {
        values.set(row.category, new Map(Object.entries(codec.openRow(key, row))));
      }
    }
    const ix = {
      ...codec.indexes(values),
      tokens: codec.indexes(new Map([...values].filter(([cat]) => !held.has(cat)))).tokens,
    };
    await sql`update subjects set email_index = ${ix.email}, phone_index = ${ix.phone},
                blind_index = ${arrayLiteral(ix.tokens)}::bigint[]
               where id = ${id}`.execute(tx);
  }
}

/** The data side of erasing many people at once (as `subjectsRepo.erase`, set-based). */
async function eraseMany(tx: Executor, ids: readonly string[], at: Date): Promise<void> {
  const idArray = sql`${arrayLiteral(ids)}::uuid[]`;
  const set = inIds(ids);
  // One statement, one round trip: the person's rows in each table, the journal and the mark. No
  // trigger on these tables reads what another part of the statement changes (the permission
  // ledger's guards do: it goes after, below).
  const deletes = [
    'outbox',
    'subject_values',
    'subject_history',
    'subject_stops',
    'subject_compelling_grounds',
    'subject_retention',
    'subject_category_holds',
    'permission_links',
  ].map(
    (table, i) =>
      sql`${sql.raw(`d${i}`)} as (delete from ${sql.table(table)} where subject_id in ${set})`,
  );
  await sql`
    with ${sql.join(deletes, sql`, `)},
      -- As subjectsRepo.erase: staff's actions go, a first copy's late bounce not lifted since
      -- stays as an address only (it keeps the address out; campaign_bounces, 0045), and a mail
      -- still waiting is never sent (an uncertain one stays: it may have arrived, and its bounce
      -- still counts). Both read the history as it was before the statement.
      bounces as (${keepCampaignBounces(idArray)}),
      events as (delete from campaign_send_events where subject_id = any(${idArray})),
      sends as (update campaign_sends set state = 'skipped', reason = 'erased', updated_at = ${at}
                 where subject_id = any(${idArray}) and state = 'queued'),
      journal as (insert into erasure_journal (subject_id, erased_at, reason)
                    select unnest(${idArray}), ${at}, 'retention'
                  on conflict (subject_id) do nothing)
    update subjects set email_index = null, phone_index = null, blind_index = '{}',
           restricted_at = null, restriction_reason = null, erased_at = ${at}, updated_at = ${at}
     where id in ${set}`.execute(tx);
  // The permission ledger (state and history) may go only once the person is marked erased: the
  // guards of both tables refuse it before (migrations 0018 and 0025).
  // Both in one statement, which answers the wordings the deleted history used.
  const wordings = await sql<{ wording_id: string }>`
    with states as (delete from permission_states where subject_id in ${set}),
      history as (delete from permission_history where subject_id in ${set}
                  returning wording_id)
    select distinct wording_id::text as wording_id from history where wording_id is not null`.execute(
    tx,
  );
  // A wording only these people's history used goes with them, as in a single erasure: a caller
  // may have written it for one person, with their name in it.
  await subjectsRepo.dropUnusedWordings(
    tx,
    wordings.rows.map((r) => r.wording_id),
  );
}
