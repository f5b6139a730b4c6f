/**
 * The notice (or the records of processing) as an HTML page, Markdown and PDF. Every text of the
 * definition is escaped for its format: a name such as `<script>` or `[x](javascript:…)` is shown
 * as the characters it is. Links point only at the portal's own pages (a fixed list in items.ts),
 * made absolute with the public address where the document leaves the portal (PDF, Markdown).
 */
import { escapeHtml } from '../../mail/index.ts';
import { renderPdf, type Block } from '../subjects/index.ts';
import type { NoticeBlock } from './items.ts';
import type { NoticeLang } from './messages.ts';

export interface RenderableDocument {
  lang: NoticeLang;
  title: string;
  blocks: NoticeBlock[];
}

const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;line-height:1.5;margin:0 auto;max-width:52rem;padding:1rem;color:#1a1a1a;background:#fff}
h1{font-size:1.6rem}h2{font-size:1.3rem;margin-top:2rem;border-bottom:1px solid #ccc}h3{font-size:1.1rem;margin-top:1.5rem}
dl{margin:0}dt{font-weight:600;margin-top:.5rem}dd{margin:0 0 0 1rem;white-space:pre-wrap;overflow-wrap:anywhere}
.note{display:block;color:#555;font-size:.85rem}nav a{margin-right:1rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top;white-space:pre-wrap;overflow-wrap:anywhere}
li{overflow-wrap:anywhere}`;

function htmlBlock(b: NoticeBlock): string {
  switch (b.kind) {
    case 'heading':
      return `<h${b.level}>${escapeHtml(b.text)}</h${b.level}>`;
    case 'paragraph':
      return `<p>${escapeHtml(b.text)}</p>`;
    case 'pairs':
      return `<dl>${b.items
        .map(
          (i) =>
            `<dt>${escapeHtml(i.term)}</dt><dd>${escapeHtml(i.text)}${
              i.note ? `<span class="note">${escapeHtml(i.note)}</span>` : ''
            }</dd>`,
        )
        .join('')}</dl>`;
    case 'list':
      return `<ul>${b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`;
    case 'table':
      return `<table><thead><tr>${b.head.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${b.rows
        .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`;
    case 'links':
      return `<ul>${b.items
        .map((i) => `<li><a href="${escapeHtml(i.href)}">${escapeHtml(i.text)}</a></li>`)
        .join('')}</ul>`;
  }
}

const LANG_NAMES: Record<NoticeLang, string> = { sv: 'Svenska', fi: 'Suomi', en: 'English' };

/**
 * A whole HTML page. `nav`: the portal page's own links (the other languages and the downloads),
 * left out of a file saved on its own.
 */
export function renderHtml(
  doc: RenderableDocument,
  nav?: {
    /** The register's published languages; the page links to each but its own. */
    languages: ReadonlyArray<{ lang: NoticeLang; href: string }>;
    downloads: Array<{ text: string; href: string }>;
  },
): string {
  const navHtml = nav
    ? `<nav>${nav.languages
        .filter((l) => l.lang !== doc.lang)
        .map(
          (l) =>
            `<a href="${escapeHtml(l.href)}" hreflang="${l.lang}" lang="${l.lang}">${LANG_NAMES[l.lang]}</a>`,
        )
        .join('')}${nav.downloads
        .map((d) => `<a href="${escapeHtml(d.href)}">${escapeHtml(d.text)}</a>`)
        .join('')}</nav>`
    : '';
  return `<!doctype html>
<html lang="${doc.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(doc.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${navHtml}
<main>
${doc.blocks.map(htmlBlock).join('\n')}
</main>
</body>
</html>
`;
}

/**
 * Backslash before every character Markdown could read as inline syntax (emphasis, code, links,
 * HTML, tables, entities), and before what would start a block at the beginning of a line (a
 * heading, a list, a quote); line breaks kept as breaks.
 */
export function escapeMarkdown(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) =>
      line
        .replace(/[\\`*_[\]<>|~&!#]/g, '\\$&')
        .replace(/^(\s*)([#+\-=>])/, '$1\\$2')
        .replace(/^(\s*\d+)([.)])/, '$1\\$2'),
    )
    .join('  \n');
}

/** A table cell: one line, pipes escaped. */
const cell = (text: string) => escapeMarkdown(text).replace(/ {2}\n/g, '<br>');

const absolute = (baseUrl: string, href: string) => `${baseUrl.replace(/\/+$/, '')}${href}`;

export function renderMarkdown(doc: RenderableDocument, baseUrl: string): string {
  const out: string[] = [];
  for (const b of doc.blocks) {
    switch (b.kind) {
      case 'heading':
        out.push(`${'#'.repeat(b.level)} ${escapeMarkdown(b.text)}`);
        break;
      case 'paragraph':
        out.push(escapeMarkdown(b.text));
        break;
      case 'pairs':
        out.push(
          b.items
            .map(
              (i) =>
                `- **${escapeMarkdown(i.term)}**: ${escapeMarkdown(i.text)}${i.note ? ` (${escapeMarkdown(i.note)})` : ''}`,
            )
            .join('\n'),
        );
        break;
      case 'list':
        out.push(b.items.map((i) => `- ${escapeMarkdown(i)}`).join('\n'));
        break;
      case 'table':
        out.push(
          [
            `| ${b.head.map(cell).join(' | ')} |`,
            `| ${b.head.map(() => '---').join(' | ')} |`,
            ...b.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
          ].join('\n'),
        );
        break;
      case 'links':
        out.push(
          b.items
            .map((i) => `- [${escapeMarkdown(i.text)}](<${absolute(baseUrl, i.href)}>)`)
            .join('\n'),
        );
        break;
    }
  }
  return `${out.join('\n\n')}\n`;
}

/** The access copy's blocks: a link becomes a list item with its address written out. */
function pdfBlocks(doc: RenderableDocument, baseUrl: string): Block[] {
  return doc.blocks.map((b) =>
    b.kind === 'links'
      ? { kind: 'list', items: b.items.map((i) => `${i.text}: ${absolute(baseUrl, i.href)}`) }
      : b,
  );
}

export async function renderNoticePdf(
  doc: RenderableDocument,
  baseUrl: string,
  createdAt: Date,
): Promise<Buffer> {
  return renderPdf(
    { lang: doc.lang, title: doc.title, blocks: pdfBlocks(doc, baseUrl) },
    { createdAt, truncated: '…' },
  );
}

/** Markdown this module wrote (renderMarkdown), read back as text: escapes and breaks undone. */
const unescapeMarkdown = (text: string) => text.replace(/ {2}\n/g, '\n').replace(/\\(.)/g, '$1');

const PAIR = /^\*\*((?:\\.|[^\\*])*)\*\*: ([\s\S]*)$/;
const LINK = /^\[((?:\\.|[^\\\]])*)\]\(<([^<>\s]*)>\)$/;
const SAFE_HREF = /^(https?:\/\/|\/)/;

/**
 * The blocks of a notice frozen as Markdown by renderMarkdown (a published version), for its page:
 * headings, paragraphs, term lists, lists, tables and links as it wrote them. Every text comes back
 * as text (renderHtml escapes it again); a link whose address is not http(s) or a path of the
 * portal is shown as text. Anything else it cannot read is a paragraph of its characters.
 */
export function blocksOfMarkdown(markdown: string): NoticeBlock[] {
  const blocks: NoticeBlock[] = [];
  for (const raw of markdown.split(/\n\n/)) {
    const b = raw.replace(/\n+$/, '');
    if (b.trim() === '') {
      continue;
    }
    const heading = /^(#{1,4}) ([\s\S]*)$/.exec(b);
    if (heading) {
      blocks.push({
        kind: 'heading',
        level: heading[1]!.length as 1 | 2 | 3 | 4,
        text: unescapeMarkdown(heading[2]!),
      });
      continue;
    }
    const lines = b.split('\n');
    if (b.startsWith('| ') && lines.length >= 2 && /^\| (---( \| )?)+ ?\|?$/.test(lines[1]!)) {
      const cells = (line: string) =>
        line
          .replace(/^\| /, '')
          .replace(/ \|$/, '')
          .split(' | ')
          .map((c) => unescapeMarkdown(c.replace(/<br>/g, '  \n')));
      blocks.push({ kind: 'table', head: cells(lines[0]!), rows: lines.slice(2).map(cells) });
      continue;
    }
    if (b.startsWith('- ')) {
      // An item goes on until the next line that starts one (a line of its text that began with
      // `-` was escaped).
      const items: string[] = [];
      for (const line of lines) {
        if (line.startsWith('- ') || items.length === 0) {
          items.push(line.replace(/^- /, ''));
        } else {
          items[items.length - 1] += `\n${line}`;
        }
      }
      const links = items.map((i) => LINK.exec(i));
      if (links.every((l) => l !== null && SAFE_HREF.test(l[2]!))) {
        blocks.push({
          kind: 'links',
          items: links.map((l) => ({ text: unescapeMarkdown(l![1]!), href: l![2]! })),
        });
        continue;
      }
      const pairs = items.map((i) => PAIR.exec(i));
      if (pairs.every((p) => p !== null)) {
        blocks.push({
          kind: 'pairs',
          items: pairs.map((p) => ({
            term: unescapeMarkdown(p[1]!),
            text: unescapeMarkdown(p[2]!),
          })),
        });
        continue;
      }
      blocks.push({
        kind: 'list',
        items: items.map((i) => {
          const l = LINK.exec(i);
          return l ? `${unescapeMarkdown(l[1]!)}: ${l[2]!}` : unescapeMarkdown(i);
        }),
      });
      continue;
    }
    blocks.push({ kind: 'paragraph', text: unescapeMarkdown(b) });
  }
  return blocks;
}
