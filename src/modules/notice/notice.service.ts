/**
 * The privacy notice and the records of processing of the loaded register definition. The
 * definition does not change while the process runs, so each rendering is made once per language
 * and kept: the public page and its PDF cost nothing after the first call.
 */
import type { Register } from '../definition/index.ts';
import { invalid } from '../../lib/errors.ts';
import { buildNotice, type NoticeDocument } from './document.ts';
import { NOTICE_ITEMS, noticeGaps } from './items.ts';
import { noticeMessages, type NoticeLang } from './messages.ts';
import { buildRecords, recordsCsv, recordsDocument, type RecordRole } from './records.ts';
import { blocksOfMarkdown, renderHtml, renderMarkdown, renderNoticePdf } from './render.ts';

export const NOTICE_FORMATS = ['html', 'md', 'pdf'] as const;
export type NoticeFormat = (typeof NOTICE_FORMATS)[number];
export const RECORD_FORMATS = ['csv', 'html', 'pdf'] as const;
export type RecordFormat = (typeof RECORD_FORMATS)[number];

export interface Completeness {
  complete: boolean;
  /** Every Art. 13/14 item the definition leaves unanswered, with where its answer belongs. */
  gaps: Array<{ item: string; article: string; path: string; message: string }>;
}

export interface Rendered {
  body: string | Buffer;
  contentType: string;
  filename: string;
}

export interface NoticeService {
  /** The languages the register publishes its notice in, the main one first. */
  readonly languages: readonly NoticeLang[];
  /**
   * `lang` when the register publishes in it, its main language when left out; another language
   * is refused naming `lang` (the definition's texts were never written in it).
   */
  published(lang: string | undefined): NoticeLang;
  document(lang: NoticeLang): NoticeDocument;
  /**
   * The portal page: the notice with links to the other languages and the downloads; with the
   * published version the definition running now is, its number and date.
   */
  page(lang: NoticeLang, published?: { version: number; date: string }): string;
  /**
   * The page of a published version as it was frozen (its Markdown in `lang`), under a line saying
   * which version it is and a link to the notice in force; links to the version in its other
   * languages.
   */
  versionPage(
    lang: NoticeLang,
    version: { version: number; date: string; notice: Partial<Record<NoticeLang, string>> },
  ): string;
  render(lang: NoticeLang, format: NoticeFormat): Promise<Rendered>;
  completeness(): Completeness;
  /** undefined: the processor role where the definition sets no `register.processorFor`. */
  records(lang: NoticeLang, role: RecordRole, format: RecordFormat): Promise<Rendered | undefined>;
}

export function completenessOf(def: Register['definition']): Completeness {
  const gaps = noticeGaps(def).map((g) => ({
    item: g.item,
    article: NOTICE_ITEMS.find((i) => i.id === g.item)?.article ?? '',
    path: g.path,
    message: g.message,
  }));
  return { complete: gaps.length === 0, gaps };
}

/**
 * The notice as the portal shows it once the definition running now is a published version: the
 * version's number, and one date, the version's own (the day it took effect), in place of the
 * definition's `notice.date`; the next review stays where the definition gives one.
 */
function withPublished(
  doc: NoticeDocument,
  published: { version: number; date: string },
): NoticeDocument {
  const m = noticeMessages[doc.lang];
  return {
    ...doc,
    blocks: doc.blocks.map((b) => {
      const [first, ...rest] = b.kind === 'pairs' ? b.items : [];
      if (b.kind !== 'pairs' || first?.term !== m.version) {
        return b;
      }
      return {
        kind: 'pairs',
        items: [
          { ...first, text: String(published.version) },
          { term: m.inForceFrom, text: published.date },
          ...rest.filter((p) => p.term !== m.date),
        ],
      };
    }),
  };
}

const TYPES = {
  html: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  pdf: 'application/pdf',
  csv: 'text/csv; charset=utf-8',
} as const;

export function createNoticeService(deps: {
  register: Register;
  /** Where people reach the portal: links in the PDF and the Markdown are made absolute with it. */
  publicUrl: string;
}): NoticeService {
  const def = deps.register.definition;
  const languages = deps.register.languages;
  const published = (lang: string | undefined): NoticeLang => {
    if (lang === undefined) {
      return languages[0] ?? 'fi';
    }
    if (!(languages as readonly string[]).includes(lang)) {
      throw invalid(
        'lang',
        `the register publishes its notice in ${languages.join(', ')} only, not in ${lang}`,
      );
    }
    return lang as NoticeLang;
  };
  const version = deps.register.digest.slice(0, 12);
  const documents = new Map<NoticeLang, NoticeDocument>();
  const rendered = new Map<string, Promise<Rendered | undefined>>();
  // The date in the PDF's metadata: the same for every copy of a version.
  const createdAt = new Date(0);
  const document = (asked: NoticeLang) => {
    const lang = published(asked);
    let doc = documents.get(lang);
    if (!doc) {
      doc = buildNotice(def, lang, { version });
      documents.set(lang, doc);
    }
    return doc;
  };
  const once = (key: string, make: () => Promise<Rendered | undefined>) => {
    let r = rendered.get(key);
    if (!r) {
      r = make();
      rendered.set(key, r);
      // A failure is not kept: the next call tries again.
      r.catch(() => rendered.delete(key));
    }
    return r;
  };
  const name = (lang: NoticeLang) => `privacy-notice-${version}-${lang}`;
  return {
    languages,
    published,
    document,
    page: (lang, version) =>
      renderHtml(version ? withPublished(document(lang), version) : document(lang), {
        languages: languages.map((l) => ({ lang: l, href: `/${l}/notice` })),
        downloads: [
          { text: 'PDF', href: `/api/v1/notice?lang=${lang}&format=pdf` },
          { text: 'Markdown', href: `/api/v1/notice?lang=${lang}&format=md` },
        ],
      }),
    versionPage: (lang, v) => {
      const m = noticeMessages[lang];
      // The version's own number and date in place of the definition's, as on the notice page.
      const blocks = withPublished(
        { lang, title: '', blocks: blocksOfMarkdown(v.notice[lang] ?? '') },
        v,
      ).blocks;
      const first = blocks[0];
      const title = first?.kind === 'heading' ? first.text : m.publishedVersion(v.version, v.date);
      const frozen = Object.keys(v.notice) as NoticeLang[];
      return renderHtml(
        {
          lang,
          title,
          blocks: [
            { kind: 'paragraph', text: m.frozenVersion(v.version, v.date) },
            // The notice in force, where it is published in this language; else in the main one.
            {
              kind: 'links',
              items: [
                {
                  text: m.inForce,
                  href: `/${languages.includes(lang) ? lang : (languages[0] ?? 'fi')}/notice`,
                },
              ],
            },
            ...blocks,
          ],
        },
        {
          languages: frozen.map((l) => ({ lang: l, href: `/${l}/notice/versions/${v.version}` })),
          downloads: [],
        },
      );
    },
    async render(lang, format) {
      published(lang);
      const r = await once(`notice:${lang}:${format}`, async () => {
        const doc = document(lang);
        const body =
          format === 'html'
            ? renderHtml(doc)
            : format === 'md'
              ? renderMarkdown(doc, deps.publicUrl)
              : await renderNoticePdf(doc, deps.publicUrl, createdAt);
        return { body, contentType: TYPES[format], filename: `${name(lang)}.${format}` };
      });
      return r as Rendered;
    },
    completeness: () => completenessOf(def),
    records: async (asked, role, format) => {
      const lang = published(asked);
      return once(`records:${lang}:${role}:${format}`, async () => {
        const records = buildRecords(def, lang, role);
        if (!records) {
          return undefined;
        }
        const filename = `records-of-processing-${role}-${version}-${lang}.${format}`;
        if (format === 'csv') {
          return { body: recordsCsv(records), contentType: TYPES.csv, filename };
        }
        const doc = recordsDocument(def, records);
        return {
          body:
            format === 'html'
              ? renderHtml(doc)
              : await renderNoticePdf(doc, deps.publicUrl, createdAt),
          contentType: TYPES[format],
          filename,
        };
      });
    },
  };
}
