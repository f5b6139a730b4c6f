import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { DefinitionError, parseDefinition } from '../src/modules/definition/loader.ts';
import { definitionSchema } from '../src/modules/definition/schema.ts';
import {
  ADEQUACY_DECISIONS,
  ADEQUACY_LIST_CHECKED,
  adequacyFor,
} from '../src/modules/definition/adequacy.ts';
import { EEA_COUNTRIES, ISO_COUNTRIES } from '../src/modules/definition/countries.ts';
import { DEMO } from './helpers.ts';

const demo = await readFile(DEMO, 'utf8');

/** The demo definition with one textual edit; fails the test if the edit does not apply. */
function edited(from: string | RegExp, to: string): string {
  const out = demo.replace(from, to);
  expect(out, `edit ${String(from)} did not apply`).not.toBe(demo);
  return out;
}

function problemsOf(text: string) {
  try {
    parseDefinition(text, 'register.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return (err as DefinitionError).problems;
  }
  throw new Error('expected the definition to be refused');
}

const lineOf = (text: string, needle: string) =>
  text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('register definition', () => {
  it.each(['demo.yaml', 'saas-processor.yaml', 'chat-marketing.yaml'])(
    'accepts examples/%s',
    async (name) => {
      const text = await readFile(new URL(`../examples/${name}`, import.meta.url), 'utf8');
      const reg = parseDefinition(text, name);
      expect(reg.definition.purposes.length).toBeGreaterThan(0);
      expect(reg.digest).toMatch(/^[0-9a-f]{64}$/);
    },
  );

  it('names the path, the expected values and what it found, at the right line', () => {
    const text = edited(/legalBasis: consent/, 'legalBasis: concent');
    const [p] = problemsOf(text);
    expect(p?.path).toMatch(/^purposes\[\d+\]\.legalBasis$/);
    expect(p?.message).toBe(
      'expected one of consent, contract, legal_obligation, vital_interest, public_task, legitimate_interest, unknown, found "concent"',
    );
    expect(p?.line).toBe(lineOf(text, 'legalBasis: concent'));
  });

  it('refuses a website that is not an http or https address (it is published as a link)', () => {
    for (const bad of ['javascript:alert(1)', 'data:text/html,hi', 'ftp://revontuli.example.com']) {
      const text = edited('website: https://revontuli.example.com', `website: ${bad}`);
      const [p] = problemsOf(text);
      expect(p?.path).toBe('controller.website');
      expect(p?.message).toContain('http:// or https://');
      expect(p?.line).toBe(lineOf(text, `website: ${bad}`));
    }
  });

  it('refuses a data protection officer without an e-mail address or a phone number (the notice publishes how to reach them)', () => {
    const text = edited(
      / {2}dpo:\n {4}name: Joel Västilä\n {4}role: Data protection officer\n {4}email: .*\n {4}phone: .*\n/,
      '  dpo:\n    name: Joel Västilä\n',
    );
    const [p] = problemsOf(text);
    expect(p?.path).toBe('controller.dpo.email');
    expect(p?.message).toContain('the data protection officer is reached');
    // One way to reach them is enough.
    const phoneOnly = edited(/ {4}email: tietosuoja@revontuli\.example\.com\n/, '');
    expect(parseDefinition(phoneOnly, 'register.yaml').definition.controller.dpo).toEqual({
      name: 'Joel Västilä',
      // A plain role (the older form) is the role in every language.
      role: {
        sv: 'Data protection officer',
        fi: 'Data protection officer',
        en: 'Data protection officer',
      },
      phone: '+358 40 0000 102',
    });
  });

  it('refuses a purpose that uses an undeclared category', () => {
    const problems = problemsOf(
      edited(/(- id: newsletter\n {4}legalBasis[\s\S]*?categories: \[)/, '$1shoe_sizes, '),
    );
    expect(problems).toContainEqual(
      expect.objectContaining({
        path: expect.stringMatching(/^purposes\[\d+\]\.categories\[0\]$/),
        message: expect.stringContaining('"shoe_sizes", which is not declared'),
      }),
    );
  });

  it('refuses a legitimate-interest purpose without the interest stated', () => {
    const text = edited(/\n {4}legitimateInterest:\n {6}sv: .*\n {6}fi: .*\n {6}en: .*\n/, '\n');
    expect(problemsOf(text)).toContainEqual(
      expect.objectContaining({
        path: expect.stringMatching(/legitimateInterest$/),
        message: expect.stringContaining('must state the interest'),
      }),
    );
  });

  it('refuses a transfer outside the EU/EEA without a mechanism, and the void Privacy Shield', () => {
    const without = problemsOf(edited(/\n(\s+)mechanism: dpf\n/, '\n'));
    expect(without).toContainEqual(
      expect.objectContaining({
        path: expect.stringMatching(/^transfers\[\d+\]\.mechanism$/),
        message: expect.stringContaining('needs a mechanism'),
      }),
    );
    const shield = problemsOf(edited(/mechanism: dpf/, 'mechanism: privacy_shield'));
    expect(shield).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining('invalidated on 16 July 2020') }),
    );
  });

  it('refuses a category no purpose uses', () => {
    const text = edited(
      /^categories:\n/m,
      'categories:\n  - id: hobbies\n    label: { sv: Hobbyer, fi: Harrastukset, en: Hobbies }\n    fields:\n      - id: hobby\n        type: text\n        label: { sv: Hobby, fi: Harrastus, en: Hobby }\n',
    );
    const problems = problemsOf(text);
    expect(problems).toContainEqual(
      expect.objectContaining({
        path: 'categories[0]',
        message: expect.stringContaining('"hobbies" is used by no purpose'),
      }),
    );
    expect(problems.find((p) => p.path === 'categories[0]')?.line).toBe(
      lineOf(text, 'id: hobbies'),
    );
  });

  describe('rights', () => {
    it('refuses a register that offers no way to make a request', () => {
      // The rights section's channels (the marketing section has channels of its own).
      const text = demo.replace(
        /(\nrights:[\s\S]*?)\n {2}channels:\n(?: {4}.*\n)+/,
        '$1\n  channels: []\n',
      );
      expect(text).not.toBe(demo);
      const problems = problemsOf(text);
      expect(problems).toContainEqual(
        expect.objectContaining({
          path: 'rights.channels',
          message: expect.stringContaining('offers no way to make a request'),
        }),
      );
    });

    it('refuses a register without a rights section', () => {
      const text = demo.replace(/\nrights:\n(?: .*\n|\n)+/, '\n');
      expect(text).not.toBe(demo);
      expect(problemsOf(text)).toContainEqual(expect.objectContaining({ path: 'rights' }));
    });

    it('refuses an email channel without an address, and an address where none belongs', () => {
      const noAddress = edited(
        '      email: tietosuoja@revontuli.example.com\n      proof',
        '      proof',
      );
      expect(problemsOf(noAddress)).toContainEqual({
        path: 'rights.channels[1].email',
        message: 'an email channel needs the address requests are sent to',
        line: expect.any(Number),
        column: expect.any(Number),
      });
      const misplaced = edited(
        '    - kind: portal\n      proof: [email_link]',
        '    - kind: portal\n      phone: "+358 40 0000 109"\n      proof: [email_link]',
      );
      expect(problemsOf(misplaced).map((p) => p.path)).toContain('rights.channels[0].phone');
    });

    it('refuses a portal that would need proof it cannot check, and an unknown proof', () => {
      const text = edited(
        '    - kind: portal\n      proof: [email_link]',
        '    - kind: portal\n      proof: [photo_id]',
      );
      expect(problemsOf(text).map((p) => p.path)).toContain('rights.channels[0].proof');
      const unknown = edited(
        '    - kind: portal\n      proof: [email_link]',
        '    - kind: portal\n      proof: [passport_number]',
      );
      const [p] = problemsOf(unknown);
      expect(p?.path).toBe('rights.channels[0].proof[0]');
      expect(p?.message).toContain('email_link, signed_letter, photo_id, strong_eid');
    });

    it('refuses leaving out a right the purposes make unavoidable', () => {
      for (const [right, reason] of [
        ['access', 'Art. 15'],
        ['rectification', 'Art. 16'],
        ['objection', 'Art. 21(1)'],
        ['consent_withdrawal', 'Art. 7(3)'],
        ['marketing_prohibition', 'Art. 21(2)'],
      ] as const) {
        const text = edited(new RegExp(`\\n    - right: ${right}\\n`), '\n');
        const problems = problemsOf(text);
        expect(problems, right).toContainEqual(
          expect.objectContaining({
            path: 'rights.offered',
            message: expect.stringMatching(
              new RegExp(`^offer "${right}": .*\\(${reason.replace(/[()]/g, '\\$&')}\\)$`),
            ),
          }),
        );
      }
    });

    it('warns, without refusing, when erasure is not offered', () => {
      const text = edited(/\n {4}- right: erasure\n(?: {6}.*\n)+/, '\n');
      const reg = parseDefinition(text, 'register.yaml');
      expect(reg.warnings.map((w) => w.message)).toContainEqual(
        expect.stringContaining('erasure is not offered'),
      );
    });
  });

  it('refuses a legal hold whose purpose does not use a category it keeps', () => {
    const text = edited(
      /(- id: accounting_vouchers\n[^\n]*\n) {6}purpose: billing/,
      '$1      purpose: newsletter',
    );
    expect(problemsOf(text).map((p) => p.message)).toContainEqual(
      'the hold keeps "orders" for purpose "newsletter", which does not use it: after an erasure nobody could read it',
    );
  });

  describe('legal holds: triggeredBy', () => {
    it('accepts the categories that trigger a hold, and the examples name them for bookkeeping', async () => {
      const holds = parseDefinition(demo, 'register.yaml').definition.retention.legalHolds;
      expect(holds.map((h) => [h.id, h.triggeredBy])).toEqual([
        ['accounting_books', ['orders']],
        ['accounting_vouchers', ['orders']],
      ]);
      for (const name of ['chat-marketing.yaml', 'saas-processor.yaml']) {
        const text = await readFile(new URL(`../examples/${name}`, import.meta.url), 'utf8');
        const reg = parseDefinition(text, name);
        for (const h of reg.definition.retention.legalHolds) {
          expect(h.triggeredBy, `${name}: ${h.id}`).toEqual([
            expect.stringMatching(/^(orders|billing)$/),
          ]);
        }
        expect(reg.warnings.filter((w) => w.path.endsWith('.triggeredBy'))).toEqual([]);
      }
    });

    it('refuses an undeclared trigger category, an empty list and a trigger that is not a list of ids', () => {
      const unknown = edited(/triggeredBy: \[orders\]/, 'triggeredBy: [invoices]');
      expect(problemsOf(unknown)).toContainEqual(
        expect.objectContaining({
          path: 'retention.legalHolds[0].triggeredBy[0]',
          message: 'category "invoices" is not declared',
        }),
      );
      expect(problemsOf(edited(/triggeredBy: \[orders\]/, 'triggeredBy: []'))).toContainEqual(
        expect.objectContaining({ path: 'retention.legalHolds[0].triggeredBy' }),
      );
      expect(problemsOf(edited(/triggeredBy: \[orders\]/, 'triggeredBy: orders'))).toContainEqual(
        expect.objectContaining({ path: 'retention.legalHolds[0].triggeredBy' }),
      );
    });

    it('warns, without refusing, when a hold of three or more categories leaves it out', () => {
      const text = edited(/\n {6}triggeredBy: \[orders\]/g, '');
      const reg = parseDefinition(text, 'register.yaml');
      expect(reg.definition.retention.legalHolds.map((h) => h.triggeredBy)).toEqual([
        undefined,
        undefined,
      ]);
      expect(reg.warnings.filter((w) => w.path.endsWith('.triggeredBy'))).toEqual([
        expect.objectContaining({
          severity: 'warning',
          path: 'retention.legalHolds[0].triggeredBy',
          message: expect.stringContaining('any of them triggers it'),
        }),
        expect.objectContaining({ path: 'retention.legalHolds[1].triggeredBy' }),
      ]);
      // Two categories: no warning.
      const small = edited(
        /categories: \[identity, organisation, orders\]\n {6}triggeredBy: \[orders\]/,
        'categories: [identity, orders]',
      );
      expect(
        parseDefinition(small, 'register.yaml').warnings.filter((w) =>
          w.path.endsWith('.triggeredBy'),
        ),
      ).toEqual([]);
    });
  });

  it('refuses a reference to the repealed Personal Data Act', () => {
    const problems = problemsOf(
      edited(/law: Kirjanpitolaki 1336\/1997/, 'law: Henkilötietolaki 523/1999'),
    );
    expect(problems).toContainEqual(
      expect.objectContaining({
        message: expect.stringContaining('Data Protection Act 1050/2018'),
      }),
    );
  });

  it('refuses an unknown key, a missing section and broken YAML', () => {
    const text = `${demo}\nfavouriteColour: blue\n`;
    expect(problemsOf(text)).toEqual([
      expect.objectContaining({
        path: 'favouriteColour',
        message: expect.stringMatching(
          /^unknown key "favouriteColour"; the keys allowed here are version, languages, notice, controller, /,
        ),
        line: lineOf(text, 'favouriteColour'),
        column: 1,
      }),
    ]);
    // A key far from any declared one is not taken for a misspelling: both problems are given.
    expect(problemsOf(demo.replace(/^controller:/m, 'rekisterinpitäjä:'))).toEqual([
      expect.objectContaining({ path: 'controller', message: 'required object is missing' }),
      expect.objectContaining({
        path: 'rekisterinpitäjä',
        message: expect.stringContaining('unknown key "rekisterinpitäjä"; the keys allowed here'),
      }),
    ]);
    const broken = problemsOf('version: 1\ncontroller: [unclosed\n');
    expect(broken[0]?.message).toMatch(/^YAML syntax/);
    expect(broken[0]?.line).toBeGreaterThan(0);
  });

  it('reports every problem at once', () => {
    const text = edited(/legalBasis: consent/, 'legalBasis: concent').replace(
      /mechanism: dpf/,
      'mechanism: teleport',
    );
    expect(problemsOf(text).length).toBeGreaterThanOrEqual(2);
  });

  describe('unknown keys', () => {
    // Each misspelling used to pass as valid while its setting was silently lost.
    it.each([
      {
        name: 'marketReserch in a purpose',
        from: /(- id: market_research[\s\S]*?)marketResearch: true/,
        to: '$1marketReserch: true',
        key: 'marketReserch',
        path: /^purposes\[\d+\]\.marketReserch$/,
        meant: 'marketResearch',
      },
      {
        name: 'alowedDuringRestriction in a purpose',
        from: 'allowedDuringRestriction: true',
        to: 'alowedDuringRestriction: true',
        key: 'alowedDuringRestriction',
        path: /^purposes\[\d+\]\.alowedDuringRestriction$/,
        meant: 'allowedDuringRestriction',
      },
      {
        name: 'legalbasis in a purpose',
        from: 'legalBasis: consent',
        to: 'legalbasis: consent',
        key: 'legalbasis',
        path: /^purposes\[\d+\]\.legalbasis$/,
        meant: 'legalBasis',
      },
      {
        name: 'requried in a field',
        from: 'required: true',
        to: 'requried: true',
        key: 'requried',
        path: /^categories\[\d+\]\.fields\[\d+\]\.requried$/,
        meant: 'required',
      },
      {
        name: 'recipents at the top level',
        from: /^recipients:/m,
        to: 'recipents:',
        key: 'recipents',
        path: /^recipents$/,
        meant: 'recipients',
      },
    ])(
      'refuses $name at its own line and suggests the key meant',
      ({ from, to, key, path, meant }) => {
        const text = edited(from, to);
        const line = text.split('\n').findIndex((l) => l.trimStart().startsWith(`${key}:`));
        // One problem: the misspelt key, not also the key it meant as "missing".
        expect(problemsOf(text)).toEqual([
          {
            path: expect.stringMatching(path),
            message: `unknown key "${key}": did you mean "${meant}"?`,
            line: line + 1,
            column: (text.split('\n')[line]?.indexOf(key) ?? 0) + 1,
          },
        ]);
      },
    );

    it('refuses unknown keys at every depth, each at its own line', () => {
      const text = edited(
        /(\n {2}- recipient: mailing_service\n {4}country: US\n)/,
        '$1    safeguards: none\n',
      )
        .replace(/^( {2}email: .*\n)/m, '$1  fax: +358 9 123\n')
        .replace(/(\n {6}en: Provider of our web shop platform.*\n)/, '$1      de: Anbieter\n');
      const problems = problemsOf(text);
      expect(problems.map((p) => [p.path, p.line])).toEqual([
        [expect.stringMatching(/^controller\.fax$/), lineOf(text, 'fax: +358')],
        [expect.stringMatching(/^recipients\[0\]\.description\.de$/), lineOf(text, 'de: Anbieter')],
        [expect.stringMatching(/^transfers\[0\]\.safeguards$/), lineOf(text, 'safeguards: none')],
      ]);
    });

    it('declares every object of the definition strict, however deeply nested', () => {
      // Walks the schema generically (objects, arrays, records, unions, defaults, pipes…), so a
      // section added later with z.object() instead of z.strictObject() fails here.
      const seen = new Set<unknown>();
      const loose: string[] = [];
      let objects = 0;
      const walk = (schema: z.core.$ZodType, where: string): void => {
        if (seen.has(schema)) {
          return;
        }
        seen.add(schema);
        const def = schema._zod.def as unknown as Record<string, unknown>;
        if (def.type === 'object') {
          objects++;
          const catchall = def.catchall as z.core.$ZodType | undefined;
          if (catchall?._zod.def.type !== 'never') {
            loose.push(where || '(root)');
          }
        }
        if (def.type === 'lazy') {
          walk((def.getter as () => z.core.$ZodType)(), where);
        }
        for (const [prop, value] of Object.entries(def)) {
          const children =
            prop === 'shape'
              ? Object.entries(value as object)
              : Array.isArray(value)
                ? [...value.entries()]
                : [[prop, value]];
          for (const [name, child] of children as Array<[string | number, unknown]>) {
            if (child && typeof child === 'object' && '_zod' in child) {
              walk(child as z.core.$ZodType, prop === 'shape' ? `${where}.${name}` : where);
            }
          }
        }
      };
      walk(definitionSchema, '');
      expect(objects).toBeGreaterThan(15);
      expect(loose).toEqual([]);
    });
  });

  describe('transfers and countries', () => {
    const mailingTransfer = /recipient: mailing_service\n(\s+)country: US\n(\s+)mechanism: dpf\n/;

    it("checks the recipient's country, not a country inside the EEA that the transfer names", () => {
      const text = edited(mailingTransfer, 'recipient: mailing_service\n$1country: FI\n');
      const problems = problemsOf(text);
      expect(problems).toContainEqual(
        expect.objectContaining({
          path: expect.stringMatching(/^transfers\[0\]\.country$/),
          message: expect.stringContaining(
            'recipient "mailing_service" is in US (United States), outside the EU/EEA',
          ),
          line: lineOf(text, '- recipient: mailing_service') + 1,
        }),
      );
      expect(problems).toContainEqual(
        expect.objectContaining({
          path: 'transfers[0].mechanism',
          message: expect.stringContaining(
            'a transfer to US (United States), outside the EU/EEA, needs a mechanism',
          ),
        }),
      );
    });

    it('checks the country a transfer names when the recipient is inside the EEA', () => {
      // A Swedish recipient whose data are processed in India: the transfer goes to India.
      const text = edited(
        /^transfers:\n/m,
        'transfers:\n  - recipient: backup_storage\n    country: IN\n    mechanism: adequacy\n',
      );
      expect(problemsOf(text)).toContainEqual(
        expect.objectContaining({
          path: 'transfers[0].mechanism',
          message: expect.stringContaining('no adequacy decision for IN (India)'),
          line: lineOf(text, 'mechanism: adequacy'),
        }),
      );
    });

    it.each([
      ['ZZ', '"ZZ" is not an ISO 3166-1 alpha-2 country code (expected one such as FI, SE or US)'],
      [
        'UK',
        '"UK" is not an ISO 3166-1 alpha-2 country code: the code of the United Kingdom is "GB"',
      ],
      ['EL', '"EL" is not an ISO 3166-1 alpha-2 country code: the code of Greece is "GR"'],
      ['XK', '"XK" is not an ISO 3166-1 alpha-2 country code (expected one such as FI, SE or US)'],
      ['se', 'country codes are written in capitals: "SE", not "se"'],
      [
        'Sweden',
        '"Sweden" is not an ISO 3166-1 alpha-2 country code (expected one such as FI, SE or US)',
      ],
    ])('refuses the country code %s', (code, message) => {
      const text = edited(/(- id: backup_storage[\s\S]*?)country: SE/, `$1country: ${code}`);
      expect(problemsOf(text)).toEqual([
        expect.objectContaining({
          path: expect.stringMatching(/^recipients\[\d+\]\.country$/),
          message,
          line: lineOf(text, `country: ${code}`),
        }),
      ]);
    });

    it('keeps the 249 ISO 3166-1 codes and the 30 EEA states', () => {
      expect(ISO_COUNTRIES.size).toBe(249);
      expect(EEA_COUNTRIES.size).toBe(30);
      for (const c of [...EEA_COUNTRIES, 'AX', 'GB', 'US', 'SS', 'CW', 'BQ']) {
        expect(ISO_COUNTRIES.has(c), c).toBe(true);
      }
      for (const c of ['UK', 'EL', 'EU', 'XK', 'AN', 'YU', 'CS']) {
        expect(ISO_COUNTRIES.has(c), c).toBe(false);
      }
    });

    it('refuses adequacy for a country without a decision, and for the United States', () => {
      const india = problemsOf(edited(/mechanism: bcr/, 'mechanism: adequacy'));
      expect(india).toContainEqual(
        expect.objectContaining({
          message: `the European Commission has adopted no adequacy decision for IN (India) (list checked ${ADEQUACY_LIST_CHECKED}); use scc, bcr or a derogation`,
        }),
      );
      // The certification is what the decision covers: without it, adequacy is refused too.
      const us = problemsOf(
        edited(/mechanism: dpf/, 'mechanism: adequacy').replace(
          /\n {4}# On the Data Privacy Framework List.*\n {4}dpfCertified: true/,
          '',
        ),
      );
      expect(us).toContainEqual(
        expect.objectContaining({
          path: 'transfers[0].mechanism',
          message: expect.stringMatching(
            /^the adequacy decision for the United States .* covers only organisations certified under the EU-US Data Privacy Framework.*: declare such a transfer with mechanism dpf/,
          ),
        }),
      );
    });

    it.each([
      ['CA', 'Canada', 'PIPEDA'],
      ['JP', 'Japan', 'APPI'],
      ['KR', 'the Republic of Korea', 'Personal Information Protection Act'],
    ])(
      'accepts adequacy for %s with a warning saying what the partial decision covers',
      (code, name, law) => {
        const text = edited(/country: GB/g, `country: ${code}`);
        const reg = parseDefinition(text, 'register.yaml');
        expect(reg.warnings).toContainEqual(
          expect.objectContaining({
            severity: 'warning',
            path: expect.stringMatching(/^transfers\[\d+\]\.withinAdequacyScope$/),
            message: expect.stringMatching(
              new RegExp(
                `^the adequacy decision for ${name} \\(.*\\) covers only .*${law}.*: check that Lumen Metrics Ltd .* set withinAdequacyScope: true`,
              ),
            ),
            // Reported at the transfer, where the key would go.
            line: lineOf(text, 'recipient: analytics_service'),
          }),
        );
      },
    );

    it.each(['GB', 'CH', 'BR', 'NZ'])(
      'accepts adequacy for %s without a warning about it',
      (code) => {
        const text = code === 'GB' ? demo : edited(/country: GB/g, `country: ${code}`);
        const reg = parseDefinition(text, 'register.yaml');
        expect(
          reg.warnings.filter(
            (w) =>
              w.message.includes('adequacy decision for ') && !w.message.includes('United States'),
          ),
        ).toEqual([]);
      },
    );

    it('refuses the Data Privacy Framework for a recipient not marked certified', () => {
      expect(parseDefinition(demo, 'register.yaml').warnings).toEqual([]);
      const text = edited(
        /\n {4}# On the Data Privacy Framework List.*\n {4}dpfCertified: true/,
        '',
      );
      expect(problemsOf(text)).toEqual([
        expect.objectContaining({
          path: 'transfers[0].mechanism',
          message: expect.stringContaining(
            'covers only organisations certified under the EU-US Data Privacy Framework, for the data their certification covers: Mailfinch Inc. is not marked dpfCertified',
          ),
          line: lineOf(text, 'mechanism: dpf'),
        }),
      ]);
    });

    it("keeps the Commission's list with its date, partial decisions marked", () => {
      expect(ADEQUACY_LIST_CHECKED).toMatch(/^2026-\d\d-\d\d$/);
      const countries = ADEQUACY_DECISIONS.flatMap((d) => (d.country ? [d.country] : []));
      expect(countries.sort()).toEqual(
        [
          'AD',
          'AR',
          'BR',
          'CA',
          'CH',
          'FO',
          'GB',
          'GG',
          'IL',
          'IM',
          'JE',
          'JP',
          'KR',
          'NZ',
          'US',
          'UY',
        ].sort(),
      );
      for (const c of countries) {
        expect(ISO_COUNTRIES.has(c) && !EEA_COUNTRIES.has(c), c).toBe(true);
      }
      expect(ADEQUACY_DECISIONS.map((d) => d.name)).toContain('the European Patent Organisation');
      for (const partial of ['CA', 'JP', 'US']) {
        expect(adequacyFor(partial)?.covers, partial).toMatch(/^only /);
      }
      for (const full of ['CH', 'GB', 'NZ', 'UY', 'BR']) {
        expect(adequacyFor(full)?.covers, full).toBeUndefined();
      }
    });
  });

  it('prints problems in line order', () => {
    // The cross-checks find these purposes first, then the unused category above them, then the
    // transfer: the problems come out sorted by line all the same.
    const text = edited(/mechanism: dpf/, 'mechanism: privacy_shield')
      .replace(/(- id: newsletter\n {4}legalBasis[\s\S]*?categories: \[)/, '$1shoe_sizes, ')
      .replace(
        /^categories:\n/m,
        'categories:\n  - id: hobbies\n    label: { sv: Hobbyer, fi: Harrastukset, en: Hobbies }\n    fields:\n      - id: hobby\n        type: text\n        label: { sv: Hobby, fi: Harrastus, en: Hobby }\n',
      );
    const problems = problemsOf(text);
    expect(problems.map((p) => p.path)).toEqual([
      'categories[0]',
      // The warning that no source supplies the new category, at the same place.
      'categories[0]',
      expect.stringMatching(/^purposes\[\d+\]\.categories\[0\]$/),
      'transfers[0].mechanism',
    ]);
    const lines = problems.map((p) => p.line ?? 0);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it('gives one message for one YAML syntax error', () => {
    // A stray `: ` made the parser report eleven errors on the same line.
    const text = edited(/\n {2}- id: newsletter\n/, '\n  - id: newsletter\n   label: : x\n');
    const problems = problemsOf(text);
    expect(problems).toEqual([
      expect.objectContaining({
        path: '',
        message: expect.stringMatching(/^YAML syntax: /),
        line: lineOf(text, 'label: : x'),
      }),
    ]);
  });
});
