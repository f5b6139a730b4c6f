/**
 * Matching a data subject's request to the person it is about: by the blind index of the e-mail
 * address or phone number the request gives, under no purpose (a request reaches the person
 * whatever they objected to or whatever is restricted), live people only (not erased, not the
 * records a legal hold keeps). Each person found is access-logged as a lookup for a request, with
 * no personal data. And which of some people still exist, for the requests module's shredding of
 * the requests of erased people.
 */
import { requireAction, type Actor } from '../../../lib/actor.ts';
import { normaliseEmail, normalisePhone } from '../../../vault/normalise.ts';
import type { UseCaseContext } from '../access.ts';
import { subjectsRepo as repo } from '../subjects.repo.ts';

/** A purpose id no definition has: the lookup then skips held records and no stop applies. */
const NO_PURPOSE = ' (request) ';

export function createMatchForRequest(ctx: UseCaseContext) {
  const { audit, db, vault, register } = ctx;
  const callingCode = register.definition.defaultCountryCallingCode;

  /** Ids of the live, non-held people whose e-mail (else phone) index the request gives. */
  const matchForRequest = async (
    actor: Actor,
    input: { email?: string | null | undefined; phone?: string | null | undefined },
  ): Promise<string[]> => {
    requireAction(actor, 'handle_requests');
    for (const by of ['email', 'phone'] as const) {
      const raw = input[by];
      if (!raw) {
        continue;
      }
      const wanted = by === 'email' ? normaliseEmail(raw) : normalisePhone(raw, callingCode);
      const index = wanted
        ? by === 'email'
          ? vault.emailIndex(wanted)
          : vault.phoneIndex(wanted)
        : undefined;
      if (!index) {
        continue;
      }
      // A person whose data a legal hold keeps in place is still theirs to ask about: not hidden.
      const found = await repo.findByLookupWithValues(
        db,
        by,
        index,
        [],
        true,
        NO_PURPOSE,
        undefined,
        false,
      );
      const ids = found.filter((s) => s.held_purpose === null).map((s) => s.id);
      if (ids.length > 0) {
        await audit.log(
          ids.map((subjectId) => ({
            actor,
            action: 'request.lookup' as const,
            subjectId,
            data: { by },
          })),
        );
        return ids;
      }
    }
    return [];
  };

  /** Of these people, those that still exist (not erased). */
  const existing = async (actor: Actor, ids: readonly string[]): Promise<string[]> => {
    requireAction(actor, 'handle_requests');
    return ids.length === 0 ? [] : repo.live(db, ids);
  };

  return { matchForRequest, existing };
}
