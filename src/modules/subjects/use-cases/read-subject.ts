/** Reading one person for a purpose: only that purpose's categories, logged as a read. */
import type { Actor } from '../../../lib/actor.ts';
import type { SubjectView, UseCaseContext } from '../access.ts';
import { subjectsRepo as repo } from '../subjects.repo.ts';

export function createReadSubject(ctx: UseCaseContext) {
  const { access, audit, db } = ctx;
  return async (actor: Actor, id: string, purpose: string): Promise<SubjectView> => {
    const { categories } = access.authorise(actor, 'read', purpose);
    const subject = await access.loadForPurpose(db, id, purpose);
    const result = access.present(
      subject,
      purpose,
      await repo.values(db, id, categories, purpose),
      await access.keyOf(id),
      subject.allowedChannels,
    );
    await audit.log({
      actor,
      action: 'subject.read',
      purpose,
      subjectId: id,
      ...access.touched(result.categories),
    });
    return result;
  };
}
