/**
 * Matching an e-mail address to a person for the portal's marketing side: the preference page's
 * link and the double opt-in sign-up (src/modules/permissions/portal.service.ts). Unlike a data
 * subject's request (./match-for-request.ts, which reaches the whole person), only a person the
 * register's marketing purposes see through the address is found: not one whose data left a legal
 * hold keeps for other purposes only, nor one whose address a hold keeps from them. Their data
 * serve the hold's purpose alone, so no preference link is mailed to them and nothing of theirs is
 * shown or recorded there (docs/permissions.md, "The portal"; docs/retention.md).
 */
import { requireAction, type Actor } from '../../../lib/actor.ts';
import type { UseCaseContext } from '../access.ts';
import { subjectsRepo as repo } from '../subjects.repo.ts';

export function createMatchForMarketing(ctx: UseCaseContext) {
  const { audit, db, vault, register } = ctx;
  const scope = register.marketing.purposes.map((p) => ({
    purpose: p.purpose,
    categories: [...register.categoriesOf(p.purpose)],
  }));
  const addressCategories = ctx.access.codec.lookupCategories('email');

  /** The live person owning the address, and whether the marketing purposes see them by it. */
  const owner = async (email: string) => {
    const index = vault.emailIndex(email);
    return index ? repo.ownerSeenBy(db, index, scope, addressCategories) : undefined;
  };

  /**
   * Ids of the live people with this e-mail address whom the marketing purposes see through it,
   * each access-logged as a lookup for the person's own request (no personal data).
   */
  const matchForMarketing = async (actor: Actor, input: { email: string }): Promise<string[]> => {
    requireAction(actor, 'handle_requests');
    const found = await owner(input.email);
    if (!found?.seen) {
      return [];
    }
    await audit.log({
      actor,
      action: 'request.lookup',
      subjectId: found.id,
      data: { by: 'email' },
    });
    return [found.id];
  };

  /**
   * Whether the address is a live person's whom the marketing purposes do not see through it (a
   * legal hold keeps it, or all their data left, for other purposes): taken, so no new person may
   * have it, yet nothing of theirs is for marketing. Reads no value and logs nothing (as a
   * create's check that an address is taken).
   */
  const addressKeptFromMarketing = async (
    actor: Actor,
    input: { email: string },
  ): Promise<boolean> => {
    requireAction(actor, 'handle_requests');
    const found = await owner(input.email);
    return found !== undefined && !found.seen;
  };

  return { matchForMarketing, addressKeptFromMarketing };
}
