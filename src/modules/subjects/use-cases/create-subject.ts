/** Creating one person, collecting values for one purpose from one source. */
import { withTransaction } from '../../../db/transaction.ts';
import { requireAction, type Actor } from '../../../lib/actor.ts';
import { uuidv7 } from '../../../lib/ids.ts';
import type { SubjectView, UseCaseContext } from '../access.ts';
import {
  canonicalTime,
  type OpenedCategories,
  type StoredField,
  type ValuesInput,
} from '../subject-codec.ts';
import { subjectsRepo as repo } from '../subjects.repo.ts';
import { refuseSuppressed, suppressedFields } from './suppression.ts';

export function createCreateSubject(ctx: UseCaseContext) {
  const { access, audit, clock, db, keys } = ctx;
  const { codec } = access;
  return async (
    actor: Actor,
    input: {
      purpose: string;
      source: string;
      collectedAt?: string;
      values: ValuesInput;
      /** Records an address on the suppression list (an erased person's): handle_requests only. */
      allowSuppressed?: boolean;
    },
  ): Promise<SubjectView> => {
    access.authorise(actor, 'write', input.purpose);
    if (input.allowSuppressed) {
      requireAction(actor, 'handle_requests');
    }
    codec.requireSource(input.source);
    const values = codec.checkValues(input.purpose, input.values, 'create');
    const now = clock.now();
    // As the database will give it back, and as it is bound into the sealed rows.
    const collectedAt = canonicalTime(input.collectedAt ?? now);
    const row = codec.newSubject(uuidv7(), values, {
      source: input.source,
      purpose: input.purpose,
      collectedAt,
    });
    // The key first: a key whose person was never written (a refused duplicate, a crash) opens
    // nothing and is harmless; a person without a key would be unreadable.
    await keys.put([{ subjectId: row.id, wrapped: row.wrappedKey }], ctx.vault.wrapKeyId());
    await withTransaction(db, async (tx) => {
      const [suppressed = []] = await suppressedFields(ctx, tx, [values]);
      refuseSuppressed(actor, suppressed, input.allowSuppressed === true);
      await access.ensureNoDuplicateEmail(tx, row.indexes.email);
      await repo.insertMany(tx, [row], now, ctx.register.relationshipPurposes);
      await audit.record(tx, {
        actor,
        action: 'subject.create',
        purpose: input.purpose,
        subjectId: row.id,
        categories: [...values.keys()],
        fields: [...values].flatMap(([c, f]) => [...f.keys()].map((k) => `${c}.${k}`)),
      });
      if (suppressed.length > 0) {
        await audit.record(tx, {
          actor,
          action: 'subject.suppression_override',
          purpose: input.purpose,
          subjectId: row.id,
          data: {
            via: 'api',
            fields: suppressed.map((f) => f.replace(/^values\./, '')),
            count: 1,
          },
        });
      }
    });
    // The answer is what was just written, built from what is in hand: no read-back, and a
    // credential that may only write gets its answer too.
    const meta = { source: input.source, purpose: input.purpose, collectedAt };
    const categories: OpenedCategories = {};
    for (const [category, fields] of values) {
      const opened: Record<string, StoredField> = {};
      for (const [field, value] of fields) {
        if (value !== null) {
          opened[field] = { value, ...meta };
        }
      }
      categories[category] = opened;
    }
    return {
      id: row.id,
      purpose: input.purpose,
      restricted: false,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      categories,
    };
  };
}
