/**
 * The access copy as a PDF, rendered with pdfkit from the same document as the HTML page. Text is
 * set in DejaVu Sans, embedded (subset) from the dejavu-fonts-ttf package: the PDF standard fonts
 * know only Windows-1252, and people's names need more (Sámi Áŋŋát, Polish Łukasz). pdfkit writes
 * every text as glyph ids in a string object, so no value is read as PDF syntax.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';
import type { Font, Glyph } from 'fontkit';
import PDFDocument from 'pdfkit';
import type { AccessDocument, Block } from './document.ts';

/** Values longer than this are cut in the PDF (the JSON, CSV and HTML hold them whole). */
export const PDF_MAX_TEXT = 10_000;

/** A piece of text shaped and scaled to 1000 units per em, as pdfkit's own layout cache holds it. */
interface ShapedRun {
  readonly glyphs: readonly Glyph[];
  readonly positions: ReadonlyArray<{
    readonly xAdvance: number;
    readonly yAdvance: number;
    readonly xOffset: number;
    readonly yOffset: number;
    readonly advanceWidth: number;
  }>;
  readonly advanceWidth: number;
}

/**
 * A font with the shaped pieces every copy of a register shares. pdfkit lays text out a piece at a
 * time (a word with the space or tab that ends it) and keeps each piece's shaped and scaled run in
 * a cache of its own per document. Shaping (OpenType substitution and positioning) is most of the
 * time a PDF takes, and most pieces of an access copy are the same in every copy: the definition's
 * texts and the package's own words. Those are shaped once, when a register is first rendered in
 * a language (`learn`), and every document's cache starts from them: it looks them up through its
 * prototype, and only a piece not among them (a person's data, a date) is shaped for the document.
 * The shared pieces never take in a word while a copy is rendered, so no person's data stays
 * behind in them; the runs are frozen, so a document cannot change what the next one reads.
 */
function sharedFont(font: Font) {
  const scale = 1000 / font.unitsPerEm;
  const runs = Object.create(null) as Record<string, ShapedRun>;
  /** The same arithmetic as pdfkit's EmbeddedFont.layoutRun, so a shared run equals its own. */
  const shape = (text: string): ShapedRun => {
    const run = font.layout(text);
    const positions = run.positions.map((p, i) =>
      Object.freeze({
        xAdvance: p.xAdvance * scale,
        yAdvance: p.yAdvance * scale,
        xOffset: p.xOffset * scale,
        yOffset: p.yOffset * scale,
        advanceWidth: (run.glyphs[i] as Glyph).advanceWidth * scale,
      }),
    );
    let advanceWidth = 0;
    for (const p of positions) {
      advanceWidth += p.xAdvance;
    }
    return Object.freeze({
      glyphs: Object.freeze([...run.glyphs]),
      positions: Object.freeze(positions),
      advanceWidth,
    });
  };
  return {
    font,
    runs,
    /** Shapes and keeps these pieces (never a person's data). */
    learnPieces(texts: Iterable<string>) {
      for (const piece of texts) {
        if (piece !== '' && !(piece in runs)) {
          runs[piece] = shape(piece);
        }
      }
    },
  };
}
type SharedFont = ReturnType<typeof sharedFont>;
type FontName = 'regular' | 'bold';

let fonts: Record<FontName, SharedFont> | undefined;

/** Parsed once per process: parsing the font file costs more than laying out a copy. */
function loadFonts() {
  if (!fonts) {
    const require = createRequire(import.meta.url);
    const load = (file: string) =>
      sharedFont(
        fontkit.create(readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${file}`))) as Font,
      );
    fonts = { regular: load('DejaVuSans.ttf'), bold: load('DejaVuSans-Bold.ttf') };
  }
  return fonts;
}

/** The pieces pdfkit shapes a text in: words with the space or tab that ends them. */
function piecesOf(text: string): string[] {
  return text.split(/(?<=[ \t])/);
}

/**
 * Teaches the fonts the pieces every copy of a register shares, once per owner (a register) and
 * language: the words of `texts` (its definition's texts and the package's words), and every piece
 * pdfkit shapes in rendering `specimens`, documents of an invented person in that language (so
 * that texts composed of the definition's words, such as a purpose's sentence, are known as
 * pdfkit breaks them up). No personal data is among them.
 */
const learned = new WeakMap<object, Set<string>>();
export async function learnWords(
  owner: object,
  lang: string,
  texts: () => Iterable<string>,
  specimens: () => AccessDocument[],
) {
  let langs = learned.get(owner);
  if (langs?.has(lang)) {
    return;
  }
  const shared = loadFonts();
  if (!langs) {
    const all = [...texts()].flatMap(piecesOf);
    shared.regular.learnPieces(all);
    shared.bold.learnPieces(all);
    langs = new Set();
    learned.set(owner, langs);
  }
  for (const doc of specimens()) {
    const used = { regular: new Set<string>(), bold: new Set<string>() };
    await renderPdf(doc, { createdAt: new Date(0), truncated: '', compress: false }, used);
    shared.regular.learnPieces(used.regular);
    shared.bold.learnPieces(used.bold);
  }
  langs.add(lang);
}

/** Whether the fonts hold this piece shaped for every document (never a person's data). */
export function isSharedPiece(piece: string): boolean {
  const { regular, bold } = loadFonts();
  return piece in regular.runs || piece in bold.runs;
}

/** pdfkit's font object as far as it is used here: its per-document cache of shaped pieces. */
interface PdfkitFont {
  layoutCache?: Record<string, unknown>;
}

const SIZES = { 1: 18, 2: 14, 3: 12, 4: 10.5 } as const;

/**
 * `collect`: instead of starting each font's cache from the shared pieces, collect the pieces the
 * document made it shape (learning from a specimen).
 */
export async function renderPdf(
  doc: AccessDocument,
  opts: { createdAt: Date; truncated: string; compress?: boolean },
  collect?: Record<FontName, Set<string>>,
): Promise<Buffer> {
  const shared = loadFonts();
  const pdf = new PDFDocument({
    size: 'A4',
    margin: 50,
    compress: opts.compress ?? true,
    lang: doc.lang,
    displayTitle: true,
    info: { Title: doc.title, CreationDate: opts.createdAt, ModDate: opts.createdAt },
  });
  const chunks: Buffer[] = [];
  pdf.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    pdf.on('end', resolve);
    pdf.on('error', reject);
  });
  // pdfkit takes a parsed fontkit font (it has `layout`); its types know only files and bytes.
  pdf.registerFont('regular', shared.regular.font as unknown as Buffer);
  pdf.registerFont('bold', shared.bold.font as unknown as Buffer);
  // pdfkit makes a document's font object when the font is first chosen; its cache (an internal
  // of pdfkit: without it, or in another shape, pieces are only shaped once per document) then
  // gets the shared pieces as its prototype.
  const caches: Partial<Record<FontName, Record<string, unknown>>> = {};
  const useFont = (font: FontName) => {
    pdf.font(font);
    if (!(font in caches)) {
      const embedded = (pdf as unknown as { _font?: PdfkitFont })._font;
      const cache = embedded?.layoutCache;
      if (embedded && cache && typeof cache === 'object' && Object.keys(cache).length === 0) {
        embedded.layoutCache = collect
          ? (Object.create(null) as Record<string, unknown>)
          : (Object.create(shared[font].runs) as Record<string, unknown>);
      }
      caches[font] = embedded?.layoutCache ?? {};
    }
    return pdf;
  };
  const cut = (text: string) =>
    text.length > PDF_MAX_TEXT
      ? `${text.slice(0, PDF_MAX_TEXT)} … (${text.length} / ${opts.truncated})`
      : text;
  const write = (font: FontName, size: number, text: string, extra = {}) =>
    useFont(font)
      .fontSize(size)
      .text(cut(text), { ...extra });

  for (const b of doc.blocks) {
    renderBlock(pdf, b, write);
  }
  pdf.end();
  await ended;
  if (collect) {
    for (const font of ['regular', 'bold'] as const) {
      for (const piece of Object.keys(caches[font] ?? {})) {
        collect[font].add(piece);
      }
    }
  }
  return Buffer.concat(chunks);
}

function renderBlock(
  pdf: PDFKit.PDFDocument,
  b: Block,
  write: (font: FontName, size: number, text: string, extra?: object) => void,
) {
  switch (b.kind) {
    case 'heading':
      pdf.moveDown(b.level <= 2 ? 1 : 0.6);
      write('bold', SIZES[b.level], b.text);
      pdf.moveDown(0.3);
      return;
    case 'paragraph':
      write('regular', 10, b.text);
      pdf.moveDown(0.4);
      return;
    case 'pairs':
      for (const i of b.items) {
        write('bold', 10, i.term);
        write('regular', 10, i.text, { indent: 12 });
        if (i.note) {
          pdf.fillColor('#555555');
          write('regular', 8, i.note, { indent: 12 });
          pdf.fillColor('black');
        }
        pdf.moveDown(0.3);
      }
      return;
    case 'list':
      for (const item of b.items) {
        write('regular', 10, `•  ${item}`, { indent: 0 });
        pdf.moveDown(0.2);
      }
      return;
    case 'table':
      // A row per paragraph: columns of arbitrary length do not fit a page side by side.
      for (const row of b.rows) {
        row.forEach((cell, i) => {
          if (cell !== '') {
            write(i === 0 ? 'bold' : 'regular', 9, i === 0 ? cell : `${b.head[i]}: ${cell}`, {
              indent: i === 0 ? 0 : 12,
            });
          }
        });
        pdf.moveDown(0.3);
      }
      return;
  }
}
