/** The changes to a person's values in the purpose's categories, opened with their key. */
import type { Actor } from '../../../lib/actor.ts';
import type { HistoryEntry, UseCaseContext } from '../access.ts';
import { subjectsRepo as repo } from '../subjects.repo.ts';

export function createSubjectHistory(ctx: UseCaseContext) {
  const { access, audit, db } = ctx;
  return async (actor: Actor, id: string, purpose: string): Promise<HistoryEntry[]> => {
    const { categories } = access.authorise(actor, 'read', purpose);
    const subject = await access.loadForPurpose(db, id, purpose);
    const key = await access.keyOf(id);
    // A marketing purpose sees no change to the values of a channel the person does not allow it.
    const withheld = access.withheldFields(subject.allowedChannels);
    const rows = (await repo.history(db, id, categories, purpose)).filter(
      (r) => !withheld.has(`${r.category}.${r.field}`),
    );
    await audit.log({
      actor,
      action: 'subject.history',
      purpose,
      subjectId: id,
      categories: [...new Set(rows.map((r) => r.category))],
      fields: [...new Set(rows.map((r) => `${r.category}.${r.field}`))],
    });
    return rows.map((r) => ({
      category: r.category,
      field: r.field,
      ...access.codec.openChange(key, id, r),
      purpose: r.purpose,
      source: r.source,
      actor: r.actor,
      changedAt: r.changed_at.toISOString(),
    }));
  };
}
