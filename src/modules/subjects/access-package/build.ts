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
import type { Register } from '../../definition/index.ts';
import type { FieldValue } from '../field-types.ts';
import { presentAccessCopy, type AccessCopy } from '../present-access-copy.ts';
import type { OpenedCategories } from '../subject-codec.ts';
import { csv } from '../../../lib/csv.ts';
import { buildDocument } from './document.ts';
import { renderHtml } from './html.ts';
import { packageMessages, type PackageLang } from './messages.ts';
import { learnWords, renderPdf } from './pdf.ts';
import { rawText, showable } from './text.ts';
import { zipEntries, type ZipEntry } from './zip.ts';

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

/**
 * An invented person with every category and field of the definition (each field from one of the
 * definition's sources in turn), a change in the history and an access-log entry by every role: a
 * copy of nobody, whose document holds the texts every real copy composes from the definition.
 */
function specimenCopy(register: Register): AccessCopy {
  const def = register.definition;
  const at = new Date(0);
  const sources = def.sources.map((s) => s.id);
  const categories: OpenedCategories = {};
  let n = 0;
  for (const c of def.categories) {
    const purpose = def.purposes.find((p) => p.categories.includes(c.id))?.id ?? '';
    categories[c.id] = Object.fromEntries(
      c.fields.map((f) => [
        f.id,
        {
          value: '',
          source: sources[n++ % sources.length] ?? '',
          purpose,
          collectedAt: at.toISOString(),
        },
      ]),
    );
  }
  const first = def.categories[0];
  const id = '00000000-0000-0000-0000-000000000000';
  return presentAccessCopy({
    register,
    exportedAt: at,
    subject: {
      id,
      held_purpose: null,
      restricted_at: at,
      restriction_reason: null,
      created_at: at,
      updated_at: at,
    },
    restrictionReason: '',
    categories,
    history: first
      ? [
          {
            row: {
              id,
              category: first.id,
              field: first.fields[0]?.id ?? '',
              sealed_change: Buffer.alloc(0),
              purpose: '',
              source: '',
              actor: '',
              changed_at: at,
            },
            change: { old: '', new: '', reason: '' },
          },
        ]
      : [],
    accessLog: register.roles.map((r) => ({
      at: at.toISOString(),
      action: '',
      text: '-',
      purpose: null,
      role: r.id,
      categories: [],
    })),
    // Each kind of stop on every purpose, so their sentences are shaped once; requests are the
    // person's own words and dates, shaped per copy.
    stops: def.purposes.flatMap((p) =>
      (['objection', 'consent_withdrawal', 'marketing_prohibition'] as const).map((reason) => ({
        purpose: p.id,
        reason,
        since: at,
      })),
    ),
    compellingGrounds: def.purposes.map((p) => ({ purpose: p.id, grounds: '-', since: at })),
    requests: [],
    // Every kind in every state on all channels, so the ledger's labels are shaped once too.
    ledger: {
      state: register.marketing.kinds.flatMap((k) =>
        ['granted', 'refused', 'withdrawn', 'objected', 'pending'].map((state) => ({
          kind: k.id,
          channel: '*',
          state,
          changed_at: at,
        })),
      ),
      history: [],
    },
  });
}

/**
 * The readable PDF of the copy alone (what the package holds as access-copy.pdf), for staff to
 * print when the copy is posted or handed over.
 */
export async function buildAccessPdf(
  copy: AccessCopy,
  register: Register,
  lang: PackageLang,
  opts: AccessPackageOptions = {},
): Promise<Buffer> {
  await learnWords(
    register,
    lang,
    () => [...strings(register.definition), ...strings(packageMessages)],
    () => [buildDocument(specimenCopy(register), register, lang, { portability: true })],
  );
  const doc = buildDocument(copy, register, lang, { portability: opts.portability ?? false });
  return renderPdf(doc, {
    createdAt: new Date(copy.exportedAt),
    truncated: packageMessages[lang].truncated,
    compress: opts.compressPdf ?? true,
  });
}

export async function buildAccessPackage(
  copy: AccessCopy,
  register: Register,
  lang: PackageLang,
  opts: AccessPackageOptions = {},
): Promise<Buffer> {
  const portability = opts.portability ?? false;
  const m = packageMessages[lang];
  await learnWords(
    register,
    lang,
    () => [...strings(register.definition), ...strings(packageMessages)],
    () => [buildDocument(specimenCopy(register), register, lang, { portability: true })],
  );
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
  const pdf = await renderPdf(doc, {
    createdAt: exportedAt,
    truncated: m.truncated,
    compress: opts.compressPdf ?? true,
  });
  const files: ZipEntry[] = [
    { name: 'access-copy.json', data: text(`${JSON.stringify(copy, null, 2)}\n`), deflate: true },
    {
      name: 'data.csv',
      data: text(
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
      deflate: true,
    },
    { name: 'access-copy.html', data: text(renderHtml(doc)), deflate: true },
    // Already compressed inside: stored as it is.
    { name: 'access-copy.pdf', data: new Uint8Array(pdf), deflate: false },
  ];
  if (portability) {
    const portable = portableCopy(copy);
    files.push(
      {
        name: 'portable.json',
        data: text(`${JSON.stringify(portable, null, 2)}\n`),
        deflate: true,
      },
      {
        name: 'portable.csv',
        data: text(
          csv(
            ['category', 'field', 'value', 'collected'],
            Object.entries(portable.categories).flatMap(([c, fields]) =>
              Object.entries(fields).map(([f, v]) => [
                c,
                f,
                showable(rawText(v.value)),
                v.collectedAt,
              ]),
            ),
          ),
        ),
        deflate: true,
      },
    );
  }
  return zipEntries(files, exportedAt);
}
