/**
 * The undeliverable list (an e-mail service's hard bounces, imported) is matched against the
 * address the channel mails, not the person's primary e-mail: a definition whose e-mail channel
 * uses a separate newsletter address (docs/audiences.md, "Who is in it").
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../src/lib/actor.ts';
import { createTestContext, DATABASES, DEMO, type TestContext } from './helpers.ts';
import { tag } from './factories.ts';

/** The demo with a second e-mail field, contact.newsletterEmail, the e-mail channel's field. */
async function newsletterAddressDefinition(): Promise<string> {
  const demo = await readFile(DEMO, 'utf8');
  const withField = demo.replace(
    /( {6}- id: email\n {8}type: email\n {8}fideslang: user\.contact\.email\n {8}label:\n(?: {10}\S+: [^\n]*\n){3})/,
    `$1      - id: newsletterEmail
        type: email
        fideslang: user.contact.email
        label:
          sv: E-postadress för nyhetsbrevet
          fi: Uutiskirjeen sähköpostiosoite
          en: Newsletter e-mail address
`,
  );
  expect(withField).not.toBe(demo);
  const channel = withField.replace(
    '    - id: email\n      fields: [contact.email]',
    '    - id: email\n      fields: [contact.newsletterEmail]',
  );
  expect(channel).not.toBe(withField);
  return channel;
}

describe.each(DATABASES)(
  'the undeliverable list and a channel whose e-mail field is not the primary one on %s',
  (kind) => {
    let t: TestContext;
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rekisteri-channel-address-'));
      const file = join(dir, 'register.yaml');
      await writeFile(file, await newsletterAddressDefinition());
      t = await createTestContext(kind, file, { publicUrl: 'https://rekisteri.example.fi' });
    }, 60_000);

    afterAll(async () => {
      await t?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('a person whose newsletter address is listed is left out, one whose primary address is listed but newsletter address works is in; the count agrees', async () => {
      const mark = tag();
      const make = async (lastName: string, email: string, newsletterEmail: string) => {
        const { id } = await t.services.subjects.createSubject(operator, {
          purpose: 'customer_relationship',
          source: 'subject',
          values: {
            identity: { firstName: 'Kirje', lastName },
            contact: { email, newsletterEmail },
          },
        });
        await t.services.permissions.record(
          operator,
          id,
          [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
          {
            method: 'staff',
            wording: { text: 'Saa lähettää uutiskirjeen sähköpostiini.', language: 'en' },
          },
        );
        return id;
      };
      const bouncedNewsletter = `uutiset.${mark}@bounce.example.com`;
      const bouncedPrimary = `oma.${mark}@bounce.example.com`;
      // A: the newsletter address bounced, the primary works. B: the other way round.
      const a = await make('Palautuva', `oma.a.${mark}@example.com`, bouncedNewsletter);
      const b = await make('Toimiva', bouncedPrimary, `uutiset.b.${mark}@example.com`);

      const importer = await t.key(['newsletter'], ['read', 'write']);
      const imported = await t.app.inject({
        method: 'POST',
        url: '/api/v1/interchange/audience',
        headers: importer,
        payload: {
          format: 'mailchimp',
          purpose: 'newsletter',
          csv: [
            'Email Address,First Name,Last Name,OPTIN_TIME,CONFIRM_TIME,CLEAN_TIME',
            ...[bouncedNewsletter, bouncedPrimary].map(
              (e) =>
                `${e},Kirje,X,"2022-02-02 10:00:00","2022-02-02 10:05:00","2024-06-10 12:00:00"`,
            ),
          ].join('\r\n'),
        },
      });
      expect(imported.statusCode, imported.body).toBe(200);
      expect(imported.json()).toMatchObject({ undeliverable: 2, rejected: [] });

      const marketer = await t.key(['newsletter'], ['read', 'export_audiences']);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/audiences/export',
        headers: marketer,
        payload: { purpose: 'newsletter', channel: 'email' },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body).toContain('contact.newsletterEmail');
      // The listed address must not be handed out for mailing.
      expect.soft(res.body).not.toContain(bouncedNewsletter);
      expect.soft(res.body).not.toContain(a);
      // B's channel address works: B belongs in the audience (a campaign would mail it).
      expect.soft(res.body).toContain(b);
      expect.soft(res.body).toContain(`uutiset.b.${mark}@example.com`);
      // The count opens people here (the channel's address is not the primary one) and agrees.
      const rows = res.body.split('\r\n').filter((l) => l !== '').length - 1;
      const counted = await t.app.inject({
        method: 'POST',
        url: '/api/v1/audiences/count',
        headers: marketer,
        payload: { purpose: 'newsletter', channel: 'email' },
      });
      expect(counted.statusCode, counted.body).toBe(200);
      expect(counted.json<{ count: number }>().count).toBe(rows);
      // Filtered to these two by the channel's own field: B alone.
      const filtered = await t.app.inject({
        method: 'POST',
        url: '/api/v1/audiences/export',
        headers: marketer,
        payload: {
          purpose: 'newsletter',
          channel: 'email',
          filters: [{ field: 'contact.newsletterEmail', op: 'contains', value: mark }],
        },
      });
      expect(filtered.statusCode, filtered.body).toBe(200);
      expect(filtered.body).toContain(b);
      expect(filtered.body).not.toContain(a);
    });

    it('a person with no newsletter address is not in the audience, whatever their primary address', async () => {
      const mark = tag();
      const { id } = await t.services.subjects.createSubject(operator, {
        purpose: 'customer_relationship',
        source: 'subject',
        values: {
          identity: { firstName: 'Kirje', lastName: 'Osoitteeton' },
          contact: { email: `vain.oma.${mark}@example.com` },
        },
      });
      await t.services.permissions.record(
        operator,
        id,
        [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
        {
          method: 'staff',
          wording: { text: 'Saa lähettää uutiskirjeen sähköpostiini.', language: 'en' },
        },
      );
      const marketer = await t.key(['newsletter'], ['read', 'export_audiences']);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/audiences/export',
        headers: marketer,
        payload: { purpose: 'newsletter', channel: 'email' },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body).not.toContain(id);
    });
  },
);
