/**
 * The register definition, published: what is kept, why and on which basis. Public, as the
 * privacy notice is.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Register } from '../../definition/register.ts';
import { problemSchema } from '../../http/problem.ts';

const localized = z.object({ sv: z.string(), fi: z.string(), en: z.string() });

export function registerRoutes(app: FastifyInstance, register: Register): void {
  const def = register.definition;
  const summary = {
    version: register.digest.slice(0, 12),
    controller: { name: def.controller.name, businessId: def.controller.businessId },
    name: def.register.name,
    categories: def.categories.map((c) => ({
      id: c.id,
      label: c.label,
      fields: c.fields.map((f) => ({ id: f.id, type: f.type, label: f.label })),
    })),
    purposes: def.purposes.map((p) => ({
      id: p.id,
      label: p.label,
      description: p.description,
      legalBasis: p.legalBasis,
      categories: [...p.categories],
      allowedDuringRestriction: p.allowedDuringRestriction,
      retention: p.retention,
    })),
    sources: def.sources.map((s) => ({ id: s.id, kind: s.kind, label: s.label })),
    retentionRules: def.retention.rules.map((r) => ({
      id: r.id,
      duration: r.duration,
      from: r.from,
      label: r.label,
    })),
  };
  app.withTypeProvider<ZodTypeProvider>().get('/definition', {
    schema: {
      operationId: 'getDefinition',
      security: [],
      tags: ['register'],
      summary: 'The categories, fields, purposes and sources of this register',
      response: {
        200: z.object({
          version: z.string(),
          controller: z.object({ name: z.string(), businessId: z.string() }),
          name: localized,
          categories: z.array(
            z.object({
              id: z.string(),
              label: localized,
              fields: z.array(z.object({ id: z.string(), type: z.string(), label: localized })),
            }),
          ),
          purposes: z.array(
            z.object({
              id: z.string(),
              label: localized,
              description: localized,
              legalBasis: z.string(),
              categories: z.array(z.string()),
              allowedDuringRestriction: z.boolean(),
              retention: z.string(),
            }),
          ),
          sources: z.array(z.object({ id: z.string(), kind: z.string(), label: localized })),
          retentionRules: z.array(
            z.object({ id: z.string(), duration: z.string(), from: z.string(), label: localized }),
          ),
        }),
        // What the text guard answers to a malformed query string.
        400: problemSchema,
      },
    },
    handler: () => summary,
  });
}
