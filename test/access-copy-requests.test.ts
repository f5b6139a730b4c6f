/**
 * The access copy tells the person of their own stops and requests (Art. 15): the purposes they
 * objected to, withdrew consent from or prohibited for marketing, since when, and the compelling
 * grounds recorded against an objection; and every request they made, with its type, channel,
 * dates, status and steps. Never who handled it, never staff's own notes. In the JSON the API
 * answers with, and in the readable HTML and PDF in sv, fi and en.
 */
import { unzipSync } from 'fflate';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator, type Actor } from '../src/lib/actor.ts';
import { actorForRole } from '../src/modules/staff/staff.service.ts';
import {
  buildAccessPackage,
  type AccessCopy,
  type PackageLang,
} from '../src/modules/subjects/index.ts';
import { packageMessages } from '../src/modules/subjects/access-package/messages.ts';
import { createTestContext, DATABASES, type TestContext } from './helpers.ts';
import { allPowersKey, newStaff, tag } from './factories.ts';

const GROUNDS = 'A claim about order 12 is pending in the district court';
const REFUSAL = 'The name is spelt as in the signed contract';
const EXTENSION = 'The old paper archive must be checked first';
/** Notes staff wrote down; the person's copy must not repeat them. */
const STAFF_NOTE = 'Soitti kahdesti, huomautus asiakaspalvelulle';
const CANCEL_NOTE = 'Duplicate of the phone call, closed by the desk';

async function readable(zip: Buffer): Promise<{ html: string; pdf: string }> {
  const raw = unzipSync(new Uint8Array(zip));
  const html = new TextDecoder()
    .decode(raw['access-copy.html'])
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
  const doc = await getDocumentProxy(new Uint8Array(raw['access-copy.pdf'] as Uint8Array));
  const { text } = await extractText(doc, { mergePages: true });
  return { html, pdf: text };
}

const squash = (s: string) => s.replace(/\s+/g, '');

describe.each(DATABASES)("the person's stops and requests in the access copy on %s", (kind) => {
  let t: TestContext;
  let dpo: Actor;
  let staffId: string;
  let staffName: string;
  let id: string;
  let email: string;
  let copy: AccessCopy;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestContext(kind);
    staffName = `kaisa.dpo.${tag()}`;
    const member = await newStaff(t, 'dpo', { username: staffName });
    staffId = member.id;
    const role = t.register.role('dpo');
    if (!role) {
      throw new Error('the demo has a dpo role');
    }
    dpo = actorForRole(staffId, role);
    email = `ulla.${tag()}@example.fi`;
    id = (
      await t.services.subjects.createSubject(operator, {
        purpose: 'customer_relationship',
        source: 'subject',
        values: {
          identity: { firstName: 'Ulla', lastName: 'Vastustaja' },
          contact: { email, phone: '+358 40 765 4321' },
        },
      })
    ).id;
    const rq = t.services.requests;
    // An objection made in person, identity checked by staff, with grounds recorded for one purpose.
    ids.objection = (
      await rq.intake(dpo, {
        type: 'objection',
        channel: 'in_person',
        lang: 'fi',
        name: 'Ulla Vastustaja',
        email,
        details: STAFF_NOTE,
        subjectId: id,
        identity: { proof: 'photo_id', documentType: 'passport' },
      })
    ).id;
    await rq.complete(dpo, ids.objection, {
      compellingGrounds: [{ purpose: 'legal_claims', reason: GROUNDS }],
    });
    // A marketing prohibition by signed letter.
    ids.prohibition = (
      await rq.intake(dpo, {
        type: 'marketing_prohibition',
        channel: 'postal',
        lang: 'fi',
        phone: '+358 40 765 4321',
        subjectId: id,
        identity: { proof: 'signed_letter' },
      })
    ).id;
    await rq.complete(dpo, ids.prohibition);
    // A rectification extended, then refused.
    ids.rectification = (
      await rq.intake(dpo, {
        type: 'rectification',
        channel: 'in_person',
        lang: 'fi',
        email,
        subjectId: id,
        changes: [{ category: 'identity', field: 'lastName', value: 'Vastustaja-Kielto' }],
        identity: { proof: 'photo_id', documentType: 'id_card' },
      })
    ).id;
    await rq.extend(dpo, ids.rectification, { months: 1, reason: EXTENSION });
    await rq.refuse(dpo, ids.rectification, { reason: REFUSAL });
    // An access request cancelled with a note of staff's own.
    ids.access = (
      await rq.intake(dpo, {
        type: 'access',
        channel: 'in_person',
        lang: 'fi',
        email,
        subjectId: id,
        identity: { proof: 'photo_id', documentType: 'driving_licence' },
      })
    ).id;
    await rq.cancel(dpo, ids.access, { reason: CANCEL_NOTE });
    copy = await t.services.subjects.exportSubject(operator, id, 'fi');
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it('lists the purposes stopped, why and since when, and the grounds that let one go on', () => {
    const stopped = copy.stops.stopped.map((s) => `${s.reason}:${s.purpose}`).sort();
    expect(stopped).toEqual(
      [
        'objection:newsletter',
        'objection:b2b_marketing',
        'objection:market_research',
        'marketing_prohibition:newsletter',
        'marketing_prohibition:b2b_marketing',
      ].sort(),
    );
    for (const s of copy.stops.stopped) {
      expect(new Date(s.since).getTime()).not.toBeNaN();
      expect(s.label).toEqual(t.register.purpose(s.purpose)?.label);
    }
    expect(copy.stops.compellingGrounds).toEqual([
      {
        purpose: 'legal_claims',
        label: t.register.purpose('legal_claims')?.label,
        grounds: GROUNDS,
        since: expect.any(String),
      },
    ]);
  });

  it("lists the person's requests with type, channel, dates, status and steps", () => {
    expect(copy.requests.map((r) => [r.id, r.type, r.channel, r.state])).toEqual([
      [ids.objection, 'objection', 'in_person', 'completed'],
      [ids.prohibition, 'marketing_prohibition', 'postal', 'completed'],
      [ids.rectification, 'rectification', 'in_person', 'refused'],
      [ids.access, 'access', 'in_person', 'cancelled'],
    ]);
    const rect = copy.requests[2];
    expect(rect).toMatchObject({
      extended: true,
      reasons: { extend: EXTENSION, refuse: REFUSAL },
      contact: { email },
      details: null,
    });
    expect(rect?.dueOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(rect?.originalDueOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(rect?.dueOn).not.toBe(rect?.originalDueOn);
    expect(rect?.history.map((e) => e.step)).toEqual([
      'received',
      'identity',
      'in_progress',
      'extended',
      'refused',
    ]);
    expect(rect?.history.find((e) => e.step === 'extended')?.dueOn).toBe(rect?.dueOn);
    for (const r of copy.requests) {
      expect(r.receivedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(r.closedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(r.identityProvenAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    }
    // A cancellation's note is staff's own; the person is not mailed it.
    expect(copy.requests[3]?.reasons).toEqual({});
  });

  it('shows no staff identity, identity document or note of staff in the JSON the API answers with', async () => {
    const res = await t.app.inject({
      url: `/api/v1/subjects/${id}/export?lang=fi`,
      headers: await allPowersKey(t),
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<AccessCopy>();
    expect(body.stops).toEqual(copy.stops);
    expect(body.requests).toEqual(copy.requests);
    const told = JSON.stringify({ stops: body.stops, requests: body.requests });
    for (const secret of [
      staffId,
      staffName,
      'staff:',
      'operator:',
      'passport',
      'id_card',
      'recordedBy',
      'checkedBy',
      STAFF_NOTE,
      CANCEL_NOTE,
      'Vastustaja-Kielto', // the change asked for (refused): not a value held
      'matched',
    ]) {
      expect(told, secret).not.toContain(secret);
    }
  });

  it.each(['sv', 'fi', 'en'] as PackageLang[])(
    'shows the stops and the requests in the readable copy in %s',
    async (lang) => {
      const { html, pdf } = await readable(await buildAccessPackage(copy, t.register, lang));
      const m = packageMessages[lang];
      const shown = (text: string) => {
        expect(squash(html), `HTML: ${text}`).toContain(squash(text));
        expect(squash(pdf), `PDF: ${text}`).toContain(squash(text));
      };
      shown(m.stopsHeading);
      shown(m.stopReasons.objection);
      shown(m.stopReasons.marketing_prohibition);
      shown(t.register.purpose('newsletter')?.label[lang] as string);
      shown(m.groundsHeading);
      shown(GROUNDS);
      shown(m.requestsHeading);
      shown(m.requestTypes.objection);
      shown(m.requestTypes.marketing_prohibition);
      shown(m.requestTypes.rectification);
      shown(m.channels.in_person);
      shown(m.channels.postal);
      shown(m.requestStates.refused);
      shown(m.requestStates.cancelled);
      shown(m.steps.extended);
      shown(REFUSAL);
      shown(EXTENSION);
      for (const secret of [STAFF_NOTE, CANCEL_NOTE, staffName]) {
        expect(html).not.toContain(secret);
        expect(pdf).not.toContain(secret);
      }
      for (const other of (['sv', 'fi', 'en'] as PackageLang[]).filter((l) => l !== lang)) {
        expect(html).not.toContain(packageMessages[other].requestsHeading);
      }
    },
    30_000,
  );

  it("does not give the person an unproven caller's contact details or the refusal mailed to them", async () => {
    // Someone phones in the person's name; staff link the request to the person, the caller never
    // proves who they are, and it is refused. The caller's name, phone and address are theirs, not
    // the person's (Art. 15(4)); the refusal went to the caller. The request itself is listed.
    const person = (
      await t.services.subjects.createSubject(operator, {
        purpose: 'customer_relationship',
        source: 'subject',
        values: { identity: { firstName: 'Aino', lastName: 'Kohde' } },
      })
    ).id;
    const caller = {
      name: `Soittaja Toinen ${tag()}`,
      email: `soittaja.${tag()}@example.net`,
      phone: '+358 50 111 2233',
      address: { street: `Soittajanpolku ${tag()}`, postalCode: '33100', city: 'Tampere' },
    };
    const rq = t.services.requests;
    const unproven = (
      await rq.intake(dpo, {
        type: 'access',
        channel: 'phone',
        lang: 'fi',
        ...caller,
        subjectId: person,
      })
    ).id;
    const refusal = `The caller could not show who they are ${tag()}`;
    await rq.refuse(dpo, unproven, { reason: refusal });
    const c = await t.services.subjects.exportSubject(operator, person, 'en');
    expect(c.requests.map((r) => [r.id, r.type, r.state, r.identityProvenAt])).toEqual([
      [unproven, 'access', 'refused', null],
    ]);
    expect(c.requests[0]?.contact).toEqual({
      email: null,
      phone: null,
      name: null,
      address: null,
    });
    expect(c.requests[0]?.reasons).toEqual({});
    const { html, pdf } = await readable(await buildAccessPackage(c, t.register, 'en'));
    for (const secret of [
      caller.name,
      caller.email,
      '111 2233',
      '+358501112233',
      caller.address.street,
      refusal,
    ]) {
      expect(JSON.stringify(c), secret).not.toContain(secret);
      expect(html, secret).not.toContain(secret);
      expect(squash(pdf), secret).not.toContain(squash(secret));
    }
  }, 30_000);

  it('says so when a person has no stops and no requests', async () => {
    const quiet = await t.services.subjects.createSubject(operator, {
      purpose: 'customer_relationship',
      source: 'subject',
      values: { identity: { firstName: 'Hilja', lastName: 'Hiljainen' } },
    });
    const c = await t.services.subjects.exportSubject(operator, quiet.id, 'en');
    expect(c.stops).toEqual({ stopped: [], compellingGrounds: [] });
    expect(c.requests).toEqual([]);
    const { html, pdf } = await readable(await buildAccessPackage(c, t.register, 'en'));
    for (const text of [packageMessages.en.noStops, packageMessages.en.noRequests]) {
      expect(squash(html)).toContain(squash(text));
      expect(squash(pdf)).toContain(squash(text));
    }
  });
});
