/**
 * The privacy notice (Art. 13/14) and the records of processing (Art. 30), read as a reader and a
 * DPO would: every example definition gives a complete notice in each language, with each item the
 * definition answers and the rest named as unanswered; the public page shows hostile definition
 * text as text; the PDF and the Markdown say the same; the Art. 30 CSV has its columns and a row
 * per purpose; the records need read_audit; bad parameters are refused naming the field.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import {
  loadDefinition,
  type Register,
  type RegisterDefinition,
} from '../src/modules/definition/index.ts';
import {
  CONTROLLER_COLUMNS,
  createNoticeService,
  NOTICE_ITEMS,
  NOTICE_LANGS,
  diffMaterial,
  materialOf,
  noticeGaps,
  PROCESSOR_COLUMNS,
  type NoticeLang,
} from '../src/modules/notice/index.ts';
import { packageMessages } from '../src/modules/subjects/index.ts';
import { noticeMessages } from '../src/modules/notice/messages.ts';
import { newStaffSession } from './factories.ts';
import { createTestContext, DATABASES, ROOT, type TestContext } from './helpers.ts';

const exec = promisify(execFile);
const EXAMPLES = join(ROOT, 'examples');

/** The page as a reader sees it: tags dropped, entities decoded. */
function pageText(html: string): string {
  return html
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}
const squash = (s: string) => s.replace(/\s+/g, '');
/** Markdown as read: backslash escapes dropped. */
const unescapeMd = (s: string) => s.replace(/\\(.)/g, '$1');

async function pdfText(bytes: Buffer): Promise<string> {
  const pdf = await getDocumentProxy(new Uint8Array(bytes));
  return (await extractText(pdf, { mergePages: true })).text;
}

async function examples(): Promise<Array<{ file: string; register: Register }>> {
  const files = (await readdir(EXAMPLES)).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(
    files.map(async (f) => ({ file: f, register: await loadDefinition(join(EXAMPLES, f)) })),
  );
}

/** A definition file made from an example with `change` applied to its parsed YAML. */
async function variant(
  dir: string,
  name: string,
  change: (doc: RegisterDefinition) => void,
): Promise<string> {
  const doc = parseYaml(await readFile(join(EXAMPLES, 'demo.yaml'), 'utf8')) as RegisterDefinition;
  change(doc);
  const file = join(dir, name);
  await writeFile(file, stringify(doc));
  return file;
}

describe('the privacy notice of each example definition', async () => {
  const all = await examples();
  it('finds the examples', () => {
    expect(all.map((e) => e.file)).toEqual(
      expect.arrayContaining(['demo.yaml', 'chat-marketing.yaml', 'saas-processor.yaml']),
    );
  });

  for (const { file, register } of all) {
    for (const lang of register.languages) {
      it(`${file} in ${lang}: every Art. 13/14 item, in the language, in HTML, Markdown and PDF`, async () => {
        const def = register.definition;
        const m = noticeMessages[lang];
        const pm = packageMessages[lang];
        const service = createNoticeService({ register, publicUrl: 'https://portal.example.com' });
        const html = pageText((await service.render(lang, 'html')).body as string);
        const md = unescapeMd((await service.render(lang, 'md')).body as string);
        const pdf = squash(await pdfText((await service.render(lang, 'pdf')).body as Buffer));
        const gaps = service.completeness().gaps;

        const expected: string[] = [
          // A heading per item, the unanswered ones among them.
          ...NOTICE_ITEMS.map((i) => i.heading(m)),
          // Controller and contact, DPO where given.
          def.controller.name,
          def.controller.email,
          ...(def.controller.phone ? [def.controller.phone] : []),
          ...(typeof def.controller.dpo === 'object' ? [def.controller.dpo.name] : []),
          // Purposes with their bases and interests, in this language.
          ...def.purposes.map((p) => p.label[lang]),
          ...def.purposes.map((p) => pm.legalBases[p.legalBasis]),
          ...def.purposes.flatMap((p) =>
            p.legitimateInterest ? [p.legitimateInterest[lang]] : [],
          ),
          // Categories and sources.
          ...def.categories.map((c) => c.label[lang]),
          ...def.sources.map((s) => s.label[lang]),
          // Recipients and transfers with their safeguards.
          ...def.recipients.map((r) => r.name[lang]),
          ...def.transfers.flatMap((t) => (t.mechanism ? [pm.mechanisms[t.mechanism]] : [])),
          // Retention rules and legal holds.
          ...def.retention.rules.map((r) => r.label[lang]),
          ...def.retention.legalHolds.map((h) => h.law),
          // Each right offered, how to use it, withdrawal, the authority.
          ...def.rights.offered.map((o) => pm.rightNames[o.right]),
          ...def.rights.offered.map((o) => m.rightText[o.right]),
          ...def.rights.channels.map((c) => m.channelKinds[c.kind] as string),
          def.supervisoryAuthority.name[lang],
          def.supervisoryAuthority.website,
          // Whether providing the data is required, per purpose (Art. 13(2)(e)).
          m.requirementIntro,
          ...def.purposes.flatMap((p) =>
            p.requirement && p.requirement !== 'unknown'
              ? [m.requirementKinds[p.requirement.kind], p.requirement.consequences[lang]]
              : [],
          ),
          // The DPO, or that none is appointed.
          ...(def.controller.dpo === 'none' ? [m.noDpo] : []),
          // Automated decisions: none, or each with its logic and consequences (Art. 22).
          ...(def.automatedDecisions === 'none'
            ? [m.noAutomated]
            : Array.isArray(def.automatedDecisions)
              ? def.automatedDecisions.flatMap((a) => [
                  a.label[lang],
                  a.logic[lang],
                  a.consequences[lang],
                  m.automatedRights,
                ])
              : []),
          // Security statements and the cookie table.
          ...def.security.map((s) => s[lang]),
          ...def.cookies.map((c) => c.name),
        ];
        for (const text of expected) {
          expect(html, `${file} ${lang} HTML: ${text}`).toContain(text);
          expect(md, `${file} ${lang} Markdown: ${text}`).toContain(text);
          expect(pdf, `${file} ${lang} PDF: ${text}`).toContain(squash(text));
        }
        // Every example answers every item: the notice is complete, with nothing named unanswered.
        expect(gaps).toEqual([]);
        expect(html).not.toContain(m.unanswered);
        expect(html).not.toContain(m.gaps);
        // The links to the portal's request and preference pages, absolute where the file leaves it.
        if (def.rights.channels.some((c) => c.kind === 'portal')) {
          expect(md).toContain('(<https://portal.example.com/requests/new>)');
          expect(pdf).toContain(squash('https://portal.example.com/requests/new'));
        }
        expect(md).toContain('(<https://portal.example.com/preferences>)');
      });
    }
  }

  it('says, where the company is also a processor, that its customers are the controllers of that data', async () => {
    const saas = all.find((e) => e.file === 'saas-processor.yaml')!.register;
    const demo = all.find((e) => e.file === 'demo.yaml')!.register;
    expect(saas.definition.register.processorFor).toBeDefined();
    expect(demo.definition.register.processorFor).toBeUndefined();
    for (const lang of saas.languages) {
      const m = noticeMessages[lang];
      const service = createNoticeService({
        register: saas,
        publicUrl: 'https://portal.example.com',
      });
      const md = unescapeMd((await service.render(lang, 'md')).body as string);
      const section = md.slice(md.indexOf(`## ${m.asProcessor}`));
      expect(md, lang).toContain(`## ${m.asProcessor}`);
      expect(section, lang).toContain(m.asProcessorIntro);
      expect(section, lang).toContain(saas.definition.register.processorFor![lang]);
    }
    expect(noticeMessages.en.asProcessorIntro).toContain(
      'Our customers are the controllers of that data',
    );
    const service = createNoticeService({
      register: demo,
      publicUrl: 'https://portal.example.com',
    });
    const md = (await service.render('en', 'md')).body as string;
    expect(md).not.toContain(noticeMessages.en.asProcessor);
  });

  it('is in the language asked for, not in another', () => {
    const { register } = all.find((e) => e.file === 'demo.yaml')!;
    const service = createNoticeService({ register, publicUrl: 'https://portal.example.com' });
    const texts = Object.fromEntries(
      NOTICE_LANGS.map((l) => [l, pageText(service.page(l))]),
    ) as Record<NoticeLang, string>;
    expect(texts.fi).toContain('Tietosuojaseloste');
    expect(texts.fi).not.toContain('Privacy notice');
    expect(texts.sv).toContain('Dataskyddsbeskrivning');
    expect(texts.sv).not.toContain('Tietosuojaseloste');
    expect(texts.en).toContain('Privacy notice');
    expect(texts.en).not.toContain('Dataskyddsbeskrivning');
  });

  it('names a missing DPO, an unsafeguarded transfer and a missing right as unanswered', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-notice-'));
    try {
      const file = await variant(dir, 'gaps.yaml', (doc) => {
        delete doc.controller.dpo;
        doc.rights.offered = doc.rights.offered.filter((o) => o.right !== 'restriction');
      });
      const register = await loadDefinition(file);
      const service = createNoticeService({ register, publicUrl: 'https://portal.example.com' });
      const gaps = service.completeness().gaps;
      expect(gaps).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ item: 'dpo', path: 'controller.dpo' }),
          expect.objectContaining({ item: 'rights', path: 'rights.offered' }),
        ]),
      );
      for (const g of gaps) {
        expect(g.message).toMatch(/Art\. \d+/);
      }
      // A transfer without its safeguard (the loader refuses it today; an `unknown` one will pass).
      const unsafeguarded = structuredClone(register.definition);
      delete unsafeguarded.transfers[0]!.mechanism;
      expect(noticeGaps(unsafeguarded)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ item: 'transfers', path: 'transfers[0].mechanism' }),
        ]),
      );
      const html = pageText(service.page('en'));
      expect(html).toContain('Data protection officer (Art. 13(1)(b), 14(1)(b))');
      expect(html).toContain('Your rights (Art. 13(2)(b), 14(2)(c))');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says in each language what exactly is missing: whose country, which rights, which purpose', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-notice-'));
    try {
      const file = await variant(dir, 'specific.yaml', (doc) => {
        const d = doc as unknown as { controller: { dpo: unknown }; automatedDecisions: unknown };
        d.controller.dpo = 'unknown';
        d.automatedDecisions = 'unknown';
        doc.recipients.find((r) => r.id === 'backup_storage')!.country = 'unknown';
        doc.rights.offered = doc.rights.offered.filter(
          (o) => o.right !== 'erasure' && o.right !== 'restriction',
        );
        (doc.purposes[0] as { requirement: unknown }).requirement = 'unknown';
      });
      const register = await loadDefinition(file);
      const purpose = register.definition.purposes[0]!;
      const service = createNoticeService({ register, publicUrl: 'https://portal.example.com' });
      const said: Record<NoticeLang, string> = { sv: '', fi: '', en: '' };
      for (const lang of NOTICE_LANGS) {
        const m = noticeMessages[lang];
        const pm = packageMessages[lang];
        const md = unescapeMd((await service.render(lang, 'md')).body as string);
        said[lang] = md;
        // No sentence that leaves the reader to guess what is missing.
        expect(md, lang).not.toContain(m.unanswered);
        for (const text of [
          m.gap.country('Varmistamo AB'),
          m.gap.rights([pm.rightNames.erasure, pm.rightNames.restriction]),
          m.gap.requirement(purpose.label[lang]),
          m.gap.dpo,
          m.gap.automated,
        ]) {
          expect(md, `${lang}: ${text}`).toContain(text);
        }
        // Under the heading of its own item: the country under the transfers, after the table.
        const transfers = md.slice(
          md.indexOf(`## ${m.transfers}`),
          md.indexOf(`## ${m.retentionHeading}`),
        );
        expect(transfers).toContain(m.gap.country('Varmistamo AB'));
      }
      expect(said.en).toContain('The country of the recipient Varmistamo AB is not stated yet.');
      expect(said.en).toContain(
        'The register definition does not yet say whether you have these rights: Right to erasure, Right to restriction of processing.',
      );
      expect(said.sv).toContain('I vilket land mottagaren Varmistamo AB finns anges inte ännu.');
      expect(said.sv).toContain(
        'Registerbeskrivningen säger ännu inte om följande rättigheter gäller: Rätt till radering, Rätt till begränsning av behandling.',
      );
      expect(said.fi).toContain(
        'Sitä, missä maassa vastaanottaja Varmistamo AB on, ei ole vielä kerrottu.',
      );
      // No English in the Swedish and Finnish notices' gap sentences.
      for (const lang of ['sv', 'fi'] as const) {
        expect(said[lang]).not.toMatch(/not stated|does not (yet )?say|register definition/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names a recipient in the notice's language where the definition gives its name in each", async () => {
    const { register } = all.find((e) => e.file === 'chat-marketing.yaml')!;
    const service = createNoticeService({ register, publicUrl: 'https://portal.example.com' });
    const names = { sv: 'Myndigheter', fi: 'Viranomaiset', en: 'Authorities' } as const;
    const buyer = {
      sv: 'Köpare eller efterträdare vid en överlåtelse av verksamheten',
      fi: 'Ostaja tai seuraaja liiketoiminnan luovutuksessa',
      en: 'Acquirer or successor in a business transfer',
    } as const;
    for (const lang of NOTICE_LANGS) {
      const m = noticeMessages[lang];
      const md = unescapeMd((await service.render(lang, 'md')).body as string);
      const recipients = md.slice(
        md.indexOf(`## ${m.recipients}`),
        md.indexOf(`## ${m.transfers}`),
      );
      expect(recipients, lang).toContain(
        `| ${names[lang]} | ${packageMessages[lang].roles.authority} |`,
      );
      expect(recipients, lang).toContain(`| ${buyer[lang]} |`);
      // A disclosure names it in the same language.
      expect(recipients, lang).toContain(`${m.recipients}: ${names[lang]}`);
      const csv = (await service.records(lang, 'controller', 'csv'))!.body as string;
      expect(csv, lang).toContain(`${names[lang]}: ${packageMessages[lang].roles.authority}`);
      // Not the other languages' names, nor the old two-language string.
      for (const other of NOTICE_LANGS.filter((l) => l !== lang)) {
        expect(md, `${lang} ${other}`).not.toContain(buyer[other]);
        expect(csv, `${lang} ${other}`).not.toContain(`${names[other]}:`);
      }
      expect(md).not.toContain('Viranomaiset / Myndigheter');
    }
    // A proper name given as one string is the same in every language.
    const fi = (await service.render('fi', 'md')).body as string;
    const en = (await service.render('en', 'md')).body as string;
    expect(fi).toContain('| Maildove Inc. |');
    expect(en).toContain('| Maildove Inc. |');
  });

  it('never puts a parenthesis inside another: a country, a name or a law in the notice and the records', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-notice-'));
    try {
      // The demo with what the examples leave out: a transfer whose safeguard is not stated, a
      // recipient outside the EU/EEA with no transfer, a disclosure naming a recipient whose name
      // holds parentheses, and a hold's law with some.
      const file = await variant(dir, 'parentheses.yaml', (doc) => {
        const us = doc.transfers.find((t) => t.country === 'US')!;
        (us as { mechanism: unknown }).mechanism = 'unknown';
        delete (us as { sccModule?: unknown }).sccModule;
        const emergency = doc.recipients.find((r) => /\(112\)/.test(JSON.stringify(r.name)))!;
        doc.disclosures.push({
          kind: 'other',
          text: { sv: 'I en nödsituation.', fi: 'Hätätilanteessa.', en: 'In an emergency.' },
          recipients: [emergency.id],
        });
        doc.retention.legalHolds[0]!.law = 'General Data Protection Regulation (EU) 2016/679';
      });
      const loaded = await loadDefinition(file);
      // A recipient outside the EU/EEA with no transfer: the loader refuses it, the notice names it.
      const def = structuredClone(loaded.definition);
      def.recipients.find((r) => r.id === 'backup_storage')!.country = 'CH';
      const registers = [
        ...all,
        { file: 'parentheses.yaml', register: { ...loaded, definition: def } },
      ];
      for (const { file: name, register } of registers) {
        const service = createNoticeService({ register, publicUrl: 'https://portal.example.com' });
        for (const lang of register.languages) {
          const texts = {
            notice: unescapeMd((await service.render(lang, 'md')).body as string),
            records: (await service.records(lang, 'controller', 'csv'))!.body as string,
            processor: ((await service.records(lang, 'processor', 'csv'))?.body ?? '') as string,
          };
          for (const [what, text] of Object.entries(texts)) {
            expect(nestedParentheses(text), `${name} ${lang} ${what}`).toEqual([]);
          }
        }
      }
      // What the variant's gaps and records say instead, in each language.
      const variantNotice = createNoticeService({
        register: registers.at(-1)!.register,
        publicUrl: 'https://portal.example.com',
      });
      const md = async (lang: NoticeLang) =>
        unescapeMd((await variantNotice.render(lang, 'md')).body as string);
      const csv = async (lang: NoticeLang) =>
        (await variantNotice.records(lang, 'controller', 'csv'))!.body as string;
      const [fi, sv, en] = await Promise.all([md('fi'), md('sv'), md('en')]);
      expect(fi).toContain(
        'Siirron suojatoimia ei ole vielä kerrottu: vastaanottaja Mailfinch Inc., maa Yhdysvallat (US).',
      );
      expect(fi).toContain(
        'Vastaanottaja Varmistamo AB on EU:n/ETA:n ulkopuolella, maassa Sveitsi (CH), mutta siirron suojatoimia ei ole vielä kerrottu.',
      );
      expect(sv).toContain(
        'Skyddsåtgärden för överföringen till mottagaren Mailfinch Inc. i USA (US) anges inte ännu.',
      );
      expect(en).toContain(
        'The safeguard for the transfer to the recipient Mailfinch Inc. in United States (US) is not stated yet.',
      );
      expect(en).toContain('In an emergency. Recipients: Ensihoito / Akutvården (112)');
      expect(await csv('fi')).toContain(
        'Mailfinch Inc.: Henkilötietojen käsittelijä, Yhdysvallat (US)',
      );
      expect(await csv('en')).toContain(
        ': 10 years from the end of the financial year — General Data Protection Regulation (EU) 2016/679',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The lines where a parenthesis opens inside another, as "(Yhdysvallat (US))" did; a citation's
 * subdivisions (Art. 6(1)(a)) and a Markdown link's address are not parentheses of the text.
 */
function nestedParentheses(text: string): string[] {
  const found: string[] = [];
  for (const line of text.split('\n')) {
    const plain = line.replace(/\]\([^)]*\)/g, ']').replace(/(?<=[\w)])\(\w{1,3}\)/g, '');
    let depth = 0;
    for (const ch of plain) {
      if (ch === '(') {
        depth++;
        if (depth > 1) {
          found.push(line);
          break;
        }
      } else if (ch === ')') {
        depth = Math.max(0, depth - 1);
      }
    }
  }
  return found;
}

describe('what changes in substance between two versions', async () => {
  const { definition } = await loadDefinition(join(EXAMPLES, 'demo.yaml'));
  it('finds changed bases, added recipients, removed transfers and changed retention, not wording', () => {
    const next = structuredClone(definition);
    next.purposes[0]!.legalBasis = 'legitimate_interest';
    next.purposes[1]!.label = { sv: 'Ny', fi: 'Uusi', en: 'New' };
    next.recipients.push({
      ...next.recipients[0]!,
      id: 'new_processor',
      name: { sv: 'Uusi Oy', fi: 'Uusi Oy', en: 'Uusi Oy' },
    });
    const removed = next.transfers.shift()!;
    next.retention.rules[0]!.duration = 'P3Y';
    next.security = [];
    expect(diffMaterial(materialOf(definition), materialOf(next))).toEqual([
      {
        section: 'purposes',
        id: definition.purposes[0]!.id,
        change: 'changed',
        fields: ['legalBasis'],
        // What it was and what it is.
        values: [
          {
            field: 'legalBasis',
            before: definition.purposes[0]!.legalBasis,
            after: 'legitimate_interest',
          },
        ],
      },
      { section: 'recipients', id: 'new_processor', change: 'added', fields: [], values: [] },
      {
        section: 'transfers',
        id: `${removed.recipient}→${removed.country}`,
        change: 'removed',
        fields: [],
        values: [],
      },
      {
        section: 'retention',
        id: definition.retention.rules[0]!.id,
        change: 'changed',
        fields: ['duration'],
        values: [
          { field: 'duration', before: definition.retention.rules[0]!.duration, after: 'P3Y' },
        ],
      },
    ]);
    // A list (the categories) is named, not shown value by value.
    const listed = structuredClone(definition);
    listed.purposes[0]!.categories = [...listed.purposes[0]!.categories, 'feedback'];
    expect(diffMaterial(materialOf(definition), materialOf(listed))).toEqual([
      expect.objectContaining({ fields: ['categories'], values: [] }),
    ]);
    expect(diffMaterial(materialOf(definition), materialOf(structuredClone(definition)))).toEqual(
      [],
    );
  });
});

describe('the records of processing (Art. 30) as a DPO reads them', async () => {
  const register = await loadDefinition(join(EXAMPLES, 'demo.yaml'));
  const rowsOf = async (reg: Register, lang: NoticeLang) => {
    const service = createNoticeService({ register: reg, publicUrl: 'https://portal.example.com' });
    const csv = (await service.records(lang, 'controller', 'csv'))!.body as string;
    const rows: Array<Record<string, string>> = parse(csv.replace(/^\uFEFF/, ''), {
      columns: true,
    });
    return rows;
  };

  it('a controller in the EU/EEA needs no representative: not applicable, in each language', async () => {
    expect(register.definition.controller.address.country).toBe('FI');
    const expected = {
      sv: 'gäller inte (etablerad inom EU/EES)',
      fi: 'ei sovellu (sijoittautunut EU- tai ETA-alueelle)',
      en: 'not applicable (established in the EU/EEA)',
    };
    for (const lang of NOTICE_LANGS) {
      expect(noticeMessages[lang].representativeNotNeeded).toBe(expected[lang]);
      for (const row of await rowsOf(register, lang)) {
        expect(row.representative, lang).toBe(expected[lang]);
      }
    }
    // Outside the EU/EEA without one, it is still not stated.
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-records-'));
    try {
      const abroad = await loadDefinition(
        await variant(dir, 'abroad.yaml', (d) => {
          d.controller.address.country = 'CH';
        }),
      );
      const [row] = await rowsOf(abroad, 'en');
      expect(row!.representative).toBe('not stated');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lists per purpose only the sources that supply a category it uses', async () => {
    const rows = await rowsOf(register, 'en');
    const def = register.definition;
    let narrower = 0;
    for (const row of rows) {
      const p = def.purposes.find((x) => x.id === row.purpose_id)!;
      const expected = def.sources
        .filter(
          (x) => x.categories.length === 0 || x.categories.some((k) => p.categories.includes(k)),
        )
        .map((x) => x.label.en);
      expect(row.sources, p.id).toBe(expected.join('; '));
      if (expected.length < def.sources.length) {
        narrower++;
      }
    }
    // The demo has purposes that some sources do not supply (not every source on every row).
    expect(narrower).toBeGreaterThan(0);
    const care = rows.find((r) => r.purpose_id === 'emergency_care')!;
    const partner = def.sources.find(
      (x) =>
        x.categories.length > 0 && !x.categories.some((k) => ['identity', 'health'].includes(k)),
    );
    expect(partner).toBeDefined();
    expect(care.sources).not.toContain(partner!.label.en);
  });

  it('joins the security measures as sentences, without a semicolon after a full stop', async () => {
    const [row] = await rowsOf(register, 'en');
    const security = register.definition.security.map((x) => x.en);
    expect(row!.security_measures).toBe(security.join(' '));
    expect(row!.security_measures).not.toMatch(/[.!?];/);
  });
});

/**
 * A register made from a Finnish notice that is silent on some things: published in Finnish only,
 * one purpose's basis, one retention period, one recipient's country and one transfer's safeguard
 * `unknown`, one purpose and one category open-ended.
 */
function finnishOnly(doc: RegisterDefinition): void {
  const d = doc as unknown as Record<string, unknown> & RegisterDefinition;
  d.languages = ['fi'];
  const claims = d.purposes.find((p) => p.id === 'legal_claims')!;
  (claims as { legalBasis: string }).legalBasis = 'unknown';
  delete claims.legitimateInterest;
  d.purposes.find((p) => p.id === 'newsletter')!.openEnded = true;
  const rule = d.retention.rules.find((r) => r.id === 'claims_limitation')!;
  rule.duration = 'unknown';
  delete rule.from;
  d.recipients.find((r) => r.id === 'legal_advisers')!.country = 'unknown';
  const crm = d.transfers.find((t) => t.recipient === 'crm_service')!;
  crm.mechanism = 'unknown';
  delete crm.sccModule;
  d.categories.find((c) => c.id === 'feedback')!.openEnded = true;
}

describe('a register published in Finnish only, silent on some items', () => {
  let dir: string;
  let register: Register;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rekisteri-notice-fi-'));
    register = await loadDefinition(await variant(dir, 'fi.yaml', finnishOnly));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves only Finnish, and refuses another language naming lang', async () => {
    const service = createNoticeService({ register, publicUrl: 'https://portal.example.com' });
    expect(service.languages).toEqual(['fi']);
    expect(service.published(undefined)).toBe('fi');
    for (const lang of ['sv', 'en'] as const) {
      expect(() => service.published(lang)).toThrow(/^lang: /);
      await expect(service.render(lang, 'md')).rejects.toMatchObject({
        issues: [expect.objectContaining({ field: 'lang' })],
      });
      await expect(service.records(lang, 'controller', 'csv')).rejects.toMatchObject({
        issues: [expect.objectContaining({ field: 'lang' })],
      });
    }
    const page = service.page('fi');
    // No link to a language the register does not publish in.
    expect(page).not.toContain('hreflang="sv"');
    expect(page).not.toContain('hreflang="en"');
  });

  it('names an unknown basis, retention, country and safeguard as not stated, and as gaps', async () => {
    const service = createNoticeService({ register, publicUrl: 'https://portal.example.com' });
    const m = noticeMessages.fi;
    const md = unescapeMd((await service.render('fi', 'md')).body as string);
    expect(md).not.toMatch(/\bunknown\b/);
    const claims = register.definition.purposes.find((p) => p.id === 'legal_claims')!;
    expect(md).toContain(`### ${claims.label.fi}`);
    const claimsSection = md.slice(md.indexOf(`### ${claims.label.fi}`)).split('###')[1]!;
    expect(claimsSection).toContain(`**${m.legalBasis}**: ${m.notStated}`);
    expect(claimsSection).toContain(`**${m.retention}**: ${m.notStated}`);
    expect(md).toMatch(
      new RegExp(`\\| Asianajotoimisto Kivikko Oy \\| [^|]+ \\| ${m.notStated} \\|`),
    );
    expect(md).toMatch(new RegExp(`\\| Birchbark CRM LLC \\| [^|]+ \\| ${m.notStated}`));
    const gaps = service.completeness().gaps;
    const purposeIndex = register.definition.purposes.indexOf(claims);
    const ruleIndex = register.definition.retention.rules.findIndex(
      (r) => r.id === 'claims_limitation',
    );
    const recipientIndex = register.definition.recipients.findIndex(
      (r) => r.id === 'legal_advisers',
    );
    const transferIndex = register.definition.transfers.findIndex(
      (t) => t.recipient === 'crm_service',
    );
    expect(gaps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          item: 'purposes',
          path: `purposes[${purposeIndex}].legalBasis`,
          article: expect.stringContaining('Art. 13(1)(c)'),
        }),
        expect.objectContaining({
          item: 'retention',
          path: `retention.rules[${ruleIndex}].duration`,
          article: expect.stringContaining('Art. 13(2)(a)'),
        }),
        expect.objectContaining({
          item: 'transfers',
          path: `recipients[${recipientIndex}].country`,
          article: expect.stringContaining('Art. 13(1)(f)'),
        }),
        expect.objectContaining({
          item: 'transfers',
          path: `transfers[${transferIndex}].mechanism`,
          article: expect.stringContaining('Art. 13(1)(f)'),
        }),
      ]),
    );
    // The gaps section lists each item with its article.
    expect(md).toContain(`${m.purposes} (Art. 13(1)(c), 14(1)(c))`);
    expect(md).toContain(`${m.retentionHeading} (Art. 13(2)(a), 14(2)(a))`);
    expect(md).toContain(`${m.transfers} (Art. 13(1)(f), 14(1)(f))`);
    // The records say the same.
    const csv = (await service.records('fi', 'controller', 'csv'))!.body as string;
    const rows: Array<Record<string, string>> = parse(csv.replace(/^\uFEFF/, ''), {
      columns: true,
    });
    const row = rows.find((r) => r.purpose_id === 'legal_claims')!;
    expect(row.legal_basis).toBe(m.notStated);
    expect(row.retention).toContain(m.notStated);
    expect(csv).not.toMatch(/\bunknown\b/);
  });

  it('shows the notice section, disclosures, VAT number, what each source supplies and open-ended items', async () => {
    const service = createNoticeService({ register, publicUrl: 'https://portal.example.com' });
    const def = register.definition;
    const m = noticeMessages.fi;
    const md = unescapeMd((await service.render('fi', 'md')).body as string);
    const html = pageText((await service.render('fi', 'html')).body as string);
    const pdf = squash(await pdfText((await service.render('fi', 'pdf')).body as Buffer));
    const notice = def.notice!;
    // Term and value, as Markdown pairs them; the page and the PDF show both.
    const pairs: Array<[string, string]> = [
      [m.version, notice.version!],
      [m.date, notice.date],
      [m.nextReview, notice.nextReview!],
      [m.changes, notice.changes!.fi],
      [m.vatId, def.controller.vatId!],
    ];
    const texts = [
      m.lawsCited,
      ...notice.laws,
      m.disclosures,
      ...def.disclosures.map((d) => d.text.fi),
      `${def.sources[1]!.label.fi} (`,
      `${m.supplies} ${def.categories.find((c) => c.id === 'organisation')!.label.fi}`,
      `${def.purposes.find((p) => p.id === 'newsletter')!.label.fi} (${m.openEnded})`,
      `${def.categories.find((c) => c.id === 'feedback')!.label.fi} (${m.openEnded})`,
    ];
    for (const [term, value] of pairs) {
      expect(md).toContain(`**${term}**: ${value}`);
    }
    for (const text of [...pairs.flat(), ...texts]) {
      expect(md, text).toContain(text);
      expect(html, text).toContain(text);
      expect(pdf, text).toContain(squash(text));
    }
  });
});

describe('whether providing the data is required (Art. 13(2)(e)): asked only of data collected from the person', async () => {
  const demo = await loadDefinition(join(EXAMPLES, 'demo.yaml'));
  /** The demo without `requirement` on the newsletter and the analytics, `change` applied. */
  const silentOn = (change: (d: RegisterDefinition) => void = () => {}) => {
    const def = structuredClone(demo.definition);
    for (const p of def.purposes) {
      if (p.id === 'newsletter' || p.id === 'analytics') {
        delete p.requirement;
      }
    }
    change(def);
    return def;
  };
  const asked = (def: RegisterDefinition) =>
    noticeGaps(def)
      .filter((g) => g.item === 'requirement')
      .map((g) => def.purposes[Number(/\[(\d+)\]/.exec(g.path)?.[1])]?.id);
  const requirementSection = (def: RegisterDefinition) => {
    const service = createNoticeService({
      register: { ...demo, definition: def },
      publicUrl: 'https://portal.example.com',
    });
    const text = pageText(service.page('en'));
    return text.slice(text.indexOf('Must you give the data?'), text.indexOf('Profiling ('));
  };

  it('asks it of a purpose whose data the person gives, or whose use of the website is observed', () => {
    // The newsletter's identity, contact and marketing come from the person; the analytics
    // purpose's device and analytics are collected automatically from their visit.
    const def = silentOn();
    expect(asked(def)).toEqual(['newsletter', 'analytics']);
    for (const g of noticeGaps(def).filter((x) => x.item === 'requirement')) {
      expect(g.message).toContain('(Art. 13(2)(e))');
    }
    expect(requirementSection(def)).toMatch(/Web analytics and personalised content\s+not stated/);
  });

  it('does not ask it of a purpose whose categories all come from other sources (Art. 14)', () => {
    // The device and analytics data bought from a partner instead: nothing of the analytics
    // purpose is collected from the person, so there is nothing they could be obliged to give.
    const def = silentOn((d) => {
      const automatic = d.sources.find((s) => s.id === 'automatic')!;
      automatic.kind = 'partner';
    });
    expect(asked(def)).toEqual(['newsletter']);
    // The notice says why instead of "not stated", in each language.
    const section = requirementSection(def);
    expect(section).toContain(noticeMessages.en.notFromYou);
    expect(section).toMatch(/Newsletter and offers by e-mail\s+not stated/);
    expect(section).not.toMatch(/Web analytics and personalised content\s+not stated/);
    const fi = pageText(
      createNoticeService({
        register: { ...demo, definition: def },
        publicUrl: 'https://portal.example.com',
      }).page('fi'),
    );
    expect(fi).toContain(noticeMessages.fi.notFromYou);
    // The check is clean once the purpose collected from the person answers it.
    const answered = structuredClone(def);
    answered.purposes.find((p) => p.id === 'newsletter')!.requirement = structuredClone(
      demo.definition.purposes.find((p) => p.id === 'newsletter')!.requirement,
    );
    expect(asked(answered)).toEqual([]);
  });

  it('asks it where no source is given for a category (collection from the person cannot be ruled out)', () => {
    const def = silentOn((d) => {
      for (const s of d.sources) {
        s.categories = s.categories.filter((c) => c !== 'device' && c !== 'analytics');
      }
    });
    expect(asked(def)).toEqual(['newsletter', 'analytics']);
  });

  it('asks it where a source of the person does not say which categories it supplies', () => {
    // The analytics data bought from a partner, but the person's own source lists nothing (not
    // stated): it may supply anything, so collection from the person cannot be ruled out.
    const def = silentOn((d) => {
      d.sources.find((s) => s.id === 'automatic')!.kind = 'partner';
      const own = d.sources.find((s) => s.kind === 'subject')!;
      own.categories = [];
    });
    expect(asked(def)).toEqual(['newsletter', 'analytics']);
  });

  it('asks it where a purpose mixes other sources with data the person gives', () => {
    // b2b marketing: organisation and social from the trade register and LinkedIn, but identity
    // and contact from the person too.
    const def = silentOn((d) => {
      delete d.purposes.find((p) => p.id === 'b2b_marketing')!.requirement;
    });
    expect(asked(def)).toEqual(['newsletter', 'b2b_marketing', 'analytics']);
    const only = silentOn((d) => {
      const b2b = d.purposes.find((p) => p.id === 'b2b_marketing')!;
      delete b2b.requirement;
      b2b.categories = ['organisation', 'social'];
    });
    expect(asked(only)).toEqual(['newsletter', 'analytics']);
  });
});

describe('rekisteri check, notice and records (CLI)', () => {
  const cli = (...args: string[]) =>
    exec(process.execPath, [join(ROOT, 'bin/rekisteri.js'), ...args], { cwd: ROOT }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it('reports what the notice leaves unanswered as warnings, and stays valid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-notice-cli-'));
    try {
      const file = await variant(dir, 'silent.yaml', (d) => {
        delete d.controller.dpo;
        delete d.purposes[0]!.requirement;
        d.automatedDecisions = 'unknown';
      });
      // The silent variant and every example, at once (each is a process of its own).
      const examples = ['demo.yaml', 'chat-marketing.yaml', 'saas-processor.yaml'];
      const [r, ...checked] = await Promise.all([
        cli('check', file),
        ...examples.map((example) => cli('check', join(EXAMPLES, example))),
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /silent\.yaml: valid(, \d+ warnings?)?; the privacy notice leaves 3 items unanswered \(warnings\)/,
      );
      expect(r.stdout).toContain(
        'controller.dpo: warning: the privacy notice leaves "dpo" unanswered',
      );
      expect(r.stdout).toContain(
        'purposes[0].requirement: warning: the privacy notice leaves "requirement" unanswered',
      );
      expect(r.stdout).toContain('(Art. 13(2)(e))');
      expect(r.stdout).toContain(
        'automatedDecisions: warning: the privacy notice leaves "automated_decisions" unanswered',
      );
      // Every example answers every item.
      for (const ok of checked) {
        expect(ok.code).toBe(0);
        expect(ok.stdout).not.toContain('unanswered');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('gives each `unknown` warning the line and column of its value, in text and --json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-notice-cli-'));
    try {
      const file = await variant(dir, 'unknowns.yaml', (d) => {
        (d.controller as { dpo: unknown }).dpo = 'unknown';
        (d.purposes[1] as { requirement: unknown }).requirement = 'unknown';
        d.automatedDecisions = 'unknown';
      });
      const lines = (await readFile(file, 'utf8')).split('\n');
      /** The 1-based line and column of the first `unknown` value after `key:` from line `from`. */
      const at = (key: string, from = 0) => {
        const i = lines.findIndex((l, n) => n >= from && l.trimStart() === `${key}: unknown`);
        expect(i, key).toBeGreaterThanOrEqual(0);
        return { line: i + 1, column: (lines[i] as string).indexOf('unknown') + 1 };
      };
      const dpo = at(
        'dpo',
        lines.findIndex((l) => l === 'controller:'),
      );
      // The second purpose: the second item of the list under `purposes:`.
      const purposes = lines.findIndex((l) => l === 'purposes:');
      const items = lines.flatMap((l, n) => (n > purposes && /^ {2}- /.test(l) ? [n] : []));
      const second = items[1] as number;
      const requirement = at('requirement', second);
      const automated = at('automatedDecisions');
      const [text, json] = await Promise.all([cli('check', file), cli('check', '--json', file)]);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(
        `unknowns.yaml:${dpo.line}:${dpo.column}  controller.dpo: warning:`,
      );
      expect(text.stdout).toContain(
        `unknowns.yaml:${requirement.line}:${requirement.column}  purposes[1].requirement: warning:`,
      );
      expect(text.stdout).toContain(
        `unknowns.yaml:${automated.line}:${automated.column}  automatedDecisions: warning:`,
      );
      const warnings = (JSON.parse(json.stdout) as { warnings: Array<Record<string, unknown>> })
        .warnings;
      expect(warnings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path: 'controller.dpo', ...dpo }),
          expect.objectContaining({ path: 'purposes[1].requirement', ...requirement }),
          expect.objectContaining({ path: 'automatedDecisions', ...automated }),
        ]),
      );
      // Every warning has its place.
      for (const w of warnings) {
        expect(w.line, String(w.path)).toEqual(expect.any(Number));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('prints every warning it can whatever the error, or says in one line why there are none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-notice-cli-'));
    try {
      const silent = (d: RegisterDefinition) => {
        (d.controller as { dpo: unknown }).dpo = 'unknown';
        d.automatedDecisions = 'unknown';
        d.rights.offered = d.rights.offered.filter((o) => o.right !== 'erasure');
      };
      const valid = await variant(dir, 'valid.yaml', silent);
      const missingText = await variant(dir, 'text.yaml', (d) => {
        silent(d);
        delete (d.categories[4]!.fields[0]!.label as { en?: string }).en;
      });
      const repealed = await variant(dir, 'law.yaml', (d) => {
        silent(d);
        d.notice!.laws.push('Personuppgiftslagen (523/1999)');
      });
      const schema = await variant(dir, 'schema.yaml', (d) => {
        silent(d);
        (d.categories[4]!.fields[0] as { type: string }).type = 'bogus';
      });
      const runs = await Promise.all(
        [valid, missingText, repealed, schema].map((f) => cli('check', '--json', f)),
      );
      type Report = {
        valid: boolean;
        errors: Array<{ path: string; message: string; line?: number }>;
        warnings: Array<{ path: string; message: string; line?: number }>;
        noWarnings?: string;
      };
      const [ok, text, law, bad] = runs.map((r) => JSON.parse(r.stdout) as Report);
      const said = (r: Report) => r.warnings.map((w) => `${w.path}: ${w.message}`).sort();
      expect(ok!.valid).toBe(true);
      // The notice's gaps are among the valid file's warnings.
      expect(said(ok!)).toEqual(
        expect.arrayContaining([
          expect.stringContaining('controller.dpo: the privacy notice leaves "dpo" unanswered'),
          expect.stringContaining('automatedDecisions: the privacy notice leaves'),
        ]),
      );
      for (const [name, r, path] of [
        ['a missing text', text!, 'categories[4].fields[0].label.en'],
        ['a repealed law', law!, 'notice.laws[4]'],
      ] as const) {
        expect(r.valid, name).toBe(false);
        expect(
          r.errors.map((e) => e.path),
          name,
        ).toEqual([path]);
        expect(r.errors[0]?.line, name).toEqual(expect.any(Number));
        // The same warnings as the valid file, each with its line.
        expect(said(r), name).toEqual(said(ok!));
        expect(r.noWarnings, name).toBeUndefined();
        for (const w of r.warnings) {
          expect(w.line, `${name}: ${w.path}`).toEqual(expect.any(Number));
        }
      }
      // A schema error leaves nothing to check the rest against: it says so, once.
      expect(bad!.errors.map((e) => e.path)).toEqual(['categories[4].fields[0].type']);
      expect(bad!.warnings).toEqual([]);
      expect(bad!.noWarnings).toMatch(/^warnings not computed: /);
      // The same in text, on stderr, with exit 1.
      const [textRun, schemaRun] = await Promise.all([
        cli('check', missingText),
        cli('check', schema),
      ]);
      expect(textRun.code).toBe(1);
      expect(textRun.stderr).toMatch(
        /text\.yaml: 1 problem\(s\) in the register definition, and \d+ warning\(s\)/,
      );
      expect(textRun.stderr).toContain(
        'controller.dpo: warning: the privacy notice leaves "dpo" unanswered',
      );
      expect(schemaRun.code).toBe(1);
      expect(schemaRun.stderr.trimEnd().split('\n').at(-1)).toMatch(/^ {2}warnings not computed: /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('does not publish links to this machine: a PDF is refused, the Markdown warned about', async () => {
    const demo = join(EXAMPLES, 'demo.yaml');
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-notice-cli-'));
    const pdf = join(dir, 'notice.pdf');
    /** The CLI with PUBLIC_URL set to `publicUrl`, or unset. */
    const run = (publicUrl: string | undefined, ...args: string[]) => {
      const env = { ...process.env };
      delete env.PUBLIC_URL;
      delete env.HOST;
      delete env.PORT;
      return exec(process.execPath, [join(ROOT, 'bin/rekisteri.js'), ...args], {
        cwd: ROOT,
        env: { ...env, ...(publicUrl !== undefined ? { PUBLIC_URL: publicUrl } : {}) },
        encoding: 'buffer',
      }).then(
        (r) => ({ code: 0, stdout: r.stdout.toString(), stderr: r.stderr.toString() }),
        (e: { code: number; stdout: Buffer; stderr: Buffer }) => ({
          code: e.code,
          stdout: e.stdout.toString(),
          stderr: e.stderr.toString(),
        }),
      );
    };
    try {
      const [refused, md, given, envSet, loopback, preview, bad] = await Promise.all([
        run(undefined, 'notice', demo, '--format', 'pdf', '-o', pdf),
        run(undefined, 'notice', demo, '--lang', 'en'),
        run(
          undefined,
          'notice',
          demo,
          '--lang',
          'en',
          '--public-url',
          'https://portaali.example.com/',
        ),
        run('https://rekisteri.example.com', 'notice', demo, '--lang', 'en', '--format', 'md'),
        run('http://localhost:8080', 'notice', demo, '--lang', 'en'),
        run(
          undefined,
          'notice',
          demo,
          '--format',
          'pdf',
          '--local-links',
          '-o',
          join(dir, 'preview.pdf'),
        ),
        run(undefined, 'notice', demo, '--public-url', 'https://user:pw@example.com'),
      ]);
      // A PDF is made to be handed out: refused, nothing written, the fix named.
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('http://127.0.0.1:8080');
      expect(refused.stderr).toContain('PUBLIC_URL is not set');
      expect(refused.stderr).toContain('--public-url');
      await expect(readFile(pdf)).rejects.toMatchObject({ code: 'ENOENT' });
      // The Markdown is printed, with a warning on stderr naming the address.
      expect(md.code).toBe(0);
      expect(md.stdout).toContain('(<http://127.0.0.1:8080/preferences>)');
      expect(md.stderr).toMatch(
        /^warning: the notice's links point to http:\/\/127\.0\.0\.1:8080, /,
      );
      // The portal's address given, on the command line or in PUBLIC_URL: its links, no warning.
      expect(given.code).toBe(0);
      expect(given.stdout).toContain('(<https://portaali.example.com/preferences>)');
      expect(given.stderr).toBe('');
      expect(envSet.stdout).toContain('(<https://rekisteri.example.com/preferences>)');
      expect(envSet.stderr).toBe('');
      // PUBLIC_URL set to a loopback address is warned about too.
      expect(loopback.stderr).toContain(
        'http://localhost:8080 (PUBLIC_URL), an address only this machine reaches',
      );
      // --local-links: a preview PDF, with the warning.
      expect(preview.code).toBe(0);
      expect(preview.stderr).toContain('warning: ');
      expect((await readFile(join(dir, 'preview.pdf'))).subarray(0, 5).toString()).toBe('%PDF-');
      // A bad address is refused naming the option.
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain("option '--public-url <url>'");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('prints the notice and the records, and refuses a bad option naming it', async () => {
    const demo = join(EXAMPLES, 'demo.yaml');
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-notice-cli-'));
    const finnish = await variant(dir, 'fi.yaml', finnishOnly);
    const [notice, records, bad, unpublished, unpublishedRecords, fiDefault, badRole, noProcessor] =
      await Promise.all([
        cli('notice', demo, '--lang', 'sv'),
        cli('records', demo, '--format', 'csv'),
        cli('notice', demo, '--lang', 'de'),
        cli('notice', finnish, '--lang', 'sv'),
        cli('records', finnish, '--lang', 'en'),
        cli('notice', finnish),
        cli('records', demo, '--role', 'boss'),
        cli('records', demo, '--role', 'processor'),
      ]);
    expect(notice.code).toBe(0);
    expect(notice.stdout).toMatch(/^# Dataskyddsbeskrivning: /);
    expect(records.code).toBe(0);
    expect(records.stdout.replace(/^\uFEFF/, '').split('\r\n')[0]).toBe(
      Object.keys(CONTROLLER_COLUMNS)
        .map((c) => `"${c}"`)
        .join(','),
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("option '--lang <lang>' argument 'de' is invalid");
    expect(badRole.code).not.toBe(0);
    expect(badRole.stderr).toContain("option '--role <role>'");
    expect(noProcessor.code).toBe(1);
    expect(noProcessor.stderr).toContain('register.processorFor');
    // A language the register does not publish in is refused naming --lang's field.
    for (const r of [unpublished, unpublishedRecords]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('lang: the register publishes its notice in fi only');
    }
    expect(fiDefault.code).toBe(0);
    expect(fiDefault.stdout).toMatch(/^# Tietosuojaseloste: /);
    await rm(dir, { recursive: true, force: true });
  }, 120_000);
});

for (const kind of DATABASES) {
  describe(`the notice and the records over HTTP (${kind})`, () => {
    let t: TestContext;
    let hostile: TestContext;
    let finnish: TestContext;
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rekisteri-notice-'));
      t = await createTestContext(kind);
      const file = await variant(dir, 'hostile.yaml', (doc) => {
        doc.controller.name = '<script>alert("controller")</script> Oy';
        doc.purposes[0]!.label.en = '<img src=x onerror=alert(1)> [click](javascript:alert(2))';
        doc.categories[0]!.label.en = '| cell | # heading *bold* `code`';
        doc.register.processorFor = {
          sv: 'Våra kunders kundregister',
          fi: 'Asiakkaidemme asiakasrekisterit',
          en: '=HYPERLINK("http://evil") Our customers’ customer registers',
        };
      });
      hostile = await createTestContext(kind, file);
      finnish = await createTestContext(kind, await variant(dir, 'fi.yaml', finnishOnly));
    });
    afterAll(async () => {
      await t?.close();
      await hostile?.close();
      await finnish?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('serves the notice page at /notice and /{lang}/notice, without sign-in', async () => {
      for (const lang of NOTICE_LANGS) {
        const res = await t.app.inject({ url: `/${lang}/notice` });
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(res.body).toContain(`<html lang="${lang}">`);
        expect(res.body).toContain(`href="/api/v1/notice?lang=${lang}&amp;format=pdf"`);
        expect(res.body).toContain('href="/requests/new"');
        expect(res.body).toContain('href="/preferences"');
        expect(res.body).not.toMatch(/<script/i);
      }
      const asked = await t.app.inject({ url: '/notice', headers: { 'accept-language': 'sv-FI' } });
      expect(asked.body).toContain('<html lang="sv">');
      expect((await t.app.inject({ url: '/notice?lang=en' })).body).toContain('<html lang="en">');
      expect((await t.app.inject({ url: '/de/notice' })).statusCode).toBe(404);
    });

    it('shows hostile definition text as text in the page and the Markdown', async () => {
      const page = await hostile.app.inject({ url: '/en/notice' });
      expect(page.statusCode).toBe(200);
      expect(page.body).not.toMatch(/<script/i);
      expect(page.body).not.toMatch(/<img/i);
      expect(page.body).toContain('&lt;script&gt;alert(&quot;controller&quot;)&lt;/script&gt; Oy');
      expect(pageText(page.body)).toContain(
        '<img src=x onerror=alert(1)> [click](javascript:alert(2))',
      );
      const md = await hostile.app.inject({ url: '/api/v1/notice?lang=en&format=md' });
      expect(md.statusCode).toBe(200);
      expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
      // Neither HTML nor a link nor a table cell nor a heading comes out of the definition's text.
      expect(md.body).not.toMatch(/(?<!\\)<(script|img)/);
      expect(md.body).toContain('\\[click\\](javascript:alert(2))');
      expect(md.body).toContain('\\| cell \\| \\# heading \\*bold\\* \\`code\\`');
      expect(unescapeMd(md.body)).toContain('<script>alert("controller")</script> Oy');
    });

    it('gives the notice as PDF and Markdown for download', async () => {
      const pdf = await t.app.inject({ url: '/api/v1/notice?lang=fi&format=pdf' });
      expect(pdf.statusCode).toBe(200);
      expect(pdf.headers['content-type']).toBe('application/pdf');
      expect(pdf.headers['content-disposition']).toMatch(
        /^attachment; filename="privacy-notice-[0-9a-f]{12}-fi\.pdf"$/,
      );
      expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
      expect(squash(await pdfText(pdf.rawPayload))).toContain(squash('Tietosuojaseloste'));
      const md = await t.app.inject({ url: '/api/v1/notice?lang=sv&format=md' });
      expect(md.body).toMatch(/^# Dataskyddsbeskrivning: /);
      const completeness = await t.app.inject({ url: '/api/v1/notice/completeness' });
      // The demo answers every item, whether providing data is required among them.
      expect(completeness.json()).toEqual({ complete: true, gaps: [] });
    });

    it('serves a Finnish-only register in Finnish only', async () => {
      const page = await finnish.app.inject({
        url: '/notice',
        headers: { 'accept-language': 'sv-FI, en' },
      });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<html lang="fi">');
      expect(page.body).not.toMatch(/hreflang="(sv|en)"/);
      expect((await finnish.app.inject({ url: '/notice?lang=en' })).body).toContain(
        '<html lang="fi">',
      );
      expect((await finnish.app.inject({ url: '/fi/notice' })).statusCode).toBe(200);
      for (const lang of ['sv', 'en']) {
        expect((await finnish.app.inject({ url: `/${lang}/notice` })).statusCode).toBe(404);
      }
      const md = await finnish.app.inject({ url: '/api/v1/notice?format=md' });
      expect(md.body).toMatch(/^# Tietosuojaseloste: /);
      const admin = await newStaffSession(finnish, 'admin');
      for (const url of [
        '/api/v1/notice?lang=sv',
        '/api/v1/notice?lang=en&format=pdf',
        '/api/v1/records?lang=en',
      ]) {
        const res = await finnish.app.inject({ url, headers: { cookie: admin.cookie } });
        expect(res.statusCode, url).toBe(400);
        expect(res.json<{ errors: Array<{ field: string }> }>().errors, url).toEqual([
          expect.objectContaining({ field: 'lang' }),
        ]);
      }
    });

    it('refuses bad parameters naming the field, and changes nothing', async () => {
      for (const [url, field] of [
        ['/api/v1/notice?lang=de', 'lang'],
        ['/api/v1/notice?format=docx', 'format'],
        ['/api/v1/notice?colour=red', 'colour'],
      ] as const) {
        const res = await t.app.inject({ url });
        expect(res.statusCode, url).toBe(400);
        expect(res.headers['content-type']).toMatch(/problem\+json/);
        expect(JSON.stringify(res.json<{ errors: unknown }>().errors), url).toContain(field);
      }
      const admin = await newStaffSession(t, 'admin');
      for (const [url, field] of [
        ['/api/v1/records?role=boss', 'role'],
        ['/api/v1/records?format=xlsx', 'format'],
        ['/api/v1/records?lang=de', 'lang'],
      ] as const) {
        const res = await t.app.inject({ url, headers: { cookie: admin.cookie } });
        expect(res.statusCode, url).toBe(400);
        expect(JSON.stringify(res.json<{ errors: unknown }>().errors), url).toContain(field);
      }
    });

    it('exports the Art. 30(1) records as CSV with a row per purpose, for read_audit only', async () => {
      const auditor = await newStaffSession(t, 'auditor');
      const res = await t.app.inject({
        url: '/api/v1/records?lang=fi&format=csv',
        headers: { cookie: auditor.cookie },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      const rows: Array<Record<string, string>> = parse(res.body.replace(/^\uFEFF/, ''), {
        columns: true,
      });
      const def = t.register.definition;
      expect(Object.keys(rows[0] ?? {})).toEqual(Object.keys(CONTROLLER_COLUMNS));
      expect(rows.map((r) => r.purpose_id)).toEqual(def.purposes.map((p) => p.id));
      const bookkeeping = rows.find((r) => r.legal_basis?.startsWith('Lakisääteinen'));
      expect(bookkeeping?.law).toContain('1336/1997');
      const newsletter = rows.find((r) => r.purpose_id === 'newsletter');
      expect(newsletter?.third_country_transfers).toContain('Mailfinch Inc.');
      expect(newsletter?.third_country_transfers).not.toContain('Birchbark');
      expect(rows.every((r) => r.security_measures !== '' && r.retention !== '')).toBe(true);

      for (const format of ['html', 'pdf'] as const) {
        const doc = await t.app.inject({
          url: `/api/v1/records?lang=en&format=${format}`,
          headers: { cookie: auditor.cookie },
        });
        expect(doc.statusCode).toBe(200);
        const text = format === 'pdf' ? await pdfText(doc.rawPayload) : pageText(doc.body);
        expect(squash(text)).toContain(squash('Records of processing activities (Art. 30(1))'));
      }
      // Without a processor role in the definition there are no Art. 30(2) records.
      const none = await t.app.inject({
        url: '/api/v1/records?role=processor',
        headers: { cookie: auditor.cookie },
      });
      expect(none.statusCode).toBe(404);
      expect(none.body).toContain('register.processorFor');

      const support = await newStaffSession(t, 'support');
      const refused = await t.app.inject({
        url: '/api/v1/records',
        headers: { cookie: support.cookie },
      });
      expect(refused.statusCode).toBe(403);
      expect((await t.app.inject({ url: '/api/v1/records' })).statusCode).toBe(401);
    });

    it('exports the Art. 30(2) records where the definition says the company is a processor', async () => {
      const dpo = await newStaffSession(hostile, 'dpo');
      const res = await hostile.app.inject({
        url: '/api/v1/records?role=processor&lang=en',
        headers: { cookie: dpo.cookie },
      });
      expect(res.statusCode, res.body).toBe(200);
      const rows: Array<Record<string, string>> = parse(res.body.replace(/^\uFEFF/, ''), {
        columns: true,
      });
      expect(rows).toHaveLength(1);
      expect(Object.keys(rows[0] ?? {})).toEqual(Object.keys(PROCESSOR_COLUMNS));
      // The formula guard: a cell that would start a formula in a spreadsheet does not.
      expect(rows[0]?.controllers_and_processing).toBe(
        '\'=HYPERLINK("http://evil") Our customers’ customer registers',
      );
      expect(rows[0]?.processor).toBe('<script>alert("controller")</script> Oy (3141592-6)');
    });
    it('publishes a version with its date once, says when a new one is needed, and diffs', async () => {
      const before = await t.app.inject({ url: '/api/v1/notice/versions' });
      expect(before.statusCode).toBe(200);
      expect(before.json()).toMatchObject({
        versions: [],
        current: { publishedAs: null, needsNewVersion: true },
      });
      expect(pageText((await t.app.inject({ url: '/en/notice' })).body)).not.toContain(
        'In force from',
      );
      const dpo = await newStaffSession(t, 'dpo');
      const refused = await t.app.inject({
        method: 'POST',
        url: '/api/v1/notice/versions',
        headers: dpo.headers,
        payload: {},
      });
      expect(refused.statusCode).toBe(403);
      const admin = await newStaffSession(t, 'admin');
      const bad = await t.app.inject({
        method: 'POST',
        url: '/api/v1/notice/versions',
        headers: admin.headers,
        payload: { date: '2026-02-30' },
      });
      expect(bad.statusCode).toBe(400);
      expect(JSON.stringify(bad.json<{ errors: unknown }>().errors)).toContain('date');
      expect((await t.app.inject({ url: '/api/v1/notice/versions' })).json()).toMatchObject({
        versions: [],
      });

      const published = await t.app.inject({
        method: 'POST',
        url: '/api/v1/notice/versions',
        headers: admin.headers,
        payload: { date: '2026-03-01' },
      });
      expect(published.statusCode, published.body).toBe(201);
      expect(published.json()).toMatchObject({ version: 1, date: '2026-03-01' });
      const again = await t.app.inject({
        method: 'POST',
        url: '/api/v1/notice/versions',
        headers: admin.headers,
        payload: {},
      });
      expect(again.statusCode).toBe(409);
      expect(again.body).toContain('already published as version 1');

      const after = (await t.app.inject({ url: '/api/v1/notice/versions' })).json<{
        versions: Array<{ version: number; date: string }>;
        current: { publishedAs: number; needsNewVersion: boolean; changes: unknown[] };
      }>();
      expect(after.versions.map((v) => [v.version, v.date])).toEqual([[1, '2026-03-01']]);
      expect(after.current).toMatchObject({ publishedAs: 1, needsNewVersion: false, changes: [] });
      // The page says which version it is and, once, the date it took effect (the version's, not
      // the definition's notice.date), labelled, and when it is next reviewed.
      const defined = t.register.definition.notice!;
      expect(defined.date).not.toBe('2026-03-01');
      const labels = {
        en: ['Version', 'In force from', 'Next review'],
        sv: ['Version', 'Gäller från', 'Nästa granskning'],
        fi: ['Versio', 'Voimassa alkaen', 'Seuraava tarkistus'],
      } as const;
      for (const lang of ['en', 'sv', 'fi'] as const) {
        const m = noticeMessages[lang];
        const html = (await t.app.inject({ url: `/${lang}/notice` })).body;
        const meta = /<dl>[\s\S]*?<\/dl>/.exec(html)![0];
        const [version, inForce, review] = labels[lang];
        expect(meta, lang).toContain(`<dt>${version}</dt><dd>1<span class="note">`);
        expect(meta, lang).toContain(`<dt>${inForce}</dt><dd>2026-03-01</dd>`);
        expect(meta, lang).toContain(`<dt>${review}</dt><dd>${defined.nextReview!}</dd>`);
        // One date of the version: not the definition's beside it, nor the same twice.
        expect(meta, lang).not.toContain(defined.date);
        expect(meta, lang).not.toContain(`<dt>${m.date}</dt>`);
        expect(meta.split('2026-03-01'), lang).toHaveLength(2);
      }

      const frozen = await t.app.inject({ url: '/api/v1/notice/versions/1' });
      expect(frozen.json<{ notice: Record<string, string> }>().notice.fi).toMatch(
        /^# Tietosuojaseloste: /,
      );
      expect((await t.app.inject({ url: '/api/v1/notice/versions/2' })).statusCode).toBe(404);
      const diff = await t.app.inject({ url: '/api/v1/notice/versions/diff?from=1' });
      expect(diff.json()).toEqual({ changes: [] });
      const badDiff = await t.app.inject({ url: '/api/v1/notice/versions/diff?from=first' });
      expect(badDiff.statusCode).toBe(400);
      expect(JSON.stringify(badDiff.json<{ errors: unknown }>().errors)).toContain('from');
      const missing = await t.app.inject({ url: '/api/v1/notice/versions/diff?from=1&to=7' });
      expect(missing.statusCode).toBe(404);
      // The publication is in the access log.
      const log = await t.services.audit.list({ limit: 20 });
      expect(log.map((e) => e.action)).toContain('notice.publish');
    });
  });
}
