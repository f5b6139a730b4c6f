/**
 * The authorised bulk writer: how imports (and later retention and requests) write many people at
 * once. The actor's action and purpose are checked once per batch, in memory, then the batch is
 * written inside the caller's bulk transaction: new people through COPY, people who already hold
 * an e-mail address skipped or merged (merges go through the same change path as rectification,
 * with history). No query per row is spent on authorisation.
 */
import type { CopyIn } from '../../../db/copy.ts';
import type { Executor } from '../../../db/transaction.ts';
import type { FieldMeta } from '../../../db/types.ts';
import { requireAction, type Actor } from '../../../lib/actor.ts';
import { AppError } from '../../../lib/errors.ts';
import { uuidv7 } from '../../../lib/ids.ts';
import type { UseCaseContext } from '../access.ts';
import type { CategoryValues, ValuesInput } from '../subject-codec.ts';
import { subjectsRepo as repo, type NewSubjectRow } from '../subjects.repo.ts';
import type { ApplyChanges } from './apply-changes.ts';
import { SUPPRESSED_DETAIL, suppressedFields } from './suppression.ts';

/** One batch: new people already sealed (`bulkValues.seal` or the seal pool), with their lines. */
export interface BulkBatch {
  purpose: string;
  source: string;
  /** What to do with a person whose primary e-mail address is already held. */
  dedupe: 'skip' | 'merge';
  now: Date;
  records: ReadonlyArray<{ line: number; values: CategoryValues; row: NewSubjectRow }>;
  /** The history reason of merged changes, e.g. `import <run>` (no personal data). */
  reason: string;
  /** The import run, shortened, that each person's `subject.import` entry names (no personal data). */
  run: string;
  /**
   * Records addresses on the suppression list (erased people's) instead of rejecting their
   * lines: for actors with `handle_requests` only; each such record is logged.
   */
  allowSuppressed?: boolean;
}

export interface BulkResult {
  created: number;
  merged: number;
  skipped: number;
  /** Records refused while writing (a merge that broke a rule), with their line and reason. */
  rejected: Array<{ line: number; reason: string }>;
}

/** The CPU half of bulk writing: checking values and sealing new people, with no database. */
export function createBulkValues(ctx: UseCaseContext) {
  const { codec } = ctx.access;
  return {
    /** Checks one record's values for the purpose (an AppError naming `<prefix>.<category>.<field>`). */
    check: (purpose: string, values: ValuesInput, mode: 'create' | 'update', prefix?: string) =>
      codec.checkValues(purpose, values, mode, prefix),
    /** The declared type of `category.field`. */
    fieldType: (category: string, field: string) => codec.fieldType(category, field),
    /** The blind index of a record's primary e-mail address, for folding duplicates. */
    emailIndex: (values: CategoryValues) => codec.emailIndex(values),
    /** Seals and indexes a new person with a fresh id and key. */
    seal: (values: CategoryValues, meta: FieldMeta, email?: string | null): NewSubjectRow =>
      codec.newSubject(uuidv7(), values, meta, email),
  };
}

export function createBulkWrite(ctx: UseCaseContext, applyChanges: ApplyChanges) {
  const { access, audit, keys } = ctx;
  const wrapKeyId = ctx.vault.wrapKeyId();

  return async (
    actor: Actor,
    bulk: { tx: Executor; copy: CopyIn },
    batch: BulkBatch,
  ): Promise<BulkResult> => {
    const { categories } = access.authorise(actor, 'write', batch.purpose);
    if (batch.dedupe === 'merge') {
      // A merge compares with the stored values (merged or skipped tells whether they differ), as
      // rectification does: it reads as well as writes.
      access.authorise(actor, 'read', batch.purpose);
    }
    // The purpose authorises only its own categories: a record holding any other (checked, or
    // sealed, for another purpose) refuses the whole batch before anything is written.
    const allowed = new Set<string>(categories);
    for (const p of batch.records) {
      const outside = [...p.values.keys(), ...p.row.values.map((v) => v.category)].find(
        (c) => !allowed.has(c),
      );
      if (outside !== undefined) {
        throw new AppError(
          'forbidden',
          `line ${p.line}: category "${outside}" is not used by purpose "${batch.purpose}"`,
          [{ field: 'purpose', detail: `category "${outside}" is not within the purpose` }],
        );
      }
    }
    if (batch.allowSuppressed) {
      requireAction(actor, 'handle_requests');
    }
    const { tx, copy } = bulk;
    const marketing = ctx.register.marketing.purpose(batch.purpose) !== undefined;
    const rejected: BulkResult['rejected'] = [];
    // Addresses of erased people (the suppression list): the line is rejected, naming the field,
    // unless the batch overrides it; one query for the whole batch.
    const hits = await suppressedFields(
      ctx,
      tx,
      batch.records.map((p) => p.values),
      '',
    );
    const overridden = new Map<number, string[]>();
    const records = batch.records.filter((p, i) => {
      const fields = hits[i] ?? [];
      if (fields.length === 0) {
        return true;
      }
      if (!batch.allowSuppressed) {
        rejected.push({ line: p.line, reason: `${fields.join(', ')}: ${SUPPRESSED_DETAIL}` });
        return false;
      }
      overridden.set(p.line, fields);
      return true;
    });
    const overrideEvents: Array<{ subjectId: string; fields: string[] }> = [];
    const created: NewSubjectRow[] = [];
    let merged = 0;
    let skipped = 0;
    const relatedSkipped: string[] = [];
    const emailIndexes = records.flatMap((p) =>
      p.row.indexes.email === null ? [] : [p.row.indexes.email],
    );
    await repo.lockForDedupe(tx, emailIndexes);
    const owner = new Map(
      (await repo.findByEmailIndexes(tx, emailIndexes)).map((s) => [s.email_index, s.id]),
    );
    for (const p of records) {
      const match = p.row.indexes.email === null ? undefined : owner.get(p.row.indexes.email);
      const override = overridden.get(p.line);
      if (!match) {
        created.push(p.row);
        if (override) {
          overrideEvents.push({ subjectId: p.row.id, fields: override });
        }
      } else if (batch.dedupe === 'skip') {
        skipped++;
        if (ctx.register.relationshipPurposes.has(batch.purpose)) {
          // Its data are not written, but a line of a customer file says it is a customer: the
          // relationship's mark (docs/retention.md) is set as a write would.
          relatedSkipped.push(match);
        }
      } else {
        try {
          const changed = await applyChanges(tx, match, p.values, {
            purpose: batch.purpose,
            source: batch.source,
            reason: batch.reason,
            actor,
            now: batch.now,
            suppressionChecked: true, // above, for the whole batch
            dropChannelFields: true,
          });
          if (changed) {
            merged++;
            if (override) {
              overrideEvents.push({ subjectId: match, fields: override });
            }
          } else {
            skipped++;
          }
        } catch (err) {
          if (!(err instanceof AppError)) {
            throw err;
          }
          if (marketing && err.code === 'not_found') {
            // A person the marketing purpose may not reach (or stopped for it): skipped, as a
            // line with nothing new is, so the result tells nothing of their permissions.
            skipped++;
            continue;
          }
          rejected.push({ line: p.line, reason: err.message });
        }
      }
    }
    await repo.markRelated(tx, relatedSkipped, batch.now);
    // The keys are committed in the key store before the people: a key without its person (a
    // rolled-back batch) opens nothing; a person without a key could never be read.
    await keys.put(
      created.map((r) => ({ subjectId: r.id, wrapped: r.wrappedKey })),
      wrapKeyId,
    );
    await repo.copyMany(copy, created, batch.now, ctx.register.relationshipPurposes);
    await audit.recordBulk(
      copy,
      created.map((row) => ({
        actor,
        action: 'subject.import' as const,
        purpose: batch.purpose,
        subjectId: row.id,
        categories: row.values.map((v) => v.category),
        data: { run: batch.run },
      })),
    );
    if (overrideEvents.length > 0) {
      await audit.recordBulk(
        copy,
        overrideEvents.map((e) => ({
          actor,
          action: 'subject.suppression_override' as const,
          purpose: batch.purpose,
          subjectId: e.subjectId,
          data: {
            via: 'import' as const,
            fields: e.fields,
            count: 1,
          },
        })),
      );
    }
    return { created: created.length, merged, skipped, rejected };
  };
}
