/**
 * The people of an audience (docs/audiences.md), for the audiences module that filters and exports
 * them: live people a marketing purpose may reach on one channel now, page by page in id order
 * (keyset, the same on PostgreSQL and PGlite), each opened for the categories asked for with the
 * values of the channels they do not allow withheld. Restricted people, held records, people who
 * stopped the purpose and those the permission ledger excludes are never among them. The caller
 * logs the export as one processing; nothing is logged per person here.
 */
import { requireAction, type Actor } from '../../../lib/actor.ts';
import { AppError, invalid } from '../../../lib/errors.ts';
import type { PurposeMarketing } from '../../definition/index.ts';
import type { UseCaseContext } from '../access.ts';
import { audienceRepo } from '../audience.repo.ts';
import type { OpenedCategories } from '../subject-codec.ts';
import { subjectsRepo as repo, type ValueRow } from '../subjects.repo.ts';

export interface AudienceQuery {
  purpose: string;
  channel: string;
  /** Only people added after this moment. */
  createdAfter?: Date;
  /** Categories to open for each person (of the purpose's own). */
  categories: readonly string[];
  /** Only these people, if they are still in the audience (a campaign's batch at send time). */
  ids?: readonly string[];
}

export interface AudienceMember {
  id: string;
  /** The opened categories asked for, without the values of channels the person does not allow. */
  categories: OpenedCategories;
}

export function createAudience(ctx: UseCaseContext) {
  const { access, db, register, keys } = ctx;

  /**
   * Refuses before anything is read: the action `export_audiences`, reading under the purpose, a
   * marketing purpose, one of its channels, categories it may use.
   */
  const authorise = (actor: Actor, q: AudienceQuery): PurposeMarketing => {
    requireAction(actor, 'export_audiences');
    const { categories } = access.authorise(actor, 'read', q.purpose);
    const marketing = register.marketing.purpose(q.purpose);
    if (!marketing) {
      throw invalid('purpose', `purpose "${q.purpose}" is not marketing: it has no audience`);
    }
    if (!marketing.channels.has(q.channel)) {
      throw invalid(
        'channel',
        `purpose "${q.purpose}" does not reach people by "${q.channel}"; its channels: ${[...marketing.channels.keys()].join(', ') || 'none'}`,
      );
    }
    for (const c of q.categories) {
      if (!categories.includes(c)) {
        throw new AppError(
          'validation_failed',
          `purpose "${q.purpose}" may not use category "${c}"`,
          [{ field: 'categories', detail: `"${c}" is not among the purpose's categories` }],
        );
      }
    }
    return marketing;
  };

  /** The number of people in the audience now (before filters on values). */
  const countAudience = async (actor: Actor, q: AudienceQuery): Promise<number> => {
    const marketing = authorise(actor, q);
    return audienceRepo.count(db, {
      purpose: q.purpose,
      marketing,
      channel: q.channel,
      ...(q.createdAfter ? { createdAfter: q.createdAfter } : {}),
    });
  };

  /**
   * The audience, page by page (`pageSize` people at most in each). Authorises when called, before
   * the first page is read. A person whose key is gone (erased meanwhile) is left out.
   */
  const audience = (
    actor: Actor,
    q: AudienceQuery,
    pageSize = 2000,
  ): AsyncGenerator<AudienceMember[], void, undefined> => {
    const marketing = authorise(actor, q);
    /** One page after `after`: its people, their values and their wrapped keys. */
    const fetchPage = async (
      after: string | undefined,
    ): Promise<{
      rows: Array<{ id: string; allowed_channels: string[] }>;
      values: ValueRow[];
      wrapped: Map<string, Buffer>;
    }> => {
      const rows = await audienceRepo.page(db, {
        purpose: q.purpose,
        marketing,
        channel: q.channel,
        limit: pageSize,
        ...(q.createdAfter ? { createdAfter: q.createdAfter } : {}),
        ...(q.ids ? { ids: q.ids } : {}),
        ...(after ? { after } : {}),
      });
      const ids = rows.map((r) => r.id);
      const [values, wrapped] = await Promise.all([
        repo.valuesOf(db, ids, q.categories, q.purpose),
        keys.getMany(ids),
      ]);
      return { rows, values, wrapped };
    };
    return (async function* pages() {
      // The next page is read while this one is opened and written (two pages in memory at most).
      let pending: ReturnType<typeof fetchPage> | null = fetchPage(undefined);
      try {
        while (pending) {
          const page: Awaited<ReturnType<typeof fetchPage>> = await pending;
          const { rows, values, wrapped } = page;
          pending = rows.length === pageSize ? fetchPage(rows[rows.length - 1]?.id) : null;
          const byPerson = new Map<string, typeof values>();
          for (const v of values) {
            const list = byPerson.get(v.subject_id);
            if (list) {
              list.push(v);
            } else {
              byPerson.set(v.subject_id, [v]);
            }
          }
          const members: AudienceMember[] = [];
          for (const r of rows) {
            const w = wrapped.get(r.id);
            if (!w) {
              continue;
            }
            const categories = access.codec.openRows(
              access.codec.key(r.id, w),
              byPerson.get(r.id) ?? [],
            );
            const withheld = access.withheldFields(r.allowed_channels);
            for (const [category, fields] of Object.entries(categories)) {
              for (const field of Object.keys(fields)) {
                if (withheld.has(`${category}.${field}`)) {
                  delete fields[field];
                }
              }
            }
            members.push({ id: r.id, categories });
          }
          if (members.length > 0) {
            yield members;
          }
        }
      } finally {
        // A consumer that stopped early: the page read ahead is not wanted.
        pending?.catch(() => undefined);
      }
    })();
  };

  return { countAudience, audience };
}
