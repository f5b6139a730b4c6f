/**
 * Rectification by the person (Art. 16), from the portal once their identity is proven: only the
 * fields the definition marks `selfEditable`; any other goes to staff (PATCH /subjects/{id}).
 *
 * It names no purpose. Correcting one's own data is not processing for a purpose but the person's
 * right, so it passes no purpose's gate: it applies while processing is restricted (a restriction
 * often waits for exactly this, Art. 18(1)(a)) and after the person stopped purposes. Each value
 * keeps the purpose it was collected for; a new value takes the first purpose of the definition
 * that uses its category. The history records each old value with the reason "rectification by
 * the person", the source is the definition's first source of kind `subject`, and the actor is the
 * person (`subject:<id>`, kind `subject`, with the portal's request id), logged as
 * `subject.self_rectify`.
 */
import { withTransaction } from '../../../db/transaction.ts';
import { subjectActor } from '../../../lib/actor.ts';
import { invalid, invalidAll, type FieldIssue } from '../../../lib/errors.ts';
import type { UseCaseContext } from '../access.ts';
import { checkFieldValue, type FieldValue } from '../field-types.ts';
import type { CategoryValues } from '../subject-codec.ts';
import type { ApplyChanges } from './apply-changes.ts';

export const SELF_RECTIFICATION_REASON = 'rectification by the person';
const MAX_CHANGES = 100;

export interface SelfChange {
  category: string;
  field: string;
  /** The new value; `null` removes the field (not a required one). */
  value: FieldValue | null;
}

export function createRectifyBySubject(ctx: UseCaseContext, applyChanges: ApplyChanges) {
  const { clock, db, register } = ctx;
  const callingCode = register.definition.defaultCountryCallingCode;
  const source =
    register.definition.sources.find((s) => s.kind === 'subject')?.id ??
    register.definition.sources[0]?.id ??
    'subject';

  return async (
    subjectId: string,
    changes: readonly SelfChange[],
    opts: { requestId?: string } = {},
  ): Promise<{ changed: boolean }> => {
    const list: unknown = changes;
    if (!Array.isArray(list) || changes.length === 0) {
      throw invalid('changes', 'give at least one change');
    }
    if (changes.length > MAX_CHANGES) {
      throw invalid('changes', `at most ${MAX_CHANGES} changes at once`);
    }
    const issues: FieldIssue[] = [];
    const values: CategoryValues = new Map();
    changes.forEach((c, i) => {
      const at = `changes[${i}]`;
      const category = register.category(c.category);
      if (!category) {
        issues.push({ field: `${at}.category`, detail: 'no such category in the register' });
        return;
      }
      const field = register.field(c.category, c.field);
      if (!field) {
        issues.push({
          field: `${at}.field`,
          detail: `no field "${c.field}" in category "${c.category}"`,
        });
        return;
      }
      if (!field.selfEditable) {
        issues.push({
          field: `${at}.field`,
          detail: `"${c.category}.${c.field}" is not one the person may correct themselves; staff correct it on request`,
        });
        return;
      }
      const fields = values.get(c.category) ?? new Map<string, FieldValue | null>();
      if (fields.has(c.field)) {
        issues.push({ field: `${at}.field`, detail: `"${c.category}.${c.field}" is given twice` });
        return;
      }
      if (c.value === null) {
        if (field.required) {
          issues.push({ field: `${at}.value`, detail: 'is required and cannot be removed' });
          return;
        }
        fields.set(c.field, null);
      } else {
        const checked = checkFieldValue(field, c.value, callingCode);
        if (!checked.ok) {
          issues.push({ field: `${at}.value`, detail: checked.detail });
          return;
        }
        fields.set(c.field, checked.value);
      }
      values.set(c.category, fields);
    });
    if (issues.length > 0) {
      throw invalidAll(issues);
    }
    const changed = await withTransaction(db, (tx) =>
      applyChanges(tx, subjectId, values, {
        purpose: null,
        source,
        reason: SELF_RECTIFICATION_REASON,
        actor: subjectActor(subjectId, opts.requestId),
        now: clock.now(),
        // An address of an erased person is refused naming the change; the person has no override.
        fieldName: (category, field) =>
          `changes[${changes.findIndex((c) => c.category === category && c.field === field)}].field`,
      }),
    );
    return { changed };
  };
}
