/**
 * Retention (docs/retention.md): the events rules count from, when each person's data expire, the
 * plan of the next sweep, and the sweep itself. The sweep runs in batches of people, each batch
 * one transaction that locks its people `for update skip locked`: several instances (or the job
 * and the CLI) share the work without doing any of it twice, and a sweep stopped half-way (a
 * crash, a deploy) leaves every batch either done or untouched, so the next run simply goes on.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';
import { requireAction, requirePurpose, type Actor } from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import type { AuditService } from '../audit/index.ts';
import type { Register } from '../definition/index.ts';
import type {
  CandidateBound,
  ExpireOutcome,
  ExpiryDecision,
  RetentionFacts,
  SubjectsService,
} from '../subjects/index.ts';
import {
  eventBound,
  expiryOf,
  helsinkiDate,
  relationshipBegan,
  type CategoryExpiry,
} from './rules.ts';

export interface RetentionDeps {
  db: Kysely<Database>;
  register: Register;
  subjects: SubjectsService;
  audit: AuditService;
  clock: Clock;
}

export interface PlanRow {
  rule: string;
  category: string;
  /** People who would lose the category in the next sweep. */
  people: number;
}

export interface RetentionPlan {
  /** The Helsinki date the plan is for. */
  today: string;
  /** People who would be erased whole. */
  erase: number;
  /** People who would keep some categories and lose others. */
  partial: number;
  /** Per rule and category, how many people would lose the category. */
  rows: PlanRow[];
  /** Per legal hold's category, how many people keep it though its rules have ended. */
  held: Array<{ category: string; people: number }>;
  /** People with something expired whom the sweep keeps whole, by reason (Art. 18: `restricted`). */
  kept: KeptRow[];
}

/** Why the sweep keeps a person who has something expired, and how many. */
export interface KeptRow {
  reason: 'restricted';
  people: number;
}

export interface SubjectRetention {
  id: string;
  today: string;
  /**
   * When a customer relationship began: the first write of the person's data under a relationship
   * purpose, or its end (migration 0046; people stored before it count from its backfill). Null:
   * none began, and rules from the end of the relationship count from the category's collection
   * (unless a value is still collected for a relationship purpose). Null for a held record.
   */
  relationshipStartedAt: string | null;
  /**
   * Whether a relationship began (a start recorded, an end, or a value still collected for a
   * relationship purpose). False: rules from the end of the relationship count from the
   * category's collection. False for a held record.
   */
  relationshipBegan: boolean;
  relationshipEndedAt: string | null;
  /** The person's last activity; for a held record, when it was made. */
  lastActivityAt: string;
  /**
   * A held record (an erasure's legal hold): the purpose it is readable for, its last day and
   * the holds keeping it. Its categories are kept by those holds until then, not by the rules.
   * Null for a person.
   */
  heldRecord: { purpose: string; until: string; holds: string[] } | null;
  categories: Array<CategoryExpiry & { held: boolean }>;
}

export interface SweepOptions {
  /** People per batch (one transaction each); default 1000. */
  batchSize?: number;
  /** Stop after this many batches (the rest waits for the next run). */
  maxBatches?: number;
  /**
   * Batches in flight at once, each in its own transaction on its own connection (default 1).
   * Their people never overlap: each batch is its own slice of the candidates, and a person
   * another transaction holds is skipped. On the embedded database they run one after another.
   */
  concurrency?: number;
  /** Called after each committed batch; what it throws stops the sweep (tests: a crash). */
  afterBatch?: (n: number) => void;
}

export interface SweepResult extends ExpireOutcome {
  batches: number;
  /** People with something expired kept whole, by reason (a restricted person: Art. 18). */
  kept: KeptRow[];
  /** Whether the sweep went through every candidate (false when stopped by maxBatches). */
  complete: boolean;
}

export function createRetentionService(deps: RetentionDeps) {
  const { db, register, subjects, audit, clock } = deps;
  const def = register.definition;

  /** The rules some purpose names, each as a loose bound on its event. */
  const bounds = (today: string): CandidateBound[] => {
    const used = new Set(def.purposes.map((p) => p.retention));
    // A withdrawal or request-closed rule that does not apply to a person counts from collection.
    // So does a rule from the end of the relationship for a person no relationship began for: its
    // collection bound is for such people only (a plain one would make everyone a candidate
    // every day). A rule whose duration or event the definition leaves unknown keeps the data: no
    // bound.
    return def.retention.rules
      .filter((r) => used.has(r.id))
      .flatMap((r): CandidateBound[] => {
        const from = r.from;
        if (from === undefined || r.duration === 'unknown') {
          return [];
        }
        const before = eventBound(today, r.duration);
        if (from === 'withdrawal' || from === 'request_closed') {
          return [
            { from, before },
            { from: 'collection', before },
          ];
        }
        if (from === 'end_of_relationship') {
          return [
            { from, before },
            { from: 'collection', before, unrelatedOnly: true },
          ];
        }
        return [{ from, before }];
      });
  };

  /**
   * The sweep's decision. A restricted person (Art. 18) is only stored: nothing of theirs is
   * deleted while the restriction lasts; `onKept` counts them, and the first sweep after the
   * lifting deletes what is then expired.
   */
  const decideFor =
    (today: string, onKept: (reason: KeptRow['reason']) => void) =>
    (facts: readonly RetentionFacts[]): ExpiryDecision[] =>
      facts.map((f) => {
        const expired = expiryOf(register, f, today).filter((c) => c.expired);
        if (f.restricted && expired.length > 0) {
          onKept('restricted');
          return { id: f.id, categories: [], rules: [] };
        }
        return {
          id: f.id,
          categories: expired.map((c) => c.category),
          rules: [...new Set(expired.flatMap((c) => c.rules))].sort(),
        };
      });

  async function plan(): Promise<RetentionPlan> {
    const at = clock.now();
    const today = helsinkiDate(at);
    const b = bounds(today);
    const counts = new Map<string, number>();
    const held = new Map<string, number>();
    let erase = 0;
    let partial = 0;
    let restricted = 0;
    const all = await subjects.retention.candidates(b);
    for (let i = 0; i < all.length; i += 2000) {
      const ids = all.slice(i, i + 2000);
      for (const f of await subjects.retention.facts(ids)) {
        const expired = expiryOf(register, f, today).filter((c) => c.expired);
        if (expired.length === 0) {
          continue;
        }
        if (f.restricted) {
          restricted++;
          continue;
        }
        const keep = subjects.retention.heldCategories(f, at);
        const whole = f.rows.every((r) => expired.some((c) => c.category === r.category));
        if (whole) {
          erase++;
        } else {
          partial++;
        }
        for (const c of expired) {
          if (keep.has(c.category)) {
            held.set(c.category, (held.get(c.category) ?? 0) + 1);
            continue;
          }
          for (const rule of c.rules.length > 0 ? c.rules : ['(none)']) {
            const key = `${rule}\u0000${c.category}`;
            counts.set(key, (counts.get(key) ?? 0) + 1);
          }
        }
      }
    }
    return {
      today,
      erase,
      partial,
      rows: [...counts]
        .map(([k, people]) => {
          const [rule = '', category = ''] = k.split('\u0000');
          return { rule, category, people };
        })
        .sort((x, y) => x.rule.localeCompare(y.rule) || x.category.localeCompare(y.category)),
      held: [...held]
        .map(([category, people]) => ({ category, people }))
        .sort((x, y) => x.category.localeCompare(y.category)),
      kept: restricted > 0 ? [{ reason: 'restricted', people: restricted }] : [],
    };
  }

  /**
   * Who may end or resume a customer relationship: the action `write`, a purpose of the
   * definition whose legal basis is `contract` (the customer relationship, as the definition
   * models it), and writing under it. Refused before any person is looked at, so the answer
   * tells nothing of the person.
   */
  function authoriseRelationship(actor: Actor, purpose: string): void {
    requireAction(actor, 'write');
    const p = register.purpose(purpose);
    if (!p) {
      throw new AppError('validation_failed', `unknown purpose "${purpose}"`, [
        { field: 'purpose', detail: 'not a purpose of the register definition' },
      ]);
    }
    if (p.legalBasis !== 'contract') {
      throw new AppError(
        'validation_failed',
        `purpose "${purpose}" does not rest on the customer relationship (its legal basis is ${p.legalBasis}, not contract)`,
        [
          {
            field: 'purpose',
            detail: 'not a purpose resting on the customer relationship (contract)',
          },
        ],
      );
    }
    requirePurpose(actor, purpose, 'write');
  }

  async function ofSubject(id: string): Promise<SubjectRetention> {
    const at = clock.now();
    const today = helsinkiDate(at);
    const [f] = await subjects.retention.facts([id]);
    if (!f) {
      throw new AppError('not_found', `no subject with id ${id}`);
    }
    const h = f.heldRecord;
    if (h !== null) {
      // A held record: the holds keep every category of it until their end; no rule applies
      // (the record's categories are shredded the day after, by subjects.shred-ended-holds).
      return {
        id,
        today,
        relationshipStartedAt: null,
        relationshipBegan: false,
        relationshipEndedAt: null,
        lastActivityAt: f.lastActivityAt.toISOString(),
        heldRecord: { purpose: h.purpose, until: h.until, holds: [...h.holds] },
        categories: f.rows.map((r) => ({
          category: r.category,
          until: h.until,
          rules: [...h.holds],
          expired: h.until < today,
          purposes: [],
          held: true,
        })),
      };
    }
    const keep = subjects.retention.heldCategories(f, at);
    return {
      id,
      today,
      relationshipStartedAt: f.relatedAt?.toISOString() ?? null,
      relationshipBegan: relationshipBegan(register, f),
      relationshipEndedAt: f.relationshipEndedAt?.toISOString() ?? null,
      lastActivityAt: f.lastActivityAt.toISOString(),
      heldRecord: null,
      categories: expiryOf(register, f, today).map((c) => ({ ...c, held: keep.has(c.category) })),
    };
  }

  return {
    /**
     * Ends the customer relationship with a person (rules `from: end_of_relationship` count from
     * now). The actor must be allowed to write under `purpose`, a purpose resting on the
     * relationship (legal basis `contract`) under which the person has data (a category of it;
     * else not_found, as for an unknown id). The purpose is recorded. Ending it again keeps the
     * first time and purpose; after a resume, a new end counts from then.
     */
    async endRelationship(
      actor: Actor,
      subjectId: string,
      purpose: string,
    ): Promise<{ endedAt: string }> {
      authoriseRelationship(actor, purpose);
      const at = clock.now();
      return db.transaction().execute(async (tx) => {
        await subjects.retention.lockVisible(tx, subjectId, purpose);
        const row = await sql<{ relationship_ended_at: Date }>`
            insert into subject_retention (subject_id, relationship_ended_at, relationship_ended_by, related_at)
            values (${subjectId}, ${at}, ${purpose}, ${at})
            on conflict (subject_id) do update
              set relationship_ended_by = case when subject_retention.relationship_ended_at is null
                                               then excluded.relationship_ended_by
                                               else subject_retention.relationship_ended_by end,
                  relationship_ended_at = coalesce(subject_retention.relationship_ended_at, excluded.relationship_ended_at),
                  -- A relationship that ended had begun (migration 0046).
                  related_at = coalesce(subject_retention.related_at, excluded.related_at)
            returning relationship_ended_at`.execute(tx);
        const endedAt = new Date(row.rows[0]?.relationship_ended_at ?? at);
        if (endedAt.getTime() === at.getTime()) {
          await audit.record(tx, {
            actor,
            action: 'retention.relationship_end',
            purpose,
            subjectId,
          });
        }
        return { endedAt: endedAt.toISOString() };
      });
    },

    /**
     * Records that an ended relationship has resumed: rules counted from its end stop, and a
     * later end counts from then. Authorised as an end is, and only for the purpose that recorded
     * the end (or the operator's CLI; conflict otherwise). Nothing changes (and nothing is logged)
     * when the relationship had not ended.
     */
    async resumeRelationship(
      actor: Actor,
      subjectId: string,
      purpose: string,
    ): Promise<{ resumed: boolean; endedAt: string | null }> {
      authoriseRelationship(actor, purpose);
      return db.transaction().execute(async (tx) => {
        await subjects.retention.lockVisible(tx, subjectId, purpose);
        const before = await tx
          .selectFrom('subject_retention')
          .select(['relationship_ended_at', 'relationship_ended_by'])
          .where('subject_id', '=', subjectId)
          .forUpdate()
          .executeTakeFirst();
        const ended = before?.relationship_ended_at ?? null;
        if (ended === null) {
          return { resumed: false, endedAt: null };
        }
        const by = before?.relationship_ended_by ?? null;
        if (by !== null && by !== purpose && actor.kind !== 'operator' && actor.kind !== 'system') {
          throw new AppError(
            'conflict',
            `the relationship was ended under another purpose; only that purpose (or the operator) resumes it`,
            [{ field: 'purpose', detail: 'not the purpose that ended the relationship' }],
          );
        }
        await tx
          .updateTable('subject_retention')
          .set({ relationship_ended_at: null, relationship_ended_by: null })
          .where('subject_id', '=', subjectId)
          .execute();
        await audit.record(tx, {
          actor,
          action: 'retention.relationship_resume',
          purpose,
          subjectId,
        });
        return { resumed: true, endedAt: new Date(ended).toISOString() };
      });
    },

    /** What the next sweep would delete, and why (`rekisteri retention plan`). */
    plan,

    /** The console's view of what is due: the plan, for those who handle requests. */
    async due(actor: Actor): Promise<RetentionPlan> {
      requireAction(actor, 'handle_requests');
      return plan();
    },

    /** One person's dates: per category its last day, the rules deciding it, and any hold. */
    ofSubject,

    /** Deletes what has expired, batch by batch (the daily job, and `rekisteri retention sweep`). */
    async sweep(opts: SweepOptions = {}): Promise<SweepResult> {
      const today = helsinkiDate(clock.now());
      const b = bounds(today);
      let restricted = 0;
      const decide = decideFor(today, () => restricted++);
      const total: SweepResult = {
        erased: 0,
        heldRecords: 0,
        categoriesDeleted: 0,
        categoriesHeld: 0,
        skipped: 0,
        batches: 0,
        kept: [],
        complete: true,
      };
      // The candidates are read once; each batch locks its people and reads them again, so
      // what another sweep took meanwhile, or a write made since, is seen.
      const all = await subjects.retention.candidates(b);
      const size = opts.batchSize ?? 1000;
      // Lanes take the next slice as they finish one, so the database writes one batch while
      // this process decides the next. A failure stops every lane from starting another batch;
      // the sweep answers once the batches in flight have settled.
      let next = 0;
      let started = 0;
      let failed = false;
      // A lane's batch ends with the key store's erase of the people it erased; the lane does not
      // wait for it but reads and decides its next batch meanwhile, and waits for it once that
      // batch is done (so up to two are under way per lane: the previous batch's, and this one's
      // from its commit until the lane waits for the previous). The sweep answers only once every
      // lane's last one has finished: every key destroyed, or left to the erasure journal's
      // reconciliation as before.
      const lane = async (): Promise<void> => {
        let keyStore: Promise<void> = Promise.resolve();
        try {
          while (!failed && next < all.length) {
            if (opts.maxBatches !== undefined && started >= opts.maxBatches) {
              total.complete = false;
              return;
            }
            const slice = all.slice(next, next + size);
            next += size;
            started++;
            const previous = keyStore;
            try {
              const outcome = await subjects.retention.expireBatch(slice, decide, (erase) => {
                keyStore = erase;
              });
              await previous;
              total.batches++;
              total.erased += outcome.erased;
              total.heldRecords += outcome.heldRecords;
              total.categoriesDeleted += outcome.categoriesDeleted;
              total.categoriesHeld += outcome.categoriesHeld;
              total.skipped += outcome.skipped;
              opts.afterBatch?.(total.batches);
            } catch (err) {
              failed = true;
              throw err;
            }
          }
        } finally {
          await keyStore;
        }
      };
      const wanted = opts.concurrency ?? 1;
      if (!Number.isInteger(wanted) || wanted < 1 || wanted > 8) {
        throw new AppError('validation_failed', 'concurrency: a whole number from 1 to 8', [
          { field: 'concurrency', detail: 'a whole number from 1 to 8' },
        ]);
      }
      const lanes = wanted;
      const settled = await Promise.allSettled(Array.from({ length: lanes }, lane));
      const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) {
        throw failure.reason;
      }
      total.kept = restricted > 0 ? [{ reason: 'restricted', people: restricted }] : [];
      return total;
    },
  };
}

export type RetentionService = ReturnType<typeof createRetentionService>;
