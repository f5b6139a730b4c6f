/**
 * An extension counts only when the person is told of it within the first month (issue 10, second
 * review; LAW.md, Art. 12(3)). For a request without e-mail the extension goes by letter: marked
 * sent after the original due date, or still unsent when that date has passed (the daily letters
 * job), the extension is void — the due date reverts to the original, with a step in the history
 * saying why, visible in the console. Told in time, it stands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, DATABASES, DEMO, type TestContext } from './helpers.ts';
import { newStaffSession, newSubject, type StaffSession } from './factories.ts';

interface View {
  id: string;
  extended: boolean;
  dueOn: string;
  originalDueOn: string;
  overdue: boolean;
  letters: Array<{ id: string; template: string; sent: unknown }>;
  events: Array<{ step: string; data: Record<string, unknown> }>;
}

const day = (s: string, back: number) =>
  new Date(Date.parse(`${s}T00:00:00Z`) - back * 86_400_000).toISOString().slice(0, 10);

describe.each(DATABASES)('an extension told too late on %s', (kind) => {
  let t: TestContext;
  let dpo: StaffSession;

  beforeAll(async () => {
    t = await createTestContext(kind, DEMO);
    dpo = await newStaffSession(t, 'dpo');
  }, 120_000);
  afterAll(async () => t?.close());

  const post = (url: string, payload: object) =>
    t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers: dpo.headers });
  const view = async (id: string) =>
    (
      await t.app.inject({ method: 'GET', url: `/api/v1/requests/${id}`, headers: dpo.headers })
    ).json<View>();

  /** A postal request proven and extended by two months; `back` days later than it really was. */
  async function extended(back: number) {
    const p = await newSubject(t);
    const created = await post('/requests', {
      type: 'access',
      channel: 'postal',
      lang: 'en',
      name: 'Posti Henkilö',
      address: { street: 'Kuja 1', postalCode: '00100', city: 'Helsinki' },
      subjectId: p.id,
      identity: { proof: 'signed_letter' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;
    const ext = await post(`/requests/${id}/extend`, { months: 2, reason: 'many systems' });
    expect(ext.statusCode, ext.body).toBe(200);
    if (back > 0) {
      const db = t.db.handle.db;
      const shift = (d: Date) => new Date(d.getTime() - back * 86_400_000);
      const r = await db
        .selectFrom('requests')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const v = await view(id);
      await db
        .updateTable('requests')
        .set({
          received_at: shift(r.received_at),
          identity_proven_at: shift(r.identity_proven_at!),
          created_at: shift(r.created_at),
          original_due_on: day(v.originalDueOn, back),
          due_on: day(v.dueOn, back),
        })
        .where('id', '=', id)
        .execute();
      for (const l of await db
        .selectFrom('request_letters')
        .selectAll()
        .where('request_id', '=', id)
        .execute()) {
        await db
          .updateTable('request_letters')
          .set({ due_at: shift(l.due_at) })
          .where('id', '=', l.id)
          .execute();
      }
    }
    const v = await view(id);
    expect(v.extended).toBe(true);
    return v;
  }
  const letterOf = (v: View) => v.letters.find((l) => l.template === 'request-extended')!;

  it('a letter marked sent after the original due date: the extension is void', async () => {
    const v = await extended(45);
    const sent = await post(`/requests/${v.id}/letters/${letterOf(v).id}/sent`, { how: 'post' });
    expect(sent.statusCode, sent.body).toBe(200);
    const after = sent.json<View>();
    expect(after).toMatchObject({ extended: false, dueOn: v.originalDueOn, overdue: true });
    expect(after.events.find((e) => e.step === 'extension_void')?.data).toEqual({
      why: 'told_late',
      dueOn: v.originalDueOn,
      was: v.dueOn,
    });
  });

  it('a letter still unsent when the original due date passed: the daily job voids it', async () => {
    const v = await extended(45);
    const result = await t.services.requests.tidyLetters();
    expect(result.extensionsVoided).toBeGreaterThanOrEqual(1);
    const after = await view(v.id);
    expect(after).toMatchObject({ extended: false, dueOn: v.originalDueOn });
    expect(after.events.find((e) => e.step === 'extension_void')?.data).toMatchObject({
      why: 'not_told',
    });
    // Run again: nothing more to void.
    const again = await view(v.id);
    await t.services.requests.tidyLetters();
    expect((await view(v.id)).events.length).toBe(again.events.length);
  });

  it('told within the first month, the extension stands', async () => {
    const v = await extended(0);
    const sent = await post(`/requests/${v.id}/letters/${letterOf(v).id}/sent`, { how: 'post' });
    expect(sent.statusCode, sent.body).toBe(200);
    await t.services.requests.tidyLetters();
    const after = await view(v.id);
    expect(after).toMatchObject({ extended: true, dueOn: v.dueOn });
    expect(after.events.some((e) => e.step === 'extension_void')).toBe(false);
  });
});
