/**
 * The requests module's SQL: requests, their history and the recipients told. Every method takes
 * its executor first. Calendar dates are read as `YYYY-MM-DD` text, never through a driver's Date.
 */
import { sql, type ExpressionBuilder, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../../db/transaction.ts';
import type { Database, RequestLettersTable, RequestsTable } from '../../db/types.ts';

/** Completed with a printed copy to post or hand over whose delivery is not recorded yet. */
const deliveryPending = (eb: ExpressionBuilder<Database, 'requests'>) =>
  eb.and([
    eb('state', '=', 'completed'),
    eb('delivery_how', 'is not', null),
    eb('delivered_how', 'is', null),
  ]);

export type RequestRow = Omit<
  Selectable<RequestsTable>,
  'due_on' | 'original_due_on' | 'completing_since' | 'delivered_on'
> & {
  due_on: string | null;
  original_due_on: string | null;
  delivered_on: string | null;
};
export type NewRequestRow = Insertable<RequestsTable>;
export type LetterRow = Omit<Selectable<RequestLettersTable>, 'sent_on'> & {
  sent_on: string | null;
};

const LETTER_COLUMNS = [
  'id',
  'request_id',
  'template',
  'lang',
  'sealed',
  'sealed_with',
  'has_address',
  'due_at',
  'sent_how',
  'sent_by',
  'sent_recorded_at',
  'closed_why',
  'closed_at',
] as const;
const sentOn = sql<string | null>`to_char(sent_on, 'YYYY-MM-DD')`.as('sent_on');

export interface RequestFilter {
  /** Only these states; open requests (not completed, refused or cancelled) when not given. */
  states?: readonly string[] | undefined;
  type?: string | undefined;
  subjectId?: string | undefined;
  limit: number;
  offset: number;
}

const COLUMNS = [
  'id',
  'type',
  'state',
  'extended',
  'channel',
  'lang',
  'subject_id',
  'email_index',
  'phone_index',
  'sealed',
  'received_at',
  'identity_proven_at',
  'closed_at',
  'identity_proof',
  'identity_document',
  'identity_checked_by',
  'download_until',
  'delivery_how',
  'delivered_how',
  'delivered_by',
  'created_at',
  'updated_at',
] as const;

const dueOn = sql<string | null>`to_char(due_on, 'YYYY-MM-DD')`.as('due_on');
const originalDueOn = sql<string | null>`to_char(original_due_on, 'YYYY-MM-DD')`.as(
  'original_due_on',
);
const deliveredOn = sql<string | null>`to_char(delivered_on, 'YYYY-MM-DD')`.as('delivered_on');

export const requestsRepo = {
  async insert(ex: Executor, row: NewRequestRow): Promise<void> {
    await ex.insertInto('requests').values(row).execute();
  },

  async get(ex: Executor, id: string, forUpdate = false): Promise<RequestRow | undefined> {
    let q = ex
      .selectFrom('requests')
      .select([...COLUMNS, dueOn, originalDueOn, deliveredOn])
      .where('id', '=', id);
    if (forUpdate) {
      q = q.forUpdate();
    }
    return q.executeTakeFirst();
  },

  /**
   * Claims an in-progress request for one completion: true for the one caller that wins; false
   * when it is not in progress or another completion holds a claim newer than `staleBefore`.
   */
  async claim(ex: Executor, id: string, now: Date, staleBefore: Date): Promise<boolean> {
    const r = await ex
      .updateTable('requests')
      .set({ completing_since: now })
      .where('id', '=', id)
      .where('state', '=', 'in_progress')
      .where((eb) =>
        eb.or([eb('completing_since', 'is', null), eb('completing_since', '<', staleBefore)]),
      )
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** Gives a claim back (the fulfilment failed; another handler may try). */
  async release(ex: Executor, id: string): Promise<void> {
    await ex.updateTable('requests').set({ completing_since: null }).where('id', '=', id).execute();
  },

  async update(
    ex: Executor,
    id: string,
    patch: Partial<Omit<NewRequestRow, 'id' | 'created_at' | 'delivered_on'>> & {
      updated_at: Date;
    },
  ): Promise<void> {
    await ex.updateTable('requests').set(patch).where('id', '=', id).execute();
  },

  /** Records that an access copy reached the person (post, by hand); false when recorded already. */
  async markDelivered(
    ex: Executor,
    id: string,
    d: { how: string; on: string; by: string; at: Date },
  ): Promise<boolean> {
    const r = await ex
      .updateTable('requests')
      .set({
        delivered_how: d.how,
        delivered_on: sql<string>`${d.on}::date`,
        delivered_by: d.by,
        updated_at: d.at,
      })
      .where('id', '=', id)
      .where('delivered_how', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /**
   * A page of requests, the most pressing first: by due date (so overdue ones lead), then those
   * whose identity is not yet proven, oldest first; closed ones after the open ones.
   */
  async list(ex: Executor, f: RequestFilter): Promise<RequestRow[]> {
    let q = ex.selectFrom('requests').select([...COLUMNS, dueOn, originalDueOn, deliveredOn]);
    // Open ones, and completed ones whose printed copy is still to be delivered.
    q = f.states
      ? q.where('state', 'in', [...f.states])
      : q.where((eb) => eb.or([eb('closed_at', 'is', null), deliveryPending(eb)]));
    if (f.type) {
      q = q.where('type', '=', f.type);
    }
    if (f.subjectId) {
      q = q.where('subject_id', '=', f.subjectId);
    }
    return q
      .orderBy(
        sql`(closed_at is not null and not (delivery_how is not null and delivered_how is null and state = 'completed'))`,
      )
      .orderBy(sql`due_on asc nulls last`)
      .orderBy('received_at', 'asc')
      .orderBy('id', 'asc')
      .limit(f.limit)
      .offset(f.offset)
      .execute();
  },

  /** Open requests due on or before a date (overdue included): ids, types and dates only. */
  async dueBy(
    ex: Executor,
    date: string,
  ): Promise<Array<{ id: string; type: string; due_on: string; extended: boolean }>> {
    const rows = await ex
      .selectFrom('requests')
      .select(['id', 'type', 'extended', sql<string>`to_char(due_on, 'YYYY-MM-DD')`.as('due_on')])
      .where((eb) => eb.or([eb('closed_at', 'is', null), deliveryPending(eb)]))
      .where('due_on', '<=', sql<string>`${date}::date`)
      .orderBy(sql`due_on asc`)
      .orderBy('id')
      .execute();
    return rows;
  },

  /** The requests linked to a person whose data has not been shredded yet. */
  async unshreddedOf(ex: Executor, subjectId: string): Promise<string[]> {
    const rows = await ex
      .selectFrom('requests')
      .select('id')
      .where('subject_id', '=', subjectId)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('request_events')
              .select('seq')
              .whereRef('request_events.request_id', '=', 'requests.id')
              .where('request_events.step', '=', 'shredded'),
          ),
        ),
      )
      .orderBy('id')
      .execute();
    return rows.map((r) => r.id);
  },

  /** The people linked requests name whose request data has not been shredded yet. */
  async linkedUnshredded(ex: Executor): Promise<string[]> {
    const rows = await ex
      .selectFrom('requests')
      .select('subject_id')
      .distinct()
      .where('subject_id', 'is not', null)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('request_events')
              .select('seq')
              .whereRef('request_events.request_id', '=', 'requests.id')
              .where('request_events.step', '=', 'shredded'),
          ),
        ),
      )
      .execute();
    return rows.map((r) => r.subject_id).filter((x): x is string => x !== null);
  },

  /** Clears the blind indexes of requests whose data is shredded. */
  async clearIndexes(ex: Executor, ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) {
      return;
    }
    await ex
      .updateTable('requests')
      .set({ email_index: null, phone_index: null, updated_at: at })
      .where('id', 'in', [...ids])
      .execute();
  },

  async addEvent(
    ex: Executor,
    e: { requestId: string; at: Date; step: string; actor: string; data?: Record<string, unknown> },
  ): Promise<void> {
    await sql`
      insert into request_events (request_id, seq, at, step, actor, data)
      select ${e.requestId}::uuid, coalesce(max(seq), 0) + 1, ${e.at}, ${e.step}, ${e.actor},
             ${JSON.stringify(e.data ?? {})}::jsonb
        from request_events where request_id = ${e.requestId}::uuid`.execute(ex);
  },

  async events(
    ex: Executor,
    requestId: string,
  ): Promise<
    Array<{ seq: number; at: Date; step: string; actor: string; data: Record<string, unknown> }>
  > {
    return ex
      .selectFrom('request_events')
      .select(['seq', 'at', 'step', 'actor', 'data'])
      .where('request_id', '=', requestId)
      .orderBy('seq')
      .execute();
  },

  async recipients(
    ex: Executor,
    requestId: string,
  ): Promise<Array<{ recipient_id: string; told_at: Date; how: string; recorded_by: string }>> {
    return ex
      .selectFrom('request_recipients')
      .select(['recipient_id', 'told_at', 'how', 'recorded_by'])
      .where('request_id', '=', requestId)
      .orderBy('recipient_id')
      .execute();
  },

  /** Records (or corrects) when and how a recipient was told. */
  async upsertRecipient(
    ex: Executor,
    r: {
      requestId: string;
      recipientId: string;
      toldAt: Date;
      how: string;
      recordedBy: string;
      at: Date;
    },
  ): Promise<void> {
    await ex
      .insertInto('request_recipients')
      .values({
        request_id: r.requestId,
        recipient_id: r.recipientId,
        told_at: r.toldAt,
        how: r.how,
        recorded_by: r.recordedBy,
        recorded_at: r.at,
      })
      .onConflict((oc) =>
        oc.columns(['request_id', 'recipient_id']).doUpdateSet({
          told_at: r.toldAt,
          how: r.how,
          recorded_by: r.recordedBy,
          recorded_at: r.at,
        }),
      )
      .execute();
  },

  /** Records a letter to send in place of a mail. */
  async insertLetter(ex: Executor, row: Insertable<RequestLettersTable>): Promise<void> {
    await ex.insertInto('request_letters').values(row).execute();
  },

  /** A request's letters, oldest first. */
  async letters(ex: Executor, requestId: string): Promise<LetterRow[]> {
    return ex
      .selectFrom('request_letters')
      .select([...LETTER_COLUMNS, sentOn])
      .where('request_id', '=', requestId)
      .orderBy('due_at')
      .orderBy('id')
      .execute();
  },

  async letter(ex: Executor, id: string, forUpdate = false): Promise<LetterRow | undefined> {
    let q = ex
      .selectFrom('request_letters')
      .select([...LETTER_COLUMNS, sentOn])
      .where('id', '=', id);
    if (forUpdate) {
      q = q.forUpdate();
    }
    return q.executeTakeFirst();
  },

  /**
   * Marks a letter sent and drops its sealed text (it has reached the person); false when it was
   * marked or closed already (nothing changed).
   */
  async markLetterSent(
    ex: Executor,
    id: string,
    m: { how: string; on: string; by: string; at: Date },
  ): Promise<boolean> {
    const r = await ex
      .updateTable('request_letters')
      .set({
        sealed: Buffer.alloc(0),
        sent_how: m.how,
        sent_on: sql<string>`${m.on}::date`,
        sent_by: m.by,
        sent_recorded_at: m.at,
      })
      .where('id', '=', id)
      .where('sent_how', 'is', null)
      .where('closed_why', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /**
   * Closes waiting letters without sending them, their text dropped: those of `requestIds` (their
   * data shredded; a letter under a key of its own is left waiting) or those given by id. Answers
   * the letters closed, with how each was sealed.
   */
  async closeLetters(
    ex: Executor,
    which: { requestIds?: readonly string[]; ids?: readonly string[] },
    why: 'shredded' | 'expired',
    at: Date,
  ): Promise<Array<{ id: string; sealed_with: string }>> {
    const requestIds = which.requestIds ?? [];
    const ids = which.ids ?? [];
    if (requestIds.length === 0 && ids.length === 0) {
      return [];
    }
    let q = ex
      .updateTable('request_letters')
      .set({ sealed: Buffer.alloc(0), closed_why: why, closed_at: at })
      .where('sent_how', 'is', null)
      .where('closed_why', 'is', null);
    q =
      requestIds.length > 0
        ? q.where('request_id', 'in', [...requestIds]).where('sealed_with', '!=', 'letter')
        : q.where('id', 'in', [...ids]);
    return q.returning(['id', 'sealed_with']).execute();
  },

  /** Letters still waiting under the keys of requests whose data was shredded: ids only. */
  async waitingOfShredded(ex: Executor): Promise<string[]> {
    const rows = await ex
      .selectFrom('request_letters')
      .select('id')
      .where('sent_how', 'is', null)
      .where('closed_why', 'is', null)
      .where('sealed_with', '!=', 'letter')
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('request_events')
            .select('seq')
            .whereRef('request_events.request_id', '=', 'request_letters.request_id')
            .where('request_events.step', '=', 'shredded'),
        ),
      )
      .orderBy('id')
      .execute();
    return rows.map((r) => r.id);
  },

  /** Letters still waiting that became due before `before`: ids only. */
  async waitingSince(ex: Executor, before: Date): Promise<string[]> {
    const rows = await ex
      .selectFrom('request_letters')
      .select('id')
      .where('sent_how', 'is', null)
      .where('closed_why', 'is', null)
      .where('due_at', '<', before)
      // The completion letter of a printed copy still to deliver goes with the copy: kept.
      .where((eb) =>
        eb.not(
          eb.and([
            eb('template', '=', 'request-completed'),
            eb.exists(
              eb
                .selectFrom('requests')
                .select('requests.id')
                .whereRef('requests.id', '=', 'request_letters.request_id')
                .where('requests.state', '=', 'completed')
                .where('requests.delivery_how', 'is not', null)
                .where('requests.delivered_how', 'is', null),
            ),
          ]),
        ),
      )
      .orderBy('id')
      .execute();
    return rows.map((r) => r.id);
  },

  /**
   * Extended requests whose person was not told of the extension by letter within the first
   * month: the letter is still unsent (or was closed unsent) and the original due date is before
   * `today`. Ids only.
   */
  async extensionsUntold(ex: Executor, today: string): Promise<string[]> {
    const rows = await ex
      .selectFrom('requests')
      .select('id')
      .where('extended', '=', true)
      .where('original_due_on', '<', sql<string>`${today}::date`)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('request_letters')
            .select('request_letters.id')
            .whereRef('request_letters.request_id', '=', 'requests.id')
            .where('request_letters.template', '=', 'request-extended')
            .where('request_letters.sent_how', 'is', null),
        ),
      )
      .orderBy('id')
      .execute();
    return rows.map((r) => r.id);
  },

  /** Letters with text sealed under the server's secret (before 0024): to seal under keys of their own. */
  async serverSealed(ex: Executor): Promise<Array<{ id: string; sealed: Buffer }>> {
    const rows = await ex
      .selectFrom('request_letters')
      .select(['id', 'sealed'])
      .where('sealed_with', '=', 'server')
      .execute();
    return rows.filter((r) => r.sealed.length > 0).map((r) => ({ id: r.id, sealed: r.sealed }));
  },

  /** Replaces a letter's sealed text (resealed, or readdressed). */
  async resealLetter(
    ex: Executor,
    id: string,
    patch: { sealed: Buffer; sealed_with?: string; has_address?: boolean },
  ): Promise<void> {
    await ex.updateTable('request_letters').set(patch).where('id', '=', id).execute();
  },

  /** How many letters wait to be sent, per request of those given. */
  async waitingCounts(ex: Executor, requestIds: readonly string[]): Promise<Map<string, number>> {
    if (requestIds.length === 0) {
      return new Map();
    }
    const rows = await ex
      .selectFrom('request_letters')
      .select(['request_id', (eb) => eb.fn.countAll<string>().as('n')])
      .where('request_id', 'in', [...requestIds])
      .where('sent_how', 'is', null)
      .where('closed_why', 'is', null)
      .groupBy('request_id')
      .execute();
    return new Map(rows.map((r) => [r.request_id, Number(r.n)]));
  },

  /** Every letter waiting to be sent, oldest first: ids, requests, templates and dates only. */
  async waitingLetters(
    ex: Executor,
  ): Promise<Array<{ id: string; request_id: string; template: string; due_at: Date }>> {
    return ex
      .selectFrom('request_letters')
      .select(['id', 'request_id', 'template', 'due_at'])
      .where('sent_how', 'is', null)
      .where('closed_why', 'is', null)
      .orderBy('due_at')
      .orderBy('id')
      .execute();
  },
};
