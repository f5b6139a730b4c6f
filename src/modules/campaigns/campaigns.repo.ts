/**
 * The campaigns' SQL. A person's send moves `queued` → `sending` in a statement of its own,
 * committed before the SMTP server is spoken to, and only while the campaign is sending in the
 * generation the job belongs to: whatever happens after, the person is never claimed again.
 */
import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../db/transaction.ts';
import type { CampaignsTable, CampaignSendsTable } from '../../db/types.ts';
import { arrayLiteral } from '../../db/array-literal.ts';
import type { SendState } from './model.ts';

export type CampaignRow = Selectable<CampaignsTable>;

export const campaignsRepo = {
  async insert(ex: Executor, row: CampaignRow): Promise<void> {
    await ex
      .insertInto('campaigns')
      .values({
        ...row,
        filters: JSON.stringify(row.filters),
        content: JSON.stringify(row.content),
        sender: row.sender === null ? null : JSON.stringify(row.sender),
      })
      .execute();
  },

  async get(ex: Executor, id: string, opts: { lock?: boolean } = {}) {
    let q = ex.selectFrom('campaigns').selectAll().where('id', '=', id);
    if (opts.lock) {
      q = q.forUpdate();
    }
    return q.executeTakeFirst();
  },

  async list(ex: Executor, limit: number) {
    return ex
      .selectFrom('campaigns')
      .selectAll()
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
  },

  async setState(
    ex: Executor,
    id: string,
    set: Partial<Pick<CampaignRow, 'state' | 'generation' | 'started_at' | 'finished_at'>> & {
      updated_at: Date;
    },
  ): Promise<void> {
    await ex.updateTable('campaigns').set(set).where('id', '=', id).execute();
  },

  /** The people of the audience, as it is when the campaign starts: ids only. */
  async queue(ex: Executor, campaignId: string, ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) {
      return;
    }
    await sql`insert into campaign_sends (campaign_id, subject_id, state, updated_at)
      select ${campaignId}::uuid, id, 'queued', ${at} from unnest(${arrayLiteral(ids)}::uuid[]) as id
      on conflict do nothing`.execute(ex);
  },

  async progress(ex: Executor, campaignIds: readonly string[]) {
    if (campaignIds.length === 0) {
      return [];
    }
    return ex
      .selectFrom('campaign_sends')
      .select(['campaign_id', 'state'])
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('campaign_id', 'in', campaignIds)
      .groupBy(['campaign_id', 'state'])
      .execute();
  },

  /** A send left `sending` by a run that stopped (killed, cut off): never retried. */
  async markInterrupted(ex: Executor, campaignId: string, at: Date): Promise<number> {
    const r = await ex
      .updateTable('campaign_sends')
      .set({ state: 'failed', reason: 'interrupted', updated_at: at })
      .where('campaign_id', '=', campaignId)
      .where('state', '=', 'sending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  async nextQueued(ex: Executor, campaignId: string, limit: number): Promise<string[]> {
    const rows = await ex
      .selectFrom('campaign_sends')
      .select('subject_id')
      .where('campaign_id', '=', campaignId)
      .where('state', '=', 'queued')
      .orderBy('subject_id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.subject_id);
  },

  /** queued → skipped with the reason, while the campaign is sending in this generation. */
  async skip(
    ex: Executor,
    c: { id: string; generation: number },
    subjectId: string,
    reason: string,
    at: Date,
  ): Promise<boolean> {
    const r =
      await sql`update campaign_sends set state = 'skipped', reason = ${reason}, updated_at = ${at}
      where campaign_id = ${c.id} and subject_id = ${subjectId} and state = 'queued'
        and exists (select 1 from campaigns where id = ${c.id} and state = 'sending' and generation = ${c.generation})`.execute(
        ex,
      );
    return Number(r.numAffectedRows ?? 0) > 0;
  },

  /**
   * queued → sending, while the campaign is sending in this generation: true when this run took
   * the person. Committed before the mail goes, so a person is claimed once, ever.
   */
  async claim(
    ex: Executor,
    c: { id: string; generation: number },
    subjectId: string,
    send: { messageId: string; locale: string; recipientIndex: string | null },
    at: Date,
  ): Promise<boolean> {
    const r = await sql`update campaign_sends
         set state = 'sending', message_id = ${send.messageId}, locale = ${send.locale},
             recipient_index = ${send.recipientIndex}, updated_at = ${at}
       where campaign_id = ${c.id} and subject_id = ${subjectId} and state = 'queued'
         and exists (select 1 from campaigns where id = ${c.id} and state = 'sending' and generation = ${c.generation})`.execute(
      ex,
    );
    return Number(r.numAffectedRows ?? 0) > 0;
  },

  /** sending → sent, failed (with a classified reason) or back to queued (never reached a server). */
  async settle(
    ex: Executor,
    campaignId: string,
    subjectId: string,
    state: 'sent' | 'failed' | 'queued',
    reason: string | null,
    at: Date,
  ): Promise<void> {
    await ex
      .updateTable('campaign_sends')
      .set({
        state,
        reason,
        updated_at: at,
        ...(state === 'queued' ? { message_id: null, recipient_index: null, locale: null } : {}),
      })
      .where('campaign_id', '=', campaignId)
      .where('subject_id', '=', subjectId)
      .where('state', '=', 'sending')
      .execute();
  },

  /** Whether an address bounced in any campaign before (a hard bounce is not mailed again). */
  async bouncedBefore(ex: Executor, recipientIndex: string): Promise<boolean> {
    const r = await ex
      .selectFrom('campaign_sends')
      .select('campaign_id')
      .where('recipient_index', '=', recipientIndex)
      .where('state', '=', 'bounced')
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  },

  async sends(
    ex: Executor,
    campaignId: string,
    opts: { state?: SendState; limit: number; after?: string },
  ) {
    let q = ex
      .selectFrom('campaign_sends')
      .select(['subject_id', 'state', 'reason', 'locale', 'message_id', 'updated_at'])
      .where('campaign_id', '=', campaignId)
      .orderBy('subject_id')
      .limit(opts.limit);
    if (opts.state) {
      q = q.where('state', '=', opts.state);
    }
    if (opts.after) {
      q = q.where('subject_id', '>', opts.after);
    }
    return q.execute();
  },

  async findSend(
    ex: Executor,
    by: { messageId: string } | { recipientIndex: string; campaignId?: string },
  ): Promise<Selectable<CampaignSendsTable> | undefined> {
    let q = ex.selectFrom('campaign_sends').selectAll();
    if ('messageId' in by) {
      q = q.where('message_id', '=', by.messageId);
    } else {
      q = q.where('recipient_index', '=', by.recipientIndex);
      if (by.campaignId) {
        q = q.where('campaign_id', '=', by.campaignId);
      }
    }
    return q.orderBy('updated_at', 'desc').limit(1).executeTakeFirst();
  },

  async setSendState(
    ex: Executor,
    campaignId: string,
    subjectId: string,
    state: 'bounced' | 'complained',
    reason: string | null,
    at: Date,
  ): Promise<void> {
    await ex
      .updateTable('campaign_sends')
      .set({ state, reason, updated_at: at })
      .where('campaign_id', '=', campaignId)
      .where('subject_id', '=', subjectId)
      .execute();
  },
};
