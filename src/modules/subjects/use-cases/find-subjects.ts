/**
 * Finding people for a purpose: a lookup by e-mail or phone (blind index), a search by words of a
 * name or organisation, or a page of everyone. Every person answered is logged as a search.
 */
import type { Actor } from '../../../lib/actor.ts';
import { decodeCursor, encodeCursor } from '../../../lib/cursor.ts';
import { AppError, invalid } from '../../../lib/errors.ts';
import { normaliseEmail, normalisePhone } from '../../../vault/normalise.ts';
import type { SubjectView, UseCaseContext } from '../access.ts';
import { subjectsRepo as repo, type ValueRow } from '../subjects.repo.ts';

const MAX_PAGE = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface FindQuery {
  purpose: string;
  email?: string;
  phone?: string;
  q?: string;
  cursor?: string;
  limit?: number;
}

export function createFindSubjects(ctx: UseCaseContext) {
  const { access, audit, db, register } = ctx;
  const { codec } = access;
  const callingCode = register.definition.defaultCountryCallingCode;

  /** By e-mail, phone or words of a name or organisation; without a criterion, everyone. */
  return async (
    actor: Actor,
    query: FindQuery,
  ): Promise<{ items: SubjectView[]; nextCursor: string | null }> => {
    const { purpose, categories } = access.authorise(actor, 'read', query.purpose);
    const includeRestricted = purpose.allowedDuringRestriction;
    const given = (['email', 'phone', 'q'] as const).filter((k) => query[k] !== undefined);
    for (const kind of given) {
      if (!codec.mayLookUp(purpose.id, kind)) {
        throw new AppError(
          'forbidden',
          `purpose "${purpose.id}" uses no ${kind === 'q' ? 'name or organisation' : kind === 'email' ? 'e-mail' : 'phone'} field, so it may not look people up by one`,
          [{ field: kind, detail: `not a lookup purpose "${purpose.id}" may make` }],
        );
      }
    }
    if (given.length > 1) {
      throw invalid(given[1] as string, 'give only one of email, phone and q');
    }
    const lookup =
      query.email !== undefined ? 'email' : query.phone !== undefined ? 'phone' : undefined;
    if (lookup) {
      const raw = query[lookup] ?? '';
      const normalise = (x: string) =>
        lookup === 'email' ? normaliseEmail(x) : normalisePhone(x, callingCode);
      const wanted = normalise(raw);
      if (!wanted) {
        throw invalid(
          lookup,
          lookup === 'email'
            ? 'expected an e-mail address'
            : 'expected a phone number such as +358 40 123 4567',
        );
      }
      const index =
        (lookup === 'email' ? ctx.vault.emailIndex(wanted) : ctx.vault.phoneIndex(wanted)) ?? '';
      const found = await repo.findByLookupWithValues(
        db,
        lookup,
        index,
        categories,
        includeRestricted,
        purpose.id,
        register.marketing.purpose(purpose.id),
      );
      // A 64-bit index can collide in principle; where the purpose may read the value, the
      // opened value must match what was asked for. Under a marketing purpose the address looked
      // up must itself be shown: a person who does not allow the purpose the channel that
      // address reaches (its value withheld) is not found, exactly as an unknown address, so a
      // lookup cannot tell a refusal from a stranger.
      //
      // Nor is a person found by an address a legal hold keeps in place for other purposes only
      // (its category in subject_category_holds, not for this purpose): for this purpose the
      // address is not there, so the answer is that of an unknown address, whatever else of the
      // person the purpose sees (docs/retention.md).
      const marketingLookup = register.marketing.purpose(purpose.id) !== undefined;
      const presented = await access.presentMany(found, purpose.id);
      const hidden = presented.some((v) => codec.primaryValue(v.categories, lookup) === undefined)
        ? await repo.heldElsewhere(
            db,
            presented.map((v) => v.id),
            purpose.id,
          )
        : new Set<string>();
      const lookupCategories = codec.lookupCategories(lookup);
      const items = presented.filter((v) => {
        const stored = codec.primaryValue(v.categories, lookup);
        if (stored !== undefined) {
          return normalise(stored) === wanted;
        }
        if (marketingLookup) {
          return false;
        }
        return !lookupCategories.some((c) => hidden.has(`${v.id}\u0000${c}`));
      });
      await audit.log(
        items.map((v) => ({
          actor,
          action: 'subject.search' as const,
          purpose: purpose.id,
          subjectId: v.id,
          data: { mode: 'lookup' },
          ...access.touched(v.categories),
        })),
      );
      return { items, nextCursor: null };
    }
    const marketing = register.marketing.purpose(purpose.id);
    let groups: string[][] = [];
    if (query.q !== undefined) {
      groups = codec.searchGroups(purpose.id, query.q);
      if (groups.length === 0) {
        throw invalid('q', 'expected at least one word to search for');
      }
    }
    const limit = Math.min(query.limit ?? 20, MAX_PAGE);
    let after: string | undefined;
    if (query.cursor !== undefined) {
      const c = decodeCursor(query.cursor);
      if (typeof c !== 'string' || !UUID.test(c)) {
        throw invalid('cursor', 'not a cursor this server issued');
      }
      after = c;
    }
    const rows = await repo.search(db, {
      groups,
      includeRestricted,
      purpose: purpose.id,
      categories,
      limit: limit + 1,
      ...(after ? { after } : {}),
      ...(marketing ? { marketing } : {}),
    });
    const page = rows.slice(0, limit);
    const values = await repo.valuesOf(
      db,
      page.map((s) => s.id),
      categories,
      purpose.id,
    );
    const bySubject = new Map<string, ValueRow[]>();
    for (const v of values) {
      const list = bySubject.get(v.subject_id);
      if (list) {
        list.push(v);
      } else {
        bySubject.set(v.subject_id, [v]);
      }
    }
    const items = await access.presentMany(
      page.map((s) => ({ ...s, values: bySubject.get(s.id) ?? [] })),
      purpose.id,
    );
    await audit.log(
      items.map((v) => ({
        actor,
        action: 'subject.search' as const,
        purpose: purpose.id,
        subjectId: v.id,
        data: { mode: query.q === undefined ? 'list' : 'search' },
        ...access.touched(v.categories),
      })),
    );
    return {
      items,
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]?.id) : null,
    };
  };
}
