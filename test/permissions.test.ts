/**
 * The permission ledger and the permission check (docs/permissions.md): recording with evidence,
 * the state and the history, who may record what, the check's every answer, the append-only
 * history and its end at an erasure, and the HTTP routes. On each database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { operator, subjectActor, type Actor } from '../src/lib/actor.ts';
import { AppError } from '../src/lib/errors.ts';
import type { PermissionChange, PermissionEvidence } from '../src/modules/permissions/index.ts';
import { permissionsRepo } from '../src/modules/permissions/permissions.repo.ts';
import { subjectsRepo } from '../src/modules/subjects/subjects.repo.ts';
import { allPowersKey, newApiKey, newStaffSession, newSubjectVia, tag } from './factories.ts';
import { createTestContext, DATABASES, type TestContext } from './helpers.ts';

async function refused(p: Promise<unknown>, code: string, field?: string): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a refusal (${code})`).toBeInstanceOf(AppError);
  const e = err as AppError;
  expect(e.code, e.message).toBe(code);
  if (field !== undefined) {
    expect(e.issues.map((i) => i.field)).toContain(field);
  }
  return e;
}

const WORDING = {
  text: 'Haluan Revontulen uutiskirjeen sähköpostiini. Voin perua tilauksen milloin tahansa.',
  language: 'fi' as const,
};
const grant = (kind: string, channel: string): PermissionChange => ({
  kind,
  channel,
  state: 'granted',
});
const refuse = (kind: string, channel: string): PermissionChange => ({
  kind,
  channel,
  state: 'refused',
});

const staffActor = (role: string, t: TestContext): Actor => {
  const r = t.register.role(role);
  if (!r) {
    throw new Error(role);
  }
  const set = (l: readonly string[]) => (l.includes('*') ? ('*' as const) : new Set(l));
  return {
    kind: 'staff',
    id: '00000000-0000-7000-8000-000000000001',
    role,
    read: set(r.read),
    write: set(r.write),
    actions: new Set([
      ...r.actions,
      ...(r.read.length ? ['read' as const] : []),
      ...(r.write.length ? ['write' as const] : []),
    ]),
  };
};

describe.each(DATABASES)('permission ledger and check on %s', (kind) => {
  let t: TestContext;
  const person = (opts: { organisation?: boolean } = {}) =>
    newSubjectVia(t.services, {
      values: {
        identity: { firstName: 'Testi', lastName: 'Luvallinen' },
        contact: {
          email: `luvat.${tag()}@example.com`,
          phone: `040 ${100_0000 + Math.floor(Math.random() * 899_0000)}`,
        },
        ...(opts.organisation ? { organisation: { organisation: 'Kahvila Kuura Oy' } } : {}),
      },
    });
  const count = async (table: 'permission_states' | 'permission_history') =>
    Number(
      (
        await t.db.handle.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const check = (purpose: string, subjectId: string, channel?: string, at?: string) =>
    t.services.permissions.check(operator, {
      purpose,
      subjectId,
      ...(channel ? { channel } : {}),
      ...(at ? { at } : {}),
    });
  const record = (
    id: string,
    changes: PermissionChange[],
    evidence: Partial<PermissionEvidence> = {},
    actor: Actor = operator,
  ) => t.services.permissions.record(actor, id, changes, { method: 'staff', ...evidence });

  beforeAll(async () => {
    t = await createTestContext(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a newsletter rests on consent: no consent, then granted with its wording, then withdrawn', async () => {
    const p = await person();
    expect((await check('newsletter', p.id, 'email')).reason.code).toBe('no_consent');
    const r = await record(p.id, [grant('newsletter', 'email')], {
      method: 'form',
      wording: WORDING,
      reference: 'form-2026',
    });
    expect(r.recorded).toHaveLength(1);
    expect(r.recorded[0]).toMatchObject({
      kind: 'newsletter',
      channel: 'email',
      state: 'granted',
      previousState: null,
      method: 'form',
      wording: WORDING,
      reference: 'form-2026',
      actor: 'operator:cli',
      // No version of the privacy notice is published in this register: none was in force.
      noticeVersion: null,
    });
    const yes = await check('newsletter', p.id, 'email');
    expect(yes).toMatchObject({
      allowed: true,
      basis: 'consent',
      state: 'granted',
      kind: 'newsletter',
    });
    expect(yes.reason.code).toBe('consent_granted');
    await record(
      p.id,
      [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
      { method: 'unsubscribe_link' },
      subjectActor(p.id),
    );
    const no = await check('newsletter', p.id, 'email');
    expect(no.allowed).toBe(false);
    expect(no.reason.code).toBe('withdrawn');
    expect(no.reason.message).toBe('the person has withdrawn their consent to newsletter on email');
    const history = await t.services.permissions.history(operator, p.id);
    expect(history.map((h) => [h.state, h.previousState, h.method])).toEqual([
      ['granted', null, 'form'],
      ['withdrawn', 'granted', 'unsubscribe_link'],
    ]);
    expect(await t.services.permissions.stateOf(operator, p.id)).toEqual([
      expect.objectContaining({
        kind: 'newsletter',
        channel: 'email',
        state: 'withdrawn',
        method: 'unsubscribe_link',
      }),
    ]);
  });

  it('a consent awaiting its confirmation link is not consent', async () => {
    const p = await person();
    const self = subjectActor(p.id);
    await record(
      p.id,
      [{ kind: 'newsletter', channel: 'email', state: 'pending' }],
      { method: 'double_opt_in' },
      self,
    );
    expect((await check('newsletter', p.id, 'email')).reason.code).toBe('consent_pending');
    await record(
      p.id,
      [grant('newsletter', 'email')],
      { method: 'double_opt_in', wording: WORDING },
      self,
    );
    expect((await check('newsletter', p.id, 'email')).allowed).toBe(true);
  });

  it('b2b marketing rests on an opt-out: allowed to an organisation contact until refused, per channel', async () => {
    const p = await person({ organisation: true });
    const c = await check('b2b_marketing', p.id, 'email');
    expect(c).toMatchObject({ allowed: true, basis: 'opt_out', state: null });
    expect(c.reason.code).toBe('not_refused');
    await record(p.id, [refuse('direct_marketing', 'email')]);
    expect((await check('b2b_marketing', p.id, 'email')).reason.code).toBe('refused');
    expect((await check('b2b_marketing', p.id, 'phone')).allowed).toBe(true);
    // Refused as a whole: every channel.
    await record(p.id, [refuse('direct_marketing', '*')]);
    expect((await check('b2b_marketing', p.id, 'post')).reason.code).toBe('refused');
    // A later choice for one channel wins over the earlier one for all.
    await new Promise((r) => setTimeout(r, 5));
    await record(
      p.id,
      [grant('direct_marketing', 'post')],
      { method: 'form', wording: { text: 'Saa lähettää postia.', language: 'fi' } },
      subjectActor(p.id),
    );
    expect((await check('b2b_marketing', p.id, 'post')).allowed).toBe(true);
    expect((await check('b2b_marketing', p.id, 'phone')).reason.code).toBe('refused');
  });

  it('an opt-out for organisation contacts does not reach a private person', async () => {
    const p = await person();
    const c = await check('b2b_marketing', p.id, 'email');
    expect(c.allowed).toBe(false);
    expect(c.reason.code).toBe('not_organisation_contact');
  });

  it('refusing market research blocks the market-research purpose, not the newsletter', async () => {
    const p = await person();
    await record(p.id, [grant('newsletter', 'email')], { wording: WORDING });
    expect((await check('market_research', p.id, 'sms')).allowed).toBe(true);
    await record(p.id, [{ kind: 'market_research', channel: '*', state: 'objected' }]);
    for (const ch of ['email', 'sms', 'phone']) {
      expect((await check('market_research', p.id, ch)).reason.code).toBe('objected');
    }
    expect((await check('newsletter', p.id, 'email')).allowed).toBe(true);
  });

  it('a purpose without a kind is not marketing; a channel the purpose does not use is not allowed', async () => {
    const p = await person();
    const c = await check('customer_relationship', p.id, 'email');
    expect(c).toMatchObject({ allowed: true, kind: null, basis: null });
    expect(c.reason.code).toBe('not_marketing');
    expect((await check('newsletter', p.id, 'phone')).reason.code).toBe('channel_not_used');
    // Profiling reaches nobody by a channel: its consent is asked for the kind as a whole.
    expect((await check('analytics', p.id)).reason.code).toBe('no_consent');
    await record(p.id, [grant('profiling', '*')], {
      wording: { text: 'Hyväksyn analytiikkaevästeet.', language: 'fi' },
    });
    expect((await check('analytics', p.id)).allowed).toBe(true);
  });

  it('restriction, a stop, an erasure and an unknown person each say no, with their reason', async () => {
    const p = await person();
    await record(p.id, [grant('newsletter', 'email')], { wording: WORDING });
    await t.services.subjects.setRestriction(operator, p.id, 'Tietojen oikeellisuus kiistetty');
    expect((await check('newsletter', p.id, 'email')).reason.code).toBe('restricted');
    // legal_claims is allowed during restriction: not marketing, allowed.
    expect((await check('legal_claims', p.id, 'email')).allowed).toBe(true);
    await t.services.subjects.setRestriction(operator, p.id, null);
    await t.services.subjects.stopProcessing(operator, p.id, { reason: 'marketing_prohibition' });
    const stopped = await check('newsletter', p.id, 'email');
    expect(stopped.reason).toEqual({
      code: 'stopped',
      message:
        'the person has prohibited direct marketing: purpose "newsletter" is stopped for them',
    });
    await t.services.subjects.eraseSubject(operator, p.id, 'request');
    expect((await check('newsletter', p.id, 'email')).reason.code).toBe('erased');
    const unknown = await check('newsletter', '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e', 'email');
    expect(unknown).toMatchObject({ allowed: false, reason: { code: 'unknown_subject' } });
  });

  it('a change dated before the state held goes into the history and leaves the later choice', async () => {
    const p = await person();
    await record(p.id, [grant('newsletter', 'email')], { method: 'form', wording: WORDING });
    // An import run of an old list (only an import run may carry a date this old).
    const old = await t.services.permissions.record(
      operator,
      p.id,
      [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
      { method: 'import', reference: 'import-2024', givenAt: '2024-03-01T10:00:00Z' },
      { importRun: true },
    );
    expect(old.recorded).toHaveLength(1);
    expect(old.state).toEqual([
      expect.objectContaining({ kind: 'newsletter', channel: 'email', state: 'granted' }),
    ]);
    expect((await check('newsletter', p.id, 'email')).allowed).toBe(true);
  });

  it("only the person's own choice undoes their refusal, withdrawal or objection, whatever the date", async () => {
    const p = await person({ organisation: true });
    await record(
      p.id,
      [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
      { method: 'unsubscribe_link', givenAt: new Date(Date.now() - 3600_000).toISOString() },
      subjectActor(p.id),
    );
    await record(p.id, [{ kind: 'direct_marketing', channel: '*', state: 'objected' }], {
      method: 'request',
    });
    const before = await count('permission_history');
    const later = new Date().toISOString();
    // An import, a member of staff and an integration, each dated after the withdrawal; and staff
    // naming the person's own method (a form), which is not the person acting.
    for (const evidence of [
      { method: 'import' as const, reference: 'import-2026', givenAt: later },
      { method: 'staff' as const, wording: WORDING, givenAt: later },
      { method: 'api' as const, wording: WORDING },
      { method: 'form' as const, wording: WORDING },
    ]) {
      const e = await refused(
        record(p.id, [grant('newsletter', 'email')], evidence),
        'conflict',
        'changes[0].state',
      );
      expect(e.message).toContain('withdrawn');
    }
    // Nor "pending", which would reopen an opt-out purpose, nor a grant of the kind as a whole.
    await refused(
      record(p.id, [{ kind: 'direct_marketing', channel: 'post', state: 'pending' }], {
        wording: WORDING,
      }),
      'conflict',
      'changes[0].state',
    );
    await refused(
      record(p.id, [refuse('newsletter', 'email'), grant('direct_marketing', '*')], {
        wording: WORDING,
      }),
      'conflict',
      'changes[1].state',
    );
    expect(await count('permission_history')).toBe(before);
    expect((await check('newsletter', p.id, 'email')).reason.code).toBe('withdrawn');
    expect((await check('b2b_marketing', p.id, 'post')).reason.code).toBe('objected');
    // Over HTTP: 409 naming the field.
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/subjects/${p.id}/permissions`,
      headers: await allPowersKey(t),
      payload: {
        changes: [grant('newsletter', 'email')],
        evidence: { method: 'api', wording: WORDING },
      },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json<{ errors: Array<{ field: string }> }>().errors[0]!.field).toBe(
      'changes[0].state',
    );
    // An API key naming the person's own methods: a form is refused as any other grant (409),
    // the methods only the person's own pages record are refused outright (400); nothing written.
    for (const [method, status] of [
      ['form', 409],
      ['preference_page', 400],
      ['double_opt_in', 400],
      ['unsubscribe_link', 400],
    ] as const) {
      const viaKey = await t.app.inject({
        method: 'POST',
        url: `/api/v1/subjects/${p.id}/permissions`,
        headers: await allPowersKey(t),
        payload: {
          changes: [grant('newsletter', 'email')],
          evidence: { method, wording: WORDING },
        },
      });
      expect(viaKey.statusCode, `${method}: ${viaKey.body}`).toBe(status);
      expect(viaKey.json<{ errors: Array<{ field: string }> }>().errors[0]!.field).toBe(
        status === 409 ? 'changes[0].state' : 'evidence.method',
      );
    }
    // Staff (and the operator at the command line) alike.
    await refused(
      record(p.id, [grant('newsletter', 'email')], { method: 'form', wording: WORDING }),
      'conflict',
      'changes[0].state',
    );
    await refused(
      record(
        p.id,
        [grant('newsletter', 'email')],
        { method: 'preference_page', wording: WORDING },
        staffActor('marketing', t),
      ),
      'validation_failed',
      'evidence.method',
    );
    expect(await count('permission_history')).toBe(before);
    expect((await check('newsletter', p.id, 'email')).reason.code).toBe('withdrawn');
    // The person's own choice, on their own pages, grants again.
    await record(
      p.id,
      [grant('newsletter', 'email')],
      { method: 'preference_page', wording: WORDING },
      subjectActor(p.id),
    );
    expect((await check('newsletter', p.id, 'email')).allowed).toBe(true);
  });

  it('given at the same moment, a refusal wins over a grant, whichever is recorded first', async () => {
    // A minute ago: a date given by staff is bounded by the record's life (at most 30 days back).
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString();
    const a = await person();
    await record(a.id, [grant('newsletter', 'email')], {
      method: 'form',
      wording: WORDING,
      givenAt: at,
    });
    await record(a.id, [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }], {
      givenAt: at,
    });
    expect((await check('newsletter', a.id, 'email')).reason.code).toBe('withdrawn');
    const b = await person();
    await record(
      b.id,
      [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
      { method: 'form', givenAt: at },
      subjectActor(b.id),
    );
    await record(
      b.id,
      [grant('newsletter', 'email')],
      { method: 'form', wording: WORDING, givenAt: at },
      subjectActor(b.id),
    );
    expect((await check('newsletter', b.id, 'email')).reason.code).toBe('withdrawn');
    // And the ledger as it stood then says the same.
    expect((await check('newsletter', b.id, 'email', new Date().toISOString())).reason.code).toBe(
      'withdrawn',
    );
  });

  it('the ledger as it stood at a time past', async () => {
    const p = await person();
    await record(p.id, [grant('newsletter', 'email')], { wording: WORDING });
    const between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 10));
    await record(p.id, [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }]);
    expect((await check('newsletter', p.id, 'email', between)).allowed).toBe(true);
    expect((await check('newsletter', p.id, 'email')).allowed).toBe(false);
    await refused(
      check('newsletter', p.id, 'email', '2999-01-01T00:00:00Z'),
      'validation_failed',
      'at',
    );
  });

  it('bad input names the field and records nothing', async () => {
    const p = await person();
    const before = [await count('permission_states'), await count('permission_history')];
    await refused(
      record(p.id, [{ kind: 'newsleter', channel: 'email', state: 'granted' }], {
        wording: WORDING,
      }),
      'validation_failed',
      'changes[0].kind',
    );
    await refused(
      record(p.id, [refuse('newsletter', 'post')]),
      'validation_failed',
      'changes[0].channel',
    );
    await refused(
      record(p.id, [{ kind: 'newsletter', channel: 'email', state: 'maybe' as never }]),
      'validation_failed',
      'changes[0].state',
    );
    await refused(
      record(p.id, [grant('newsletter', 'email')]),
      'validation_failed',
      'evidence.wording',
    );
    await refused(
      record(p.id, [grant('newsletter', 'email')], { method: 'import' }),
      'validation_failed',
      'evidence.reference',
    );
    await refused(
      record(p.id, [refuse('newsletter', 'email'), refuse('newsletter', 'email')]),
      'validation_failed',
      'changes[1]',
    );
    await refused(record(p.id, []), 'validation_failed', 'changes');
    await refused(
      record(p.id, [refuse('newsletter', 'email')], { givenAt: '2999-01-01T00:00:00Z' }),
      'validation_failed',
      'evidence.givenAt',
    );
    await refused(
      record(p.id, [refuse('newsletter', 'email')], { reference: 'Anna Virtanen' }),
      'validation_failed',
      'evidence.reference',
    );
    await refused(
      record(p.id, [refuse('newsletter', 'email')], { method: 'fax' as never }),
      'validation_failed',
      'evidence.method',
    );
    await refused(
      record('0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e', [refuse('newsletter', 'email')]),
      'not_found',
    );
    await refused(check('newsletter', p.id, 'fax'), 'validation_failed', 'channel');
    await refused(check('newsleter', p.id, 'email'), 'validation_failed', 'purpose');
    await refused(check('newsletter', p.id), 'validation_failed', 'channel');
    await refused(check('newsletter', 'not-a-uuid', 'email'), 'validation_failed', 'subject');
    expect([await count('permission_states'), await count('permission_history')]).toEqual(before);
  });

  it('a refusal is open to anyone who may touch the person; granting needs a purpose of the kind', async () => {
    const p = await person();
    const support = staffActor('support', t);
    const r = await record(p.id, [refuse('newsletter', 'email')], {}, support);
    expect(r.recorded[0]?.actor).toBe(`staff:${support.id}`);
    await refused(
      record(p.id, [grant('newsletter', 'email')], { wording: WORDING }, support),
      'forbidden',
      'changes[0].kind',
    );
    const marketing = staffActor('marketing', t);
    // Not over the person's refusal, which support recorded for them…
    await refused(
      record(p.id, [grant('newsletter', 'email')], { method: 'form', wording: WORDING }, marketing),
      'conflict',
      'changes[0].state',
    );
    // …but for someone who has not refused.
    const q = await person();
    await record(
      q.id,
      [grant('newsletter', 'email')],
      { method: 'form', wording: WORDING },
      marketing,
    );
    // Recording "by request" is for those who handle requests.
    await refused(
      record(p.id, [refuse('newsletter', 'email')], { method: 'request' }, marketing),
      'validation_failed',
      'evidence.method',
    );
    const auditor = staffActor('auditor', t);
    await refused(record(p.id, [refuse('newsletter', 'email')], {}, auditor), 'forbidden');
    // The person themselves, on their own permissions only, by their own methods.
    const self: Actor = {
      kind: 'subject',
      id: p.id,
      read: new Set(),
      write: new Set(),
      actions: new Set(),
    };
    await record(p.id, [refuse('newsletter', 'email')], { method: 'preference_page' }, self);
    await refused(
      record(p.id, [refuse('newsletter', 'email')], { method: 'staff' }, self),
      'validation_failed',
      'evidence.method',
    );
    const other = await person();
    await refused(
      record(other.id, [refuse('newsletter', 'email')], { method: 'preference_page' }, self),
      'forbidden',
    );
    // The check needs the right to read under the purpose.
    await refused(
      t.services.permissions.check(support, {
        purpose: 'newsletter',
        subjectId: p.id,
        channel: 'email',
      }),
      'forbidden',
    );
    expect(
      (
        await t.services.permissions.check(marketing, {
          purpose: 'newsletter',
          subjectId: p.id,
          channel: 'email',
        })
      ).allowed,
    ).toBe(false);
  });

  it("the history is append-only; an erasure takes the person's ledger with them", async () => {
    const p = await person();
    await record(p.id, [grant('newsletter', 'email')], { wording: WORDING });
    const db = t.db.handle.db;
    await expect(
      sql`update permission_history set state = 'refused' where subject_id = ${p.id}`.execute(db),
    ).rejects.toThrow(/append-only/);
    await expect(
      sql`delete from permission_history where subject_id = ${p.id}`.execute(db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`truncate permission_history`.execute(db)).rejects.toThrow(
      /permission history is append-only: TRUNCATE/,
    );
    // The current state too: the runtime role cannot set one the history does not show, move
    // one back, or remove one of a live person.
    const refusedNow = await record(p.id, [refuse('newsletter', 'email')]);
    expect(refusedNow.recorded).toHaveLength(1);
    await expect(
      sql`update permission_states set state = 'granted' where subject_id = ${p.id}`.execute(db),
    ).rejects.toThrow(/permission_states/);
    const firstGrant = (await t.services.permissions.history(operator, p.id))[0]!;
    await expect(
      sql`update permission_states set state = 'granted', history_id = ${firstGrant.id},
            changed_at = ${firstGrant.givenAt}
          where subject_id = ${p.id}`.execute(db),
    ).rejects.toThrow(/a later choice is not replaced/);
    await expect(
      sql`insert into permission_states (subject_id, kind, channel, state, changed_at, history_id)
          values (${p.id}, 'market_research', '*', 'granted', now(), 1)`.execute(db),
    ).rejects.toThrow(/permission_states/);
    await expect(
      sql`delete from permission_states where subject_id = ${p.id}`.execute(db),
    ).rejects.toThrow(/DELETE is refused/);
    await expect(sql`truncate permission_states`.execute(db)).rejects.toThrow(
      /TRUNCATE is refused/,
    );
    expect((await check('newsletter', p.id, 'email')).reason.code).toBe('refused');
    // A wording written for this person alone (a caller's text with their name in it).
    const own = `Minä, Testi Luvallinen (${tag()}), haluan kyselyitä.`;
    await record(p.id, [grant('market_research', '*')], {
      method: 'form',
      wording: { text: own, language: 'fi' },
    });
    await t.services.subjects.eraseSubject(operator, p.id, 'request');
    const left = await db
      .selectFrom('permission_history')
      .select('id')
      .where('subject_id', '=', p.id)
      .execute();
    expect(left).toEqual([]);
    const state = await db
      .selectFrom('permission_states')
      .select('kind')
      .where('subject_id', '=', p.id)
      .execute();
    expect(state).toEqual([]);
    // A wording others saw stays for them; one only this person's history used goes with them.
    const wordings = await db.selectFrom('permission_wordings').select('text').execute();
    expect(wordings.map((w) => w.text)).toContain(WORDING.text);
    expect(wordings.map((w) => w.text)).not.toContain(own);
    await refused(t.services.permissions.stateOf(operator, p.id), 'not_found');
  });

  it.skipIf(kind !== 'postgres')(
    'two erasures side by side of the only people who saw a wording delete it; a consent recorded with it meanwhile keeps it',
    async () => {
      const db = t.db.handle.db;
      const words = `Kahden yhteinen kyselylupa ${tag()}.`;
      const wordingOf = async (id: string) =>
        (
          await db
            .selectFrom('permission_history')
            .select('wording_id')
            .where('subject_id', '=', id)
            .where('wording_id', 'is not', null)
            .executeTakeFirstOrThrow()
        ).wording_id as string;
      const stored = async (id: string) =>
        (await db.selectFrom('permission_wordings').select('id').where('id', '=', id).execute())
          .length;
      const saw = async () => {
        const p = await person();
        await record(p.id, [grant('market_research', '*')], {
          method: 'form',
          wording: { text: words, language: 'fi' },
        });
        return p.id;
      };
      /**
       * The data side of an erasure in a transaction of its own, on its own connection, kept open
       * until `commit` is called: the order in which each would see the other's history still
       * there (not yet committed) and keep the wording, leaving it to nobody.
       */
      const eraseHeld = (id: string) => {
        let commit!: () => void;
        const release = new Promise<void>((r) => (commit = r));
        let erased!: () => void;
        const done = new Promise<void>((r) => (erased = r));
        const tx = db.transaction().execute(async (trx) => {
          await subjectsRepo.erase(trx, id, new Date(), 'request');
          erased();
          await release;
        });
        return { tx, done, commit };
      };
      const settle = () => new Promise((r) => setTimeout(r, 300));

      const a = await saw();
      const b = await saw();
      const wording = await wordingOf(a);
      expect(await wordingOf(b)).toBe(wording);
      const first = eraseHeld(a);
      await first.done;
      const second = eraseHeld(b);
      await settle(); // the second erasure waits for the first's lock on the wording
      first.commit();
      await first.done;
      await second.done;
      second.commit();
      await Promise.all([first.tx, second.tx]);
      expect(await stored(wording)).toBe(0);

      // A consent recorded with a wording while an erasure of its only other user is deciding:
      // the consent is recorded and the wording stays, used by it.
      const c = await saw();
      const d = await person();
      const erasing = eraseHeld(c);
      await erasing.done;
      const recording = record(d.id, [grant('market_research', '*')], {
        method: 'form',
        wording: { text: words, language: 'fi' },
      });
      await settle();
      erasing.commit();
      await erasing.tx;
      expect((await recording).recorded).toHaveLength(1);
      expect(await wordingOf(d.id)).toBe(wording);
      expect(await stored(wording)).toBe(1);
      // And the other way round: an erasure waits for a consent being recorded with the wording.
      const e = await person();
      let releaseConsent!: () => void;
      const consentHeld = new Promise<void>((r) => (releaseConsent = r));
      let wordingPut!: () => void;
      const put = new Promise<void>((r) => (wordingPut = r));
      const consent = db.transaction().execute(async (trx) => {
        await permissionsRepo.putWording(
          trx,
          { id: wording, language: 'fi', text: words },
          new Date(),
        );
        wordingPut();
        await consentHeld;
        await permissionsRepo.append(
          trx,
          e.id,
          [
            {
              kind: 'market_research',
              channel: '*',
              state: 'granted',
              previousState: null,
              givenAt: new Date(),
              method: 'form',
              noticeVersion: null,
              wordingId: wording,
              reference: null,
              actor: 'operator:cli',
            },
          ],
          new Date(),
        );
      });
      await put;
      const erasure = eraseHeld(d.id);
      await settle(); // the erasure waits for the consent's hold on the wording
      releaseConsent();
      await erasure.done;
      erasure.commit();
      await erasure.tx;
      await consent;
      expect(await wordingOf(e.id)).toBe(wording);
      expect(await stored(wording)).toBe(1);
    },
  );

  it('records changes and reads them over HTTP; checks with GET; strict input', async () => {
    const p = await person({ organisation: true });
    const key = await allPowersKey(t);
    const post = await t.app.inject({
      method: 'POST',
      url: `/api/v1/subjects/${p.id}/permissions`,
      headers: key,
      payload: {
        changes: [grant('newsletter', 'email'), refuse('direct_marketing', 'phone')],
        evidence: { method: 'api', wording: WORDING, noticeVersion: '2026-11' },
      },
    });
    // A notice version that was not the published one in force then is refused, naming it.
    expect(post.statusCode, post.body).toBe(400);
    expect(post.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field)).toEqual([
      'evidence.noticeVersion',
    ]);
    expect((await t.services.permissions.stateOf(operator, p.id)).length).toBe(0);
    const posted = await t.app.inject({
      method: 'POST',
      url: `/api/v1/subjects/${p.id}/permissions`,
      headers: key,
      payload: {
        changes: [grant('newsletter', 'email'), refuse('direct_marketing', 'phone')],
        evidence: { method: 'api', wording: WORDING },
      },
    });
    expect(posted.statusCode, posted.body).toBe(200);
    expect(posted.json<{ recorded: unknown[] }>().recorded).toHaveLength(2);
    const get = await t.app.inject({
      method: 'GET',
      url: `/api/v1/subjects/${p.id}/permissions`,
      headers: key,
    });
    expect(get.statusCode, get.body).toBe(200);
    const body = get.json<{
      state: Array<{ kind: string; state: string }>;
      history: Array<{ noticeVersion: string | null }>;
    }>();
    expect(body.state.map((s) => `${s.kind}:${s.state}`).sort()).toEqual([
      'direct_marketing:refused',
      'newsletter:granted',
    ]);
    expect(body.history.every((h) => h.noticeVersion === null)).toBe(true);
    const marketingKey = await newApiKey(t, ['newsletter', 'b2b_marketing'], ['read']);
    const yes = await t.app.inject({
      method: 'GET',
      url: `/api/v1/permissions/check?purpose=newsletter&subject=${p.id}&channel=email`,
      headers: marketingKey.headers,
    });
    expect(yes.statusCode, yes.body).toBe(200);
    expect(yes.json()).toMatchObject({ allowed: true, reason: { code: 'consent_granted' } });
    const no = await t.app.inject({
      method: 'GET',
      url: `/api/v1/permissions/check?purpose=b2b_marketing&subject=${p.id}&channel=phone`,
      headers: marketingKey.headers,
    });
    expect(no.json()).toMatchObject({ allowed: false, reason: { code: 'refused' } });
    const forbidden = await t.app.inject({
      method: 'GET',
      url: `/api/v1/permissions/check?purpose=market_research&subject=${p.id}&channel=email`,
      headers: marketingKey.headers,
    });
    expect(forbidden.statusCode).toBe(403);
    const bad = await t.app.inject({
      method: 'GET',
      url: `/api/v1/permissions/check?purpose=newsletter&subject=${p.id}&channel=fax`,
      headers: marketingKey.headers,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field)).toContain(
      'channel',
    );
    const before = await count('permission_history');
    const strict = await t.app.inject({
      method: 'POST',
      url: `/api/v1/subjects/${p.id}/permissions`,
      headers: key,
      payload: { changes: [refuse('newsletter', 'email')], evidence: { method: 'api', note: 'x' } },
    });
    expect(strict.statusCode).toBe(400);
    expect(strict.body).toMatch(/note/);
    expect(await count('permission_history')).toBe(before);
    const unauthenticated = await t.app.inject({
      method: 'GET',
      url: `/api/v1/subjects/${p.id}/permissions`,
    });
    expect(unauthenticated.statusCode).toBe(401);
    // A staff session of the support role may record a refusal but not read a marketing check.
    const support = await newStaffSession(t, 'support');
    const refusal = await t.app.inject({
      method: 'POST',
      url: `/api/v1/subjects/${p.id}/permissions`,
      headers: support.headers,
      payload: { changes: [refuse('newsletter', 'email')], evidence: { method: 'staff' } },
    });
    expect(refusal.statusCode, refusal.body).toBe(200);
  });

  it('the access copy holds the ledger, readable, without naming staff; consents export as Kantara Consent Receipts', async () => {
    const p = await person({ organisation: true });
    await record(p.id, [grant('newsletter', 'email')], {
      method: 'form',
      wording: WORDING,
      reference: 'signup-7',
    });
    await record(
      p.id,
      [{ kind: 'market_research', channel: '*', state: 'refused' }],
      {
        method: 'preference_page',
      },
      { kind: 'subject', id: p.id, read: new Set(), write: new Set(), actions: new Set() },
    );
    const copy = await t.services.subjects.exportSubject(operator, p.id, 'fi');
    expect(copy.permissions.state).toEqual([
      expect.objectContaining({ kind: 'market_research', channel: '*', state: 'refused' }),
      expect.objectContaining({ kind: 'newsletter', channel: 'email', state: 'granted' }),
    ]);
    expect(copy.permissions.history.map((h) => [h.kind, h.state, h.method, h.by])).toEqual([
      ['newsletter', 'granted', 'form', 'operator'],
      ['market_research', 'refused', 'preference_page', 'subject'],
    ]);
    expect(copy.permissions.history[0]?.wording).toEqual(WORDING);
    const { buildAccessPackage } = await import('../src/modules/subjects/index.ts');
    const pkg = await buildAccessPackage(copy, t.register, 'fi');
    const { unzipSync, strFromU8 } = await import('fflate');
    const files = unzipSync(pkg);
    const html = Object.entries(files).find(([n]) => n.endsWith('.html'));
    expect(html, Object.keys(files).join(', ')).toBeDefined();
    const page = strFromU8(html?.[1] ?? new Uint8Array());
    expect(page).toContain('Markkinointiluvat');
    expect(page).toContain('Uutiskirje');
    expect(page).toContain('kaikki kanavat');
    expect(page).toContain('asetussivu');

    const res = await t.app.inject({
      url: `/api/v1/subjects/${p.id}/consent-receipts?lang=fi`,
      headers: await allPowersKey(t),
    });
    expect(res.statusCode, res.body).toBe(200);
    const { receipts } = res.json<{ receipts: Array<Record<string, unknown>> }>();
    expect(receipts).toHaveLength(1);
    const r = receipts[0] as Record<string, unknown> & {
      services: Array<{ service: string; purposes: Array<Record<string, unknown>> }>;
      piiControllers: Array<{ piiController: string }>;
    };
    expect(r).toMatchObject({
      version: 'KI-CR-v1.1.0',
      jurisdiction: 'FI',
      collectionMethod: 'form',
      language: 'fi',
      piiPrincipalId: p.id,
      sensitive: false,
      spiCat: [],
    });
    expect(r.consentReceiptID).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(typeof r.consentTimestamp).toBe('number');
    expect(r.piiControllers[0]?.piiController).toBe('Revontuli Kahvipaahtimo Oy');
    expect(r.services[0]?.service).toBe('Uutiskirje (Sähköposti)');
    expect(r.services[0]?.purposes[0]).toMatchObject({
      purpose: 'Uutiskirje ja sähköpostitarjoukset',
      consentType: 'EXPLICIT',
      thirdPartyDisclosure: true,
      thirdPartyName: 'Mailfinch Inc.',
    });
    // The same receipt id on every export.
    const again = await t.services.permissions.consentReceipts(operator, p.id, 'fi');
    expect(again[0]?.consentReceiptID).toBe(r.consentReceiptID);
    // A consent taken over by an import, without the words shown, is not called explicit.
    const imported = await person();
    await record(imported.id, [grant('newsletter', 'email')], {
      method: 'import',
      reference: 'import-2026',
    });
    const [ir] = await t.services.permissions.consentReceipts(operator, imported.id, 'fi');
    expect(ir?.collectionMethod).toBe('import');
    expect(ir?.services[0]?.purposes[0]?.consentType).toBe('IMPLICIT');
    const bad = await t.app.inject({
      url: `/api/v1/subjects/${p.id}/consent-receipts?lang=de`,
      headers: await allPowersKey(t),
    });
    expect(bad.statusCode).toBe(400);
  });

  it('givenAt from staff or an API is bounded: not in the future, not backdated past the record or 30 days; only an import run may carry old dates', async () => {
    const p = await person();
    const history = async () => (await t.services.permissions.history(operator, p.id)).length;
    const before = await history();
    const longAgo = new Date(Date.now() - 31 * 24 * 3600_000).toISOString();
    const beforeEntered = new Date(Date.now() - 2 * 24 * 3600_000).toISOString();
    // Backdating a consent past the limit, or to before the person was entered (less a day),
    // would pick the notice version it is recorded under: refused, naming the field.
    for (const givenAt of [longAgo, beforeEntered, '1999-01-01T00:00:00Z']) {
      for (const method of ['staff', 'form', 'api'] as const) {
        const e = await refused(
          record(p.id, [grant('newsletter', 'email')], { method, wording: WORDING, givenAt }),
          'validation_failed',
          'evidence.givenAt',
        );
        expect(e.issues[0]?.detail).toContain('too far in the past');
      }
      // A refusal backdated alike is refused too (the date is evidence either way).
      await refused(
        record(p.id, [refuse('newsletter', 'email')], { givenAt }),
        'validation_failed',
        'evidence.givenAt',
      );
    }
    // In the future beyond the clock's skew: refused.
    await refused(
      record(p.id, [grant('newsletter', 'email')], {
        method: 'form',
        wording: WORDING,
        givenAt: new Date(Date.now() + 3600_000).toISOString(),
      }),
      'validation_failed',
      'evidence.givenAt',
    );
    expect(await history()).toBe(before);
    expect((await check('newsletter', p.id, 'email')).reason.code).toBe('no_consent');
    // Within bounds: an hour ago is recorded as given then.
    const hourAgo = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000).toISOString();
    const ok = await record(p.id, [grant('newsletter', 'email')], {
      method: 'form',
      wording: WORDING,
      givenAt: hourAgo,
    });
    expect(ok.recorded[0]?.givenAt).toBe(hourAgo);
    // Saying `method: import` is not an import: a caller who does is bounded like anyone else.
    await refused(
      record(p.id, [grant('newsletter', 'email')], {
        method: 'import',
        reference: 'import-2019',
        givenAt: '2019-05-01T08:00:00.000Z',
      }),
      'validation_failed',
      'evidence.givenAt',
    );
    // An import run of historic consents keeps its own old date, the run as its evidence.
    const old = await t.services.permissions.record(
      operator,
      p.id,
      [grant('newsletter', 'email')],
      { method: 'import', reference: 'import-2019', givenAt: '2019-05-01T08:00:00.000Z' },
      { importRun: true },
    );
    expect(old.recorded[0]).toMatchObject({
      givenAt: '2019-05-01T08:00:00.000Z',
      method: 'import',
      reference: 'import-2019',
    });
    // Over HTTP: 400 naming evidence.givenAt, nothing written.
    const headers = await allPowersKey(t);
    const n = await history();
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/subjects/${p.id}/permissions`,
      headers,
      payload: {
        changes: [{ kind: 'newsletter', channel: 'email', state: 'refused' }],
        evidence: { method: 'api', givenAt: longAgo },
      },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe(
      'evidence.givenAt',
    );
    expect(await history()).toBe(n);
  });

  it('a repeated withdrawal is recorded as evidence, and decides again over a later grant; the one-click link stays idempotent', async () => {
    const p = await person();
    const me = subjectActor(p.id);
    const withdrawAll = () =>
      record(p.id, [{ kind: 'newsletter', channel: '*', state: 'withdrawn' }], {}, operator);
    const first = await withdrawAll();
    expect(first.recorded).toHaveLength(1);
    // The person later allows e-mail on their own page: the channel's later grant decides.
    await record(
      p.id,
      [grant('newsletter', 'email')],
      { method: 'preference_page', wording: WORDING },
      me,
    );
    expect((await check('newsletter', p.id, 'email')).allowed).toBe(true);
    // Withdrawn again for every channel: recorded, the state stays withdrawn with the new time,
    // and it decides over the grant before it.
    const again = await withdrawAll();
    expect(again.unchanged).toEqual([]);
    expect(again.recorded).toHaveLength(1);
    expect(again.recorded[0]).toMatchObject({
      channel: '*',
      state: 'withdrawn',
      previousState: 'withdrawn',
    });
    const all = again.state.find((s) => s.channel === '*');
    expect(all?.state).toBe('withdrawn');
    expect(Date.parse(all!.changedAt)).toBeGreaterThan(Date.parse(first.recorded[0]!.givenAt) - 1);
    expect((await check('newsletter', p.id, 'email')).reason.code).toBe('withdrawn');
    // A single channel said again is recorded alike: both paths keep the evidence.
    const ch1 = await record(p.id, [refuse('direct_marketing', 'post')]);
    const ch2 = await record(p.id, [refuse('direct_marketing', 'post')]);
    expect(ch1.recorded).toHaveLength(1);
    expect(ch2.recorded).toHaveLength(1);
    expect(ch2.recorded[0]?.previousState).toBe('refused');
    // A repeated pending changes nothing.
    const q = await person();
    await record(q.id, [{ kind: 'newsletter', channel: 'email', state: 'pending' }], {
      method: 'form',
      wording: WORDING,
    });
    const pend = await record(q.id, [{ kind: 'newsletter', channel: 'email', state: 'pending' }], {
      method: 'form',
      wording: WORDING,
    });
    expect(pend.recorded).toEqual([]);
    expect(pend.unchanged).toHaveLength(1);
    // The one-click unsubscribe posted twice records once while its "no" decides.
    const r = await person();
    const unsub = () =>
      t.services.permissions.record(
        subjectActor(r.id),
        r.id,
        [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
        { method: 'unsubscribe_link', reference: 'unsubscribe:0123456789abcdef' },
        { idempotentRepeat: true },
      );
    expect((await unsub()).recorded).toHaveLength(1);
    expect((await unsub()).recorded).toHaveLength(0);
  });

  it("grantBlockedBy answers as record does: staff naming the person's form are blocked, the person is not", async () => {
    const p = await person();
    await record(p.id, [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }]);
    const blocked = (actor: Actor, method: PermissionEvidence['method']) =>
      t.services.permissions.grantBlockedBy(actor, p.id, 'newsletter', 'email', method);
    expect(await blocked(operator, 'form')).toBe('withdrawn');
    expect(await blocked(staffActor('admin', t), 'form')).toBe('withdrawn');
    expect(await blocked(operator, 'import')).toBe('withdrawn');
    expect(await blocked(subjectActor(p.id), 'form')).toBeNull();
    expect(await blocked(subjectActor(p.id), 'preference_page')).toBeNull();
    // And record agrees with each answer.
    await refused(
      record(p.id, [grant('newsletter', 'email')], { method: 'form', wording: WORDING }),
      'conflict',
      'changes[0].state',
    );
    const own = await record(
      p.id,
      [grant('newsletter', 'email')],
      { method: 'form', wording: WORDING },
      subjectActor(p.id),
    );
    expect(own.recorded).toHaveLength(1);
  });

  it('writes access-log entries without personal data', async () => {
    const p = await person();
    await record(p.id, [grant('newsletter', 'email')], { wording: WORDING });
    await check('newsletter', p.id, 'email');
    const rows = await t.db.handle.db
      .selectFrom('audit_events')
      .select(['action', 'data'])
      .where('subject_id', '=', p.id)
      .where('action', 'like', 'permission.%')
      .execute();
    expect(rows.map((r) => r.action).sort()).toEqual(['permission.check', 'permission.record']);
    expect(JSON.stringify(rows)).not.toContain('uutiskirje');
  });
});
