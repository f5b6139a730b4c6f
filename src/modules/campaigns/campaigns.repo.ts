/**
 * The campaigns' SQL. A person's send moves `queued` → `sending` in a statement of its own,
 * committed before the SMTP server is spoken to, and only while the campaign is sending in the
 * generation the job belongs to. Right before the mail is handed to the SMTP server the claim is
 * marked attempted (`attempted_at`, committed, fenced by the claim's Message-ID): a send left
 * `sending` without it goes back to `queued`, one with it becomes `uncertain` and is never retried.
 */
import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../../db/transaction.ts';
import type {
  CampaignsTable,
  CampaignSendEventsTable,
  CampaignSendsTable,
} from '../../db/types.ts';
import { arrayLiteral } from '../../db/array-literal.ts';
import { keepCampaignBounces } from '../../db/campaign-bounces.ts';
import { notOnlyHeldElsewhere } from '../../db/held-categories.ts';
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
    set: Partial<
      Pick<
        CampaignRow,
        | 'state'
        | 'generation'
        | 'started_at'
        | 'finished_at'
        | 'reason'
        | 'start_token'
        | 'start_claimed_at'
      >
    > & {
      updated_at: Date;
    },
  ): Promise<void> {
    await ex.updateTable('campaigns').set(set).where('id', '=', id).execute();
  },

  /**
   * A start takes the campaign: a draft, or a `starting` whose owner has not renewed its claim
   * since `staleBefore` (it stopped). One statement, so of two starts at once exactly one gets
   * the row back; the other gets nothing and is refused.
   */
  async takeStart(
    ex: Executor,
    id: string,
    token: string,
    at: Date,
    staleBefore: Date,
  ): Promise<CampaignRow | undefined> {
    return ex
      .updateTable('campaigns')
      .set({ state: 'starting', start_token: token, start_claimed_at: at, updated_at: at })
      .where('id', '=', id)
      .where((eb) =>
        eb.or([
          eb('state', '=', 'draft'),
          eb.and([eb('state', '=', 'starting'), eb('start_claimed_at', '<', staleBefore)]),
        ]),
      )
      .returningAll()
      .executeTakeFirst();
  },

  /** The start still holds the campaign: its claim renewed (false: it lost it). */
  async renewStart(ex: Executor, id: string, token: string, at: Date): Promise<boolean> {
    const r = await ex
      .updateTable('campaigns')
      .set({ start_claimed_at: at })
      .where('id', '=', id)
      .where('state', '=', 'starting')
      .where('start_token', '=', token)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  /**
   * The people of the audience, as it is when the campaign starts: ids only. Written only while
   * the start holding `token` holds the campaign.
   */
  async queue(
    ex: Executor,
    campaignId: string,
    token: string,
    ids: readonly string[],
    at: Date,
  ): Promise<void> {
    if (ids.length === 0) {
      return;
    }
    await sql`insert into campaign_sends (campaign_id, subject_id, state, updated_at)
      select ${campaignId}::uuid, id, 'queued', ${at} from unnest(${arrayLiteral(ids)}::uuid[]) as id
      where exists (select 1 from campaigns where id = ${campaignId}
        and state = 'starting' and start_token = ${token}::uuid)
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

  /**
   * Sends left `sending` by a run that stopped (killed, cut off, or whose job lost its lease):
   * claimed but never attempted, back to `queued`; attempted, `uncertain` (the SMTP server may
   * have the mail) and never retried.
   */
  async markInterrupted(
    ex: Executor,
    campaignId: string,
    at: Date,
  ): Promise<{ requeued: number; uncertain: number }> {
    const back = await ex
      .updateTable('campaign_sends')
      .set({ state: 'queued', reason: null, message_id: null, locale: null, updated_at: at })
      .set({ recipient_index: null })
      .where('campaign_id', '=', campaignId)
      .where('state', '=', 'sending')
      .where('attempted_at', 'is', null)
      .executeTakeFirst();
    const unknown = await ex
      .updateTable('campaign_sends')
      .set({ state: 'uncertain', reason: 'interrupted', updated_at: at })
      .where('campaign_id', '=', campaignId)
      .where('state', '=', 'sending')
      .where('attempted_at', 'is not', null)
      .executeTakeFirst();
    return { requeued: Number(back.numUpdatedRows), uncertain: Number(unknown.numUpdatedRows) };
  },

  /**
   * The queued rows of a campaign the start holding `token` holds (`starting`): left by a start
   * that stopped, or its own when it fails. Never a row of a campaign that is sending, and never
   * a row in any state but `queued`.
   */
  async clearStart(ex: Executor, campaignId: string, token: string): Promise<void> {
    await sql`delete from campaign_sends where campaign_id = ${campaignId} and state = 'queued'
      and exists (select 1 from campaigns where id = ${campaignId}
        and state = 'starting' and start_token = ${token}::uuid)`.execute(ex);
  },

  /** A start that failed gives the campaign back as a draft, its queued rows removed. */
  async abandonStart(ex: Executor, campaignId: string, token: string, at: Date): Promise<void> {
    await campaignsRepo.clearStart(ex, campaignId, token);
    await ex
      .updateTable('campaigns')
      .set({ state: 'draft', start_token: null, start_claimed_at: null, updated_at: at })
      .where('id', '=', campaignId)
      .where('state', '=', 'starting')
      .where('start_token', '=', token)
      .execute();
  },

  async countSends(ex: Executor, campaignId: string): Promise<number> {
    const r = await ex
      .selectFrom('campaign_sends')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('campaign_id', '=', campaignId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  /** The next queued people due now (a deferred person waits for `not_before`). */
  async nextQueued(ex: Executor, campaignId: string, limit: number, now: Date): Promise<string[]> {
    const rows = await ex
      .selectFrom('campaign_sends')
      .select('subject_id')
      .where('campaign_id', '=', campaignId)
      .where('state', '=', 'queued')
      .where((eb) => eb.or([eb('not_before', 'is', null), eb('not_before', '<=', now)]))
      .orderBy('subject_id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.subject_id);
  },

  /** Whether anyone is still queued, and when the first of them is due (null: now). */
  async queuedLeft(
    ex: Executor,
    campaignId: string,
  ): Promise<{ left: false } | { left: true; dueAt: Date | null }> {
    const r = await sql<{ n: string; due_now: boolean | null; first: Date | string | null }>`
      select count(*) as n, bool_or(not_before is null) as due_now, min(not_before) as first
        from campaign_sends where campaign_id = ${campaignId} and state = 'queued'`.execute(ex);
    const row = r.rows[0];
    if (!row || Number(row.n) === 0) {
      return { left: false };
    }
    return {
      left: true,
      dueAt: row.due_now || row.first === null ? null : new Date(row.first),
    };
  },

  /**
   * This run's claim was deferred by the recipient's server (a 4xx to RCPT TO): back to the
   * queue, one attempt counted, not before `deferMs · 2^(attempts−1)` (at most 64 times it);
   * given up (`failed`, with the reason) once it has had `maxAttempts`. Fenced by the claim's
   * Message-ID: 'gone' when this run no longer holds it.
   */
  async defer(
    ex: Executor,
    campaignId: string,
    subjectId: string,
    messageId: string,
    d: { reason: string; maxAttempts: number; deferMs: number; at: Date },
  ): Promise<'queued' | 'failed' | 'gone'> {
    const last = sql`attempts + 1 >= ${d.maxAttempts}`;
    const r = await sql<{ state: 'queued' | 'failed' }>`update campaign_sends set
        attempts = attempts + 1,
        state = case when ${last} then 'failed' else 'queued' end,
        reason = case when ${last}
          then 'deferred ' || (attempts + 1) || ' times, given up: ' || ${d.reason}::text
          else 'deferred: ' || ${d.reason}::text end,
        not_before = case when ${last} then null
          else ${d.at}::timestamptz + ${d.deferMs}::double precision * power(2, least(attempts, 6)) * interval '1 millisecond' end,
        message_id = case when ${last} then message_id else null end,
        recipient_index = case when ${last} then recipient_index else null end,
        locale = case when ${last} then locale else null end,
        attempted_at = case when ${last} then attempted_at else null end,
        updated_at = ${d.at}
      where campaign_id = ${campaignId} and subject_id = ${subjectId}
        and message_id = ${messageId} and state = 'sending'
      returning state`.execute(ex);
    return r.rows[0]?.state ?? 'gone';
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
             recipient_index = ${send.recipientIndex}, attempted_at = null, updated_at = ${at}
       where campaign_id = ${c.id} and subject_id = ${subjectId} and state = 'queued'
         and exists (select 1 from campaigns where id = ${c.id} and state = 'sending' and generation = ${c.generation})`.execute(
      ex,
    );
    return Number(r.numAffectedRows ?? 0) > 0;
  },

  /**
   * The claim (by its Message-ID) is about to be handed to the SMTP server: committed before it
   * is. False when this run no longer holds the claim (another run took the campaign over).
   */
  async attempt(
    ex: Executor,
    campaignId: string,
    subjectId: string,
    messageId: string,
    at: Date,
  ): Promise<boolean> {
    const r = await ex
      .updateTable('campaign_sends')
      .set({ attempted_at: at, updated_at: at })
      .where('campaign_id', '=', campaignId)
      .where('subject_id', '=', subjectId)
      .where('message_id', '=', messageId)
      .where('state', '=', 'sending')
      .where('attempted_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  /**
   * The outcome of this run's attempt (by its Message-ID): sent, failed (refused, with the
   * classified answer), uncertain, or back to queued (refused before the mail was handed over).
   * Also after another run recorded the send `uncertain` (`interrupted`) meanwhile: the outcome
   * is known now.
   */
  async settle(
    ex: Executor,
    campaignId: string,
    subjectId: string,
    messageId: string,
    state: 'sent' | 'failed' | 'uncertain' | 'queued',
    reason: string | null,
    at: Date,
  ): Promise<void> {
    await ex
      .updateTable('campaign_sends')
      .set({
        state,
        reason,
        updated_at: at,
        ...(state === 'queued'
          ? { message_id: null, recipient_index: null, locale: null, attempted_at: null }
          : {}),
      })
      .where('campaign_id', '=', campaignId)
      .where('subject_id', '=', subjectId)
      .where('message_id', '=', messageId)
      .where((eb) =>
        eb.or([
          eb('state', '=', 'sending'),
          eb.and([eb('state', '=', 'uncertain'), eb('reason', '=', 'interrupted')]),
        ]),
      )
      .execute();
  },

  /**
   * Which of these e-mail blind indexes are listed undeliverable (an e-mail service's hard bounce,
   * imported: docs/interchange.md): one lookup a batch, on the list's primary key.
   */
  async undeliverable(ex: Executor, indexes: readonly string[]): Promise<Set<string>> {
    if (indexes.length === 0) {
      return new Set();
    }
    const rows = await ex
      .selectFrom('address_lists')
      .select(sql<string>`index_value::text`.as('index_value'))
      .where('list', '=', 'undeliverable')
      .where('kind', '=', 'email')
      .where('index_value', 'in', [...new Set(indexes)])
      .execute();
    return new Set(rows.map((r) => r.index_value));
  },

  /**
   * Whether an address bounced (hard) in a campaign since `since`: such an address is not mailed
   * again until then (BOUNCE_SUPPRESSION_DAYS, docs/campaigns.md). A bounce is a bounced send to
   * the address, or a late bounce of a requeued mail's first copy kept in the history (`bounced`,
   * 0044) when the send already stood bounced or complained. Either counts unless staff lifted the
   * address's suppression at or after it (`bounce_lifted`, 0040).
   */
  async bouncedBefore(ex: Executor, recipientIndex: string, since: Date): Promise<boolean> {
    const send = await ex
      .selectFrom('campaign_sends as s')
      .select('s.campaign_id')
      .where('s.recipient_index', '=', recipientIndex)
      .where('s.state', '=', 'bounced')
      .where('s.updated_at', '>=', since)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('campaign_send_events as e')
              .select('e.id')
              .where('e.action', '=', 'bounce_lifted')
              .where('e.recipient_index', '=', recipientIndex)
              .whereRef('e.at', '>=', 's.updated_at'),
          ),
        ),
      )
      .limit(1)
      .executeTakeFirst();
    if (send !== undefined) {
      return true;
    }
    const late = await ex
      .selectFrom('campaign_send_events as b')
      .select('b.id')
      .where('b.action', '=', 'bounced')
      .where('b.recipient_index', '=', recipientIndex)
      .where('b.at', '>=', since)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('campaign_send_events as e')
              .select('e.id')
              .where('e.action', '=', 'bounce_lifted')
              .where('e.recipient_index', '=', recipientIndex)
              .whereRef('e.at', '>=', 'b.at'),
          ),
        ),
      )
      .limit(1)
      .executeTakeFirst();
    if (late !== undefined) {
      return true;
    }
    // The same, of a person erased since: the address only (campaign_bounces, 0045).
    const kept = await ex
      .selectFrom('campaign_bounces as b')
      .select('b.at')
      .where('b.recipient_index', '=', recipientIndex)
      .where('b.at', '>=', since)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('campaign_send_events as e')
              .select('e.id')
              .where('e.action', '=', 'bounce_lifted')
              .where('e.recipient_index', '=', recipientIndex)
              .whereRef('e.at', '>=', 'b.at'),
          ),
        ),
      )
      .limit(1)
      .executeTakeFirst();
    return kept !== undefined;
  },

  /**
   * What a campaign keeps past its use (docs/campaigns.md, "Limits"), removed or unlinked once
   * older than `before` (BOUNCE_SUPPRESSION_DAYS ago): an erased person's kept bounce
   * (campaign_bounces), and the send rows of a person erased before then and not changed since,
   * which lose the person's id (a random one takes its place: the campaign's counts stay), the
   * address's blind index and the Message-ID. Nothing of them then leads back to the person.
   */
  async prune(ex: Executor, before: Date): Promise<{ bounces: number; sends: number }> {
    // A late bounce an older instance left on a person it erased (it kept or did not know the
    // rows): kept as the address alone, as an erasure now does, and the person's history goes.
    const erasedWithHistory = sql`array(select distinct e.subject_id from campaign_send_events e
      join subjects s on s.id = e.subject_id where s.erased_at is not null)`;
    await sql`with kept as (${keepCampaignBounces(erasedWithHistory)})
      delete from campaign_send_events
       where subject_id = any(${erasedWithHistory})`.execute(ex);
    const bounces = await ex
      .deleteFrom('campaign_bounces')
      .where('at', '<', before)
      .executeTakeFirst();
    const sends = await sql`update campaign_sends c
         set subject_id = gen_random_uuid(), recipient_index = null, message_id = null
        from subjects s
       where s.id = c.subject_id and s.erased_at is not null and s.erased_at < ${before}
         and c.updated_at < ${before}`.execute(ex);
    return {
      bounces: Number(bounces.numDeletedRows),
      sends: Number(sends.numAffectedRows ?? 0),
    };
  },

  /**
   * Locks the person's row for a change, as an erasure and the permission ledger do first: a
   * transaction that then changes the person's sends takes the same order (person, then send),
   * so it cannot deadlock with an erasure, which skips the person's waiting sends.
   */
  async lockPerson(ex: Executor, subjectId: string): Promise<{ erased: boolean }> {
    const r = await ex
      .selectFrom('subjects')
      .select('erased_at')
      .where('id', '=', subjectId)
      .forUpdate()
      .executeTakeFirst();
    // No row at all: a send whose person was unlinked (prune) is as erased.
    return { erased: r === undefined || r.erased_at !== null };
  },

  /**
   * A bounce of an erased person's mail (reported after the erasure): kept as the address alone
   * (its keyed blind index) with the time, as an erasure keeps a late bounce (campaign_bounces,
   * 0045), so that the address stays out of campaigns; nothing of the person.
   */
  async keepBounce(ex: Executor, recipientIndex: string, at: Date): Promise<void> {
    await ex
      .insertInto('campaign_bounces')
      .values({ recipient_index: recipientIndex, at })
      .execute();
  },

  /**
   * Whether the campaign's purpose sees the person: not erased (nor unknown), not a held record,
   * and not one whose only data left in the purpose's categories a legal hold keeps for another
   * purpose (docs/retention.md). With `lock`, their row is locked (shared) until the caller's
   * transaction ends, so an erasure waits for it or it for the erasure.
   */
  async personSeen(
    ex: Executor,
    subjectId: string,
    purpose: string,
    categories: readonly string[],
    opts: { lock?: boolean } = {},
  ): Promise<boolean> {
    const r = await sql<{ id: string }>`select s.id from subjects s
      where s.id = ${subjectId} and s.erased_at is null and s.held_purpose is null
        and ${notOnlyHeldElsewhere(sql`s.id`, categories, purpose)}
      ${opts.lock ? sql`for share of s` : sql``}`.execute(ex);
    return r.rows.length > 0;
  },

  /** One person's send in a campaign. */
  async sendOf(
    ex: Executor,
    campaignId: string,
    subjectId: string,
    opts: { lock?: boolean } = {},
  ): Promise<Selectable<CampaignSendsTable> | undefined> {
    let q = ex
      .selectFrom('campaign_sends')
      .selectAll()
      .where('campaign_id', '=', campaignId)
      .where('subject_id', '=', subjectId);
    if (opts.lock) {
      q = q.forUpdate();
    }
    return q.executeTakeFirst();
  },

  /**
   * An `uncertain` send resolved by staff: `sent` or `failed` (kept: its Message-ID, so that a
   * report on it still finds it), or back to `queued` for another attempt (a new claim, a new
   * Message-ID; the old one is kept in the event). Conditional: false when it is not uncertain.
   */
  async resolveUncertain(
    ex: Executor,
    campaignId: string,
    subjectId: string,
    to: 'sent' | 'failed' | 'queued',
    reason: string | null,
    at: Date,
  ): Promise<boolean> {
    const r = await ex
      .updateTable('campaign_sends')
      .set({
        state: to,
        reason,
        updated_at: at,
        ...(to === 'queued'
          ? {
              message_id: null,
              recipient_index: null,
              locale: null,
              attempted_at: null,
              attempts: 0,
              not_before: null,
            }
          : {}),
      })
      .where('campaign_id', '=', campaignId)
      .where('subject_id', '=', subjectId)
      .where('state', '=', 'uncertain')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  async addEvent(ex: Executor, row: Insertable<CampaignSendEventsTable>): Promise<void> {
    await ex.insertInto('campaign_send_events').values(row).execute();
  },

  async events(ex: Executor, campaignId: string, subjectId: string) {
    return ex
      .selectFrom('campaign_send_events')
      .select(['id', 'action', 'from_state', 'to_state', 'message_id', 'reason', 'actor', 'at'])
      .where('campaign_id', '=', campaignId)
      .where('subject_id', '=', subjectId)
      .orderBy('at')
      .orderBy('id')
      .execute();
  },

  /** When an address's bounce suppression was last lifted (null: never). */
  async lastLift(ex: Executor, recipientIndex: string): Promise<Date | null> {
    const r = await ex
      .selectFrom('campaign_send_events')
      .select((eb) => eb.fn.max('at').as('at'))
      .where('action', '=', 'bounce_lifted')
      .where('recipient_index', '=', recipientIndex)
      .executeTakeFirst();
    return r?.at ? new Date(r.at) : null;
  },

  /**
   * A campaign's sends, by person id, of the people its purpose sees (as `personSeen`): a send of
   * a person erased since (or unlinked by prune), a held record's, or one whose only data left a
   * legal hold keeps for another purpose is left out, as their detail answers as for a stranger.
   * The campaign's counts still count those sends.
   */
  async sends(
    ex: Executor,
    campaignId: string,
    purpose: string,
    categories: readonly string[],
    opts: { state?: SendState; limit: number; after?: string },
  ) {
    let q = ex
      .selectFrom('campaign_sends as c')
      .innerJoin('subjects as s', 's.id', 'c.subject_id')
      .select(['c.subject_id', 'c.state', 'c.reason', 'c.locale', 'c.message_id', 'c.updated_at'])
      .where('c.campaign_id', '=', campaignId)
      .where('s.erased_at', 'is', null)
      .where('s.held_purpose', 'is', null)
      .where(notOnlyHeldElsewhere(sql`s.id`, categories, purpose))
      .orderBy('c.subject_id')
      .limit(opts.limit);
    if (opts.state) {
      q = q.where('c.state', '=', opts.state);
    }
    if (opts.after) {
      q = q.where('c.subject_id', '>', opts.after);
    }
    return q.execute();
  },

  /** The campaign mail of this Message-ID (ours: `<campaign.…@host>`), if any. */
  async findSend(
    ex: Executor,
    messageId: string,
  ): Promise<Selectable<CampaignSendsTable> | undefined> {
    return ex
      .selectFrom('campaign_sends')
      .selectAll()
      .where('message_id', '=', messageId)
      .executeTakeFirst();
  },

  /**
   * The send whose earlier copy had this Message-ID: a mail requeued by staff is mailed again
   * with a new one, and the old one is kept in the `requeued` event (0040, indexed in 0041).
   * With the address that copy went to (its keyed blind index).
   */
  async findEarlierCopy(
    ex: Executor,
    messageId: string,
  ): Promise<
    { campaign_id: string; subject_id: string; recipient_index: string | null } | undefined
  > {
    return ex
      .selectFrom('campaign_send_events')
      .select(['campaign_id', 'subject_id', 'recipient_index'])
      .where('action', '=', 'requeued')
      .where('message_id', '=', messageId)
      .orderBy('at', 'desc')
      .limit(1)
      .executeTakeFirst();
  },

  async setSendState(
    ex: Executor,
    campaignId: string,
    subjectId: string,
    state: 'bounced' | 'complained',
    reason: string | null,
    at: Date,
    /**
     * A report on an earlier copy (requeued since): the address that copy went to, and its
     * Message-ID kept where the send has none of its own yet (queued again, not yet claimed).
     */
    earlier?: { messageId: string; recipientIndex: string | null },
  ): Promise<void> {
    await ex
      .updateTable('campaign_sends')
      .set({
        state,
        reason,
        updated_at: at,
        ...(earlier
          ? {
              message_id: sql<string>`coalesce(message_id, ${earlier.messageId}::text)`,
              // A bounce is a fact about the address that copy went to: that one is kept out.
              recipient_index:
                state === 'bounced' && earlier.recipientIndex !== null
                  ? earlier.recipientIndex
                  : sql<string>`coalesce(recipient_index, ${earlier.recipientIndex}::text)`,
            }
          : {}),
      })
      .where('campaign_id', '=', campaignId)
      .where('subject_id', '=', subjectId)
      .execute();
  },
};
