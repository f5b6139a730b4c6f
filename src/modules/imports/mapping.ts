/**
 * The mapping file of an import: which column goes to which category.field, and the source,
 * purpose and dedupe policy of the rows.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Register } from '../definition/index.ts';
import { formatPath } from '../definition/index.ts';
import { AppError, type FieldIssue } from '../../lib/errors.ts';

export const mappingSchema = z
  .object({
    format: z.enum(['csv', 'jsonl']).optional(),
    delimiter: z.string().length(1).default(','),
    purpose: z.string().min(1),
    source: z.string().min(1),
    dedupe: z.enum(['merge', 'skip']).default('skip'),
    /** column name (CSV header, or JSON key) → `category.field` */
    columns: z.record(
      z.string().min(1),
      z.string().regex(/^[a-z][a-z0-9_]*\.[a-zA-Z][a-zA-Z0-9_]*$/, 'expected category.field'),
    ),
  })
  .strict();

export type Mapping = z.infer<typeof mappingSchema>;

export function checkMapping(raw: unknown, register: Register): Mapping {
  const parsed = mappingSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      field: formatPath(i.path) || 'mapping',
      detail: i.message,
    }));
    throw new AppError(
      'validation_failed',
      `mapping: ${issues.map((i) => `${i.field}: ${i.detail}`).join('; ')}`,
      issues,
    );
  }
  const m = parsed.data;
  const issues: FieldIssue[] = [];
  if (!register.purpose(m.purpose)) {
    issues.push({ field: 'purpose', detail: `unknown purpose "${m.purpose}"` });
  }
  if (!register.source(m.source)) {
    issues.push({ field: 'source', detail: `unknown source "${m.source}"` });
  }
  const allowed = register.categoriesOf(m.purpose);
  for (const [column, target] of Object.entries(m.columns)) {
    const [category, field] = target.split('.') as [string, string];
    if (!register.field(category, field)) {
      issues.push({
        field: `columns.${column}`,
        detail: `no field ${target} in the register definition`,
      });
    } else if (register.purpose(m.purpose) && !allowed.has(category)) {
      issues.push({
        field: `columns.${column}`,
        detail: `category "${category}" is not used by purpose "${m.purpose}"`,
      });
    }
  }
  if (Object.keys(m.columns).length === 0) {
    issues.push({ field: 'columns', detail: 'map at least one column' });
  }
  if (issues.length > 0) {
    throw new AppError(
      'validation_failed',
      `mapping: ${issues.map((i) => `${i.field}: ${i.detail}`).join('; ')}`,
      issues,
    );
  }
  return m;
}

export async function loadMapping(file: string, register: Register): Promise<Mapping> {
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    throw new AppError('validation_failed', `mapping file ${file}: ${(err as Error).message}`, [
      { field: 'mapping', detail: 'cannot read or parse the file' },
    ]);
  }
  return checkMapping(raw, register);
}
