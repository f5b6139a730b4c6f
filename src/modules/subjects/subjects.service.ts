/**
 * People and their values: the use cases behind the API and the CLI. Every read names a purpose
 * and returns only that purpose's categories; every write names the purpose it collects for.
 */
import { uuidv7 } from '../../lib/ids.ts';
import type { Kysely } from 'kysely';
import type { Database, FieldMeta } from '../../db/types.ts';
import type { Register } from '../../definition/register.ts';
import {
  actorLabel,
  may,
  requireAction,
  requireEveryPurpose,
  requirePurpose,
  system,
  type Actor,
} from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import { decodeCursor, encodeCursor } from '../../lib/cursor.ts';
import { AppError, invalid, invalidAll } from '../../lib/errors.ts';
import type { Vault } from '../../vault/vault.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { ErasureReason, KeyStore } from '../../keystore/keystore.ts';
import { normaliseEmail, normalisePhone } from '../../vault/normalise.ts';
import type { FieldValue } from './field-types.ts';
import {
  canonicalTime,
  createSubjectCodec,
  type CategoryValues,
  type OpenedCategories,
  type StoredField,
  type ValuesInput,
} from './subject-codec.ts';
import { splitMeta, type SubjectRow, type SubjectsRepo, type ValueRow } from './subjects.repo.ts';

export interface SubjectView {
  id: string;
  purpose: string;
  restricted: boolean;
  createdAt: string;
  updatedAt: string;
  categories: OpenedCategories;
}

export interface HistoryEntry {
  category: string;
  field: string;
  old: FieldValue | null;
  new: FieldValue | null;
  reason: string | null;
  purpose: string;
  source: string;
  actor: string;
  changedAt: string;
}

export interface SubjectsDeps {
  db: Kysely<Database>;
  /** Person keys live in the key store, apart from the data. */
  keys: KeyStore;
  audit: AuditService;
  repo: SubjectsRepo;
  register: Register;
  vault: Vault;
  clock: Clock;
}

const MAX_PAGE = 100;

export function createSubjectsService(deps: SubjectsDeps) {
  const { db, repo, register, clock, audit, keys } = deps;

  /** `category.field` of every value in an opened view: what an access log entry says was touched. */
  const touched = (categories: OpenedCategories) => ({
    categories: Object.keys(categories),
    fields: Object.entries(categories).flatMap(([c, fields]) =>
      Object.keys(fields).map((f) => `${c}.${f}`),
    ),
  });
  const codec = createSubjectCodec(register, deps.vault);
  /** Each purpose's categories as a list, made once rather than on every request. */
  const categoryLists = new Map(
    register.definition.purposes.map((p) => [p.id, [...register.categoriesOf(p.id)] as const]),
  );
  const callingCode = register.definition.defaultCountryCallingCode;
  const allPurposes = register.definition.purposes.map((p) => p.id);

  /** Checks the actor and the purpose; returns the categories it may see. */
  const authorise = (actor: Actor, action: 'read' | 'write', purpose: string) => {
    requireAction(actor, action);
    const p = codec.requirePurpose(purpose);
    requirePurpose(actor, purpose, action);
    return { purpose: p, categories: categoryLists.get(purpose) ?? [] };
  };

  /** How far each erasure journal has been applied to the other store by this process. */
  const journalSeen = { data: '0', keys: '0' };
  let reconcileCalls = 0;

  /** A person's data key, from the key store; not_found when it is gone (erased). */
  const keyOf = async (subjectId: string): Promise<Buffer> =>
    codec.key(subjectId, (await keys.get(subjectId)) ?? null);

  const view = (
    subject: SubjectRow,
    purpose: string,
    values: readonly ValueRow[],
    key: Buffer,
  ): SubjectView => ({
    id: subject.id,
    purpose,
    restricted: subject.restricted_at !== null,
    createdAt: subject.created_at.toISOString(),
    updatedAt: subject.updated_at.toISOString(),
    categories: codec.openRows(key, values),
  });

  /**
   * Views of several people; a person whose key the key store no longer holds (erased, with the
   * data side not yet told) is left out.
   */
  const views = async (
    subjects: ReadonlyArray<SubjectRow & { values: readonly ValueRow[] }>,
    purpose: string,
  ): Promise<SubjectView[]> => {
    const wrapped = await keys.getMany(subjects.map((s) => s.id));
    const out: SubjectView[] = [];
    for (const s of subjects) {
      const w = wrapped.get(s.id);
      if (w) {
        out.push(view(s, purpose, s.values, codec.key(s.id, w)));
      }
    }
    return out;
  };

  /** A live (not erased) subject, or not_found. */
  const requireSubject = async (tx: Kysely<Database>, id: string, forUpdate = false) => {
    const subject = await repo.findById(tx, id, forUpdate);
    if (!subject) {
      throw new AppError('not_found', `no subject with id ${id}`);
    }
    return subject;
  };

  const loadForPurpose = async (
    tx: Kysely<Database>,
    id: string,
    purpose: string,
    forUpdate = false,
  ) => {
    const subject = await requireSubject(tx, id, forUpdate);
    if (subject.restricted_at && !register.purpose(purpose)?.allowedDuringRestriction) {
      throw new AppError(
        'subject_restricted',
        `processing of this subject is restricted; purpose "${purpose}" is not allowed during restriction`,
        [{ field: 'purpose', detail: 'not allowed while the subject is restricted' }],
      );
    }
    return subject;
  };

  const ensureNoDuplicateEmail = async (
    tx: Kysely<Database>,
    email: string | null,
    self?: string,
  ) => {
    if (email === null) {
      return;
    }
    await repo.lockForDedupe(tx, [email]);
    const existing = (await repo.findByEmailIndexes(tx, [email])).filter((s) => s.id !== self);
    if (existing.length > 0) {
      throw new AppError('conflict', 'a subject with this e-mail address already exists', [
        { field: 'values', detail: 'the e-mail address already belongs to another subject' },
      ]);
    }
  };

  /**
   * Applies checked changes to one subject inside a transaction: re-seals the touched categories,
   * keeps each old value in the sealed history, refreshes the blind index. Used by rectification
   * and by imports that merge into an existing subject.
   */
  const applyChanges = async (
    tx: Kysely<Database>,
    id: string,
    changes: CategoryValues,
    ctx: { purpose: string; source: string; reason: string | null; actor: Actor; now: Date },
  ): Promise<boolean> => {
    await loadForPurpose(tx, id, ctx.purpose, true);
    const key = await keyOf(id);
    const touched = new Set([...changes.keys(), ...codec.indexedCategories]);
    const rows = new Map((await repo.values(tx, id, [...touched])).map((r) => [r.category, r]));
    const current = new Map([...rows].map(([c, r]) => [c, codec.openRow(key, r)]));
    const history: Array<{
      category: string;
      field: string;
      change: { old: FieldValue | null; new: FieldValue | null; reason: string | null };
    }> = [];
    for (const [category, fields] of changes) {
      const row = rows.get(category);
      const plain: Record<string, FieldValue> = { ...(current.get(category) ?? {}) };
      const meta: Record<string, FieldMeta> = {};
      for (const f of Object.keys(plain)) {
        meta[f] = row?.meta.fields[f] ??
          row?.meta.default ?? {
            source: ctx.source,
            purpose: ctx.purpose,
            collectedAt: ctx.now.toISOString(),
          };
      }
      let changed = false;
      for (const [field, value] of fields) {
        const old = plain[field] ?? null;
        if (JSON.stringify(old) === JSON.stringify(value)) {
          continue;
        }
        changed = true;
        if (value === null) {
          delete plain[field];
          delete meta[field];
        } else {
          plain[field] = value;
          meta[field] = {
            source: ctx.source,
            purpose: ctx.purpose,
            collectedAt: ctx.now.toISOString(),
          };
        }
        history.push({ category, field, change: { old, new: value, reason: ctx.reason } });
      }
      if (!changed) {
        continue;
      }
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
          ctx.now,
        );
      }
      current.set(category, plain);
    }
    if (history.length === 0) {
      return false;
    }
    const all = new Map([...current].map(([c, plain]) => [c, new Map(Object.entries(plain))]));
    const indexes = codec.indexes(all);
    await ensureNoDuplicateEmail(tx, indexes.email, id);
    await repo.setIndexes(tx, id, indexes, ctx.now);
    const ids = await repo.reserveHistoryIds(tx, history.length);
    const actor = actorLabel(ctx.actor);
    await repo.addHistory(
      tx,
      history.map((h, i) => {
        const binding = {
          id: ids[i] as string,
          category: h.category,
          field: h.field,
          purpose: ctx.purpose,
          source: ctx.source,
          actor,
          changedAt: ctx.now,
        };
        return {
          ...binding,
          subjectId: id,
          sealedChange: codec.sealChange(key, id, binding, h.change),
        };
      }),
      ctx.now,
    );
    await audit.record(tx, {
      actor: ctx.actor,
      action: 'subject.update',
      purpose: ctx.purpose,
      subjectId: id,
      categories: [...new Set(history.map((h) => h.category))],
      fields: history.map((h) => `${h.category}.${h.field}`),
      data: { withReason: ctx.reason !== null },
    });
    return true;
  };

  const getSubject = async (actor: Actor, id: string, purpose: string): Promise<SubjectView> => {
    const { categories } = authorise(actor, 'read', purpose);
    const subject = await loadForPurpose(db, id, purpose);
    const result = view(subject, purpose, await repo.values(db, id, categories), await keyOf(id));
    await audit.log({
      actor,
      action: 'subject.read',
      purpose,
      subjectId: id,
      ...touched(result.categories),
    });
    return result;
  };

  return {
    codec,
    getSubject,
    applyChanges,

    async createSubject(
      actor: Actor,
      input: { purpose: string; source: string; collectedAt?: string; values: ValuesInput },
    ): Promise<SubjectView> {
      authorise(actor, 'write', input.purpose);
      codec.requireSource(input.source);
      const values = codec.checkValues(input.purpose, input.values, 'create');
      const now = clock.now();
      // As the database will give it back, and as it is bound into the sealed rows.
      const collectedAt = canonicalTime(input.collectedAt ?? now);
      const row = codec.newSubject(uuidv7(), values, {
        source: input.source,
        purpose: input.purpose,
        collectedAt,
      });
      // The key first: a key whose person was never written (a refused duplicate, a crash) opens
      // nothing and is harmless; a person without a key would be unreadable.
      await keys.put([{ subjectId: row.id, wrapped: row.wrappedKey }], deps.vault.wrapKeyId());
      await db.transaction().execute(async (tx) => {
        await ensureNoDuplicateEmail(tx, row.indexes.email);
        await repo.insertMany(tx, [row], now);
        await audit.record(tx, {
          actor,
          action: 'subject.create',
          purpose: input.purpose,
          subjectId: row.id,
          categories: [...values.keys()],
          fields: [...values].flatMap(([c, f]) => [...f.keys()].map((k) => `${c}.${k}`)),
        });
      });
      // The answer is what was just written, built from what is in hand: no read-back, and a
      // credential that may only write gets its answer too.
      const meta = { source: input.source, purpose: input.purpose, collectedAt };
      const categories: OpenedCategories = {};
      for (const [category, fields] of values) {
        const opened: Record<string, StoredField> = {};
        for (const [field, value] of fields) {
          if (value !== null) {
            opened[field] = { value, ...meta };
          }
        }
        categories[category] = opened;
      }
      return {
        id: row.id,
        purpose: input.purpose,
        restricted: false,
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
        categories,
      };
    },

    /** By e-mail, phone or words of a name or organisation; without a criterion, everyone. */
    async findSubjects(
      actor: Actor,
      query: {
        purpose: string;
        email?: string;
        phone?: string;
        q?: string;
        cursor?: string;
        limit?: number;
      },
    ): Promise<{ items: SubjectView[]; nextCursor: string | null }> {
      const { purpose, categories } = authorise(actor, 'read', query.purpose);
      const includeRestricted = purpose.allowedDuringRestriction;
      const given = (['email', 'phone', 'q'] as const).filter((k) => query[k] !== undefined);
      for (const kind of given) {
        if (!codec.mayLookUp(purpose.id, kind)) {
          throw new AppError(
            'forbidden',
            `purpose "${purpose.id}" uses no ${kind === 'q' ? 'name or organisation' : kind === 'email' ? 'e-mail' : 'phone'} field, so it may not look people up by one`,
            [{ field: kind, detail: `not a lookup purpose "${purpose.id}" may make` }],
          );
        }
      }
      if (given.length > 1) {
        throw invalid(given[1] as string, 'give only one of email, phone and q');
      }
      const lookup =
        query.email !== undefined ? 'email' : query.phone !== undefined ? 'phone' : undefined;
      if (lookup) {
        const raw = query[lookup] ?? '';
        const normalise = (x: string) =>
          lookup === 'email' ? normaliseEmail(x) : normalisePhone(x, callingCode);
        const wanted = normalise(raw);
        if (!wanted) {
          throw invalid(
            lookup,
            lookup === 'email'
              ? 'expected an e-mail address'
              : 'expected a phone number such as +358 40 123 4567',
          );
        }
        const index =
          (lookup === 'email' ? deps.vault.emailIndex(wanted) : deps.vault.phoneIndex(wanted)) ??
          '';
        const found = await repo.findByLookupWithValues(
          lookup,
          index,
          categories,
          includeRestricted,
        );
        // A 64-bit index can collide in principle; where the purpose may read the value, the
        // opened value must match what was asked for.
        const items = (await views(found, purpose.id)).filter((v) => {
          const stored = codec.primaryValue(v.categories, lookup);
          return stored === undefined || normalise(stored) === wanted;
        });
        await audit.log(
          items.map((v) => ({
            actor,
            action: 'subject.search' as const,
            purpose: purpose.id,
            subjectId: v.id,
            data: { mode: 'lookup' },
            ...touched(v.categories),
          })),
        );
        return { items, nextCursor: null };
      }
      let groups: string[][] = [];
      if (query.q !== undefined) {
        groups = codec.searchGroups(purpose.id, query.q);
        if (groups.length === 0) {
          throw invalid('q', 'expected at least one word to search for');
        }
      }
      const limit = Math.min(query.limit ?? 20, MAX_PAGE);
      let after: string | undefined;
      if (query.cursor !== undefined) {
        const c = decodeCursor(query.cursor);
        if (
          typeof c !== 'string' ||
          !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(c)
        ) {
          throw invalid('cursor', 'not a cursor this server issued');
        }
        after = c;
      }
      const rows = await repo.search({
        groups,
        includeRestricted,
        limit: limit + 1,
        ...(after ? { after } : {}),
      });
      const page = rows.slice(0, limit);
      const values = await repo.valuesOf(
        page.map((s) => s.id),
        categories,
      );
      const bySubject = new Map<string, ValueRow[]>();
      for (const v of values) {
        const list = bySubject.get(v.subject_id);
        if (list) {
          list.push(v);
        } else {
          bySubject.set(v.subject_id, [v]);
        }
      }
      const items = await views(
        page.map((s) => ({ ...s, values: bySubject.get(s.id) ?? [] })),
        purpose.id,
      );
      await audit.log(
        items.map((v) => ({
          actor,
          action: 'subject.search' as const,
          purpose: purpose.id,
          subjectId: v.id,
          data: { mode: query.q === undefined ? 'list' : 'search' },
          ...touched(v.categories),
        })),
      );
      return {
        items,
        nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]?.id) : null,
      };
    },

    /** Rectification: changes values, keeping each old value in the history with who and why. */
    async updateSubject(
      actor: Actor,
      id: string,
      input: { purpose: string; source: string; reason?: string; values: ValuesInput },
    ): Promise<SubjectView> {
      // Rectification reads as well as writes: it compares with the stored values (a change
      // that changes nothing is refused, which would tell a write-only credential what is
      // stored) and answers with the purpose's view. Both are checked before anything is written.
      authorise(actor, 'write', input.purpose);
      authorise(actor, 'read', input.purpose);
      codec.requireSource(input.source);
      const changes = codec.checkValues(input.purpose, input.values, 'update');
      if (changes.size === 0) {
        throw invalid('values', 'nothing to change');
      }
      const now = clock.now();
      const changed = await db.transaction().execute((tx) =>
        applyChanges(tx, id, changes, {
          purpose: input.purpose,
          source: input.source,
          reason: input.reason ?? null,
          actor,
          now,
        }),
      );
      if (!changed) {
        throw invalid('values', 'nothing to change: every value is as given already');
      }
      // The answer shows the whole purpose view, so it is logged as a read as well.
      return getSubject(actor, id, input.purpose);
    },

    async getHistory(actor: Actor, id: string, purpose: string): Promise<HistoryEntry[]> {
      const { categories } = authorise(actor, 'read', purpose);
      await loadForPurpose(db, id, purpose);
      const key = await keyOf(id);
      const rows = await repo.history(db, id, categories);
      await audit.log({
        actor,
        action: 'subject.history',
        purpose,
        subjectId: id,
        categories: [...new Set(rows.map((r) => r.category))],
        fields: [...new Set(rows.map((r) => `${r.category}.${r.field}`))],
      });
      return rows.map((r) => ({
        category: r.category,
        field: r.field,
        ...codec.openChange(key, id, r),
        purpose: r.purpose,
        source: r.source,
        actor: r.actor,
        changedAt: r.changed_at.toISOString(),
      }));
    },

    /**
     * Erasure by crypto-shredding: values and history deleted and the erasure journalled in the
     * data database, then the person's key destroyed in the key store. Should the second step
     * fail, the journal entry makes `reconcileErasures` finish it.
     */
    async eraseSubject(actor: Actor, id: string, reason: ErasureReason = 'request'): Promise<void> {
      requireAction(actor, 'erase');
      requireEveryPurpose(actor, allPurposes, 'erase a person');
      const at = clock.now();
      await db.transaction().execute(async (tx) => {
        await requireSubject(tx, id, true);
        await repo.erase(tx, id, at, reason);
        await audit.record(tx, { actor, action: 'subject.erase', subjectId: id, data: { reason } });
      });
      try {
        await keys.erase([{ subjectId: id, erasedAt: at, reason }]);
      } catch {
        // The erasure has happened (the values are gone and it is journalled); the key store was
        // unreachable. The next reconciling pass (within a minute on a server) destroys the key.
      }
    },

    /**
     * Makes both erasure journals agree and applies them: a person erased in the data database
     * loses their key (an erasure interrupted before the key store was told, or an older key store
     * restored), and a person the key store's journal names is erased in the data database too (an
     * older data backup restored). Answers how many were applied each way.
     */
    async reconcileErasures(): Promise<{ keysDestroyed: number; subjectsErased: number }> {
      // Each call reads only what both journals gained since the last one; every tenth call (and
      // the first) reads both whole, since a journal's numbers are taken before commit and an
      // entry can become visible after a higher-numbered one was read.
      if (reconcileCalls++ % 10 === 0) {
        journalSeen.data = '0';
        journalSeen.keys = '0';
      }
      const dataJournal = await repo.erasureJournal(journalSeen.data);
      const keyJournal = await keys.journal(journalSeen.keys);
      const inKeyJournal = new Set(keyJournal.map((e) => e.subjectId));
      const ids = dataJournal.map((e) => e.subject_id);
      const withKey = new Set(await keys.present(ids));
      const toKeys = dataJournal
        .filter((e) => withKey.has(e.subject_id) || !inKeyJournal.has(e.subject_id))
        .map((e) => ({
          subjectId: e.subject_id,
          erasedAt: new Date(e.erased_at),
          reason: e.reason as ErasureReason,
        }));
      await keys.erase(toKeys);
      const named = keyJournal.map((e) => e.subjectId);
      const live = new Set(await repo.live(named));
      const unjournalled = new Set(await repo.unjournalled(named));
      let subjectsErased = 0;
      for (const e of keyJournal) {
        if (!live.has(e.subjectId) && !unjournalled.has(e.subjectId)) {
          continue;
        }
        await db.transaction().execute(async (tx) => {
          await repo.erase(tx, e.subjectId, e.erasedAt, e.reason);
          if (live.has(e.subjectId)) {
            await audit.record(tx, {
              actor: system,
              action: 'subject.erase',
              subjectId: e.subjectId,
              data: { reason: 'journal' },
            });
          }
        });
        if (live.has(e.subjectId)) {
          subjectsErased++;
        }
      }
      journalSeen.data = dataJournal.at(-1)?.seq ?? journalSeen.data;
      journalSeen.keys = keyJournal.at(-1)?.seq ?? journalSeen.keys;
      return { keysDestroyed: withKey.size, subjectsErased };
    },

    /**
     * Restricting processing and lifting it answer a data subject's request (Art. 18): for staff
     * who handle requests, and for integrations trusted with erasure.
     */
    async setRestriction(actor: Actor, id: string, reason: string | null): Promise<void> {
      if (!(may(actor, 'handle_requests') || (actor.kind === 'api_key' && may(actor, 'erase')))) {
        throw new AppError(
          'forbidden',
          'restricting processing, or lifting a restriction, is for those who handle requests',
        );
      }
      requireEveryPurpose(
        actor,
        allPurposes,
        reason === null ? 'lift a restriction' : 'restrict processing',
      );
      await db.transaction().execute(async (tx) => {
        await requireSubject(tx, id, true);
        // The reason may say something about the person: it is sealed with their key.
        const sealed =
          reason === null
            ? null
            : deps.vault.seal(await keyOf(id), `restriction:${id}`, reason).toString('base64');
        await repo.setRestriction(tx, id, sealed, clock.now());
        await audit.record(tx, {
          actor,
          action: reason === null ? 'subject.unrestrict' : 'subject.restrict',
          subjectId: id,
        });
      });
    },

    /** Everything held about one person, for an access copy or portability. */
    async exportSubject(actor: Actor, id: string) {
      requireAction(actor, 'export');
      requireEveryPurpose(actor, allPurposes, 'export everything held about a person');
      const subject = await requireSubject(db, id);
      const key = await keyOf(id);
      const categories = codec.openRows(key, await repo.values(db, id));
      const history = await repo.history(db, id);
      await audit.log({
        actor,
        action: 'subject.export',
        subjectId: id,
        ...touched(categories),
      });
      await audit.seal();
      const accessLog = await audit.forSubject(id);
      const def = register.definition;
      return {
        exportedAt: clock.now().toISOString(),
        controller: { name: def.controller.name, businessId: def.controller.businessId },
        subject: {
          id: subject.id,
          createdAt: subject.created_at.toISOString(),
          updatedAt: subject.updated_at.toISOString(),
          restricted: subject.restricted_at !== null,
          restrictionReason:
            subject.restriction_reason === null
              ? null
              : deps.vault
                  .open(key, `restriction:${id}`, Buffer.from(subject.restriction_reason, 'base64'))
                  .toString('utf8'),
        },
        categories: Object.fromEntries(
          Object.entries(categories).map(([c, fields]) => [
            c,
            {
              label: register.category(c)?.label,
              purposes: def.purposes
                .filter((p) => p.categories.includes(c))
                .map((p) => ({
                  id: p.id,
                  label: p.label,
                  legalBasis: p.legalBasis,
                  retention: p.retention,
                })),
              fields,
            },
          ]),
        ),
        history: history.map((r) => ({
          category: r.category,
          field: r.field,
          ...codec.openChange(key, id, r),
          purpose: r.purpose,
          source: r.source,
          changedAt: r.changed_at.toISOString(),
        })),
        accessLog,
      };
    },

    countSubjects: () => repo.countLive(),
    ping: () => repo.ping(),
  };
}

export type SubjectsService = ReturnType<typeof createSubjectsService>;
