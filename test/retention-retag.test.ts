/**
 * A customer whose contract field was later rewritten under a marketing purpose (which re-tags
 * the field's purpose) keeps their data while the relationship has not ended: the sweep never
 * reads "no relationship" from the purposes values were last written under, but from the lasting
 * mark their first write under the contract purpose set (docs/retention.md; migration 0046).
 */
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { operator } from '../src/lib/actor.ts';
import { parseDefinition } from '../src/modules/definition/loader.ts';
import { createServices, type Services } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import { DATABASES, DEMO, openTestDatabase, openTestKeyStore } from './helpers.ts';

/**
 * The demo register with a category `membership` that only two purposes use: `service` (legal
 * basis contract, rule `after_contract`: six months from the end of the relationship) and
 * `customer_marketing` (legitimate interest, rule `marketing_activity`: two years from the last
 * activity). The demo's bookkeeping holds stay (orders).
 */
async function registerText(): Promise<string> {
  const doc = parse(await readFile(DEMO, 'utf8')) as {
    categories: Array<{ id: string; fields: Array<Record<string, unknown>> }>;
    sources: Array<{ categories: string[] }>;
    purposes: Array<Record<string, unknown> & { id: string }>;
    retention: { rules: Array<Record<string, unknown>> };
  };
  const social = doc.categories.find((c) => c.id === 'social')!;
  doc.categories.push({
    ...social,
    id: 'membership',
    fields: [{ ...social.fields[0], id: 'memberNo', type: 'text' }],
  });
  doc.sources[0]!.categories.push('membership');
  const contract = doc.purposes.find((p) => p.id === 'customer_relationship')!;
  const interest = doc.purposes.find((p) => p.id === 'legal_claims')!;
  doc.purposes.push(
    { ...contract, id: 'service', categories: ['membership'], retention: 'after_contract' },
    {
      ...interest,
      id: 'customer_marketing',
      categories: ['membership'],
      retention: 'marketing_activity',
    },
  );
  const label = doc.retention.rules[0]!.label;
  doc.retention.rules.push(
    { id: 'after_contract', duration: 'P6M', from: 'end_of_relationship', label },
    { id: 'marketing_activity', duration: 'P2Y', from: 'last_activity', label },
  );
  return stringify(doc);
}

const member = (no: string) => ({ membership: { memberNo: no } });

describe.each(DATABASES)(
  'a customer whose contract field was rewritten under another purpose, on %s',
  (kind) => {
    it('is not erased while the relationship has not ended', async () => {
      let now = new Date('2023-06-01T09:00:00Z');
      const register = parseDefinition(await registerText());
      const db = await openTestDatabase(kind);
      const ks = await openTestKeyStore(kind);
      try {
        const services: Services = createServices({
          database: db.handle,
          keys: ks.keys,
          register,
          vault: createVault(randomBytes(32)),
          clock: { now: () => now },
        });
        // Carl becomes a customer of the service (contract) on 1 June 2023.
        const carl = (
          await services.subjects.createSubject(operator, {
            purpose: 'service',
            source: 'subject',
            values: member('C-1'),
          })
        ).id;
        // The same week marketing staff fix a typo in his member number under their own purpose.
        now = new Date('2023-06-05T09:00:00Z');
        await services.subjects.updateSubject(operator, carl, {
          purpose: 'customer_marketing',
          source: 'staff',
          values: member('C-01'),
        });
        // His relationship never ended; three years on the sweep runs.
        now = new Date('2026-12-01T09:00:00Z');
        const view = await services.retention.ofSubject(carl);
        await services.retention.sweep();
        const row = (
          await sql<{
            erased_at: Date | null;
          }>`select erased_at from subjects where id = ${carl}`.execute(db.handle.db)
        ).rows[0];
        expect(row?.erased_at).toBeNull();
        expect(view.categories).toMatchObject([{ until: null, expired: false }]);
      } finally {
        await db.dispose();
        await ks.dispose();
      }
    });
  },
);
