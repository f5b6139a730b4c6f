/**
 * An audience import against what the ledger already holds (docs/interchange.md, "Each change,
 * and each person"), over HTTP on each database: a line older than the person's current state is
 * superseded and writes nothing (the same file twice writes nothing the second time); a line this
 * run recorded before is unchanged; a grant over the person's objection on every channel is
 * skipped, not counted unchanged; the dry run checks a new person's values as the real run does
 * and both number a record by the line it starts on; a newsletter key's line for a restricted
 * person is told the address is taken unless it says no. Invented people.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator, subjectActor } from '../src/lib/actor.ts';
import { allPowersKey, newSubject, personValues } from './factories.ts';
import { createTestContext, DATABASES, type TestContext } from './helpers.ts';

const WORDING = { text: 'Yes, send me the newsletter.', language: 'en' as const };
const MAILCHIMP =
  '"Email Address","First Name","Last Name","OPTIN_TIME","CONFIRM_TIME","UNSUB_TIME"';

describe.each(DATABASES)('audience import against the ledger on %s', (kind) => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  const importCsv = async (csv: string, extra: Record<string, unknown> = {}) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/interchange/audience',
      headers: await t.key(['newsletter'], ['read', 'write']),
      payload: { format: 'mailchimp', purpose: 'newsletter', csv, ...extra },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Record<string, unknown>>();
  };
  const recordVia = async (id: string, changes: unknown[], evidence: Record<string, unknown>) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/subjects/${id}/permissions`,
      headers: await allPowersKey(t),
      payload: { changes, evidence },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const ledger = async (id: string) => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/subjects/${id}/permissions`,
      headers: await allPowersKey(t),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ state: Array<{ state: string }>; history: unknown[] }>();
  };
  const historyLength = async (id: string) => (await ledger(id)).history.length;
  const states = async (id: string) => JSON.stringify((await ledger(id)).state);

  it('an unsubscribe dated before the person\'s later grant is superseded: no history, not "withdrawn", and nothing the second time', async () => {
    const fanni = await newSubject(t, { values: personValues('Fanni', 'Kestilä') });
    const email = (fanni.values.contact as { email: string }).email;
    await recordVia(fanni.id, [{ kind: 'newsletter', channel: 'email', state: 'granted' }], {
      method: 'form',
      wording: WORDING,
    });
    const before = await historyLength(fanni.id);
    const stateBefore = await states(fanni.id);
    const csv = `${MAILCHIMP}\n${email},Fanni,Kestilä,"2025-10-01 08:00:00","2025-10-01 08:05:00","2025-11-20 09:30:00"\n`;
    const dry = await importCsv(csv, { dryRun: true });
    expect(dry).toMatchObject({ withdrawn: 0, superseded: 1, unchanged: 0, matched: 1 });
    for (let i = 0; i < 2; i++) {
      const s = await importCsv(csv);
      expect(s).toMatchObject({
        withdrawn: 0,
        superseded: 1,
        unchanged: 0,
        matched: 1,
        rejected: [],
        skipped: [],
      });
      expect(await historyLength(fanni.id)).toBe(before);
      expect(await states(fanni.id)).toBe(stateBefore);
    }
  });

  it('a line this run recorded before is unchanged the second time, even after the person changed their mind', async () => {
    const aarne = await newSubject(t, { values: personValues('Aarne', 'Lindqvist') });
    const email = (aarne.values.contact as { email: string }).email;
    await recordVia(aarne.id, [{ kind: 'newsletter', channel: 'email', state: 'granted' }], {
      method: 'form',
      wording: WORDING,
    });
    // listmonk's unsubscribed line without a date: recorded as of the import.
    const csv = `email,name,status,subscription_status\n${email},Aarne Lindqvist,enabled,unsubscribed\n`;
    const first = await importCsv(csv, { format: 'listmonk' });
    expect(first).toMatchObject({ withdrawn: 1, superseded: 0, unchanged: 0 });
    // The person subscribes again themselves, after the import.
    await t.services.permissions.record(
      subjectActor(aarne.id),
      aarne.id,
      [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
      { method: 'preference_page', wording: WORDING },
    );
    const count = await historyLength(aarne.id);
    const again = await importCsv(csv, { format: 'listmonk' });
    expect(again).toMatchObject({ withdrawn: 0, unchanged: 1, superseded: 0 });
    expect(await historyLength(aarne.id)).toBe(count);
    expect(await states(aarne.id)).toContain('"state":"granted"');
  });

  it('a subscribed line for a person who objected on every channel is skipped with the reason, not unchanged', async () => {
    const eero = await newSubject(t, { values: personValues('Eero', 'Vaskinen') });
    const email = (eero.values.contact as { email: string }).email;
    await recordVia(eero.id, [{ kind: 'newsletter', channel: 'email', state: 'granted' }], {
      method: 'form',
      wording: WORDING,
    });
    await recordVia(eero.id, [{ kind: 'newsletter', channel: '*', state: 'objected' }], {
      method: 'api',
    });
    const count = await historyLength(eero.id);
    const csv = `${MAILCHIMP}\n${email},Eero,Vaskinen,"2024-01-10 10:00:00","2024-01-10 10:02:00",\n`;
    for (const dryRun of [true, false]) {
      const s = await importCsv(csv, { dryRun });
      expect(s).toMatchObject({
        granted: 0,
        unchanged: 0,
        superseded: 0,
        skipped: [
          {
            line: 2,
            field: 'Email Address',
            reason: "the person's own choice is objected: an import does not change it",
          },
        ],
      });
    }
    expect(await historyLength(eero.id)).toBe(count);
  });

  it("the dry run rejects a new person's invalid name as the real run does, on the line its record starts", async () => {
    const csv = `${MAILCHIMP}\nmulti.line.${Date.now()}@example.com,"multi\nline",Rivinen,"2024-01-10 10:00:00",,\nok.line.${Date.now()}@example.com,Olli,Rivinen,"2024-01-10 10:00:00",,\n`;
    const expected = {
      granted: 1,
      created: 1,
      rejected: [
        {
          line: 2,
          field: 'values.identity.firstName',
          reason: expect.stringContaining('must be a single line') as string,
        },
      ],
    };
    const dry = await importCsv(csv, { dryRun: true });
    expect(dry).toMatchObject({ ...expected, lines: 4 });
    const real = await importCsv(csv);
    expect(real).toMatchObject({ ...expected, lines: 4 });
  });

  it('a restricted person: a newsletter key’s subscribed line is told the address is taken, an unsubscribed line is recorded', async () => {
    const rauha = await newSubject(t, { values: personValues('Rauha', 'Rajala') });
    const email = (rauha.values.contact as { email: string }).email;
    await recordVia(rauha.id, [{ kind: 'newsletter', channel: 'email', state: 'granted' }], {
      method: 'form',
      wording: WORDING,
    });
    await t.services.subjects.setRestriction(operator, rauha.id, 'accuracy contested');
    const before = await historyLength(rauha.id);
    const line = (sub: string) =>
      `email,name,status,subscription_status\n${email},Rauha Rajala,enabled,${sub}\n`;
    for (const dryRun of [true, false]) {
      const pending = await importCsv(line('unconfirmed'), { format: 'listmonk', dryRun });
      expect(pending).toMatchObject({ matched: 0, created: 0, pending: 0 });
      expect(pending.rejected).toEqual([
        {
          line: 2,
          field: 'email',
          reason: 'the e-mail address already belongs to another subject',
        },
      ]);
    }
    expect(await historyLength(rauha.id)).toBe(before);
    const unsubscribed = await importCsv(line('unsubscribed'), { format: 'listmonk' });
    expect(unsubscribed).toMatchObject({ withdrawn: 1, matched: 1, rejected: [] });
    expect(await historyLength(rauha.id)).toBe(before + 1);
    expect(await states(rauha.id)).toContain('"state":"withdrawn"');
  });
});
