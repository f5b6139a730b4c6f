/**
 * What an audience is built from (docs/audiences.md): a marketing purpose, one of its channels and
 * filters over the categories the purpose may use. Strict: an unknown key is refused, naming it.
 */
import { z } from 'zod';

const text = z.string().min(1).max(200);

export const audienceFilter = z
  .discriminatedUnion('op', [
    z.strictObject({
      field: text.describe('category.field of a category the purpose may use'),
      op: z.literal('equals'),
      value: text.describe('The whole value, compared without regard to case'),
    }),
    z.strictObject({
      field: text,
      op: z.literal('contains'),
      value: text.describe('A part of the value, compared without regard to case'),
    }),
    z.strictObject({
      field: text,
      op: z.literal('in'),
      values: z.array(text).min(1).max(100).describe('The value is one of these'),
    }),
  ])
  .meta({ id: 'AudienceFilter' });
export type AudienceFilter = z.infer<typeof audienceFilter>;
export const FILTER_OPS = ['equals', 'contains', 'in'] as const;

export const audienceInput = z
  .strictObject({
    purpose: z.string().min(1).max(100).describe('A marketing purpose (one with a kind)'),
    channel: z.string().min(1).max(100).describe("One of the purpose's channels"),
    filters: z.array(audienceFilter).max(20).default([]).describe('All must hold (AND)'),
    createdAfter: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('Only people added to the register after this moment'),
  })
  .meta({ id: 'AudienceInput' });
export type AudienceInput = z.input<typeof audienceInput>;
