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
import type { PurposeMarketing, Register } from '../../definition/index.ts';
import type { UseCaseContext } from '../access.ts';
import { audienceRepo, type AudiencePageRow } from '../audience.repo.ts';
import type { OpenedCategories } from '../subject-codec.ts';
import { openPage } from './audience-open.ts';

/** Pages read ahead of the one being opened and written (docs/audiences.md, "Streaming"). */
const READ_AHEAD = 2;

export interface AudienceQuery {
  purpose: string;
  channel: string;
  /** Only people added after this moment. */
  createdAfter?: Date;
  /** Categories to open for each person (of the purpose's own). */
  categories: readonly string[];
  /** Only these people, if they are still in the audience (a campaign's batch at send time). */
  ids?: readonly string[];
  /**
   * Keep people the channel cannot reach (no address of its kind, or one listed undeliverable):
   * a campaign's batch at send time, which records why it skips each of them.
   */
  keepUnreachable?: boolean;
}

export interface AudienceMember {
  id: string;
  /** The opened categories asked for, without the values of channels the person does not allow. */
  categories: OpenedCategories;
}

/**
 * The fields a channel reaches people at that a purpose may see, of the channel's address kind
 * (e-mail, phone), in the channel's order: the first holding a value is where a campaign mails.
 * Empty for a channel without an address kind (post).
 */
export function channelAddressFields(
  register: Register,
  allowed: (category: string) => boolean,
  channel: string,
): Array<{ category: string; field: string }> {
  const kind = register.marketing.channel(channel)?.address;
  if (!kind) {
    return [];
  }
  return (register.marketing.channel(channel)?.fields ?? []).filter(
    (f) => allowed(f.category) && register.field(f.category, f.field)?.type === kind,
  );
}

/**
 * Whether a channel's address is always the person's primary one of its kind (the first field of
 * that kind in the definition holding a value, whose blind index is a column of `subjects`): its
 * address fields the purpose may see are every field of that kind, in the definition's order.
 * Then the database alone decides who the channel reaches (an indexed anti-join on the
 * undeliverable list) and counts them; otherwise each opened address is checked.
 */
export function addressIsPrimary(
  register: Register,
  allowed: (category: string) => boolean,
  channel: string,
): boolean {
  const kind = register.marketing.channel(channel)?.address;
  if (!kind) {
    return false;
  }
  const reach = channelAddressFields(register, allowed, channel).map(
    (f) => `${f.category}.${f.field}`,
  );
  const all = register.definition.categories.flatMap((c) =>
    c.fields.filter((f) => f.type === kind).map((f) => `${c.id}.${f.id}`),
  );
  return reach.length === all.length && reach.every((f, i) => f === all[i]);
}

export function createAudience(ctx: UseCaseContext) {
  const { access, db, register, keys, vault } = ctx;

  /**
   * Refuses before anything is read: the action `export_audiences`, reading under the purpose, a
   * marketing purpose, one of its channels, categories it may use.
   */
  const authorise = (
    actor: Actor,
    q: AudienceQuery,
  ): {
    marketing: PurposeMarketing;
    purposeCategories: readonly string[];
    channelCategories: readonly string[];
    addressInSql: boolean;
  } => {
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
    const channelCategories = [
      ...new Set(
        (register.marketing.channel(q.channel)?.fields ?? [])
          .map((f) => f.category)
          .filter((c) => categories.includes(c)),
      ),
    ];
    const allowed = (c: string) => categories.includes(c);
    return {
      marketing,
      purposeCategories: categories,
      channelCategories,
      addressInSql: addressIsPrimary(register, allowed, q.channel),
    };
  };

  /** The number of people in the audience now (before filters on values). */
  const countAudience = async (actor: Actor, q: AudienceQuery): Promise<number> => {
    const { marketing, purposeCategories, channelCategories, addressInSql } = authorise(actor, q);
    return audienceRepo.count(db, {
      addressInSql,
      purpose: q.purpose,
      marketing,
      purposeCategories,
      channelCategories,
      channel: q.channel,
      ...(q.createdAfter ? { createdAfter: q.createdAfter } : {}),
    });
  };

  /**
   * The audience, page by page (`pageSize` people at most in each). Authorises when called, before
   * the first page is read. A person whose key is gone (erased meanwhile) is left out.
   *
   * Each page is one statement on the data database (the people and their value rows) and one on
   * the key store (their wrapped keys, sent as one array). Up to `READ_AHEAD` pages are read ahead
   * while the current one is opened and written: the next page's people while this page's keys
   * are read, so neither database waits for the other nor for the opening.
   */
  const audience = (
    actor: Actor,
    q: AudienceQuery,
    pageSize = 5000,
  ): AsyncGenerator<AudienceMember[], void, undefined> => {
    const { marketing, purposeCategories, channelCategories, addressInSql } = authorise(actor, q);
    // Where the channel's address is not the primary one, the SQL cannot tell whether it is
    // listed undeliverable: each opened person's address (the first of the channel's address
    // fields holding one, where a campaign mails) is looked up, one statement a page.
    const kind = register.marketing.channel(q.channel)?.address;
    const checkOpened = kind !== undefined && !addressInSql && !q.keepUnreachable;
    const addressFields = checkOpened
      ? channelAddressFields(register, (c) => purposeCategories.includes(c), q.channel)
      : [];
    const indexOf = (m: AudienceMember): string | undefined => {
      const address = addressFields
        .map((f) => m.categories[f.category]?.[f.field]?.value)
        .find((v): v is string => typeof v === 'string' && v !== '');
      if (address === undefined) {
        return undefined;
      }
      return kind === 'email' ? vault.emailIndex(address) : vault.phoneIndex(address);
    };
    const deliverable = async (members: AudienceMember[]): Promise<AudienceMember[]> => {
      if (!checkOpened || !kind) {
        return members;
      }
      const indexes = members.map(indexOf);
      const listed = await audienceRepo.listed(
        db,
        kind,
        indexes.filter((i): i is string => i !== undefined),
      );
      return members.filter((_, i) => {
        const index = indexes[i];
        return index === undefined || !listed.has(index);
      });
    };
    interface Fetched {
      rows: AudiencePageRow[];
      /** The last person's id, where the next page starts; undefined on the last page. */
      next: string | undefined;
      wrapped: Promise<Map<string, Buffer>>;
    }
    /** One page after `after`: its people with their values, then (not awaited) their keys. */
    const fetchPage = async (after: string | undefined): Promise<Fetched> => {
      const rows = await audienceRepo.pageWithValues(db, {
        addressInSql,
        purpose: q.purpose,
        marketing,
        purposeCategories,
        channelCategories,
        channel: q.channel,
        categories: q.categories,
        ...(q.keepUnreachable ? { keepUnreachable: true } : {}),
        limit: pageSize,
        ...(q.createdAfter ? { createdAfter: q.createdAfter } : {}),
        ...(q.ids ? { ids: q.ids } : {}),
        ...(after ? { after } : {}),
      });
      const ids: string[] = [];
      let last: string | undefined;
      for (const r of rows) {
        if (r.id !== last) {
          ids.push(r.id);
          last = r.id;
        }
      }
      const wrapped = keys.getMany(ids);
      // A page abandoned by a consumer that stopped early must not leave a rejection unhandled.
      wrapped.catch(() => undefined);
      return { rows, next: ids.length === pageSize ? last : undefined, wrapped };
    };
    const readAhead: Array<Promise<Fetched | null>> = [];
    let tail: Promise<Fetched | null> | null = null;
    /** Keeps `READ_AHEAD` pages asked for ahead of the consumer, each after the one before. */
    const fill = () => {
      while (readAhead.length < READ_AHEAD) {
        const prev: Promise<Fetched | null> | null = tail;
        tail = prev
          ? prev.then((p) => (p?.next !== undefined ? fetchPage(p.next) : null))
          : fetchPage(undefined);
        tail.catch(() => undefined);
        readAhead.push(tail);
      }
    };
    const opener = openPage(access);
    return (async function* pages() {
      try {
        fill();
        for (;;) {
          const page = await readAhead.shift();
          if (!page) {
            return;
          }
          fill();
          const members = await deliverable(opener(page.rows, await page.wrapped));
          if (members.length > 0) {
            yield members;
          }
        }
      } finally {
        // A consumer that stopped early: the pages read ahead are not wanted.
        readAhead.length = 0;
      }
    })();
  };

  return { countAudience, audience };
}
