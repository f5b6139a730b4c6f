/**
 * The privacy notice as a neutral document (headings, paragraphs, pairs, lists, tables and links
 * of plain text), built from the register definition in one language; render.ts sets it as HTML,
 * Markdown and PDF, so that the three say the same. Nothing here comes from a person: the notice
 * holds no personal data but the controller's published contacts.
 */
import type { Localized, RegisterDefinition } from '../definition/index.ts';
import { formatDuration, packageMessages, showable } from '../subjects/index.ts';
import { NOTICE_ITEMS, noticeGaps, type NoticeBlock, type RenderContext } from './items.ts';
import { noticeMessages, type NoticeLang } from './messages.ts';

export interface NoticeDocument {
  lang: NoticeLang;
  title: string;
  blocks: NoticeBlock[];
}

const regionNames = new Map<NoticeLang, Intl.DisplayNames>();

/** The parts of a render context that do not depend on the item. */
export function renderContext(
  def: RegisterDefinition,
  lang: NoticeLang,
): Omit<RenderContext, 'gaps'> {
  const m = noticeMessages[lang];
  const l = (t: Localized | undefined) => showable(t ? t[lang] : '');
  const s = (t: string | undefined) => showable(t ?? '');
  let regions = regionNames.get(lang);
  if (!regions) {
    regions = new Intl.DisplayNames([lang], { type: 'region' });
    regionNames.set(lang, regions);
  }
  const names = regions;
  const country = (code: string) => {
    let name: string | undefined;
    try {
      name = names.of(code);
    } catch {
      name = undefined;
    }
    return name && name !== code ? `${name} (${code})` : code;
  };
  const category = (id: string) => l(def.categories.find((c) => c.id === id)?.label) || id;
  const purpose = (id: string) => l(def.purposes.find((p) => p.id === id)?.label) || id;
  return { def, lang, m, pm: packageMessages[lang], l, s, country, category, purpose };
}

/**
 * The notice's version (the definition's own label, else the definition's digest), its date, its
 * review and how changes are announced. The first pair is the version: a published version's
 * number and date take its place on the portal page.
 */
function noticeMeta(
  def: RegisterDefinition,
  ctx: Omit<RenderContext, 'gaps'>,
  digest: string,
): Array<{ term: string; text: string; note?: string }> {
  const { m, pm } = ctx;
  const n = def.notice;
  return [
    { term: m.version, text: showable(n?.version ?? digest), note: m.generated },
    ...(n ? [{ term: m.date, text: ctx.s(n.date) }] : []),
    ...(n?.reviewInterval
      ? [{ term: m.reviewInterval, text: formatDuration(n.reviewInterval, pm) }]
      : []),
    ...(n?.nextReview ? [{ term: m.nextReview, text: ctx.s(n.nextReview) }] : []),
    ...(n?.changes ? [{ term: m.changes, text: ctx.l(n.changes) }] : []),
  ];
}

export function buildNotice(
  def: RegisterDefinition,
  lang: NoticeLang,
  opts: { version: string },
): NoticeDocument {
  const base = renderContext(def, lang);
  const { m } = base;
  const gaps = noticeGaps(def);
  const registerName = base.l(def.register.name);
  const title = `${m.title}: ${registerName}`;
  const blocks: NoticeBlock[] = [
    { kind: 'heading', level: 1, text: title },
    { kind: 'paragraph', text: m.intro(base.s(def.controller.name), registerName) },
    { kind: 'pairs', items: noticeMeta(def, base, opts.version) },
  ];
  if (def.notice && def.notice.laws.length > 0) {
    blocks.push(
      { kind: 'heading', level: 3, text: m.lawsCited },
      { kind: 'list', items: def.notice.laws.map((law) => base.s(law)) },
    );
  }
  for (const item of NOTICE_ITEMS) {
    const ctx = { ...base, gaps: gaps.filter((g) => g.item === item.id) };
    blocks.push({ kind: 'heading', level: 2, text: item.heading(m) });
    blocks.push(...item.render(ctx));
  }
  // Processing done for customers, whose controllers they are (Art. 28): said apart, so that a
  // reader knows whom to ask about that data.
  if (def.register.processorFor) {
    blocks.push(
      { kind: 'heading', level: 2, text: m.asProcessor },
      { kind: 'paragraph', text: m.asProcessorIntro },
      { kind: 'paragraph', text: base.l(def.register.processorFor) },
    );
  }
  if (gaps.length > 0) {
    blocks.push(
      { kind: 'heading', level: 2, text: m.gaps },
      { kind: 'paragraph', text: m.gapsIntro },
      {
        kind: 'list',
        items: [
          ...new Map(
            gaps.map((g) => {
              const item = NOTICE_ITEMS.find((i) => i.id === g.item);
              return [g.item, `${item?.heading(m) ?? g.item} (${item?.article ?? ''})`];
            }),
          ).values(),
        ],
      },
    );
  }
  return { lang, title, blocks };
}
