/**
 * The consent import (by address) under a purpose that sees nothing of a person a legal hold keeps
 * for another purpose: the address is taken, answered as a create with it is, and nothing of the
 * held person's ledger shows or changes (docs/retention.md).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator, type Actor } from '../src/lib/actor.ts';
import { parseDefinition } from '../src/modules/definition/loader.ts';
import { createServices, type Services } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import { DATABASES, DEMO, openTestDatabase, openTestKeyStore } from './helpers.ts';

const HEADER =
  '"Email Address","First Name","Last Name","MEMBER_RATING","OPTIN_TIME","OPTIN_IP","CONFIRM_TIME","CONFIRM_IP","LATITUDE","LONGITUDE","GMTOFF","DSTOFF","TIMEZONE","CC","REGION","LAST_CHANGED","LEID","EUID","NOTES","TAGS"';
const row = (email: string) =>
  `${email},Testi,Rivi,2,"2296-12-01 09:15:00",,"2296-12-01 09:17:30",,,,,,,FI,,"2296-12-01 09:17:30",111111,a1b2c3d4e5,,`;

describe.each(DATABASES)(
  'the consent import and a person held for another purpose on %s',
  (kind) => {
    const cleanup: Array<() => Promise<void>> = [];
    let services: Services;
    let now = new Date('2290-03-02T10:00:00Z');
    let held = '';
    let heldEmail = '';
    let dir = '';
    // A newsletter marketer: may write for the newsletter only, sees nothing of the held person.
    const marketer: Actor = {
      kind: 'api_key',
      id: '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d99',
      read: new Set(['newsletter']),
      write: new Set(['newsletter']),
      actions: new Set(['read', 'write']),
    };

    beforeAll(async () => {
      const register = parseDefinition(await readFile(DEMO, 'utf8'));
      const db = await openTestDatabase(kind);
      const ks = await openTestKeyStore(kind);
      cleanup.push(
        () => db.dispose(),
        () => ks.dispose(),
      );
      services = createServices({
        database: db.handle,
        keys: ks.keys,
        register,
        vault: createVault(randomBytes(32)),
        clock: { now: () => now },
      });
      dir = await mkdtemp(join(tmpdir(), 'rekisteri-held-consent-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      heldEmail = `testi.pidossa.${randomBytes(4).toString('hex')}@example.fi`;
      held = (
        await services.subjects.createSubject(operator, {
          purpose: 'customer_relationship',
          source: 'subject',
          values: {
            identity: { firstName: 'Testi', lastName: 'Pidossa' },
            contact: { email: heldEmail },
            orders: { orderCount: 1, paymentMethod: 'invoice' },
          },
        })
      ).id;
      await services.permissions.record(
        operator,
        held,
        [{ kind: 'newsletter', channel: 'email', state: 'refused' }],
        { method: 'api' },
      );
      now = new Date('2290-06-01T10:00:00Z');
      await services.retention.endRelationship(operator, held, 'customer_relationship');
      now = new Date('2291-03-01T10:00:00Z');
      await services.subjects.updateSubject(operator, held, {
        purpose: 'billing',
        source: 'subject',
        values: { orders: { orderCount: 2 } },
      });
      now = new Date('2297-01-02T10:00:00Z');
      await services.retention.sweep();
      // The newsletter sees none of them: the ledger by id is an unknown id to the marketer.
      await expect(services.permissions.stateOf(marketer, held)).rejects.toThrow(/no subject/);
    });
    afterAll(async () => {
      for (const fn of cleanup.reverse()) {
        await fn();
      }
    });

    const importOne = async (email: string, dryRun: boolean) => {
      const file = join(dir, `${randomBytes(4).toString('hex')}.csv`);
      await writeFile(file, `${HEADER}\n${row(email)}\n`);
      return services.interchange.importAudience(marketer, {
        file,
        format: 'mailchimp',
        purpose: 'newsletter',
        channel: 'email',
        dryRun,
      });
    };

    it("as an attacker: a newsletter consent import with a held address is told it is taken, as a create is, and never the held person's ledger", async () => {
      const historyBefore = await services.permissions.history(operator, held);
      for (const dryRun of [true, false]) {
        const a = await importOne(heldEmail, dryRun);
        // The address is taken: the row is rejected with the words a create with it gets.
        expect(a.rejected.map((x) => x.reason)).toEqual([
          'the e-mail address already belongs to another subject',
        ]);
        expect(a).toMatchObject({ matched: 0, created: 0 });
        // Nothing of their ledger (their refusal) shows, anywhere in the answer.
        expect(a.skipped).toEqual([]);
        expect(a).toMatchObject({ refused: 0, unchanged: 0, granted: 0 });
        expect(JSON.stringify(a)).not.toMatch(/own choice|is refused/);
      }
      // Nothing is recorded on the held person.
      expect(await services.permissions.history(operator, held)).toEqual(historyBefore);
      // A create with the address gets the same words.
      await expect(
        services.subjects.createSubject(operator, {
          purpose: 'newsletter',
          source: 'subject',
          values: { contact: { email: heldEmail } },
        }),
      ).rejects.toMatchObject({
        issues: [
          expect.objectContaining({
            detail: 'the e-mail address already belongs to another subject',
          }),
        ],
      });
    });
  },
);
