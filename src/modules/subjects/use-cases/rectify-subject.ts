/** Rectification: changes values, keeping each old value in the history with who and why. */
import { withTransaction } from '../../../db/transaction.ts';
import { requireAction, type Actor } from '../../../lib/actor.ts';
import { invalid } from '../../../lib/errors.ts';
import type { SubjectView, UseCaseContext } from '../access.ts';
import type { ValuesInput } from '../subject-codec.ts';
import type { ApplyChanges } from './apply-changes.ts';

export function createRectifySubject(
  ctx: UseCaseContext,
  applyChanges: ApplyChanges,
  readSubject: (actor: Actor, id: string, purpose: string) => Promise<SubjectView>,
) {
  const { access, clock, db } = ctx;
  return async (
    actor: Actor,
    id: string,
    input: {
      purpose: string;
      source: string;
      reason?: string;
      values: ValuesInput;
      /** Records an address on the suppression list (an erased person's): handle_requests only. */
      allowSuppressed?: boolean;
    },
  ): Promise<SubjectView> => {
    // Rectification reads as well as writes: it compares with the stored values (a change
    // that changes nothing is refused, which would tell a write-only credential what is
    // stored) and answers with the purpose's view. Both are checked before anything is written.
    access.authorise(actor, 'write', input.purpose);
    access.authorise(actor, 'read', input.purpose);
    if (input.allowSuppressed) {
      requireAction(actor, 'handle_requests');
    }
    access.codec.requireSource(input.source);
    const changes = access.codec.checkValues(input.purpose, input.values, 'update');
    if (changes.size === 0) {
      throw invalid('values', 'nothing to change');
    }
    const now = clock.now();
    await withTransaction(db, async (tx) => {
      const changed = await applyChanges(tx, id, changes, {
        purpose: input.purpose,
        source: input.source,
        reason: input.reason ?? null,
        actor,
        now,
        allowSuppressed: input.allowSuppressed === true,
      });
      if (!changed) {
        // Refused inside the transaction: nothing of it stays (the relationship's mark included).
        throw invalid('values', 'nothing to change: every value is as given already');
      }
    });
    // The answer shows the whole purpose view, so it is logged as a read as well.
    return readSubject(actor, id, input.purpose);
  };
}
