/**
 * The access copy as a PDF, rendered with pdfkit from the same document as the HTML page. Text is
 * set in DejaVu Sans, embedded (subset) from the dejavu-fonts-ttf package: the PDF standard fonts
 * know only Windows-1252, and people's names need more (Sámi Áŋŋát, Polish Łukasz). pdfkit writes
 * every text as glyph ids in a string object, so no value is read as PDF syntax.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';
import type { Font, GlyphRun } from 'fontkit';
import PDFDocument from 'pdfkit';
import type { AccessDocument, Block } from './document.ts';

/** Values longer than this are cut in the PDF (the JSON, CSV and HTML hold them whole). */
export const PDF_MAX_TEXT = 10_000;

/**
 * A font whose shaping of known words is remembered across documents. Shaping a word (OpenType
 * substitution and positioning) is most of the time a PDF takes, and most words of an access
 * copy are the same in every copy: the definition's texts and the package's own words. Those are
 * shaped once, when a register is first rendered (`learn`); the cache then only answers, it never
 * takes in a word while rendering, so no person's data stays behind in it.
 */
function rememberingFont(font: Font) {
  const known = new Map<string, GlyphRun>();
  const wrapper = Object.create(font) as Font;
  wrapper.layout = (text: string, ...rest: unknown[]) => {
    const run = rest.length === 0 || rest[0] === undefined ? known.get(text) : undefined;
    if (!run) {
      return font.layout(text, ...(rest as [undefined]));
    }
    // pdfkit scales the positions it is given in place: it gets its own copies.
    const positions = run.positions.map((p) => ({ ...p }));
    return {
      glyphs: run.glyphs,
      positions,
      get advanceWidth() {
        return positions.reduce((sum, p) => sum + p.xAdvance, 0);
      },
    } as unknown as GlyphRun;
  };
  return {
    font: wrapper,
    learn(texts: Iterable<string>) {
      for (const text of texts) {
        // The pieces pdfkit shapes: words with the space or tab that ends them.
        for (const piece of text.split(/(?<=[ \t])/)) {
          if (piece !== '' && !known.has(piece)) {
            known.set(piece, font.layout(piece));
          }
        }
      }
    },
  };
}

let fonts:
  | { regular: ReturnType<typeof rememberingFont>; bold: ReturnType<typeof rememberingFont> }
  | undefined;

/** Parsed once per process: parsing the font file costs more than laying out a copy. */
function loadFonts() {
  if (!fonts) {
    const require = createRequire(import.meta.url);
    const load = (file: string) =>
      rememberingFont(
        fontkit.create(readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${file}`))) as Font,
      );
    fonts = { regular: load('DejaVuSans.ttf'), bold: load('DejaVuSans-Bold.ttf') };
  }
  return fonts;
}

/**
 * Teaches the fonts the words every copy of a register shares (its definition's texts and the
 * package's words), once per set of texts. No personal data is among them.
 */
const learned = new WeakSet<object>();
export function learnWords(owner: object, texts: () => Iterable<string>) {
  if (learned.has(owner)) {
    return;
  }
  const { regular, bold } = loadFonts();
  const all = [...texts()];
  regular.learn(all);
  bold.learn(all);
  learned.add(owner);
}

const SIZES = { 1: 18, 2: 14, 3: 12, 4: 10.5 } as const;

export async function renderPdf(
  doc: AccessDocument,
  opts: { createdAt: Date; truncated: string; compress?: boolean },
): Promise<Buffer> {
  const { regular, bold } = loadFonts();
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
  pdf.registerFont('regular', regular.font as unknown as Buffer);
  pdf.registerFont('bold', bold.font as unknown as Buffer);
  const cut = (text: string) =>
    text.length > PDF_MAX_TEXT
      ? `${text.slice(0, PDF_MAX_TEXT)} … (${text.length} / ${opts.truncated})`
      : text;
  const write = (font: 'regular' | 'bold', size: number, text: string, extra = {}) =>
    pdf
      .font(font)
      .fontSize(size)
      .text(cut(text), { ...extra });

  for (const b of doc.blocks) {
    renderBlock(pdf, b, write);
  }
  pdf.end();
  await ended;
  return Buffer.concat(chunks);
}

function renderBlock(
  pdf: PDFKit.PDFDocument,
  b: Block,
  write: (font: 'regular' | 'bold', size: number, text: string, extra?: object) => void,
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
