/**
 * The access package: one ZIP with everything an access request (Art. 15) or a portability request
 * (Art. 20) answers with.
 *
 *   access-copy.json   the whole copy, exactly as held (the API's AccessCopy)
 *   data.csv           one row per value: category, field, value, purposes, source, collected
 *   access-copy.html   the copy to read, self-contained, in the person's language
 *   access-copy.pdf    the same content as a PDF
 *   portable.json      with `portability`: only what the person provided (sources of kind
 *   portable.csv         `subject`), structured and machine-readable
 *
 * Nothing here reads the database: the export use case has authorised, logged and opened the copy.
 */
import { zipSync, type Zippable } from 'fflate';
import type { Register } from '../../definition/index.ts';
import type { FieldValue } from '../field-types.ts';
import type { AccessCopy } from '../present-access-copy.ts';
import { csv } from '../../../lib/csv.ts';
import { buildDocument } from './document.ts';
import { renderHtml } from './html.ts';
import { packageMessages, type PackageLang } from './messages.ts';
import { learnWords, renderPdf } from './pdf.ts';
import { rawText, showable } from './text.ts';

export interface AccessPackageOptions {
  /** Add portable.json and portable.csv: the data the person provided (Art. 20). */
  portability?: boolean;
  /** Leave the PDF's content streams uncompressed (for tests that read them). */
  compressPdf?: boolean;
}

/** The portable copy: values whose source is of kind `subject`, by category and field. */
export function portableCopy(copy: AccessCopy) {
  const categories: Record<string, Record<string, { value: FieldValue; collectedAt: string }>> = {};
  for (const [c, cat] of Object.entries(copy.categories)) {
    const provided = new Set(cat.sources.filter((s) => s.kind === 'subject').map((s) => s.id));
    for (const [f, stored] of Object.entries(cat.fields)) {
      if (provided.has(stored.source)) {
        (categories[c] ??= {})[f] = { value: stored.value, collectedAt: stored.collectedAt };
      }
    }
  }
  return {
    format: 'rekisteri-portable/1',
    exportedAt: copy.exportedAt,
    controller: { name: copy.controller.name, businessId: copy.controller.businessId },
    subject: { id: copy.subject.id },
    categories,
  };
}

/** Every string in a value (the definition, the messages), for the fonts to learn. */
function* strings(value: unknown): Generator<string> {
  if (typeof value === 'string') {
    yield value;
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) {
      yield* strings(v);
    }
  }
}

export async function buildAccessPackage(
  copy: AccessCopy,
  register: Register,
  lang: PackageLang,
  opts: AccessPackageOptions = {},
): Promise<Buffer> {
  const portability = opts.portability ?? false;
  const m = packageMessages[lang];
  learnWords(register, () => [...strings(register.definition), ...strings(packageMessages)]);
  const doc = buildDocument(copy, register, lang, { portability });
  const exportedAt = new Date(copy.exportedAt);
  const text = (s: string) => new TextEncoder().encode(s);

  const dataRows = Object.entries(copy.categories).flatMap(([c, cat]) => {
    const purposes = cat.purposes.map((p) => p.id).join(' ');
    return Object.entries(cat.fields).map(([f, stored]) => [
      c,
      f,
      showable(rawText(stored.value)),
      purposes,
      stored.source,
      stored.collectedAt,
      showable(cat.label?.[lang] ?? c),
      showable(stored.label?.[lang] ?? f),
      showable(cat.sources.find((s) => s.id === stored.source)?.label?.[lang] ?? ''),
    ]);
  });
  const files: Zippable = {
    'access-copy.json': text(`${JSON.stringify(copy, null, 2)}\n`),
    'data.csv': text(
      csv(
        [
          'category',
          'field',
          'value',
          'purposes',
          'source',
          'collected',
          'category_label',
          'field_label',
          'source_label',
        ],
        dataRows,
      ),
    ),
    'access-copy.html': text(renderHtml(doc)),
    // Already compressed inside: stored as it is.
    'access-copy.pdf': [
      new Uint8Array(
        await renderPdf(doc, {
          createdAt: exportedAt,
          truncated: m.truncated,
          compress: opts.compressPdf ?? true,
        }),
      ),
      { level: 0 },
    ],
  };
  if (portability) {
    const portable = portableCopy(copy);
    files['portable.json'] = text(`${JSON.stringify(portable, null, 2)}\n`);
    files['portable.csv'] = text(
      csv(
        ['category', 'field', 'value', 'collected'],
        Object.entries(portable.categories).flatMap(([c, fields]) =>
          Object.entries(fields).map(([f, v]) => [c, f, showable(rawText(v.value)), v.collectedAt]),
        ),
      ),
    );
  }
  return Buffer.from(zipSync(files, { level: 6, mtime: exportedAt }));
}
