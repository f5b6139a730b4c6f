/**
 * HTTP routes of interchange under /api/v1 (docs/interchange.md): an audience export and a
 * prohibition list, each sent as the CSV's text in a JSON body (a temporary file, mode 0600,
 * removed at once), with a dry run; one address on the undeliverable or prohibition list looked up
 * or taken off (the address in the body, never in the URL). The suppression export is a command
 * (`suppression-export`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth/index.ts';
import { problemSchema } from '../../http/problem.ts';
import { ADDRESS_LISTS, addressLookupInput, addressRemovalInput } from './address-lists.ts';
import { AUDIENCE_FORMATS } from './formats.ts';
import type { InterchangeService } from './interchange.service.ts';

/** The largest CSV a request may carry; bigger lists go through the command. */
const MAX_CSV = 20 * 1024 * 1024;

const rejection = z
  .object({
    line: z.number().int().describe('The line of the file (the header is line 1)'),
    field: z.string().describe('The column at fault, or (line) for the line as a whole'),
    reason: z.string().describe('What is wrong; never the value'),
  })
  .meta({ id: 'InterchangeRejection' });

const audienceSummary = z
  .object({
    run: z.string().describe("The ledger's reference for this run's changes"),
    dryRun: z.boolean(),
    lines: z.number().int(),
    granted: z.number().int(),
    withdrawn: z.number().int(),
    refused: z.number().int(),
    pending: z.number().int(),
    unchanged: z
      .number()
      .int()
      .describe(
        'Lines whose state the ledger already holds, or that this run (the same file) recorded before: nothing recorded',
      ),
    superseded: z
      .number()
      .int()
      .describe(
        "Lines dated before the ledger's current state for the kind and channel (a later choice stands): nothing recorded",
      ),
    undeliverable: z.number().int(),
    matched: z.number().int(),
    created: z.number().int(),
    suppressed: z
      .number()
      .int()
      .describe('Lines whose address is on the suppression list: nobody created'),
    skipped: z
      .array(rejection)
      .describe(
        "Lines that would grant (or leave pending) what the person refused, withdrew or objected to: skipped, since only the person's own choice changes it",
      ),
    rejected: z.array(rejection),
  })
  .meta({ id: 'AudienceImport' });

const prohibitionSummary = z
  .object({
    run: z.string(),
    dryRun: z.boolean(),
    lines: z.number().int(),
    email: z.number().int().describe('E-mail addresses newly listed'),
    phone: z.number().int().describe('Phone numbers newly listed'),
    already: z.number().int(),
    rejected: z.array(rejection),
  })
  .meta({ id: 'ProhibitionImport' });

const addressListEntry = z
  .object({
    list: z.enum(ADDRESS_LISTS),
    kind: z.enum(['email', 'phone']),
    listed: z.boolean(),
    listedAt: z.string().nullable().describe('When it was listed; null when it is not'),
    source: z
      .string()
      .nullable()
      .describe("Where from: the prohibition list's name or the audience import's run"),
  })
  .meta({ id: 'AddressListEntry' });

const addressListRemoved = z
  .object({
    list: z.enum(ADDRESS_LISTS),
    kind: z.enum(['email', 'phone']),
    listedAt: z.string().describe('When the entry had been listed'),
    source: z.string().describe('Where the entry had come from'),
    removedAt: z.string(),
  })
  .meta({ id: 'AddressListRemoved' });

const listParams = z.strictObject({
  list: z
    .enum(ADDRESS_LISTS)
    .describe("undeliverable (an e-mail service's cleaned members) or prohibition"),
});

const csv = z.string().min(1).max(MAX_CSV).describe('The CSV file, with its header row');
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema };

async function withFile<T>(text: string, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'rekisteri-interchange-'));
  const file = join(dir, 'list.csv');
  try {
    await writeFile(file, text, { mode: 0o600 });
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function interchangeRoutes(app: FastifyInstance, service: InterchangeService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['interchange'];
  const security: Array<Record<string, string[]>> = [{ bearer: [] }, { session: [] }];

  r.post('/interchange/audience', {
    bodyLimit: MAX_CSV + 65_536,
    config: { multiline: ['csv'] },
    schema: {
      operationId: 'importAudience',
      tags,
      security,
      summary: "Import an e-mail service's audience export into the permission ledger",
      description:
        "Mailchimp's member exports (subscribed → granted, unsubscribed → withdrawn, cleaned → listed undeliverable, no permission change) or listmonk's subscribers (confirmed → granted, unconfirmed → pending, unsubscribed → withdrawn, blocklisted → refused), each change with the method import, the run as reference and the list's own date. People are matched by e-mail address or created under the purpose; an address on the suppression list is not created. Needs the right to write under the purpose. Rejected lines are answered by line and column.",
      body: z.strictObject({
        format: z.enum(AUDIENCE_FORMATS),
        purpose: z.string().min(1).max(100).describe('A marketing purpose (e.g. newsletter)'),
        channel: z.string().min(1).max(100).optional().describe('email when left out'),
        source: z
          .string()
          .min(1)
          .max(100)
          .optional()
          .describe('Where new people came from; subject when left out'),
        dryRun: z.boolean().optional().describe('Report what would change; write nothing'),
        csv,
      }),
      response: { 200: audienceSummary, ...errors },
    },
    handler: async (req) =>
      withFile(req.body.csv, (file) =>
        service.importAudience(actorOf(req), {
          file,
          format: req.body.format,
          purpose: req.body.purpose,
          ...(req.body.channel ? { channel: req.body.channel } : {}),
          ...(req.body.source ? { source: req.body.source } : {}),
          dryRun: req.body.dryRun === true,
        }),
      ),
  });

  r.post('/interchange/prohibitions', {
    bodyLimit: MAX_CSV + 65_536,
    config: { multiline: ['csv'] },
    schema: {
      operationId: 'importProhibitions',
      tags,
      security,
      summary: 'Import a direct-marketing prohibition list as keyed hashes',
      description:
        'A CSV with a column of e-mail addresses and/or phone numbers. Each is kept as its keyed hash with the source; afterwards no marketing purpose reaches the person on a channel using that address (the permission check answers prohibition_list). Customer service and creating the person are not affected. Needs write or handle_requests.',
      body: z.strictObject({
        source: z.string().min(1).max(64).describe("The list's name: letters, digits and ._:-"),
        dryRun: z.boolean().optional(),
        csv,
      }),
      response: { 200: prohibitionSummary, ...errors },
    },
    handler: async (req) =>
      withFile(req.body.csv, (file) =>
        service.importProhibitions(actorOf(req), {
          file,
          source: req.body.source,
          dryRun: req.body.dryRun === true,
        }),
      ),
  });

  r.post('/interchange/address-lists/:list/lookup', {
    schema: {
      operationId: 'lookupAddressListEntry',
      tags,
      security,
      summary: 'Whether an e-mail address or phone number is on an address list',
      description:
        'The address goes in the body (never in a URL), exactly one of email and phone, normalised as the list keys it. Answers listed, since when and where from; an address not listed is listed false. Logged without the address (the first 16 hex digits of its interchange hash). Needs export_audiences or handle_requests.',
      params: listParams,
      body: addressLookupInput,
      response: { 200: addressListEntry, ...errors },
    },
    handler: async (req) => service.lookupAddress(actorOf(req), req.params.list, req.body),
  });

  r.post('/interchange/address-lists/:list/remove', {
    schema: {
      operationId: 'removeAddressListEntry',
      tags,
      security,
      summary: 'Take an e-mail address or phone number off an address list',
      description:
        "Afterwards the address is in audiences and campaigns again (undeliverable), or the permission check no longer answers prohibition_list for it (prohibition); the ledger, the person's own objections, withdrawals and prohibition requests, the suppression list and campaign bounces are untouched. A reason is required (one line, up to 500 characters, never personal data); the access log keeps the first 16 hex digits of its SHA-256 and of the address's interchange hash, in the same transaction. An address not on the list is 404 naming email or phone, and nothing changes. The undeliverable list needs export_audiences or handle_requests; the prohibition list needs handle_requests (it reopens marketing to a person who asked for none).",
      params: listParams,
      body: addressRemovalInput,
      response: { 200: addressListRemoved, ...errors, 404: problemSchema },
    },
    handler: async (req) => service.removeAddress(actorOf(req), req.params.list, req.body),
  });
}
