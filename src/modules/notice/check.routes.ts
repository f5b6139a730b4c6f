/**
 * `POST /api/v1/definition/check`: what `rekisteri check` says, for the console. Without `text`,
 * about the definition running now; with `text`, about a draft (nothing is loaded or changed).
 * Needs the action read_audit (the DPO, the auditor and the administrator).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth/index.ts';
import { problemSchema } from '../../http/problem.ts';
import { requireAction } from '../../lib/actor.ts';
import type { Register } from '../definition/index.ts';
import { checkRegister, checkText } from './findings.ts';

/** The largest draft accepted: the biggest example is about 60 KB. */
export const MAX_DRAFT_BYTES = 512 * 1024;

const findingSchema = z
  .strictObject({
    severity: z.enum(['error', 'warning']),
    path: z.string().describe('Where in the definition, such as purposes[2].legalBasis'),
    message: z.string(),
    articles: z.array(z.string()).describe('The articles the finding cites'),
    noticeItem: z
      .string()
      .optional()
      .describe('The Art. 13/14 item of the privacy notice it leaves unanswered'),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
  })
  .meta({ id: 'DefinitionFinding' });

const transferSchema = z
  .strictObject({
    recipient: z.string(),
    recipientName: z.string(),
    recipientCountry: z.string().describe('ISO 3166-1 alpha-2, or unknown'),
    country: z.string(),
    outsideEea: z.array(z.string()).describe('Countries outside the EU/EEA the data reach'),
    mechanism: z.string().nullable(),
    sccModule: z.number().int().nullable(),
    void: z
      .string()
      .nullable()
      .describe('Why the mechanism is void (the EU-US Privacy Shield, Safe Harbor); null if not'),
  })
  .meta({ id: 'DefinitionTransfer' });

export function definitionCheckRoutes(app: FastifyInstance, register: Register): void {
  app.withTypeProvider<ZodTypeProvider>().post('/definition/check', {
    bodyLimit: MAX_DRAFT_BYTES + 4096,
    // The draft is YAML: lines and tabs (other control characters are still refused).
    config: { multiline: ['text'] },
    schema: {
      operationId: 'checkDefinition',
      tags: ['register'],
      security: [{ session: [] }, { bearer: [] }],
      summary: 'Check a register definition as `rekisteri check` does: errors, warnings, transfers',
      description:
        'Needs the action read_audit. Without `text`, reports on the definition running now (it has no errors, or it would not run); with `text` (YAML, at most 512 KiB), on that draft, which is neither loaded nor kept. Errors are what the definition may not say or the law no longer allows; warnings what it leaves unsaid, each once with the articles it cites (an `unknown` value is one warning, naming the notice item it leaves unanswered). Transfers list each mechanism; a void one (the EU-US Privacy Shield, Safe Harbor) is flagged.',
      body: z.strictObject({
        text: z
          .string()
          .min(1)
          .max(MAX_DRAFT_BYTES)
          .optional()
          .describe('A draft definition as YAML; the running one when left out'),
      }),
      response: {
        200: z
          .strictObject({
            valid: z.boolean(),
            version: z.string().nullable().describe('The definition version; null for a draft'),
            errors: z.array(findingSchema),
            warnings: z.array(findingSchema),
            transfers: z.array(transferSchema),
          })
          .meta({ id: 'DefinitionCheck' }),
        400: problemSchema,
        401: problemSchema,
        403: problemSchema,
      },
    },
    handler: (req) => {
      requireAction(actorOf(req), 'read_audit');
      const today = new Date().toISOString().slice(0, 10);
      if (req.body.text === undefined) {
        return checkRegister(register);
      }
      const report = checkText(req.body.text, today);
      // A draft is not the running definition: it has no version of its own here.
      return { ...report, version: null };
    },
  });
}
