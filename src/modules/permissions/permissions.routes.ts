/**
 * HTTP routes of the permission ledger and the permission check under /api/v1. Thin: check input
 * with zod (strict objects), call the service (which authorises first), answer through the
 * response schema. See docs/permissions.md.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth/index.ts';
import { problemSchema } from '../../http/problem.ts';
import { CHECK_CODES, PERMISSION_METHODS, PERMISSION_STATES, WORDING_LANGUAGES } from './model.ts';
import type { PermissionsService } from './permissions.service.ts';

const subjectId = z.uuid().describe('Subject id');
const code = z.string().min(1).max(100);

const stateEntry = z
  .object({
    kind: z.string().describe('A permission kind of the definition (marketing.kinds)'),
    channel: z.string().describe('A channel of the definition, or * for every channel of the kind'),
    state: z.enum(PERMISSION_STATES),
    changedAt: z.string().describe('When the person gave it (ISO 8601)'),
    method: z.enum(PERMISSION_METHODS).describe('How the change that set it was made'),
  })
  .meta({ id: 'PermissionState' });

const historyEntry = z
  .object({
    id: z.string(),
    kind: z.string(),
    channel: z.string(),
    state: z.enum(PERMISSION_STATES),
    previousState: z.enum(PERMISSION_STATES).nullable().describe('null: never asked before'),
    givenAt: z.string().describe('When the person gave it (ISO 8601)'),
    recordedAt: z.string().describe('When the register recorded it (ISO 8601)'),
    method: z.enum(PERMISSION_METHODS),
    noticeVersion: z
      .string()
      .nullable()
      .describe(
        'The published privacy notice version in force when it was given ("2"); null when none had been published by then (rows from before notice versions hold the definition digest)',
      ),
    wording: z
      .object({ text: z.string(), language: z.string() })
      .nullable()
      .describe('The words the person was shown'),
    reference: z.string().nullable().describe('The request, import run or campaign behind it'),
    actor: z.string().describe('Who recorded it (kind:id)'),
  })
  .meta({ id: 'PermissionHistoryEntry' });

const change = z
  .strictObject({
    kind: code.describe('A permission kind of the definition'),
    channel: code.describe(
      'A channel some purpose of the kind reaches people on, or * for the kind on every channel',
    ),
    state: z.enum(PERMISSION_STATES),
  })
  .meta({ id: 'PermissionChange' });

const evidence = z
  .strictObject({
    method: z.enum(PERMISSION_METHODS).describe('How the person made the choice'),
    givenAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When the person made it; now when left out; never in the future'),
    noticeVersion: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe(
        'The published privacy notice version in force at givenAt; recorded by the register when left out, and refused (400) when given as another',
      ),
    wording: z
      .strictObject({
        text: z.string().min(1).max(4000),
        language: z.enum(WORDING_LANGUAGES),
      })
      .optional()
      .describe('The words the person was shown; required to grant (but for an import)'),
    reference: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe('An opaque reference: the request, import run or campaign; required for an import'),
  })
  .meta({ id: 'PermissionEvidence' });

const checkResult = z
  .object({
    allowed: z.boolean(),
    purpose: z.string(),
    subjectId: z.string(),
    channel: z.string(),
    kind: z.string().nullable().describe('null for a purpose that is not marketing'),
    basis: z.enum(['consent', 'opt_out', 'soft_opt_in']).nullable(),
    state: z.enum(PERMISSION_STATES).nullable().describe('The ledger state that decided'),
    reason: z.object({
      code: z.enum(CHECK_CODES),
      message: z.string(),
    }),
    checkedAt: z.string(),
  })
  .meta({ id: 'PermissionCheck' });

const consentReceipt = z
  .object({
    version: z.literal('KI-CR-v1.1.0'),
    jurisdiction: z.string(),
    consentTimestamp: z.number().int().describe('Seconds since the epoch'),
    collectionMethod: z.string(),
    consentReceiptID: z.string(),
    publicKey: z.string().optional(),
    language: z.string(),
    piiPrincipalId: z.string(),
    piiControllers: z.array(
      z.object({
        piiController: z.string(),
        onBehalf: z.boolean(),
        contact: z.string(),
        address: z.object({
          streetAddress: z.string(),
          postalCode: z.string(),
          addressLocality: z.string(),
          addressCountry: z.string(),
        }),
        email: z.string(),
        phone: z.string().optional(),
        piiControllerUrl: z.string().optional(),
      }),
    ),
    policyUrl: z.string(),
    services: z.array(
      z.object({
        service: z.string(),
        purposes: z.array(
          z.object({
            purpose: z.string(),
            purposeCategory: z.array(z.string()),
            consentType: z.string(),
            piiCategory: z.array(z.string()),
            primaryPurpose: z.boolean(),
            termination: z.string(),
            thirdPartyDisclosure: z.boolean(),
            thirdPartyName: z.string().optional(),
          }),
        ),
      }),
    ),
    sensitive: z.boolean(),
    spiCat: z.array(z.string()),
  })
  .meta({ id: 'ConsentReceipt' });

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

export function permissionsRoutes(app: FastifyInstance, service: PermissionsService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['permissions'];
  const security: Array<Record<string, string[]>> = [{ bearer: [] }, { session: [] }];

  r.get('/permissions/check', {
    schema: {
      operationId: 'checkPermission',
      tags,
      security,
      summary: 'May this purpose reach this person on this channel now?',
      description:
        "Answers 200 with allowed true or false and the reason (a code and a sentence), from the ledger, the purpose's basis for the channel, restriction, objection, consent withdrawal, marketing prohibition and erasure. Needs the right to read under the purpose. To a caller whose purposes are all marketing purposes not allowed during restriction, a restricted person is answered as an unknown id is (unknown_subject, state null). A bad purpose, channel or time is 400 naming the field.",
      querystring: z.strictObject({
        purpose: code.describe('The purpose that would reach the person'),
        subject: subjectId,
        channel: code
          .optional()
          .describe('A marketing channel; left out only for a purpose that uses none (profiling)'),
        at: z.iso
          .datetime({ offset: true })
          .optional()
          .describe('Read the ledger as it stood then; now when left out'),
      }),
      response: { 200: checkResult, ...errors },
    },
    handler: async (req) =>
      service.check(actorOf(req), {
        purpose: req.query.purpose,
        subjectId: req.query.subject,
        ...(req.query.channel === undefined ? {} : { channel: req.query.channel }),
        ...(req.query.at === undefined ? {} : { at: req.query.at }),
      }),
  });

  r.get('/subjects/:id/permissions', {
    schema: {
      operationId: 'getSubjectPermissions',
      tags,
      security,
      summary: "A person's permissions per kind and channel, with the evidence of every change",
      params: z.object({ id: subjectId }),
      response: {
        200: z.object({ state: z.array(stateEntry), history: z.array(historyEntry) }),
        ...errors,
      },
    },
    handler: async (req) => {
      const actor = actorOf(req);
      return {
        state: await service.stateOf(actor, req.params.id),
        history: await service.history(actor, req.params.id),
      };
    },
  });

  r.get('/subjects/:id/consent-receipts', {
    schema: {
      operationId: 'getConsentReceipts',
      tags,
      security,
      summary: "A person's consents as Kantara Consent Receipts (v1.1)",
      description:
        'One receipt for each kind and channel the person has granted now, with the purposes resting on it, their categories, retention and recipients; texts in the language asked for.',
      params: z.object({ id: subjectId }),
      querystring: z.strictObject({ lang: z.enum(WORDING_LANGUAGES).default('en') }),
      response: { 200: z.object({ receipts: z.array(consentReceipt) }), ...errors },
    },
    handler: async (req) => ({
      receipts: await service.consentReceipts(actorOf(req), req.params.id, req.query.lang),
    }),
  });

  r.post('/subjects/:id/permissions', {
    config: { multiline: ['evidence.wording.text'] },
    schema: {
      operationId: 'recordSubjectPermissions',
      tags,
      security,
      summary: 'Record permission changes with their evidence',
      description:
        "Refusing, withdrawing and objecting are open to anyone who may process any purpose of the register (also for a person restricted from the caller's marketing purposes, who is otherwise an unknown id to it: the answer then shows only what was recorded); granting (and a pending consent) needs the right to write for a purpose of the kind, and the wording shown (an import names its run in reference). Each change is appended to the history; a change to the state already held is reported under unchanged and not written (a consent given again is).",
      params: z.object({ id: subjectId }),
      body: z.strictObject({
        changes: z.array(change).min(1).max(50),
        evidence,
      }),
      response: {
        200: z.object({
          recorded: z.array(historyEntry),
          unchanged: z.array(
            z.object({ kind: z.string(), channel: z.string(), state: z.enum(PERMISSION_STATES) }),
          ),
          state: z.array(stateEntry),
        }),
        ...errors,
      },
    },
    handler: async (req) =>
      service.record(actorOf(req), req.params.id, req.body.changes, req.body.evidence),
  });
}
