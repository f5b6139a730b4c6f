/**
 * Correcting a request's e-mail address does not re-address what was proven (issue 10, second
 * review). A mailed link proves only the address it went to: when staff change the address, the
 * unused verification and download links end, a proof by mailed link is voided, the person found
 * by it unlinked and the request waits for its identity again (the clock stops) with a fresh
 * verification link mailed to the new address; the old address is told it was changed, and
 * nothing else. So a staff member (or someone who talked one into it) cannot send a person's copy
 * to another address, launder the link-to-a-person guard, or have a stranger's link "prove" a
 * victim's address. A completed request's addresses stay as they were (409 naming the field).
 * Addresses are stored cleaned; one with control characters is refused naming `email`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATES, type TemplateName } from '../src/mail/index.ts';
import type { Locale } from '../src/mail/templates.ts';
import { createTestContext, DATABASES, DEMO, type TestContext } from './helpers.ts';
import { allPowersKey, newStaffSession, newSubject, type StaffSession } from './factories.ts';

interface View {
  id: string;
  state: string;
  subjectId: string | null;
  dueOn: string | null;
  identity: { proof: string | null };
  contact: { email: string | null; address: Record<string, string> | null };
  events: Array<{ step: string; data: Record<string, unknown> }>;
}
type Problem = { errors: Array<{ field: string; detail: string }> };

describe.each(DATABASES)('correcting the e-mail address of a request on %s', (kind) => {
  let t: TestContext;
  let dpo: StaffSession;
  let ip = 10;

  beforeAll(async () => {
    t = await createTestContext(kind, DEMO);
    dpo = await newStaffSession(t, 'dpo');
  }, 120_000);
  afterAll(async () => t?.close());

  async function outbox() {
    const rows = await t.db.handle.db.selectFrom('outbox').selectAll().orderBy('id').execute();
    const out: Array<{ to: string; template: string; text: string }> = [];
    for (const row of rows) {
      let plain: Buffer;
      if (row.subject_id === null) {
        plain = t.services.vault.openSecret(`outbox:${row.id}`, row.sealed);
      } else {
        const wrapped = await t.keys.get(row.subject_id);
        if (!wrapped) {
          continue;
        }
        const key = t.services.vault.unwrapSubjectKey(row.subject_id, wrapped);
        plain = t.services.vault.open(
          key,
          `outbox:${row.id}:subject:${row.subject_id}`,
          row.sealed,
        );
      }
      const { to, data } = JSON.parse(plain.toString('utf8')) as { to: string; data: never };
      const rendered = TEMPLATES[row.template as TemplateName].render(row.locale as Locale, data);
      out.push({ to, template: row.template, text: rendered.text });
    }
    return out;
  }
  const mailsTo = async (to: string, template?: string) =>
    (await outbox()).filter((m) => m.to === to && (!template || m.template === template));
  const token = (text: string) => /#token=([A-Za-z0-9_-]{43})/.exec(text)![1]!;
  const portal = (url: string, payload: object) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/portal/${url}`,
      payload,
      remoteAddress: `192.0.2.${++ip}`,
    });
  const post = (url: string, payload: object) =>
    t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers: dpo.headers });
  const view = async (id: string) =>
    (
      await t.app.inject({ method: 'GET', url: `/api/v1/requests/${id}`, headers: dpo.headers })
    ).json<View>();
  const fields = (body: string) => (JSON.parse(body) as Problem).errors.map((e) => e.field);
  const unique = (name: string, domain = 'example.fi') =>
    `${name}.${Date.now()}.${Math.floor(Math.random() * 1e6)}@${domain}`;

  /** A portal request from `email`, its verification link (not yet used) and its id. */
  async function portalRequest(type: string, email: string) {
    const res = await portal('requests', { type, email, lang: 'en' });
    expect(res.statusCode, res.body).toBe(202);
    const link = (await mailsTo(email, 'request-verify')).at(-1)!;
    const id = (
      await t.db.handle.db
        .selectFrom('requests')
        .select('id')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow()
    ).id;
    return { id, verify: token(link.text) };
  }

  it("a proven request's new address is not proven: no copy goes there until it is", async () => {
    const victim = unique('vera');
    const other = unique('other', 'example.org');
    const person = await newSubject(t, {
      values: { identity: { firstName: 'Vera', lastName: 'Uhrinen' }, contact: { email: victim } },
    });
    const { id, verify } = await portalRequest('access', victim);
    const verified = await portal('verify', { token: verify });
    expect(verified.statusCode, verified.body).toBe(200);
    const proven = await view(id);
    expect(proven).toMatchObject({ state: 'in_progress', subjectId: person.id });
    expect(proven.identity.proof).toBe('email_link');

    const corrected = await post(`/requests/${id}/contact`, { email: other });
    expect(corrected.statusCode, corrected.body).toBe(200);
    const v = corrected.json<View>();
    // The proof rested on the old address: gone, the person unlinked, the clock stopped.
    expect(v).toMatchObject({ state: 'identity_pending', subjectId: null, dueOn: null });
    expect(v.identity.proof).toBeNull();
    expect(v.events.map((e) => e.step)).toEqual(
      expect.arrayContaining(['contact_corrected', 'identity_voided']),
    );
    expect(v.events.find((e) => e.step === 'identity_voided')?.data).toEqual({
      proof: 'email_link',
      unlinked: true,
    });
    expect(JSON.stringify(v.events)).not.toContain(other);

    // It cannot be completed (nothing proven), so no copy and no download link for anyone.
    const done = await post(`/requests/${id}/complete`, {});
    expect(done.statusCode).toBe(409);
    expect(await mailsTo(other, 'request-completed')).toEqual([]);
    const link = await portal('download-links', { request: id, email: other, lang: 'en' });
    expect(link.statusCode).toBe(202);
    expect(await mailsTo(other, 'request-download')).toEqual([]);

    // The old address is told, without the new one or anything of the request.
    const told = await mailsTo(victim, 'request-address-changed');
    expect(told).toHaveLength(1);
    expect(told[0]!.text).not.toContain(other);
    expect(told[0]!.text).not.toContain(id);

    // The new address gets a fresh link; the old link cannot be used again.
    const fresh = await mailsTo(other, 'request-verify');
    expect(fresh).toHaveLength(1);
    expect((await portal('verify', { token: verify })).statusCode).toBe(404);
    // Following it proves the new address only: the victim is not matched by it.
    const again = await portal('verify', { token: token(fresh[0]!.text) });
    expect(again.statusCode, again.body).toBe(200);
    const after = await view(id);
    expect(after).toMatchObject({ state: 'in_progress', subjectId: null });
    // Linking it to the victim now needs a stronger proof.
    const linked = await post(`/requests/${id}/subject`, { subjectId: person.id });
    expect(linked.statusCode).toBe(409);
    expect(fields(linked.body)).toEqual(['subjectId']);
  });

  it('correct, link, correct back does not launder a proof by mailed link', async () => {
    const victimMail = unique('ville');
    const victim = await newSubject(t, {
      values: {
        identity: { firstName: 'Ville', lastName: 'Uhrinen' },
        contact: { email: victimMail },
      },
    });
    const thief = unique('thief', 'example.org');
    const { id, verify } = await portalRequest('access', thief);
    expect((await portal('verify', { token: verify })).statusCode).toBe(200);
    const direct = await post(`/requests/${id}/subject`, { subjectId: victim.id });
    expect(direct.statusCode).toBe(409);

    // Re-addressed to the victim: the thief's proof is void, the request proven by nothing.
    expect((await post(`/requests/${id}/contact`, { email: victimMail })).statusCode).toBe(200);
    expect((await view(id)).identity.proof).toBeNull();
    // Staff may link an unproven request (a stronger proof is still to come) …
    expect((await post(`/requests/${id}/subject`, { subjectId: victim.id })).statusCode).toBe(200);
    // … but re-addressed back, the thief's fresh link proves the thief's address only: the
    // victim is unlinked, never proven by it.
    expect((await post(`/requests/${id}/contact`, { email: thief })).statusCode).toBe(200);
    const fresh = (await mailsTo(thief, 'request-verify')).at(-1)!;
    const clicked = await portal('verify', { token: token(fresh.text) });
    expect(clicked.statusCode, clicked.body).toBe(200);
    const v = await view(id);
    expect(v.identity.proof).toBe('email_link');
    expect(v.subjectId).toBeNull();
    expect(v.events.find((e) => e.step === 'unlinked')?.data).toEqual({ by: 'email_link' });
    const relinked = await post(`/requests/${id}/subject`, { subjectId: victim.id });
    expect(relinked.statusCode).toBe(409);
    expect(fields(relinked.body)).toEqual(['subjectId']);
  });

  for (const type of ['access', 'erasure'] as const) {
    it(`a pending ${type} request re-addressed: the first address's link proves nothing`, async () => {
      const victimMail = unique('vilja');
      const victim = await newSubject(t, {
        values: {
          identity: { firstName: 'Vilja', lastName: 'Uhrinen' },
          contact: { email: victimMail },
        },
      });
      const thief = unique('tp', 'example.org');
      const { id, verify } = await portalRequest(type, thief);
      const c = await post(`/requests/${id}/contact`, { email: victimMail });
      expect(c.statusCode, c.body).toBe(200);
      expect(c.json<View>().state).toBe('identity_pending');
      const clicked = await portal('verify', { token: verify });
      expect(clicked.statusCode).toBe(404);
      const v = await view(id);
      expect(v).toMatchObject({ state: 'identity_pending', subjectId: null });
      expect(v.identity.proof).toBeNull();
      // The victim's own address got the link: only they can prove it.
      expect(await mailsTo(victimMail, 'request-verify')).toHaveLength(1);
      expect((await post(`/requests/${id}/complete`, {})).statusCode).toBe(409);
      const held = await t.app.inject({
        method: 'GET',
        url: `/api/v1/subjects/${victim.id}/export`,
        headers: await allPowersKey(t),
      });
      expect(held.statusCode).toBe(200);
    });
  }

  it("a completed request's addresses stay as they were, naming the field", async () => {
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
    expect((await post(`/requests/${id}/complete`, { delivery: 'post' })).statusCode).toBe(200);
    const before = await view(id);
    const moved = await post(`/requests/${id}/contact`, {
      address: { street: 'Muukatu 13', postalCode: '99999', city: 'Muualla' },
    });
    expect(moved.statusCode).toBe(409);
    expect(fields(moved.body)).toEqual(['address']);
    const mailed = await post(`/requests/${id}/contact`, { email: unique('late') });
    expect(mailed.statusCode).toBe(409);
    expect(fields(mailed.body)).toEqual(['email']);
    expect((await view(id)).contact).toEqual(before.contact);
  });

  it('addresses are stored cleaned; control characters are refused naming email', async () => {
    const p = await newSubject(t);
    const created = await post('/requests', {
      type: 'access',
      channel: 'in_person',
      lang: 'en',
      email: ' \u200bclean.me@example.fi. ',
      subjectId: p.id,
      identity: { proof: 'photo_id', documentType: 'passport' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;
    expect((await view(id)).contact.email).toBe('clean.me@example.fi');

    for (const bad of ['nul\u0000l@example.fi', 'a@exa\nmple.fi', 'x\u0007@example.fi']) {
      const before = await view(id);
      const res = await post(`/requests/${id}/contact`, { email: bad });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(fields(res.body)).toEqual(['email']);
      expect(await view(id)).toEqual(before);
      const intake = await post('/requests', {
        type: 'access',
        channel: 'email',
        lang: 'en',
        email: bad,
        subjectId: p.id,
      });
      expect(intake.statusCode).toBe(400);
      expect(fields(intake.body)).toContain('email');
    }
    const res = await post(`/requests/${id}/contact`, { email: '\u200bnew.one@example.fi ' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<View>().contact.email).toBe('new.one@example.fi');
    // A proof by document does not rest on the address: it stands.
    expect(res.json<View>()).toMatchObject({ state: 'in_progress', subjectId: p.id });
  });
});
