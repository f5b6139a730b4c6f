/**
 * The one small helper every subjects use case goes through: authorise the actor for an action
 * and a purpose, load a person for a purpose (refused while restricted unless the purpose is
 * allowed then), and present what was opened as the purpose's view.
 */
import type { Kysely } from 'kysely';
import type { Executor } from '../../db/transaction.ts';
import type { Database } from '../../db/types.ts';
import type { Register } from '../definition/index.ts';
import type { KeyStore } from '../../keystore/keystore.ts';
import { requireAction, requirePurpose, type Actor } from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import type { Vault } from '../../vault/vault.ts';
import type { AuditService } from '../audit/index.ts';
import type { FieldValue } from './field-types.ts';
import type { RequestsOfPerson } from './present-access-copy.ts';
import { createSubjectCodec, type OpenedCategories } from './subject-codec.ts';
import { subjectsRepo as repo, type SubjectRow, type ValueRow } from './subjects.repo.ts';

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
  register: Register;
  vault: Vault;
  clock: Clock;
  /**
   * The person's own data-subject requests for the access copy. The requests module depends on
   * this one, not the other way round: the composition root passes its function in. Left out (a
   * test, a tool), the copy lists no requests.
   */
  requestsOf?: RequestsOfPerson;
}

/** The subject's own columns, without what a query added beside them. */
const mapSubjectRow = (s: SubjectRow): SubjectRow => ({
  id: s.id,
  held_purpose: s.held_purpose,
  restricted_at: s.restricted_at,
  restriction_reason: s.restriction_reason,
  created_at: s.created_at,
  updated_at: s.updated_at,
});

export function createAccess(deps: SubjectsDeps) {
  const { register, keys } = deps;
  const codec = createSubjectCodec(register, deps.vault);
  /** Each purpose's categories as a list, made once rather than on every request. */
  const categoryLists = new Map(
    register.definition.purposes.map((p) => [p.id, [...register.categoriesOf(p.id)] as const]),
  );
  const allPurposes = register.definition.purposes.map((p) => p.id);

  /** Checks the actor and the purpose; returns the categories it may see. */
  const authorise = (actor: Actor, action: 'read' | 'write', purpose: string) => {
    requireAction(actor, action);
    const p = codec.requirePurpose(purpose);
    requirePurpose(actor, purpose, action);
    return { purpose: p, categories: categoryLists.get(purpose) ?? [] };
  };

  /** A person's data key, from the key store; not_found when it is gone (erased). */
  const keyOf = async (subjectId: string): Promise<Buffer> =>
    codec.key(subjectId, (await keys.get(subjectId)) ?? null);

  /**
   * A live (not erased) subject, or not_found. A held record (what a legal hold kept at an
   * erasure) is found only when `heldFor` is its hold's purpose: for every other purpose, and for
   * export, restriction and erasure, it does not exist.
   */
  const requireSubject = async (ex: Executor, id: string, forUpdate = false, heldFor?: string) => {
    const subject = await repo.findById(ex, id, forUpdate);
    if (!subject || (subject.held_purpose !== null && subject.held_purpose !== heldFor)) {
      throw new AppError('not_found', `no subject with id ${id}`);
    }
    return subject;
  };

  /**
   * A live subject the purpose may process now. A restricted one only for purposes allowed then
   * (Art. 18(2)); for a marketing purpose (one with a permission kind) a restricted person is not
   * there at all, as below. A person who stopped the purpose (objection, consent withdrawal, marketing
   * prohibition: subject_stops) is, for a read, not there at all: not_found, word for word the
   * answer for an unknown id, so the purpose learns nothing of them, not even that they objected.
   * A write names the id it writes to, so it is refused plainly instead (`forbidden`, naming
   * `purpose`): the caller must not collect for that purpose again. A held record (what a legal
   * hold kept at an erasure) is read only for its hold's purpose and never written: for anything
   * else it does not exist.
   */
  const loadForPurpose = async (
    ex: Executor,
    id: string,
    purpose: string,
    mode: 'read' | 'write' = 'read',
  ): Promise<SubjectRow & { allowedChannels: string[] | null }> => {
    const marketing = register.marketing.purpose(purpose);
    const subject = await repo.findForPurpose(
      ex,
      id,
      purpose,
      mode === 'write',
      marketing,
      categoryLists.get(purpose) ?? [],
    );
    // A held record, or a person all of whose data in the purpose's categories a legal hold keeps
    // for other purposes only (as lookup, search and list leave them out): not there.
    const heldElsewhere =
      subject !== undefined &&
      ((subject.held_purpose !== null && (mode === 'write' || subject.held_purpose !== purpose)) ||
        subject.only_held_elsewhere);
    // The permission ledger: a marketing purpose the person allows on no channel (refused,
    // withdrawn, objected, or no consent where it rests on consent) does not see them either.
    const unreachable =
      subject !== undefined &&
      subject.allowed_channels !== null &&
      subject.allowed_channels.length === 0;
    // Under a marketing purpose a write is answered as a read is: a person the purpose may not
    // reach, or stopped for it, is not there, word for word as an unknown id, so that neither a
    // rectification nor an import's merge tells a refusal from a stranger.
    if (
      !subject ||
      heldElsewhere ||
      ((subject.stopped || unreachable) && (mode === 'read' || marketing !== undefined))
    ) {
      throw new AppError('not_found', `no subject with id ${id}`);
    }
    if (unreachable && !subject.stopped) {
      throw new AppError(
        'forbidden',
        `the person allows purpose "${purpose}" (${marketing?.kind ?? ''}) on no channel: it is refused, withdrawn or objected, or consent is missing where it rests on consent; nothing is written for it`,
        [{ field: 'purpose', detail: 'not allowed by the person (permission ledger)' }],
      );
    }
    if (subject.stopped) {
      throw new AppError(
        'forbidden',
        `processing for purpose "${purpose}" is stopped for this person (an objection, a withdrawn consent or a direct-marketing prohibition); nothing is written for it`,
        [{ field: 'purpose', detail: 'stopped for this person' }],
      );
    }
    if (subject.restricted_at && !register.purpose(purpose)?.allowedDuringRestriction) {
      // A marketing purpose does not see a restricted person (as lists and lookups leave them
      // out): not there, word for word as an unknown id, read or write, so that it learns nothing
      // of the restriction. Any other purpose is told plainly why (docs/requests.md, Restriction).
      if (marketing !== undefined) {
        throw new AppError('not_found', `no subject with id ${id}`);
      }
      throw new AppError(
        'subject_restricted',
        `processing of this subject is restricted; purpose "${purpose}" is not allowed during restriction`,
        [{ field: 'purpose', detail: 'not allowed while the subject is restricted' }],
      );
    }
    return { ...mapSubjectRow(subject), allowedChannels: subject.allowed_channels };
  };

  /** Every `category.field` some marketing channel of the definition names. */
  const anyChannelField: ReadonlySet<string> = new Set(
    register.marketing.channels.flatMap((c) => c.fields.map((f) => `${f.category}.${f.field}`)),
  );

  /** Every `category.field` a marketing channel of the definition reaches people at. */
  const channelFields = register.marketing.channels.map(
    (c) => [c.id, c.fields.map((f) => `${f.category}.${f.field}`)] as const,
  );
  const fieldsOfChannel = new Map(channelFields);
  const allChannelFields = new Set(channelFields.flatMap(([, f]) => f));

  /**
   * The `category.field`s a marketing purpose does not see for a person: those of every channel
   * but the ones it may reach them on (`allowed`, from the ledger). Empty for any other purpose.
   */
  const withheldFields = (allowed: readonly string[] | null | undefined): ReadonlySet<string> => {
    if (allowed === null || allowed === undefined) {
      return new Set();
    }
    const kept = new Set(allowed.flatMap((c) => fieldsOfChannel.get(c) ?? []));
    return new Set([...allChannelFields].filter((f) => !kept.has(f)));
  };

  /** Takes the withheld fields out of opened categories (and a category left empty). */
  const withhold = (categories: OpenedCategories, withheld: ReadonlySet<string>) => {
    if (withheld.size === 0) {
      return categories;
    }
    for (const [category, fields] of Object.entries(categories)) {
      for (const field of Object.keys(fields)) {
        if (withheld.has(`${category}.${field}`)) {
          delete fields[field];
        }
      }
      if (Object.keys(fields).length === 0) {
        delete categories[category];
      }
    }
    return categories;
  };

  /**
   * A subject as the purpose sees it: for a marketing purpose, without the values of the channels
   * the person does not allow it (`allowedChannels`, null for any other purpose).
   */
  const present = (
    subject: SubjectRow,
    purpose: string,
    values: readonly ValueRow[],
    key: Buffer,
    allowedChannels: readonly string[] | null = null,
  ): SubjectView => ({
    id: subject.id,
    purpose,
    restricted: subject.restricted_at !== null,
    createdAt: subject.created_at.toISOString(),
    updatedAt: subject.updated_at.toISOString(),
    categories: withhold(codec.openRows(key, values), withheldFields(allowedChannels)),
  });

  /**
   * Views of several people; a person whose key the key store no longer holds (erased, with the
   * data side not yet told) is left out.
   */
  const presentMany = async (
    subjects: ReadonlyArray<
      SubjectRow & { values: readonly ValueRow[]; allowed_channels?: string[] | null }
    >,
    purpose: string,
  ): Promise<SubjectView[]> => {
    const wrapped = await keys.getMany(subjects.map((s) => s.id));
    const out: SubjectView[] = [];
    for (const s of subjects) {
      const w = wrapped.get(s.id);
      if (w) {
        out.push(present(s, purpose, s.values, codec.key(s.id, w), s.allowed_channels ?? null));
      }
    }
    return out;
  };

  /** `category.field` of every value in an opened view: what an access log entry says was touched. */
  const touched = (categories: OpenedCategories) => ({
    categories: Object.keys(categories),
    fields: Object.entries(categories).flatMap(([c, fields]) =>
      Object.keys(fields).map((f) => `${c}.${f}`),
    ),
  });

  /**
   * Refuses a second person with the same primary e-mail address (locks its stripe first). An
   * address a legal hold keeps for other purposes is taken as any other: the answer is the same
   * conflict, which says that someone holds it, not who or why (docs/retention.md).
   */
  const ensureNoDuplicateEmail = async (ex: Executor, email: string | null, self?: string) => {
    if (email === null) {
      return;
    }
    await repo.lockForDedupe(ex, [email]);
    const existing = (await repo.findByEmailIndexes(ex, [email])).filter((s) => s.id !== self);
    if (existing.length > 0) {
      throw new AppError('conflict', 'a subject with this e-mail address already exists', [
        { field: 'values', detail: 'the e-mail address already belongs to another subject' },
      ]);
    }
  };

  return {
    codec,
    allPurposes,
    authorise,
    keyOf,
    requireSubject,
    loadForPurpose,
    present,
    presentMany,
    withheldFields,
    anyChannelField,
    touched,
    ensureNoDuplicateEmail,
  };
}

export type Access = ReturnType<typeof createAccess>;

/** What every use case is built from: the module's dependencies and the access helper. */
export interface UseCaseContext extends SubjectsDeps {
  access: Access;
}
