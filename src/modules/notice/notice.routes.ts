/**
 * The privacy notice and the records of processing over HTTP:
 *
 * - `GET /notice` and `GET /{sv,fi,en}/notice`: the notice as a page of the portal (public, no
 *   personal data, every text escaped, no script); `GET /{lang}/notice/versions/{n}`: a published
 *   version as it was frozen (the mail of a change links to it);
 * - `GET /api/v1/notice`: the notice as HTML, Markdown or PDF, and `GET /api/v1/notice/completeness`:
 *   the Art. 13/14 items the definition leaves unanswered (both public, as the notice is);
 * - `GET /api/v1/notice/versions` (and `/{version}`, `/diff`): the published versions and what
 *   changed in substance (public); `POST /api/v1/notice/versions`: publish one (manage_definition);
 * - `POST /api/v1/notice/versions/{version}/announce`: tell people of a material change by mail,
 *   and `GET /api/v1/notice/announcements`: those runs (manage_definition);
 * - `GET /api/v1/records`: the records of processing (Art. 30) as CSV, HTML or PDF, for staff with
 *   the action read_audit (the DPO and the auditor read them; an administrator has every action).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth/index.ts';
import { problemSchema } from '../../http/problem.ts';
import { requireAction } from '../../lib/actor.ts';
import { AppError } from '../../lib/errors.ts';
import { NOTICE_LANGS, type NoticeLang } from './messages.ts';
import {
  NOTICE_FORMATS,
  RECORD_FORMATS,
  type NoticeService,
  type Rendered,
} from './notice.service.ts';
import { RECORD_ROLES } from './records.ts';
import type { NoticeAnnouncements } from './announce.ts';
import { MATERIAL_SECTIONS, type NoticeVersionsService } from './versions.ts';

const announcementSchema = z
  .strictObject({
    id: z.string(),
    version: z.number().int(),
    startedAt: z.string(),
    startedBy: z.string().describe('Who started it: `staff:<id>`, `operator:cli`…'),
    finishedAt: z.string().nullable().describe('null while its batches are still being mailed'),
    eligible: z
      .number()
      .int()
      .describe('People to be told when it started (those told of the version before left out)'),
    mailed: z.number().int().describe('People mailed by this run so far'),
    sinceVersion: z
      .number()
      .int()
      .describe(
        'The version the mail lists the material changes since: the last one whose run finished without failing, else 1',
      ),
    skipped: z
      .number()
      .int()
      .describe(
        'People skipped because their mail was refused (counted in the access log by field)',
      ),
    failedAt: z
      .string()
      .nullable()
      .describe(
        'When its job gave up: the run is over (finishedAt is set too) without having told everyone',
      ),
  })
  .meta({ id: 'NoticeAnnouncement' });

const versionSchema = z
  .strictObject({
    version: z.number().int(),
    date: z.string().describe('The date the notice is dated, YYYY-MM-DD'),
    publishedAt: z.string(),
    digest: z.string().describe('SHA-256 of the definition it was made from'),
  })
  .meta({ id: 'NoticeVersion' });

const changeSchema = z
  .strictObject({
    section: z.enum(MATERIAL_SECTIONS),
    id: z.string(),
    change: z.enum(['added', 'removed', 'changed']),
    fields: z.array(z.string()),
    values: z
      .array(
        z.strictObject({
          field: z.string(),
          before: z.union([z.string(), z.number(), z.boolean(), z.null()]),
          after: z.union([z.string(), z.number(), z.boolean(), z.null()]),
        }),
      )
      .describe(
        'For a change: each property of `fields` that is a single value (a legal basis, a duration, a country), before and after',
      ),
  })
  .meta({ id: 'NoticeChange' });

const versionNumber = z.coerce.number().int().min(1).max(1_000_000);

const send = (reply: FastifyReply, r: Rendered, disposition: 'inline' | 'attachment') =>
  reply
    .code(200)
    .header('content-type', r.contentType)
    .header('content-disposition', `${disposition}; filename="${r.filename}"`)
    .send(r.body);

/** The public JSON and file routes, under /api/v1. */
export function noticeRoutes(
  app: FastifyInstance,
  notice: NoticeService,
  versions: NoticeVersionsService,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['notice'];
  r.get('/notice', {
    schema: {
      operationId: 'getPrivacyNotice',
      security: [],
      tags,
      summary: 'The privacy notice (Art. 13 and 14), made from the register definition',
      description:
        'Public. `format` html (a self-contained page), md (Markdown) or pdf; `lang` one of the languages the register publishes in (`languages` of the definition; its main language when left out; another is refused 400 naming `lang`). Every Art. 13/14 item the definition answers is given, and every item it leaves unanswered is named as such.',
      querystring: z.strictObject({
        lang: z.enum(NOTICE_LANGS).optional(),
        format: z.enum(NOTICE_FORMATS).default('html'),
      }),
      response: {
        200: z.any().describe('text/html, text/markdown or application/pdf: the notice'),
        400: problemSchema,
      },
    },
    handler: async (req, reply) => {
      const { format } = req.query;
      const lang = notice.published(req.query.lang);
      return send(
        reply,
        await notice.render(lang, format),
        format === 'html' ? 'inline' : 'attachment',
      );
    },
  });

  r.get('/notice/completeness', {
    schema: {
      operationId: 'getNoticeCompleteness',
      security: [],
      tags,
      summary: 'The Art. 13/14 items the register definition leaves unanswered',
      description:
        'Public. The same list `rekisteri check` prints as warnings: for each gap, the notice item, the articles that require it, where in the definition the answer belongs and why.',
      querystring: z.strictObject({}),
      response: {
        200: z
          .strictObject({
            complete: z.boolean(),
            gaps: z.array(
              z.strictObject({
                item: z.string(),
                article: z.string(),
                path: z.string(),
                message: z.string(),
              }),
            ),
          })
          .meta({ id: 'NoticeCompleteness' }),
        400: problemSchema,
      },
    },
    handler: () => notice.completeness(),
  });

  r.get('/notice/versions', {
    schema: {
      operationId: 'listNoticeVersions',
      security: [],
      tags,
      summary:
        'The published versions of the privacy notice, and whether the definition needs a new one',
      description:
        'Public, as the notices are. `current.needsNewVersion`: no version is published yet, or the purposes, legal bases, recipients, transfers or retention changed since the latest (`current.changes`).',
      querystring: z.strictObject({}),
      response: {
        200: z
          .strictObject({
            versions: z.array(versionSchema),
            current: z.strictObject({
              digest: z.string(),
              publishedAs: z.number().int().nullable(),
              needsNewVersion: z.boolean(),
              changes: z.array(changeSchema),
            }),
          })
          .meta({ id: 'NoticeVersions' }),
        400: problemSchema,
      },
    },
    handler: () => versions.list(),
  });

  r.get('/notice/versions/diff', {
    schema: {
      operationId: 'diffNoticeVersions',
      security: [],
      tags,
      summary: 'What changed in substance between two versions of the notice',
      description:
        'Public. Purposes and bases, recipients, transfers and retention, each added, removed or changed (with the properties that differ). `to` left out: the definition running now.',
      querystring: z.strictObject({ from: versionNumber, to: versionNumber.optional() }),
      response: {
        200: z.strictObject({ changes: z.array(changeSchema) }),
        400: problemSchema,
        404: problemSchema,
      },
    },
    handler: async (req) => ({ changes: await versions.diff(req.query.from, req.query.to) }),
  });

  r.get('/notice/versions/:version', {
    schema: {
      operationId: 'getNoticeVersion',
      security: [],
      tags,
      summary: 'One published version of the notice, as it read then (Markdown by language)',
      description:
        'Public. `notice` holds the notice in each language the register published it in then.',
      params: z.strictObject({ version: versionNumber }),
      response: {
        200: versionSchema.extend({
          notice: z.strictObject({
            sv: z.string().optional(),
            fi: z.string().optional(),
            en: z.string().optional(),
          }),
        }),
        400: problemSchema,
        404: problemSchema,
      },
    },
    handler: async (req) => {
      const v = await versions.get(req.params.version);
      if (!v) {
        throw new AppError('not_found', `there is no version ${req.params.version} of the notice`, [
          { field: 'version', detail: 'no such version' },
        ]);
      }
      return v;
    },
  });
}

/** The records of processing and publishing a version, under /api/v1 behind authentication. */
export function noticeStaffRoutes(
  app: FastifyInstance,
  deps: {
    notice: NoticeService;
    versions: NoticeVersionsService;
    announcements: NoticeAnnouncements;
  },
): void {
  const { notice } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post('/notice/versions', {
    schema: {
      operationId: 'publishNoticeVersion',
      tags: ['notice'],
      security: [{ session: [] }, { bearer: [] }],
      summary: 'Publish the notice made from the definition running now as a new version',
      description:
        'Needs the action manage_definition. Freezes the definition and the notice in each language with the date (today when left out). 409 when the definition running now is already the latest version.',
      body: z.strictObject({
        date: z.iso.date().optional().describe('The date the notice is dated, YYYY-MM-DD'),
      }),
      response: {
        201: versionSchema,
        400: problemSchema,
        401: problemSchema,
        403: problemSchema,
        409: problemSchema,
      },
    },
    handler: async (req, reply) =>
      reply.code(201).send(await deps.versions.publish(actorOf(req), { date: req.body.date })),
  });

  r.post('/notice/versions/:version/announce', {
    schema: {
      operationId: 'announceNoticeVersion',
      tags: ['notice'],
      security: [{ session: [] }, { bearer: [] }],
      summary: 'Tell people of a material change of the notice by mail',
      description:
        "Needs the action manage_definition. `version` must be the latest published version and must have changed the purposes or their legal bases, the recipients, the transfers or the retention since the last version people were told of (one with a run that finished without failing; else version 1): the mail lists those changes. Otherwise 409 naming `version` (as when a run of that version is still going; a run whose job gave up is marked failed and no longer blocks). A person whose mail is refused is skipped and counted, and the run goes on. Every person with an active relationship and an e-mail address (not erased, not restricted, relationship not ended) is mailed, in batches by the jobs runner, in their language where it is known (else the notice's main language), with the link to that version as published, `/{lang}/notice/versions/{version}`, and in words which of the purposes, legal bases, recipients, transfers and retention changed. A person told of the version once is never mailed of it again: a second run mails only those not yet told. Answers 202 with the run; follow it with `GET /notice/announcements`.",
      params: z.strictObject({ version: versionNumber }),
      body: z.strictObject({}).nullish(),
      response: {
        202: announcementSchema,
        400: problemSchema,
        401: problemSchema,
        403: problemSchema,
        404: problemSchema,
        409: problemSchema,
      },
    },
    handler: async (req, reply) =>
      reply.code(202).send(await deps.announcements.start(actorOf(req), req.params.version)),
  });

  r.get('/notice/announcements', {
    schema: {
      operationId: 'listNoticeAnnouncements',
      tags: ['notice'],
      security: [{ session: [] }, { bearer: [] }],
      summary: 'The runs of telling people of a notice version, latest first',
      description:
        "Needs the action manage_definition. `version` to list one version's runs. Counts only: who was mailed is not listed.",
      querystring: z.strictObject({ version: versionNumber.optional() }),
      response: {
        200: z.strictObject({ announcements: z.array(announcementSchema) }),
        400: problemSchema,
        401: problemSchema,
        403: problemSchema,
      },
    },
    handler: async (req) => ({
      announcements: await deps.announcements.list(actorOf(req), req.query.version),
    }),
  });

  r.get('/records', {
    schema: {
      operationId: 'exportRecordsOfProcessing',
      tags: ['notice'],
      security: [{ session: [] }, { bearer: [] }],
      summary: 'Records of processing activities (Art. 30), made from the register definition',
      description:
        'Needs the action read_audit. `lang` one of the published languages (its main language when left out; another is refused 400 naming `lang`); `role` controller (Art. 30(1), one row per purpose) or processor (Art. 30(2), only where the definition sets register.processorFor: 404 otherwise); `format` csv (UTF-8 with a byte order mark, CRLF, stable column names, texts in `lang`; cells that would start a spreadsheet formula get a leading quote), html or pdf.',
      querystring: z.strictObject({
        lang: z.enum(NOTICE_LANGS).optional(),
        role: z.enum(RECORD_ROLES).default('controller'),
        format: z.enum(RECORD_FORMATS).default('csv'),
      }),
      response: {
        200: z.any().describe('text/csv, text/html or application/pdf: the records'),
        400: problemSchema,
        401: problemSchema,
        403: problemSchema,
        404: problemSchema,
      },
    },
    handler: async (req, reply) => {
      requireAction(actorOf(req), 'read_audit');
      const { role, format } = req.query;
      const lang = notice.published(req.query.lang);
      const rendered = await notice.records(lang, role, format);
      if (!rendered) {
        throw new AppError(
          'not_found',
          'the register definition does not say the company processes data for its customers (register.processorFor): there are no Art. 30(2) records',
          [{ field: 'role', detail: 'no processor role in the register definition' }],
        );
      }
      return send(reply, rendered, format === 'html' ? 'inline' : 'attachment').header(
        'cache-control',
        'no-store',
      );
    },
  });
}

/**
 * Among the register's published languages: the one asked for (`?lang=`), else the browser's
 * first, else the register's main language.
 */
function askedLang(req: FastifyRequest, languages: readonly NoticeLang[]): NoticeLang {
  const published = languages as readonly string[];
  const asked = (req.query as { lang?: unknown } | undefined)?.lang;
  if (typeof asked === 'string' && published.includes(asked)) {
    return asked as NoticeLang;
  }
  for (const part of (req.headers['accept-language'] ?? '').split(',')) {
    const tag = part.trim().slice(0, 2).toLowerCase();
    if (published.includes(tag)) {
      return tag as NoticeLang;
    }
  }
  return languages[0] ?? 'fi';
}

/**
 * The portal's notice page: `/notice` in the reader's language, `/{lang}/notice` in one; only the
 * register's published languages have a page (another `/{lang}/notice` is not found).
 */
export function noticePages(
  app: FastifyInstance,
  notice: NoticeService,
  versions: NoticeVersionsService,
): void {
  const page = async (reply: FastifyReply, lang: NoticeLang) => {
    const published = await versions.running();
    return reply.code(200).type('text/html; charset=utf-8').send(notice.page(lang, published));
  };
  app.get('/notice', { schema: { hide: true } }, async (req, reply) =>
    page(reply, askedLang(req, notice.languages)),
  );
  for (const lang of notice.languages) {
    app.get(`/${lang}/notice`, { schema: { hide: true } }, async (_req, reply) =>
      page(reply, lang),
    );
  }
  // A published version as it was frozen, in each language it was published in (the mail telling
  // people of a change links here). Those languages may differ from the register's today.
  const r = app.withTypeProvider<ZodTypeProvider>();
  for (const lang of NOTICE_LANGS) {
    r.get(`/${lang}/notice/versions/:version`, {
      schema: { hide: true, params: z.strictObject({ version: versionNumber }) },
      handler: async (req, reply) => {
        const v = await versions.get(req.params.version);
        if (!v || v.notice[lang] === undefined) {
          throw new AppError(
            'not_found',
            v
              ? `version ${req.params.version} of the notice was not published in ${lang}`
              : `there is no version ${req.params.version} of the notice`,
            [{ field: 'version', detail: v ? `not published in ${lang}` : 'no such version' }],
          );
        }
        return reply.code(200).type('text/html; charset=utf-8').send(notice.versionPage(lang, v));
      },
    });
  }
}
