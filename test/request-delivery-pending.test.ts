/**
 * A printed copy completed but never posted does not vanish (issue 10, second review): a request
 * completed with delivery `post` or `handed_over` stays in the queue as "delivery pending", counts
 * as overdue after its due date until the delivery is recorded, is in the handlers' digest, and its
 * completion letter is not expired by the daily tidy while the copy waits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, DATABASES, DEMO, type TestContext } from './helpers.ts';
import { newStaffSession, newSubject, type StaffSession } from './factories.ts';

interface Summary {
  id: string;
  state: string;
  overdue: boolean;
  deliveryPending: boolean;
}
interface View extends Summary {
  letters: Array<{ template: string; closed: unknown; sent: unknown }>;
}

describe.each(DATABASES)('a printed copy waiting for delivery on %s', (kind) => {
  let t: TestContext;
  let dpo: StaffSession;

  beforeAll(async () => {
    t = await createTestContext(kind, DEMO);
    dpo = await newStaffSession(t, 'dpo');
  }, 120_000);
  afterAll(async () => t?.close());

  const post = (url: string, payload: object) =>
    t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers: dpo.headers });
  const get = (url: string) =>
    t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: dpo.headers });

  it('stays in the queue, overdue after its date, its letter kept, until the delivery is recorded', async () => {
    const p = await newSubject(t);
    const created = await post('/requests', {
      type: 'access',
      channel: 'postal',
      lang: 'en',
      name: 'Posti Henkilö',
      address: { street: 'Kotikatu 1', postalCode: '00100', city: 'Helsinki' },
      subjectId: p.id,
      identity: { proof: 'signed_letter' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;
    const done = await post(`/requests/${id}/complete`, { delivery: 'post' });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json<Summary>()).toMatchObject({
      state: 'completed',
      deliveryPending: true,
      overdue: false,
    });
    const queue = (await get('/requests')).json<Summary[] | { items: Summary[] }>();
    const items = Array.isArray(queue) ? queue : queue.items;
    expect(items.find((r) => r.id === id)?.deliveryPending).toBe(true);

    // The due date passes and the letter waits past the keeping time: still there, overdue.
    await t.db.handle.db
      .updateTable('requests')
      .set({ due_on: '2020-01-31' })
      .where('id', '=', id)
      .execute();
    await t.db.handle.db
      .updateTable('request_letters')
      .set({ due_at: new Date(Date.now() - 121 * 86_400_000) })
      .where('request_id', '=', id)
      .execute();
    await t.services.requests.tidyLetters();
    const v = (await get(`/requests/${id}`)).json<View>();
    expect(v).toMatchObject({ state: 'completed', deliveryPending: true, overdue: true });
    expect(v.letters.filter((l) => l.template === 'request-completed')).toMatchObject([
      { closed: null, sent: null },
    ]);
    const digest = await t.services.requests.sendDigest();
    expect(digest.overdue).toBeGreaterThanOrEqual(1);

    // Recorded: the letter goes with the copy, the request is done and off the queue.
    const delivered = await post(`/requests/${id}/delivery`, { how: 'post' });
    expect(delivered.statusCode, delivered.body).toBe(200);
    const after = (await get(`/requests/${id}`)).json<View>();
    expect(after).toMatchObject({ deliveryPending: false, overdue: false });
    expect(after.letters.find((l) => l.template === 'request-completed')?.sent).not.toBeNull();
    const later = (await get('/requests')).json<Summary[] | { items: Summary[] }>();
    expect((Array.isArray(later) ? later : later.items).some((r) => r.id === id)).toBe(false);
  });
});
