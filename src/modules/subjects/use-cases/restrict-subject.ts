/**
 * Restricting processing and lifting it answer a data subject's request (Art. 18): for staff who
 * handle requests, and for integrations trusted with erasure. A `null` reason lifts it.
 */
import { withTransaction } from '../../../db/transaction.ts';
import { may, requireEveryPurpose, type Actor } from '../../../lib/actor.ts';
import { AppError } from '../../../lib/errors.ts';
import type { UseCaseContext } from '../access.ts';
import { subjectsRepo as repo } from '../subjects.repo.ts';

export function createSetRestriction(ctx: UseCaseContext) {
  const { access, audit, clock, db } = ctx;
  return async (actor: Actor, id: string, reason: string | null): Promise<void> => {
    if (!(may(actor, 'handle_requests') || (actor.kind === 'api_key' && may(actor, 'erase')))) {
      throw new AppError(
        'forbidden',
        'restricting processing, or lifting a restriction, is for those who handle requests',
      );
    }
    requireEveryPurpose(
      actor,
      access.allPurposes,
      reason === null ? 'lift a restriction' : 'restrict processing',
    );
    await withTransaction(db, async (tx) => {
      await access.requireSubject(tx, id, true);
      // The reason may say something about the person: it is sealed with their key.
      const sealed =
        reason === null
          ? null
          : ctx.vault.seal(await access.keyOf(id), `restriction:${id}`, reason).toString('base64');
      await repo.setRestriction(tx, id, sealed, clock.now());
      await audit.record(tx, {
        actor,
        action: reason === null ? 'subject.unrestrict' : 'subject.restrict',
        subjectId: id,
      });
    });
  };
}
