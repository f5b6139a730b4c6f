/**
 * A register made from a notice with gaps still runs (issue 12): a definition published only in
 * Finnish, with an unknown legal basis, retention period, recipient country and agreement date,
 * starts, stores a person, publishes its summary, and gives the person their access copy and
 * package, each gap shown as not stated.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../src/lib/actor.ts';
import { buildAccessPackage } from '../src/modules/subjects/index.ts';
import { createTestContext, DATABASES, DEMO, type TestContext } from './helpers.ts';
import { tag } from './factories.ts';

function edited(text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to);
  expect(out, `edit ${String(from)} did not apply`).not.toBe(text);
  return out;
}

async function gappyDefinition(): Promise<string> {
  let text = await readFile(DEMO, 'utf8');
  text = edited(text, /^languages: .*$/m, 'languages: [fi]');
  text = text.replace(/^(\s*)- sv: .*\n\s*fi:/gm, '$1- fi:').replace(/^\s*(sv|en): .*\n/gm, '');
  text = edited(text, /(id: customer_relationship\n {4}legalBasis:) contract/, '$1 unknown');
  text = edited(text, /duration: P2Y\n {6}from: end_of_relationship\n/, 'duration: unknown\n');
  text = edited(
    text,
    "    country: FI\n    dpaDate: '2024-02-15'\n",
    '    country: unknown\n    dpaDate: unknown\n',
  );
  return text;
}

describe.each(DATABASES)('a register with gaps on %s', (kind) => {
  let t: TestContext;
  let dir: string;
  let id: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rekisteri-gaps-'));
    const file = join(dir, 'register.yaml');
    await writeFile(file, await gappyDefinition());
    t = await createTestContext(kind, file);
    const created = await t.services.subjects.createSubject(operator, {
      purpose: 'customer_relationship',
      source: 'subject',
      values: {
        identity: { firstName: 'Aukko', lastName: 'Tuntematon' },
        contact: { email: `aukko.${tag()}@example.fi` },
      },
    });
    id = created.id;
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads with a warning for each gap, and publishes only Finnish', () => {
    expect(t.register.languages).toEqual(['fi']);
    expect(t.register.warnings.map((w) => w.path).sort()).toEqual([
      'purposes[0].legalBasis',
      'recipients[0].country',
      'recipients[0].dpaDate',
      'retention.rules[0].duration',
    ]);
  });

  it('publishes the summary with the gaps as unknown', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/definition' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{
      languages: string[];
      purposes: Array<{ id: string; legalBasis: string; label: { sv: string; fi: string } }>;
      recipients: Array<{ country: string }>;
      retentionRules: Array<{ duration: string; from: string }>;
    }>();
    expect(body.languages).toEqual(['fi']);
    const purpose = body.purposes.find((p) => p.id === 'customer_relationship');
    expect(purpose?.legalBasis).toBe('unknown');
    expect(purpose?.label.sv).toBe(purpose?.label.fi);
    expect(body.recipients[0]?.country).toBe('unknown');
    expect(body.retentionRules[0]).toMatchObject({ duration: 'unknown', from: 'unknown' });
  });

  it('gives the person their access copy and package, the gaps named as not stated', async () => {
    const copy = await t.services.subjects.exportSubject(operator, id, 'fi');
    const purpose = copy.categories.identity?.purposes.find(
      (p) => p.id === 'customer_relationship',
    );
    expect(purpose?.legalBasis).toBe('unknown');
    expect(purpose?.retention).toMatchObject({ duration: 'unknown', from: 'unknown' });
    const zip = await buildAccessPackage(copy, t.register, 'fi');
    const files = unzipSync(new Uint8Array(zip));
    const html = new TextDecoder().decode(files['access-copy.html']);
    expect(html).toContain('Ei ilmoitettu rekisterissä');
    expect(html).toContain('aikaa ei ole ilmoitettu');
  });
});
