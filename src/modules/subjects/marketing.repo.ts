/**
 * The permission ledger in the data layer (docs/permissions.md, "Enforced in the data layer"): for
 * a marketing purpose, the SQL that answers, per person, the channels the purpose may reach them
 * on. Every read, list, search and lookup for such a purpose selects it beside the person and
 * leaves out a person with none; the values of a channel not in it are withheld.
 *
 * The same rules as the permission check (src/modules/permissions/permissions.service.ts): for
 * each channel of the purpose the deciding ledger state is the later of the channel's row and the
 * kind's `*` row (a refusal first at the same moment, then the channel's own row); `consent`
 * needs it granted; `opt_out` needs it not refused, withdrawn or objected; `soft_opt_in` needs it
 * granted, or not refused for a person with a value in the customer category; and a purpose for
 * contacts of organisations reaches only a person with a value in its organisation category; and
 * no channel whose address (e-mail, phone) is on a direct-marketing prohibition list.
 * test/permissions-enforcement.test.ts holds the two to the same answers.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../../db/transaction.ts';
import { notHeldElsewhere } from '../../db/held-categories.ts';
import type { PurposeMarketing } from '../definition/index.ts';

const NEGATIVE = sql.raw(`('refused', 'withdrawn', 'objected')`);

/**
 * `text[]` of the channels (`*` for a channel-less purpose) `purpose` may reach the person whose id
 * is the SQL expression `subjectId` on; null for a purpose that is not marketing.
 */
export function allowedChannelsSql(
  pm: PurposeMarketing | undefined,
  subjectId: RawBuilder<unknown>,
  /**
   * Whether the audience counts: for a write it does not (writing the organisation a person
   * represents is how they become a contact of one), only the ledger does.
   */
  opts: { audience: boolean } = { audience: true },
): RawBuilder<string[]> | null {
  if (!pm) {
    return null;
  }
  const has = (category: string | null) =>
    category === null
      ? sql`false`
      : sql`exists (select 1 from subject_values mv where mv.subject_id = ${subjectId} and mv.category = ${category}
                      and ${notHeldElsewhere(sql`mv`, pm.purpose)})`;
  const deciding = (channel: string) =>
    channel === '*'
      ? sql`(select mp.state from permission_states mp
              where mp.subject_id = ${subjectId} and mp.kind = ${pm.kind} and mp.channel = '*')`
      : sql`(select mp.state from permission_states mp
              where mp.subject_id = ${subjectId} and mp.kind = ${pm.kind} and mp.channel in (${channel}, '*')
              order by mp.changed_at desc, (mp.state in ${NEGATIVE}) desc, (mp.channel = '*') asc
              limit 1)`;
  const entries: Array<[string, string]> =
    pm.channels.size > 0 ? [...pm.channels] : [['*', pm.basis ?? 'consent']];
  const audience =
    opts.audience && pm.audience === 'organisation_contacts'
      ? has(pm.organisationCategory)
      : sql`true`;
  // A direct-marketing prohibition list entry for the address the channel reaches the person at
  // closes the channel for every marketing purpose (docs/interchange.md).
  const notProhibited = (channel: string) => {
    const address = pm.addresses.get(channel);
    if (!address) {
      return sql`true`;
    }
    const column = sql.raw(address === 'email' ? 'ps.email_index' : 'ps.phone_index');
    return sql`not exists (select 1 from subjects ps join address_lists al
                on al.list = 'prohibition' and al.kind = ${address} and al.index_value = ${column}
               where ps.id = ${subjectId})`;
  };
  const cases = entries.map(([channel, basis]) => {
    const d = deciding(channel);
    const allowed =
      basis === 'consent'
        ? sql`coalesce(${d} = 'granted', false)`
        : basis === 'opt_out'
          ? sql`coalesce(${d} not in ${NEGATIVE}, true)`
          : sql`(coalesce(${d} = 'granted', false) or (coalesce(${d} not in ${NEGATIVE}, true) and ${has(pm.customerCategory)}))`;
    return sql`case when ${allowed} and ${audience} and ${notProhibited(channel)} then ${channel}::text end`;
  });
  return sql<string[]>`array_remove(array[${sql.join(cases)}]::text[], null)`;
}

/** A person's permission ledger, for their access copy: the current state and every change. */
export async function ledgerOf(
  ex: Executor,
  subjectId: string,
): Promise<{
  state: Array<{ kind: string; channel: string; state: string; changed_at: Date }>;
  history: Array<{
    kind: string;
    channel: string;
    state: string;
    previous_state: string | null;
    given_at: Date;
    recorded_at: Date;
    method: string;
    notice_version: string | null;
    reference: string | null;
    actor: string;
    wording_text: string | null;
    wording_language: string | null;
  }>;
}> {
  const state = await ex
    .selectFrom('permission_states')
    .select(['kind', 'channel', 'state', 'changed_at'])
    .where('subject_id', '=', subjectId)
    .orderBy('kind')
    .orderBy('channel')
    .execute();
  const history = await ex
    .selectFrom('permission_history as h')
    .leftJoin('permission_wordings as w', 'w.id', 'h.wording_id')
    .select([
      'h.kind',
      'h.channel',
      'h.state',
      'h.previous_state',
      'h.given_at',
      'h.recorded_at',
      'h.method',
      'h.notice_version',
      'h.reference',
      'h.actor',
      'w.text as wording_text',
      'w.language as wording_language',
    ])
    .where('h.subject_id', '=', subjectId)
    .orderBy('h.id')
    .execute();
  return { state, history };
}
