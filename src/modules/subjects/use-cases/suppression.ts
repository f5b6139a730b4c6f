/**
 * The suppression list: after an erasure, the blind index of each e-mail address and phone number
 * the person had. A new person (API create, import) holding one is refused, naming the field,
 * unless an actor who handles requests overrides it explicitly; the override is logged.
 */
import type { Kysely } from 'kysely';
import type { Executor } from '../../../db/transaction.ts';
import type { Database } from '../../../db/types.ts';
import { may, requireAction, type Actor } from '../../../lib/actor.ts';
import { AppError, type FieldIssue } from '../../../lib/errors.ts';
import type { UseCaseContext } from '../access.ts';
import { holdsRepo } from '../holds.repo.ts';
import type { CategoryValues } from '../subject-codec.ts';

export const SUPPRESSED_DETAIL =
  'this address belonged to a person erased from the register and is on the suppression list; recording it needs an explicit override (allowSuppressed in the API, --allow-suppressed in an import) by someone who handles requests';

/** Whether an e-mail address or phone number (any formatting) is on the suppression list. */
export function createIsSuppressed(ctx: UseCaseContext) {
  const { db, vault } = ctx;
  return async (
    ex: Executor | Kysely<Database> = db,
    input: { email?: string | null; phone?: string | null },
  ): Promise<boolean> => {
    const entries: Array<{ kind: 'email' | 'phone'; index: string }> = [];
    const e = input.email ? vault.emailIndex(input.email) : undefined;
    const p = input.phone ? vault.phoneIndex(input.phone) : undefined;
    if (e !== undefined) {
      entries.push({ kind: 'email', index: e });
    }
    if (p !== undefined) {
      entries.push({ kind: 'phone', index: p });
    }
    return (await holdsRepo.suppressed(ex, entries)).length > 0;
  };
}

/** The fields (`<prefix>.<category>.<field>`, or `<category>.<field>` with no prefix) of each record that hold a suppressed address. */
export async function suppressedFields(
  ctx: UseCaseContext,
  ex: Executor,
  records: ReadonlyArray<CategoryValues>,
  prefix = 'values',
): Promise<string[][]> {
  const { codec } = ctx.access;
  const per = records.map((values) => codec.addressIndexes((c, f) => values.get(c)?.get(f)));
  const hit = await holdsRepo.suppressed(ex, per.flat());
  if (hit.length === 0) {
    return per.map(() => []);
  }
  const set = new Set(hit.map((h) => `${h.kind}:${h.index}`));
  return per.map((list) =>
    list
      .filter((a) => set.has(`${a.kind}:${a.index}`))
      .map((a) => (prefix ? `${prefix}.${a.field}` : a.field)),
  );
}

/** Refuses suppressed fields unless overridden by someone who may handle requests. */
export function refuseSuppressed(actor: Actor, fields: string[], allowSuppressed: boolean): void {
  if (fields.length === 0) {
    return;
  }
  if (!allowSuppressed) {
    const issues: FieldIssue[] = fields.map((field) => ({ field, detail: SUPPRESSED_DETAIL }));
    throw new AppError('conflict', `${fields.join(', ')}: ${SUPPRESSED_DETAIL}`, issues);
  }
  requireAction(actor, 'handle_requests');
}

/** Whether an actor may override the suppression list. */
export const mayOverrideSuppression = (actor: Actor) => may(actor, 'handle_requests');
