/**
 * Applies checked changes to one subject inside a transaction: re-seals the touched categories,
 * keeps each old value in the sealed history, refreshes the blind index. It does not authorise:
 * it is internal to the module, reached only through rectification and the bulk writer, which
 * authorise first. Not exported from the module's index.
 *
 * Every e-mail address and phone number it writes (a value that changes) is checked against the
 * suppression list, whatever the path (PATCH, a rectification request, the person's own
 * rectification): one that belonged to an erased person is refused with 409 naming the field,
 * unless the caller overrides it explicitly (`allowSuppressed`, handle_requests only), which is
 * logged as `subject.suppression_override`.
 */
import type { Executor } from '../../../db/transaction.ts';
import type { FieldMeta } from '../../../db/types.ts';
import { actorLabel, type Actor } from '../../../lib/actor.ts';
import { AppError, invalidAll } from '../../../lib/errors.ts';
import type { UseCaseContext } from '../access.ts';
import type { FieldValue } from '../field-types.ts';
import type { CategoryValues } from '../subject-codec.ts';
import { holdsRepo } from '../holds.repo.ts';
import { splitMeta, subjectsRepo as repo } from '../subjects.repo.ts';
import { refuseSuppressed } from './suppression.ts';

export interface ChangeContext {
  /**
   * The purpose the values are collected for, whose gate (restriction, stops) the write passes.
   * `null`: the person's own rectification (Art. 16, rectify-by-subject.ts), which is no processing
   * for a purpose: it passes no purpose's gate, each corrected value keeps the purpose it was
   * collected for (a new one takes the first purpose of the definition using its category), and
   * it is logged as `subject.self_rectify`.
   */
  purpose: string | null;
  source: string;
  reason: string | null;
  actor: Actor;
  now: Date;
  /**
   * Records an address on the suppression list (an erased person's) all the same: handle_requests
   * only; logged. Without it such an address is refused (409, naming the field).
   */
  allowSuppressed?: boolean;
  /** The caller checked the suppression list and logged any override itself (the bulk writer). */
  suppressionChecked?: boolean;
  /**
   * Under a marketing purpose: leave out the fields marketing channels reach people at instead
   * of refusing the write (an import's merge, whose matching address is one of them).
   */
  dropChannelFields?: boolean;
  /** How the caller's input names a field in an error; `values.<category>.<field>` by default. */
  fieldName?: (category: string, field: string) => string;
}

export function createApplyChanges(ctx: UseCaseContext) {
  const { access, audit, register } = ctx;
  const { codec } = access;
  /** The first purpose of the definition using a category. */
  const firstPurpose = new Map<string, string>();
  for (const p of register.definition.purposes) {
    for (const cat of p.categories) {
      if (!firstPurpose.has(cat)) {
        firstPurpose.set(cat, p.id);
      }
    }
  }

  return async (
    tx: Executor,
    id: string,
    changes: CategoryValues,
    c: ChangeContext,
  ): Promise<boolean> => {
    // Under a marketing purpose the fields a marketing channel reaches people at (e-mail, phone,
    // address) are never written, compared or overwritten, whether or not this person allows the
    // channel: a rectification naming one is refused for the purpose as a whole (the same answer
    // for every person, so it tells nothing of theirs); an import's merge leaves them out.
    if (c.purpose !== null && register.marketing.purpose(c.purpose)) {
      const named = [...changes].flatMap(([category, fields]) =>
        [...fields.keys()]
          .filter((f) => access.anyChannelField.has(`${category}.${f}`))
          .map((f) => [category, f] as const),
      );
      if (named.length > 0 && c.dropChannelFields !== true) {
        const name = c.fieldName ?? ((cat: string, f: string) => `values.${cat}.${f}`);
        throw new AppError(
          'forbidden',
          `not written: ${named.map(([cat, f]) => name(cat, f)).join(', ')}: a marketing purpose does not write the addresses its channels reach people at; correct them under a purpose without a kind (customer service), or the person does on the portal`,
          named.map(([cat, f]) => ({
            field: name(cat, f),
            detail: `not written under marketing purpose "${c.purpose}"`,
          })),
        );
      }
      if (named.length > 0) {
        const kept: CategoryValues = new Map();
        for (const [category, fields] of changes) {
          const rest = new Map(
            [...fields].filter(([f]) => !access.anyChannelField.has(`${category}.${f}`)),
          );
          if (rest.size > 0) {
            kept.set(category, rest);
          }
        }
        changes = kept;
      }
    }
    if (c.purpose === null) {
      await access.requireSubject(tx, id, true);
    } else {
      await access.loadForPurpose(tx, id, c.purpose, 'write');
    }
    if (changes.size === 0) {
      return false;
    }
    // A category a legal hold keeps in place for other purposes only is not there for this one
    // (docs/retention.md): it is neither merged with, changed nor deleted by its write. Refused as
    // a whole, naming the category and nothing of its values; the hold's own purpose writes it.
    const held = await repo.heldCategories(tx, id);
    const heldElsewhere = [...changes.keys()].filter((cat) => {
      const purposes = held.get(cat);
      return purposes !== undefined && (c.purpose === null || !purposes.has(c.purpose));
    });
    if (heldElsewhere.length > 0) {
      const name = c.fieldName ?? ((cat: string, f: string) => `values.${cat}.${f}`);
      const fields = heldElsewhere.flatMap((cat) =>
        [...(changes.get(cat)?.keys() ?? [])].map((f) => name(cat, f)),
      );
      throw new AppError(
        'conflict',
        `not written: ${heldElsewhere.map((cat) => `"${cat}"`).join(', ')}: kept only by a legal hold for another purpose; ${c.purpose === null ? 'it cannot be changed here' : `purpose "${c.purpose}" cannot write it`}`,
        fields.map((field) => ({ field, detail: 'kept by a legal hold for another purpose' })),
      );
    }
    const key = await access.keyOf(id);
    const touched = new Set([...changes.keys(), ...codec.indexedCategories]);
    const rows = new Map((await repo.values(tx, id, [...touched])).map((r) => [r.category, r]));
    const current = new Map([...rows].map(([cat, r]) => [cat, codec.openRow(key, r)]));
    // The suppression list, before anything is written: every e-mail address and phone number
    // being written (a value that changes), normalised as the blind index normalises them.
    let overridden: string[] = [];
    if (c.suppressionChecked !== true) {
      const written = codec.addressIndexes((category, field) => {
        const value = changes.get(category)?.get(field);
        const old = current.get(category)?.[field] ?? null;
        return value === undefined ||
          value === null ||
          JSON.stringify(old) === JSON.stringify(value)
          ? undefined
          : value;
      });
      const hit = new Set(
        (await holdsRepo.suppressed(tx, written)).map((h) => `${h.kind}:${h.index}`),
      );
      overridden = [
        ...new Set(written.filter((w) => hit.has(`${w.kind}:${w.index}`)).map((w) => w.field)),
      ];
      const name = c.fieldName ?? ((cat: string, f: string) => `values.${cat}.${f}`);
      refuseSuppressed(
        c.actor,
        overridden.map((f) => {
          const dot = f.indexOf('.');
          return name(f.slice(0, dot), f.slice(dot + 1));
        }),
        c.allowSuppressed === true,
      );
    }
    const history: Array<{
      category: string;
      field: string;
      purpose: string;
      change: { old: FieldValue | null; new: FieldValue | null; reason: string | null };
    }> = [];
    for (const [category, fields] of changes) {
      const row = rows.get(category);
      const plain: Record<string, FieldValue> = { ...(current.get(category) ?? {}) };
      const meta: Record<string, FieldMeta> = {};
      const purposeOf = (field: string): string =>
        c.purpose ??
        row?.meta.fields[field]?.purpose ??
        row?.meta.default.purpose ??
        firstPurpose.get(category) ??
        'unknown';
      for (const f of Object.keys(plain)) {
        meta[f] = row?.meta.fields[f] ??
          row?.meta.default ?? {
            source: c.source,
            purpose: purposeOf(f),
            collectedAt: c.now.toISOString(),
          };
      }
      let changed = false;
      for (const [field, value] of fields) {
        const old = plain[field] ?? null;
        if (JSON.stringify(old) === JSON.stringify(value)) {
          continue;
        }
        changed = true;
        const purpose = purposeOf(field);
        if (value === null) {
          delete plain[field];
          delete meta[field];
        } else {
          plain[field] = value;
          meta[field] = { source: c.source, purpose, collectedAt: c.now.toISOString() };
        }
        history.push({ category, field, purpose, change: { old, new: value, reason: c.reason } });
      }
      if (!changed) {
        continue;
      }
      held.delete(category); // written anew by the hold's own purpose: no longer only held
      const missing =
        Object.keys(plain).length === 0 ? [] : codec.missingRequired(category, Object.keys(plain));
      if (missing.length > 0) {
        throw invalidAll(
          missing.map((f) => ({ field: `values.${category}.${f}`, detail: 'is required' })),
        );
      }
      if (Object.keys(plain).length === 0) {
        await repo.deleteValue(tx, id, category);
      } else {
        // The row lock taken above makes this the only writer of the row: one more than the
        // version read is the next one.
        const version = (row?.version ?? 0) + 1;
        const rowMeta = splitMeta(meta);
        await repo.upsertValue(
          tx,
          {
            subjectId: id,
            category,
            sealed: codec.sealRow(key, id, category, version, rowMeta, plain),
            meta: rowMeta,
            version,
          },
          c.now,
          register.relationshipPurposes,
        );
      }
      current.set(category, plain);
    }
    // A write under a relationship purpose says the person is its customer, also when it
    // changes nothing (the same values again, a customer file imported over a newsletter
    // subscriber): the mark is set all the same, or their data would count from collection.
    if (c.purpose !== null && register.relationshipPurposes.has(c.purpose) && changes.size > 0) {
      await repo.markRelated(tx, [id], c.now);
    }
    if (history.length === 0) {
      return false;
    }
    const all = new Map([...current].map(([cat, plain]) => [cat, new Map(Object.entries(plain))]));
    // The search words of a category still only held stay out of the blind index (as the
    // retention sweep leaves them out): a search finds nobody by them.
    const indexes = {
      ...codec.indexes(all),
      tokens: codec.indexes(new Map([...all].filter(([cat]) => !held.has(cat)))).tokens,
    };
    await access.ensureNoDuplicateEmail(tx, indexes.email, id);
    await repo.setIndexes(tx, id, indexes, c.now);
    const ids = await repo.reserveHistoryIds(tx, history.length);
    const actor = actorLabel(c.actor);
    await repo.addHistory(
      tx,
      history.map((h, i) => {
        const binding = {
          id: ids[i] as string,
          category: h.category,
          field: h.field,
          purpose: h.purpose,
          source: c.source,
          actor,
          changedAt: c.now,
        };
        return {
          ...binding,
          subjectId: id,
          sealedChange: codec.sealChange(key, id, binding, h.change),
        };
      }),
      c.now,
    );
    const what = {
      subjectId: id,
      categories: [...new Set(history.map((h) => h.category))],
      fields: history.map((h) => `${h.category}.${h.field}`),
    };
    await audit.record(
      tx,
      c.purpose === null
        ? { actor: c.actor, action: 'subject.self_rectify', ...what }
        : {
            actor: c.actor,
            action: 'subject.update',
            purpose: c.purpose,
            ...what,
            data: { withReason: c.reason !== null },
          },
    );
    if (overridden.length > 0) {
      await audit.record(tx, {
        actor: c.actor,
        action: 'subject.suppression_override',
        ...(c.purpose === null ? {} : { purpose: c.purpose }),
        subjectId: id,
        data: { via: 'update', fields: overridden, count: 1 },
      });
    }
    return true;
  };
}

export type ApplyChanges = ReturnType<typeof createApplyChanges>;
