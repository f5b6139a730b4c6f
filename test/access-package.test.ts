/**
 * The access package (Art. 15 and 20): a ZIP of the access copy as JSON, CSV, HTML and PDF, plus
 * the portable copy. Unzipped and read back as a person's programs would read it: every value is
 * there in every file, nothing in a value is taken for markup or a formula, the readable copy
 * speaks the person's language, and it says of each category what the definition says.
 */
import { parse } from 'csv-parse/sync';
import { unzipSync } from 'fflate';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../src/lib/actor.ts';
import { EEA_COUNTRIES } from '../src/modules/definition/index.ts';
import {
  buildAccessPackage,
  type AccessCopy,
  type PackageLang,
} from '../src/modules/subjects/index.ts';
import { buildDocument } from '../src/modules/subjects/access-package/document.ts';
import { packageMessages } from '../src/modules/subjects/access-package/messages.ts';
import { isSharedPiece, renderPdf } from '../src/modules/subjects/access-package/pdf.ts';
import { createTestContext, DATABASES, type TestContext } from './helpers.ts';
import { allPowersKey, tag } from './factories.ts';

type Files = Record<string, string>;

async function unpack(zip: Buffer): Promise<Files & { pdfText: string }> {
  const raw = unzipSync(new Uint8Array(zip));
  const files: Files = {};
  for (const [name, bytes] of Object.entries(raw)) {
    if (!name.endsWith('.pdf')) {
      files[name] = new TextDecoder().decode(bytes);
    }
  }
  const pdfBytes = raw['access-copy.pdf'];
  expect(pdfBytes, 'the package holds a PDF').toBeDefined();
  const pdf = await getDocumentProxy(new Uint8Array(pdfBytes as Uint8Array));
  const { text } = await extractText(pdf, { mergePages: true });
  return { ...files, pdfText: text };
}

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

/** Whitespace carries no meaning once a value is wrapped onto lines of a page. */
const squash = (s: string) => s.replace(/\s+/g, '');

/** The texts a value is shown as: a string itself, each part of an object or array. */
function leaves(value: unknown): string[] {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return [String(value)];
  }
  return value && typeof value === 'object' ? Object.values(value).flatMap(leaves) : [];
}

function rows(csvText: string): Array<Record<string, string>> {
  return parse<Record<string, string>>(csvText, { columns: true, bom: true });
}

const SCRIPT = '<script>alert(1)</script>';
const FORMULA = '=HYPERLINK("https://example.com/x","click")';

describe('the access package', () => {
  let t: TestContext;
  let id: string;
  let copy: AccessCopy;
  let sv: Files & { pdfText: string };

  beforeAll(async () => {
    // One database is enough: the package is built from the copy, not from SQL.
    t = await createTestContext(DATABASES[DATABASES.length - 1] as 'pglite' | 'postgres');
    const created = await t.services.subjects.createSubject(operator, {
      purpose: 'customer_relationship',
      source: 'subject',
      values: {
        identity: { firstName: 'Áŋŋát', lastName: 'Öberg-Ääkkönen' },
        contact: {
          email: `asa.${tag()}@example.fi`,
          phone: '+358401234567',
          address: {
            street: 'Åkervägen 5',
            postalCode: '00100',
            city: 'Helsingfors',
            country: 'FI',
          },
        },
        orders: { orderCount: 3, deliveryNotes: SCRIPT },
        feedback: { rating: 4, comment: FORMULA },
      },
    });
    id = created.id;
    await t.services.subjects.updateSubject(operator, id, {
      purpose: 'b2b_marketing',
      source: 'linkedin',
      values: {
        organisation: { organisation: 'Kafé 5 € Ab', title: '-Inköpschef' },
        social: { profileUrl: 'https://example.org/in/aberg' },
      },
    });
    await t.services.subjects.updateSubject(operator, id, {
      purpose: 'customer_relationship',
      source: 'staff',
      values: { notes: { note: 'Ringde om leveransen.\nVill ha kvitto på € belopp.' } },
    });
    copy = await t.services.subjects.exportSubject(operator, id, 'sv');
    sv = await unpack(await buildAccessPackage(copy, t.register, 'sv'));
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it('answers the API export with the whole copy, schema and all', async () => {
    const res = await t.app.inject({
      url: `/api/v1/subjects/${id}/export?lang=sv`,
      headers: await allPowersKey(t),
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<AccessCopy>();
    // Nothing the copy holds is dropped by the response schema (only the log has grown since).
    expect({ ...body, exportedAt: '', accessLog: [] }).toEqual({
      ...JSON.parse(JSON.stringify(copy)),
      exportedAt: '',
      accessLog: [],
    });
  });

  it('holds every value in the JSON, the CSV, the HTML page and the PDF', () => {
    expect(Object.keys(sv).sort()).toEqual([
      'access-copy.html',
      'access-copy.json',
      'data.csv',
      'pdfText',
    ]);
    expect(JSON.parse(sv['access-copy.json'] as string)).toEqual(JSON.parse(JSON.stringify(copy)));
    const data = rows(sv['data.csv'] as string);
    const page = squash(pageText(sv['access-copy.html'] as string));
    const pdf = squash(sv.pdfText);
    const categories = Object.entries(copy.categories);
    expect(categories.map(([c]) => c).sort()).toEqual(
      ['contact', 'feedback', 'identity', 'notes', 'orders', 'organisation', 'social'].sort(),
    );
    let count = 0;
    for (const [c, cat] of categories) {
      for (const [f, stored] of Object.entries(cat.fields)) {
        count++;
        const row = data.find((r) => r.category === c && r.field === f);
        expect(row, `${c}.${f} in data.csv`).toBeDefined();
        expect(row?.source).toBe(stored.source);
        expect(row?.collected).toBe(stored.collectedAt);
        expect(row?.purposes?.split(' ')).toEqual(cat.purposes.map((p) => p.id));
        for (const leaf of leaves(stored.value)) {
          if (typeof stored.value === 'string' && !/^[=+\-@]/.test(leaf)) {
            expect(row?.value).toBe(leaf);
          }
          expect(page, `${c}.${f} in the HTML`).toContain(squash(leaf));
          expect(pdf, `${c}.${f} in the PDF`).toContain(squash(leaf));
        }
      }
    }
    expect(data).toHaveLength(count);
    // Nordic letters and the euro sign survive the embedded font.
    expect(sv.pdfText).toContain('Áŋŋát');
    expect(sv.pdfText).toContain('Öberg-Ääkkönen');
    expect(sv.pdfText).toContain('€');
  });

  it('writes the readable copy in the language asked for', async () => {
    for (const lang of ['sv', 'fi', 'en'] as PackageLang[]) {
      const files =
        lang === 'sv' ? sv : await unpack(await buildAccessPackage(copy, t.register, lang));
      const html = files['access-copy.html'] as string;
      const m = packageMessages[lang];
      expect(html).toContain(`<html lang="${lang}">`);
      expect(html).toContain(`<title>${m.title}</title>`);
      expect(pageText(html)).toContain(m.rightNames.access);
      expect(files.pdfText).toContain(m.title);
      // Labels from the definition come in the same language.
      expect(pageText(html)).toContain(t.register.category('identity')?.label[lang]);
      expect(files.pdfText).toContain(t.register.purpose('billing')?.label[lang]);
      for (const other of ['sv', 'fi', 'en'].filter((l) => l !== lang) as PackageLang[]) {
        expect(html).not.toContain(packageMessages[other].title);
      }
    }
  });

  it('shows markup and formulas in values as inert text', () => {
    const html = sv['access-copy.html'] as string;
    expect(html).not.toContain(SCRIPT);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.match(/<script/gi)).toBeNull();
    expect(html).toContain("default-src 'none'");
    const data = rows(sv['data.csv'] as string);
    const comment = data.find((r) => r.category === 'feedback' && r.field === 'comment');
    expect(comment?.value).toBe(`'${FORMULA}`);
    const title = data.find((r) => r.category === 'organisation' && r.field === 'title');
    expect(title?.value).toBe("'-Inköpschef");
    // No cell of the file starts a formula; a phone number is no formula and stays as it is.
    for (const row of data) {
      for (const cell of Object.values(row)) {
        if (!/^[+-]?[\d ().-]+$/.test(cell)) {
          expect(cell).not.toMatch(/^[=+\-@\t\r]/);
        }
      }
    }
    expect(data.find((r) => r.field === 'phone')?.value).toBe('+358401234567');
  });

  it('keeps a portable phone number byte for byte and neutralises a formula in portable.csv', async () => {
    const odd: AccessCopy = JSON.parse(JSON.stringify(copy));
    const phone = odd.categories.contact?.fields.phone;
    const comment = odd.categories.feedback?.fields.comment;
    if (!phone || !comment) {
      throw new Error('the person has a phone and a comment');
    }
    phone.value = '+358 40 123 4567';
    comment.value = '+1+HYPERLINK("https://example.com/x")';
    const zip = await buildAccessPackage(odd, t.register, 'en', { portability: true });
    const raw = new TextDecoder().decode(unzipSync(new Uint8Array(zip))['portable.csv']);
    // The bytes of the file, not only what a parser makes of them.
    expect(raw).toContain('"contact","phone","+358 40 123 4567",');
    expect(raw).toContain(`"feedback","comment","'+1+HYPERLINK(""https://example.com/x"")",`);
    const portable = rows(raw);
    expect(portable.find((r) => r.field === 'phone')?.value).toBe('+358 40 123 4567');
    expect(portable.find((r) => r.field === 'comment')?.value).toBe(
      `'+1+HYPERLINK("https://example.com/x")`,
    );
  });

  it('puts only what the person provided in the portable copy', async () => {
    const files = await unpack(
      await buildAccessPackage(copy, t.register, 'en', { portability: true }),
    );
    const portable = JSON.parse(files['portable.json'] as string) as {
      categories: Record<string, Record<string, { value: unknown }>>;
    };
    const fromSubject = Object.entries(copy.categories).flatMap(([c, cat]) =>
      Object.entries(cat.fields)
        .filter(([, s]) => t.register.source(s.source)?.kind === 'subject')
        .map(([f, s]) => ({ c, f, value: s.value })),
    );
    expect(fromSubject.length).toBeGreaterThan(5);
    const held = Object.entries(portable.categories).flatMap(([c, fields]) =>
      Object.entries(fields).map(([f, v]) => ({ c, f, value: v.value })),
    );
    expect(held).toEqual(fromSubject);
    expect(portable.categories.organisation).toBeUndefined();
    expect(portable.categories.notes).toBeUndefined();
    const csvRows = rows(files['portable.csv'] as string);
    expect(csvRows.map((r) => `${r.category}.${r.field}`)).toEqual(
      fromSubject.map((v) => `${v.c}.${v.f}`),
    );
    expect(pageText(files['access-copy.html'] as string)).toContain('portable.json');
    expect(files['portable.json']).toBeDefined();
    expect(sv['portable.json']).toBeUndefined();
  });

  it('lays the PDF out exactly as pdfkit alone would, and keeps no piece of the person in the fonts', async () => {
    // The fonts keep the shaped words every copy shares; a document rendered without them (as
    // when learning) must come out byte for byte the same.
    const doc = buildDocument(copy, t.register, 'sv', { portability: false });
    const opts = { createdAt: new Date(copy.exportedAt), truncated: '', compress: false };
    const shared = await renderPdf(doc, opts);
    const used = { regular: new Set<string>(), bold: new Set<string>() };
    const alone = await renderPdf(doc, opts, used);
    expect(shared.equals(alone)).toBe(true);
    // What the person's copy made the fonts shape stays with that document.
    expect(used.regular.has('Áŋŋát')).toBe(true);
    for (const piece of ['Áŋŋát', 'Öberg-Ääkkönen', copy.subject.id, 'Åkervägen ']) {
      expect(isSharedPiece(piece), piece).toBe(false);
    }
    expect(isSharedPiece(`${packageMessages.sv.title.split(' ')[0]} `)).toBe(true);
  });

  it('survives NUL bytes and very long values', async () => {
    const long = `${'Lång text med € och å. '.repeat(3000)}slut`;
    const odd: AccessCopy = JSON.parse(JSON.stringify(copy));
    const notes = odd.categories.notes?.fields.note;
    const identity = odd.categories.identity?.fields.lastName;
    if (!notes || !identity) {
      throw new Error('the person has notes and a last name');
    }
    notes.value = long;
    identity.value = 'Nul\u0000Byte\u0007\uD800';
    const files = await unpack(await buildAccessPackage(odd, t.register, 'fi'));
    // The JSON keeps the value exactly; the readable files show a replacement character.
    const json = JSON.parse(files['access-copy.json'] as string) as AccessCopy;
    expect(json.categories.notes?.fields.note?.value).toBe(long);
    expect(json.categories.identity?.fields.lastName?.value).toBe('Nul\u0000Byte\u0007\uD800');
    for (const name of ['access-copy.html', 'data.csv'] as const) {
      expect(files[name]?.includes('\u0000')).toBe(false);
      expect(files[name]).toContain('Nul\uFFFDByte\uFFFD\uFFFD');
    }
    expect(files.pdfText).toContain('Nul');
    expect(rows(files['data.csv'] as string).find((r) => r.field === 'note')?.value).toBe(long);
    expect(pageText(files['access-copy.html'] as string)).toContain(long);
    // The PDF shows the beginning and says where the rest is.
    expect(squash(files.pdfText)).toContain(squash(long.slice(0, 2000)));
    expect(files.pdfText).toContain('access-copy.json');
  }, 30_000);

  it("names each category's purposes, sources, recipients, retention and holds as the definition says", () => {
    const def = t.register.definition;
    const page = squash(pageText(sv['access-copy.html'] as string));
    const pdf = squash(sv.pdfText);
    const shown = (text: string) => {
      expect(page).toContain(squash(text));
      expect(pdf).toContain(squash(text));
    };
    for (const [c, cat] of Object.entries(copy.categories)) {
      const purposes = def.purposes.filter((p) => p.categories.includes(c));
      expect(cat.purposes.map((p) => p.id)).toEqual(purposes.map((p) => p.id));
      for (const p of purposes) {
        const rule = def.retention.rules.find((r) => r.id === p.retention);
        expect(cat.purposes.find((x) => x.id === p.id)).toMatchObject({
          legalBasis: p.legalBasis,
          retention: {
            id: rule?.id,
            duration: rule?.duration,
            from: rule?.from,
            label: rule?.label,
          },
        });
        shown(p.label.sv);
        shown(rule?.label.sv as string);
        shown(packageMessages.sv.legalBases[p.legalBasis]);
      }
      const sources = [...new Set(Object.values(cat.fields).map((f) => f.source))];
      expect(cat.sources.map((s) => s.id)).toEqual(sources);
      for (const s of sources) {
        const declared = def.sources.find((x) => x.id === s);
        expect(cat.sources.find((x) => x.id === s)).toEqual({
          id: s,
          kind: declared?.kind,
          label: declared?.label,
        });
        shown(declared?.label.sv as string);
      }
      const recipients = def.recipients.filter((r) => r.categories.includes(c));
      expect(cat.recipients.map((r) => r.id)).toEqual(recipients.map((r) => r.id));
      for (const r of recipients) {
        shown(r.name.sv);
        const outside = def.transfers.filter(
          (x) => x.recipient === r.id && !EEA_COUNTRIES.has(x.country),
        );
        expect(
          cat.recipients.find((x) => x.id === r.id)?.transfers.map((x) => x.mechanism),
        ).toEqual(outside.map((x) => x.mechanism));
        for (const x of outside) {
          shown(packageMessages.sv.mechanisms[x.mechanism ?? 'none']);
        }
      }
      const holds = def.retention.legalHolds.filter((h) => h.categories.includes(c));
      expect(cat.legalHolds.map((h) => h.id)).toEqual(holds.map((h) => h.id));
      for (const h of holds) {
        shown(h.label.sv);
        shown(h.law);
      }
    }
    // A recipient outside the EU/EEA is named with the mechanism of its transfer.
    expect(
      copy.categories.contact?.recipients.find((r) => r.id === 'crm_service')?.transfers,
    ).toEqual([expect.objectContaining({ countries: ['US'], mechanism: 'scc', sccModule: 2 })]);
    shown(def.supervisoryAuthority.name.sv);
    for (const r of def.rights.offered) {
      shown(packageMessages.sv.rightNames[r.right]);
    }
    // The person's own view of the access log, as sentences.
    expect(copy.accessLog.length).toBeGreaterThan(0);
    for (const e of copy.accessLog) {
      shown(e.text);
    }
  });
});
