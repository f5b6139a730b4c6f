/**
 * The register definition, published: who keeps it, what is kept, why and on which basis, who
 * receives it and for how long. Public, as the privacy notice is; the public portal (web/portal)
 * shows it.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Register } from './register.ts';
import {
  DISCLOSURE_KINDS,
  LANGUAGES,
  AUDIENCES,
  CHANNEL_BASES,
  IDENTITY_PROOFS,
  PERMISSION_NATURES,
  REQUEST_CHANNELS,
  REQUEST_TYPES,
  REQUIREMENT_KINDS,
  RIGHTS,
} from './schema.ts';
import { problemSchema } from '../../http/problem.ts';

const localized = z.object({ sv: z.string(), fi: z.string(), en: z.string() });

/** How a data protection officer or a representative is reached (Art. 13(1)(a)-(b)). */
const contactSchema = z.object({
  name: z.string(),
  role: localized.optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
});

type ContactPerson = {
  name: string;
  role?: { sv: string; fi: string; en: string };
  email?: string;
  phone?: string;
};
const contact = (c: ContactPerson) => ({
  name: c.name,
  ...(c.role ? { role: c.role } : {}),
  ...(c.email ? { email: c.email } : {}),
  ...(c.phone ? { phone: c.phone } : {}),
});

export function definitionRoutes(app: FastifyInstance, register: Register): void {
  const def = register.definition;
  const permissionOf = (purpose: string) => {
    const m = register.marketing.purpose(purpose);
    return m
      ? {
          kind: m.kind,
          audience: m.audience,
          channels: [...m.channels].map(([channel, basis]) => ({ channel, basis })),
          basis: m.basis,
        }
      : null;
  };
  const summary = {
    version: register.digest.slice(0, 12),
    // The languages the notice is published in; texts in the others repeat the first.
    languages: [...register.languages],
    ...(def.notice
      ? {
          notice: {
            date: def.notice.date,
            ...(def.notice.version ? { version: def.notice.version } : {}),
            ...(def.notice.nextReview ? { nextReview: def.notice.nextReview } : {}),
            ...(def.notice.changes ? { changes: def.notice.changes } : {}),
            laws: [...def.notice.laws],
          },
        }
      : {}),
    controller: {
      name: def.controller.name,
      businessId: def.controller.businessId,
      ...(def.controller.vatId ? { vatId: def.controller.vatId } : {}),
      email: def.controller.email,
      ...(def.controller.phone ? { phone: def.controller.phone } : {}),
      // Art. 13(1)(a): the controller's identity and contact details, a postal address among them.
      address: { ...def.controller.address },
      ...(def.controller.website ? { website: def.controller.website } : {}),
      // Art. 13(1)(b): the data protection officer's contact details, where there is one.
      ...(typeof def.controller.dpo === 'object' ? { dpo: contact(def.controller.dpo) } : {}),
      // `none`: the controller has appointed none; `unknown`: the register does not say.
      dpoAppointed:
        typeof def.controller.dpo === 'object'
          ? ('yes' as const)
          : def.controller.dpo === 'none'
            ? ('no' as const)
            : ('unknown' as const),
      // Art. 13(1)(a), Art. 27: the representative in the Union of a controller outside it.
      ...(def.controller.representative
        ? { representative: contact(def.controller.representative) }
        : {}),
    },
    name: def.register.name,
    categories: def.categories.map((c) => ({
      id: c.id,
      label: c.label,
      fields: c.fields.map((f) => ({
        id: f.id,
        type: f.type,
        label: f.label,
        selfEditable: f.selfEditable,
      })),
    })),
    purposes: def.purposes.map((p) => ({
      id: p.id,
      label: p.label,
      description: p.description,
      legalBasis: p.legalBasis,
      categories: [...p.categories],
      allowedDuringRestriction: p.allowedDuringRestriction,
      retention: p.retention,
      // Art. 13(2)(e): whether providing the data is required; unknown where not stated.
      requirement: p.requirement ?? 'unknown',
      permission: permissionOf(p.id),
    })),
    // The channels and kinds a person may allow or refuse (docs/permissions.md).
    marketing: {
      channels: register.marketing.channels.map((c) => ({
        id: c.id,
        label: c.label,
        electronic: c.electronic,
      })),
      kinds: register.marketing.kinds.map((k) => ({ id: k.id, label: k.label, nature: k.nature })),
    },
    // Art. 13(2)(f), 22: automated decisions, profiling included; unknown where not stated.
    automatedDecisions: def.automatedDecisions ?? 'unknown',
    sources: def.sources.map((s) => ({
      id: s.id,
      kind: s.kind,
      label: s.label,
      categories: [...s.categories],
    })),
    disclosures: def.disclosures.map((d) => ({
      kind: d.kind,
      text: d.text,
      recipients: [...d.recipients],
    })),
    recipients: def.recipients.map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      country: r.country,
      description: r.description,
      categories: [...r.categories],
      purposes: [...r.purposes],
    })),
    transfers: def.transfers.map((t) => ({
      recipient: t.recipient,
      country: t.country,
      ...(t.mechanism ? { mechanism: t.mechanism } : {}),
      ...(t.description ? { description: t.description } : {}),
    })),
    retentionRules: def.retention.rules.map((r) => ({
      id: r.id,
      duration: r.duration,
      from: r.from ?? 'unknown',
      label: r.label,
    })),
    legalHolds: def.retention.legalHolds.map((h) => ({
      id: h.id,
      law: h.law,
      categories: [...h.categories],
      purpose: h.purpose,
      duration: h.duration,
      from: h.from,
      label: h.label,
    })),
    rights: {
      offered: def.rights.offered.map((r) => ({
        right: r.right,
        ...(r.qualification ? { qualification: r.qualification } : {}),
      })),
      channels: def.rights.channels.map((c) => ({
        kind: c.kind,
        ...(c.email ? { email: c.email } : {}),
        ...(c.phone ? { phone: c.phone } : {}),
        ...(c.kind === 'postal' || c.kind === 'in_person'
          ? { address: c.address ? { ...c.address } : { ...def.controller.address } }
          : {}),
        proof: [...c.proof],
        ...(c.instructions ? { instructions: c.instructions } : {}),
      })),
      stronger: def.rights.stronger.map((s) => ({ type: s.type, proof: [...s.proof] })),
    },
    supervisoryAuthority: {
      name: def.supervisoryAuthority.name,
      website: def.supervisoryAuthority.website,
      ...(def.supervisoryAuthority.email ? { email: def.supervisoryAuthority.email } : {}),
      ...(def.supervisoryAuthority.phone ? { phone: def.supervisoryAuthority.phone } : {}),
    },
  };
  app.withTypeProvider<ZodTypeProvider>().get('/definition', {
    schema: {
      operationId: 'getDefinition',
      security: [],
      tags: ['register'],
      summary:
        'The published summary of this register: its controller (with postal address, data protection officer and representative), categories, fields, purposes, sources, recipients, transfers and retention',
      response: {
        200: z.object({
          version: z.string(),
          languages: z
            .array(z.enum(LANGUAGES))
            .describe('The languages the notice is published in, the main one first'),
          notice: z
            .object({
              date: z.string().describe('The day this version of the notice was drawn up'),
              version: z.string().optional(),
              nextReview: z.string().optional(),
              changes: localized.optional().describe('How changes to the notice are announced'),
              laws: z.array(z.string()).describe('The laws the notice cites'),
            })
            .optional(),
          controller: z.object({
            name: z.string(),
            businessId: z.string(),
            vatId: z.string().optional(),
            email: z.string(),
            phone: z.string().optional(),
            address: z.object({
              street: z.string(),
              postalCode: z.string(),
              city: z.string(),
              country: z.string().describe('ISO 3166-1 alpha-2'),
            }),
            website: z.string().optional(),
            dpo: contactSchema.optional().describe('The data protection officer, if one is named'),
            dpoAppointed: z
              .enum(['yes', 'no', 'unknown'])
              .describe(
                'yes: a data protection officer is named (dpo); no: the controller states none is appointed; unknown: the register does not say',
              ),
            representative: contactSchema
              .optional()
              .describe('The representative in the EU of a controller established outside it'),
          }),
          name: localized,
          categories: z.array(
            z.object({
              id: z.string(),
              label: localized,
              fields: z.array(
                z.object({
                  id: z.string(),
                  type: z.string(),
                  label: localized,
                  selfEditable: z
                    .boolean()
                    .describe('The person may correct it themselves in the portal'),
                }),
              ),
            }),
          ),
          purposes: z.array(
            z.object({
              id: z.string(),
              label: localized,
              description: localized,
              legalBasis: z.string().describe('unknown: the register does not state it'),
              categories: z.array(z.string()),
              allowedDuringRestriction: z.boolean(),
              retention: z.string(),
              requirement: z
                .union([
                  z.literal('unknown'),
                  z.object({
                    kind: z.enum(REQUIREMENT_KINDS),
                    obliged: z.boolean(),
                    consequences: localized,
                  }),
                ])
                .describe(
                  'Whether providing the data is a statutory or contractual requirement or needed to enter into a contract, whether the person is obliged, and what follows from not providing them (Art. 13(2)(e)); unknown where not stated',
                ),
              permission: z
                .object({
                  kind: z.string(),
                  audience: z.enum(AUDIENCES),
                  channels: z.array(
                    z.object({ channel: z.string(), basis: z.enum(CHANNEL_BASES) }),
                  ),
                  basis: z
                    .enum(['consent', 'opt_out'])
                    .nullable()
                    .describe('For a purpose that reaches nobody by a channel (profiling)'),
                })
                .nullable()
                .describe(
                  'The marketing permission the purpose needs, per channel; null: not marketing',
                ),
            }),
          ),
          marketing: z
            .object({
              channels: z.array(
                z.object({ id: z.string(), label: localized, electronic: z.boolean() }),
              ),
              kinds: z.array(
                z.object({ id: z.string(), label: localized, nature: z.enum(PERMISSION_NATURES) }),
              ),
            })
            .describe(
              'The marketing channels and the kinds of permission a person may give or refuse',
            ),
          automatedDecisions: z
            .union([
              z.enum(['none', 'unknown']),
              z.array(
                z.object({
                  id: z.string(),
                  label: localized,
                  logic: localized,
                  consequences: localized,
                  profiling: z.boolean(),
                  purposes: z.array(z.string()),
                }),
              ),
            ])
            .describe(
              'Decisions based solely on automated processing, profiling included (Art. 22): none, each with its logic and consequences, or unknown where not stated',
            ),
          sources: z.array(
            z.object({
              id: z.string(),
              kind: z.string(),
              label: localized,
              categories: z
                .array(z.string())
                .describe('The categories the source supplies; empty when not stated'),
            }),
          ),
          disclosures: z
            .array(
              z.object({
                kind: z.enum(DISCLOSURE_KINDS),
                text: localized,
                recipients: z.array(z.string()),
              }),
            )
            .describe('When data are disclosed beyond the recipients, and on what condition'),
          recipients: z.array(
            z.object({
              id: z.string(),
              name: localized.describe(
                'Its name in each language (a proper name is the same in all)',
              ),
              role: z.string(),
              country: z.string().describe('ISO 3166-1 alpha-2, or unknown where not stated'),
              description: localized,
              categories: z.array(z.string()),
              purposes: z.array(z.string()),
            }),
          ),
          transfers: z.array(
            z.object({
              recipient: z.string(),
              country: z.string(),
              mechanism: z.string().optional(),
              description: localized.optional(),
            }),
          ),
          retentionRules: z.array(
            z.object({
              id: z.string(),
              duration: z.string().describe('ISO 8601 duration, or unknown where not stated'),
              from: z.string(),
              label: localized,
            }),
          ),
          legalHolds: z
            .array(
              z.object({
                id: z.string(),
                law: z.string(),
                categories: z.array(z.string()),
                purpose: z.string().describe('The only purpose held data stay readable for'),
                duration: z.string(),
                from: z.string(),
                label: localized,
              }),
            )
            .describe('What an erasure keeps, under which law, for how long'),
          rights: z
            .object({
              offered: z.array(
                z.object({ right: z.enum(RIGHTS), qualification: localized.optional() }),
              ),
              channels: z.array(
                z.object({
                  kind: z.enum(REQUEST_CHANNELS),
                  email: z.string().optional(),
                  phone: z.string().optional(),
                  address: z
                    .object({
                      recipient: z.string().optional(),
                      street: z.string(),
                      postalCode: z.string(),
                      city: z.string(),
                      country: z.string(),
                    })
                    .optional(),
                  proof: z.array(z.enum(IDENTITY_PROOFS)),
                  instructions: localized.optional(),
                }),
              ),
              stronger: z.array(
                z.object({ type: z.enum(REQUEST_TYPES), proof: z.array(z.enum(IDENTITY_PROOFS)) }),
              ),
            })
            .describe('The rights a person has here, and how a request is made and proven'),
          supervisoryAuthority: z.object({
            name: localized,
            website: z.string(),
            email: z.string().optional(),
            phone: z.string().optional(),
          }),
        }),
        // What the text guard answers to a malformed query string.
        400: problemSchema,
      },
    },
    handler: () => summary,
  });
}
