/**
 * The public portal's request routes, under /api/v1/portal, without sign-in. Each is limited per
 * client address (RATE_LIMITS.portal) and, where it names an e-mail address, per that address
 * (RATE_LIMITS['portal-email'] for new requests, RATE_LIMITS['portal-download-email'] for
 * download links, each counted under an HMAC of the normalised address). The answers to a
 * new request and to a download-link request are the same, in status, headers and body, whatever
 * the address; a link that does not work is refused in one way, whatever the reason.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problemSchema } from '../../http/problem.ts';
import { limitEmail, rateLimit, type RateLimitCounter } from '../../http/rate-limit/index.ts';
import { LOCALES } from '../../mail/index.ts';
import { normaliseEmail } from '../../vault/normalise.ts';
import type { Vault } from '../../vault/vault.ts';
import { REQUEST_TYPES } from '../definition/index.ts';
import { REQUEST_STATES } from './model.ts';
import type { PortalService } from './portal.service.ts';

const sent = z
  .strictObject({ status: z.literal('sent') })
  .describe('Always this, whether or not anything was mailed')
  .meta({ id: 'PortalSent' });

const fieldValue = z.union([
  z.string().max(10_000),
  z.number(),
  z.boolean(),
  z.strictObject({
    street: z.string().max(200),
    postalCode: z.string().max(20),
    city: z.string().max(100),
    country: z.string().max(2).optional(),
  }),
  z.null(),
]);

const submitBody = z.strictObject({
  type: z.enum(REQUEST_TYPES),
  email: z.email().max(320).describe('The address to answer to; the verification link goes here'),
  lang: z.enum(LOCALES).describe('The language of the mail and of the answer'),
  details: z.string().trim().min(1).max(4000).optional(),
  changes: z
    .array(
      z.strictObject({
        category: z.string().min(1).max(100),
        field: z.string().min(1).max(100),
        value: fieldValue,
      }),
    )
    .max(50)
    .optional()
    .describe('For rectification: new values of fields the definition marks self-editable'),
});

const token = z.strictObject({
  token: z.string().max(200).describe('The token from the mailed link’s fragment (#token=…)'),
});

export function portalRoutes(
  app: FastifyInstance,
  deps: {
    portal: PortalService;
    rateLimits: RateLimitCounter;
    vault: Pick<Vault, 'rateLimitHash'>;
  },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { portal } = deps;
  const tags = ['portal'];
  const config = { rateLimit: rateLimit('portal') };
  const perEmail = (
    email: string,
    name: 'portal-email' | 'portal-download-email' = 'portal-email',
  ) =>
    limitEmail(
      deps.rateLimits,
      (key) => deps.vault.rateLimitHash(key),
      name,
      normaliseEmail(email) ?? email.trim().toLowerCase(),
    );

  r.post('/portal/requests', {
    schema: {
      operationId: 'submitPortalRequest',
      security: [],
      tags,
      summary:
        'A data subject’s request from the portal: mails a single-use verification link (24 h) to the address; the answer is the same whether or not the address is in the register',
      body: submitBody,
      response: { 202: sent, 400: problemSchema, 429: problemSchema },
    },
    config,
    handler: async (req, reply) => {
      await perEmail(req.body.email);
      const answer = await portal.submit(req.body);
      return reply.code(202).send(answer);
    },
  });

  r.post('/portal/verify', {
    schema: {
      operationId: 'verifyPortalRequest',
      security: [],
      tags,
      summary:
        'Proves the address of a portal request with the mailed link’s token (once); starts the time to answer. A used, expired or unknown token is refused alike',
      body: token,
      response: {
        200: z
          .strictObject({
            request: z.uuid().describe('The request’s number'),
            type: z.enum(REQUEST_TYPES),
            state: z.enum(REQUEST_STATES),
            dueAt: z.iso.date().nullable().describe('When the answer is due (Helsinki date)'),
          })
          .meta({ id: 'PortalVerified' }),
        400: problemSchema,
        404: problemSchema,
        409: problemSchema,
        429: problemSchema,
      },
    },
    config,
    handler: (req) => portal.verify(req.body.token),
  });

  r.post('/portal/download-links', {
    schema: {
      operationId: 'requestDownloadLink',
      security: [],
      tags,
      summary:
        'Mails a fresh single-use download link (30 min) when the request is a completed access or portability request of this address whose copy may still be downloaded; the answer is the same either way',
      body: z.strictObject({
        request: z.uuid().describe('The request’s number, from the mail that told it was done'),
        email: z.email().max(320),
        lang: z.enum(LOCALES),
      }),
      response: { 202: sent, 400: problemSchema, 429: problemSchema },
    },
    config,
    handler: async (req, reply) => {
      await perEmail(req.body.email, 'portal-download-email');
      const answer = await portal.downloadLink(req.body);
      return reply.code(202).send(answer);
    },
  });

  r.post('/portal/downloads', {
    schema: {
      operationId: 'downloadAccessCopy',
      security: [],
      tags,
      summary:
        'The access copy (a ZIP) the mailed download link’s token opens, once; the download is recorded',
      body: token,
      response: {
        200: z.any().describe('application/zip: the access copy'),
        400: problemSchema,
        404: problemSchema,
        429: problemSchema,
      },
    },
    config,
    handler: async (req, reply) => {
      const { zip, filename } = await portal.download(req.body.token);
      return reply
        .code(200)
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .header('cache-control', 'no-store')
        .send(zip);
    },
  });
}
