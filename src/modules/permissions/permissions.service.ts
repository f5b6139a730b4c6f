/**
 * The permission ledger and the permission check (issue 11; docs/permissions.md).
 *
 * - `record(actor, subjectId, changes, evidence)`: changes a person's permissions per kind and
 *   channel, each change appended to the history with its evidence, in one transaction with its
 *   access-log entry. Refusing, withdrawing and objecting are open to anyone who may touch the
 *   person (any purpose, requests, the person themselves): a prohibition is never harder to record
 *   than what it prohibits. Granting (and a pending consent) needs the right to write for a purpose
 *   of that kind, and evidence: the wording the person was shown (an import names its run).
 * - `stateOf`, `history`: the person's current state, and every change with its evidence.
 * - `check(actor, { purpose, subjectId, channel, at? })`: may the purpose reach the person on the
 *   channel now? Yes or no with a reason code and a sentence, from one indexed query: the person
 *   (unknown, erased, restricted), the purpose's stops (objection, consent withdrawal, marketing
 *   prohibition), the purpose's basis for the channel and the ledger's state.
 */
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { withTransaction, type Executor } from '../../db/transaction.ts';
import type { Database } from '../../db/types.ts';
import { appointedDpo, type Register } from '../definition/index.ts';
import { actorLabel, may, requireAction, requirePurpose, type Actor } from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, invalid, invalidAll, type FieldIssue } from '../../lib/errors.ts';
import type { AuditService } from '../audit/index.ts';
import {
  ANY_CHANNEL,
  isNegative,
  PERMISSION_METHODS,
  PERMISSION_STATES,
  PERSON_METHODS,
  PERSON_ONLY_METHODS,
  REGRANT_METHODS,
  WORDING_LANGUAGES,
  type CheckCode,
  type CheckInput,
  type CheckResult,
  type PermissionChange,
  type PermissionEvidence,
  type PermissionHistoryEntry,
  type PermissionMethod,
  type PermissionState,
  type PermissionStateEntry,
  type RecordResult,
  type WordingLanguage,
  type ConsentReceipt,
} from './model.ts';
import { createCheckBatcher, type LedgerRead } from './check-batcher.ts';
import {
  permissionsRepo as repo,
  UNKNOWN_CHECK_ROW,
  type HistoryRow,
  type StateRow,
  type SubjectScope,
} from './permissions.repo.ts';

export interface PermissionsDeps {
  db: Kysely<Database>;
  register: Register;
  audit: AuditService;
  clock: Clock;
  /** Where the portal (and the privacy notice on it) is reached: a consent receipt's policyUrl. */
  publicUrl?: string;
  /**
   * The published version of the privacy notice in force at a moment (the latest published at or
   * before it), or null when none was published by then (src/modules/notice). Without it no
   * version is recorded.
   */
  noticeInForce?: (db: Executor, at: Date) => Promise<number | null>;
  /**
   * How many statements the checks of the API may have under way at once; checks arriving
   * while they run are read together in the next (DEFAULT_CHECK_STATEMENTS).
   */
  checkStatements?: number;
}

/** Statements the API's checks may have under way at once (of the pool's ten connections). */
export const DEFAULT_CHECK_STATEMENTS = 4;

const MAX_CHANGES = 50;
const MAX_WORDING = 4000;
const REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const NOTICE_VERSION = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A clock a little ahead on the caller's side is not a date in the future. */
const SKEW_MS = 5 * 60_000;
const DAY_MS = 24 * 3600 * 1000;
/** How far back a `givenAt` from anything but an import may go (a paper form keyed in late). */
export const BACKDATE_DAYS = 30;
/** A form submitted just before its person was entered (the same sign-up) still counts. */
const GRACE_BEFORE_CREATED_MS = DAY_MS;
/** Methods whose `givenAt` is not bounded by the record's life: imports of historic consents. */
const UNBOUNDED_GIVEN_AT: ReadonlySet<string> = new Set(['import']);

const iso = (d: Date | string) => new Date(d).toISOString();

/** The check's answer for an id that is no one (to the caller). */
const UNKNOWN_REASON = {
  code: 'unknown_subject',
  message: 'there is no such person in the register',
} as const satisfies { code: CheckCode; message: string };

const presentState = (r: StateRow): PermissionStateEntry => ({
  kind: r.kind,
  channel: r.channel,
  state: r.state,
  changedAt: iso(r.changed_at),
  method: r.method as PermissionMethod,
});

const presentHistory = (r: HistoryRow): PermissionHistoryEntry => ({
  id: r.id,
  kind: r.kind,
  channel: r.channel,
  state: r.state,
  previousState: r.previous_state,
  givenAt: iso(r.given_at),
  recordedAt: iso(r.recorded_at),
  method: r.method as PermissionMethod,
  noticeVersion: r.notice_version,
  wording:
    r.wording_text === null ? null : { text: r.wording_text, language: r.wording_language ?? '' },
  reference: r.reference,
  actor: r.actor,
});

/** Whether the actor may touch the person at all: any purpose, requests, or the person. */
function touches(actor: Actor, subjectId: string): boolean {
  if (actor.kind === 'subject') {
    return actor.id === subjectId;
  }
  const any = (s: ReadonlySet<string> | '*') => s === '*' || s.size > 0;
  return any(actor.read) || any(actor.write) || may(actor, 'handle_requests');
}

export function createPermissionsService(deps: PermissionsDeps) {
  const { db, register, audit, clock } = deps;
  const model = register.marketing;
  const noticeInForce = async (ex: Executor, at: Date): Promise<string | null> => {
    const v = deps.noticeInForce ? await deps.noticeInForce(ex, at) : null;
    return v === null ? null : String(v);
  };

  /** The purposes of a kind an actor may write for (granting needs one of them). */
  const writableFor = (actor: Actor, kind: string): boolean =>
    model.purposes.some(
      (p) => p.kind === kind && (actor.write === '*' || actor.write.has(p.purpose)),
    );

  const requireTouch = (actor: Actor, subjectId: string) => {
    if (!touches(actor, subjectId)) {
      throw new AppError(
        'forbidden',
        actor.kind === 'subject'
          ? 'a person may see and change only their own permissions'
          : 'this credential may process no purpose of the register, so it may not touch a person',
      );
    }
  };

  /**
   * The purposes through which the actor finds a person by id (the ledger's reads and writes): a
   * person all of whose data in every one of them a legal hold keeps for other purposes only is,
   * to the actor, not there, answered word for word as an unknown id (docs/retention.md). Null,
   * no such narrowing, for an actor who sees every person whole: all purposes (the operator, the
   * system, an admin), request handling (which exports and erases the whole person), or the
   * person themself on their own pages (they may always say no, and see what they said).
   * A marketing purpose (one with a permission kind) not allowed during restriction does not find
   * a restricted person either, as the subject routes answer under it (docs/requests.md,
   * "Restriction"): to an actor with only such purposes, a restricted person is an unknown id.
   * Any other purpose still finds them (the subject routes tell it of the restriction).
   */
  const scopeOf = (actor: Actor): SubjectScope => {
    if (
      actor.kind === 'subject' ||
      actor.read === '*' ||
      actor.write === '*' ||
      may(actor, 'handle_requests')
    ) {
      return null;
    }
    return [...new Set([...actor.read, ...actor.write])].map((purpose) => ({
      purpose,
      categories: [...register.categoriesOf(purpose)],
      restricted:
        model.purpose(purpose) === undefined ||
        register.purpose(purpose)?.allowedDuringRestriction === true,
    }));
  };

  /** Whether the actor finds restricted people through some purpose of theirs (as `scopeOf`). */
  const seesRestricted = (actor: Actor): boolean => {
    const scope = scopeOf(actor);
    return scope === null || scope.some((p) => p.restricted !== false);
  };

  /** The scope with restricted people found too: where a "no" is recorded (Art. 21(3)). */
  const withRestricted = (scope: SubjectScope): SubjectScope =>
    scope === null || scope.every((p) => p.restricted !== false)
      ? scope
      : scope.map((p) => ({ ...p, restricted: true }));

  /**
   * The register's marketing purposes (those with a permission kind): the person's own marketing
   * pages (the preference page, the sign-up confirmation) find the person as these do. One whom
   * none of them sees (a legal hold keeps all their data left for other purposes only) is, there,
   * not there: the hold's data serve its purpose alone (docs/permissions.md, "The portal").
   */
  const marketingScope: SubjectScope = model.purposes.map((p) => ({
    purpose: p.purpose,
    categories: [...register.categoriesOf(p.purpose)],
  }));
  /** The actor's scope, or the marketing purposes' where the person acts on a marketing page. */
  const scopeFor = (actor: Actor, marketingSide: boolean | undefined): SubjectScope =>
    marketingSide === true ? marketingScope : scopeOf(actor);

  const checkSubjectId = (subjectId: string) => {
    if (!UUID.test(subjectId)) {
      throw invalid('subject', 'expected a subject id (a UUID)');
    }
  };

  /** Checks the changes and the evidence; every problem named at once. */
  const validate = (
    actor: Actor,
    changes: readonly PermissionChange[],
    evidence: PermissionEvidence,
  ): { givenAt: Date } => {
    const issues: FieldIssue[] = [];
    if (changes.length === 0) {
      issues.push({ field: 'changes', detail: 'give at least one change' });
    } else if (changes.length > MAX_CHANGES) {
      issues.push({ field: 'changes', detail: `at most ${MAX_CHANGES} changes at a time` });
    }
    const seen = new Set<string>();
    changes.slice(0, MAX_CHANGES).forEach((c, i) => {
      const at = `changes[${i}]`;
      const kind = model.kind(c.kind);
      if (!kind) {
        issues.push({
          field: `${at}.kind`,
          detail: model.kinds.length
            ? `unknown permission kind; expected one of ${model.kinds.map((k) => k.id).join(', ')}`
            : 'the register declares no permission kinds (marketing.kinds)',
        });
      } else {
        const allowed = model.channelsOfKind(kind.id);
        if (c.channel !== ANY_CHANNEL && !allowed.includes(c.channel)) {
          issues.push({
            field: `${at}.channel`,
            detail: `no purpose of kind "${kind.id}" reaches people on "${c.channel}"; expected ${[...allowed, ANY_CHANNEL].map((x) => `"${x}"`).join(', ')} (* for every channel)`,
          });
        }
      }
      if (!PERMISSION_STATES.includes(c.state)) {
        issues.push({
          field: `${at}.state`,
          detail: `expected one of ${PERMISSION_STATES.join(', ')}`,
        });
      }
      const key = `${c.kind}\u0000${c.channel}`;
      if (seen.has(key)) {
        issues.push({ field: at, detail: `${c.kind} on ${c.channel} is changed twice` });
      }
      seen.add(key);
    });
    if (!PERMISSION_METHODS.includes(evidence.method)) {
      issues.push({
        field: 'evidence.method',
        detail: `expected one of ${PERMISSION_METHODS.join(', ')}`,
      });
    } else if (actor.kind === 'subject' && !PERSON_METHODS.has(evidence.method)) {
      issues.push({
        field: 'evidence.method',
        detail: `a person records their own choice by ${[...PERSON_METHODS].join(', ')}`,
      });
    } else if (actor.kind !== 'subject' && PERSON_ONLY_METHODS.has(evidence.method)) {
      // Only the person's own pages (portal, sign-up, unsubscribe link) record these.
      issues.push({
        field: 'evidence.method',
        detail: `${evidence.method} is recorded only where the person acts themselves (their portal, sign-up or unsubscribe link), not by staff or an API key`,
      });
    } else if (
      evidence.method === 'request' &&
      !(may(actor, 'handle_requests') || actor.kind === 'system' || actor.kind === 'operator')
    ) {
      issues.push({
        field: 'evidence.method',
        detail: 'a change by request is recorded by those who handle requests',
      });
    }
    const now = clock.now();
    let givenAt = now;
    if (evidence.givenAt !== undefined) {
      const t = new Date(evidence.givenAt);
      if (Number.isNaN(t.getTime())) {
        issues.push({ field: 'evidence.givenAt', detail: 'expected an ISO 8601 date and time' });
      } else if (t.getTime() > now.getTime() + SKEW_MS) {
        issues.push({
          field: 'evidence.givenAt',
          detail: 'a permission cannot be given in the future',
        });
      } else {
        givenAt = t.getTime() > now.getTime() ? now : t;
      }
    }
    if (evidence.noticeVersion !== undefined && !NOTICE_VERSION.test(evidence.noticeVersion)) {
      issues.push({
        field: 'evidence.noticeVersion',
        detail: 'expected a version identifier: letters, digits and . _ : - (at most 64)',
      });
    }
    if (evidence.reference !== undefined && !REFERENCE.test(evidence.reference)) {
      issues.push({
        field: 'evidence.reference',
        detail:
          'expected an opaque reference: letters, digits and . _ : - (at most 100), never personal data',
      });
    }
    if (evidence.wording !== undefined) {
      const text = typeof evidence.wording.text === 'string' ? evidence.wording.text.trim() : '';
      if (text.length === 0) {
        issues.push({
          field: 'evidence.wording.text',
          detail: 'give the words the person was shown',
        });
      } else if (text.length > MAX_WORDING) {
        issues.push({
          field: 'evidence.wording.text',
          detail: `at most ${MAX_WORDING} characters`,
        });
      }
      if (!WORDING_LANGUAGES.includes(evidence.wording.language)) {
        issues.push({ field: 'evidence.wording.language', detail: 'expected sv, fi or en' });
      }
    }
    const granting = changes.some((c) => c.state === 'granted');
    if (granting) {
      if (evidence.method === 'import') {
        if (evidence.reference === undefined) {
          issues.push({
            field: 'evidence.reference',
            detail: 'a consent taken over by an import names the import run it came with',
          });
        }
      } else if (evidence.wording === undefined) {
        issues.push({
          field: 'evidence.wording',
          detail:
            'a consent is recorded with the words the person agreed to (Art. 7(1): the controller must be able to show it)',
        });
      }
    }
    if (issues.length > 0) {
      throw invalidAll(issues);
    }
    return { givenAt };
  };

  /**
   * The person's refusal, withdrawal or objection that a grant (or `pending`) of `kind` on
   * `channel` would undo: for a channel, its deciding state (the later of its row and the kind's
   * `*` row); for `*`, the kind's `*` row or any channel's deciding state. Undefined when none.
   */
  const refusalIn = (
    states: readonly StateRow[],
    kind: string,
    channel: string,
  ): { channel: string; state: PermissionState } | undefined => {
    const row = (ch: string) => states.find((s) => s.kind === kind && s.channel === ch);
    const deciding = (ch: string) => {
      const own = row(ch);
      const all = ch === ANY_CHANNEL ? undefined : row(ANY_CHANNEL);
      return decidingState(
        { state: own?.state ?? null, at: own?.changed_at ?? null },
        { state: all?.state ?? null, at: all?.changed_at ?? null },
      );
    };
    const channels =
      channel === ANY_CHANNEL
        ? [ANY_CHANNEL, ...states.filter((s) => s.kind === kind).map((s) => s.channel)]
        : [channel];
    for (const ch of channels) {
      const state = deciding(ch);
      if (state !== null && isNegative(state)) {
        return { channel: ch, state };
      }
    }
    return undefined;
  };

  const record = async (
    actor: Actor,
    subjectId: string,
    changes: readonly PermissionChange[],
    evidence: PermissionEvidence,
    opts: {
      /** A transaction the caller holds: the changes are written in it (and roll back with it). */
      tx?: Transaction<Database>;
      /**
       * A repeat of a refusal, withdrawal or objection is new evidence and is recorded; with this,
       * it records nothing while the deciding state for its kind and channel is already a "no"
       * (the one-click unsubscribe, which mail providers post more than once).
       */
      idempotentRepeat?: boolean;
      /**
       * Set only by the consent import (src/modules/interchange): its `givenAt` may be older than
       * the record (historic consents, the import run their evidence). A caller who merely says
       * `method: import` is bounded like anyone else.
       */
      importRun?: boolean;
      /**
       * The person's own marketing pages (the preference page, the sign-up confirmation): a person
       * no marketing purpose of the register sees is not found (`not_found`, nothing recorded).
       */
      marketingSide?: boolean;
      /**
       * Set only by campaign feedback (src/modules/campaigns): a complaint about mail the person
       * was sent records their objection or withdrawal even when none of the caller's purposes
       * sees them any longer (a legal hold keeps all they have left for another purpose). Recording
       * a "no" is always possible (GDPR Art. 21(3)); nothing of the ledger is shown to the caller.
       * An erased person or a held record is still refused. Never taken from a request.
       */
      unscoped?: boolean;
    } = {},
  ): Promise<RecordResult> => {
    requireTouch(actor, subjectId);
    if (
      changes.some((c) => c.state === 'granted' || c.state === 'pending') &&
      actor.kind !== 'subject'
    ) {
      requireAction(actor, 'write');
    }
    checkSubjectId(subjectId);
    if (actor.kind !== 'subject') {
      changes.forEach((c, i) => {
        if ((c.state === 'granted' || c.state === 'pending') && model.kind(c.kind)) {
          if (!writableFor(actor, c.kind)) {
            throw new AppError(
              'forbidden',
              `to record a ${c.state} permission for "${c.kind}" one must be allowed to write for a purpose of that kind`,
              [{ field: `changes[${i}].kind`, detail: 'not a kind this credential may grant' }],
            );
          }
        }
      });
    }
    const { givenAt } = validate(actor, changes, evidence);
    const at = clock.now();
    const wording =
      evidence.wording === undefined
        ? null
        : {
            text: evidence.wording.text.trim(),
            language: evidence.wording.language,
            id: createHash('sha256')
              .update(`${evidence.wording.language}\n${evidence.wording.text.trim()}`)
              .digest('hex'),
          };
    const inTransaction = <T>(fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> =>
      opts.tx ? fn(opts.tx) : withTransaction(db, fn);
    return inTransaction(async (tx) => {
      const negativeOnly = changes.every((c) => isNegative(c.state));
      const scope =
        opts.unscoped === true && negativeOnly ? null : scopeFor(actor, opts.marketingSide);
      // A refusal, withdrawal or objection is recorded for a person the actor's purposes do not
      // find only because processing of them is restricted: saying no is always possible (GDPR
      // Art. 21(3)), and it is no processing for the purpose. The answer then shows only what was
      // just recorded, nothing else of the ledger (docs/permissions.md).
      const lockScope = negativeOnly ? withRestricted(scope) : scope;
      if (!(await repo.lockSubject(tx, subjectId, lockScope))) {
        throw new AppError('not_found', `no subject with id ${subjectId}`);
      }
      const hidden = lockScope !== scope && !(await repo.subjectExists(tx, subjectId, scope));
      // The published notice in force when the person made the choice (not when it was recorded).
      const inForce = await noticeInForce(tx, givenAt);
      if (evidence.noticeVersion !== undefined && evidence.noticeVersion !== inForce) {
        throw invalid(
          'evidence.noticeVersion',
          inForce === null
            ? 'no version of the privacy notice was published by then: leave it out'
            : `the version of the privacy notice in force then is ${inForce}: leave it out or give that`,
        );
      }
      // A date given by staff, an API key or the person's own pages is bounded by the record's
      // life: not before the person was entered (less a day's grace for a form keyed in late),
      // nor more than BACKDATE_DAYS ago, so that a caller cannot pick the notice version a
      // consent is recorded under by backdating it. An import of historic consents may carry
      // older dates: the import run is its evidence (docs/permissions.md, "When it was given").
      if (
        evidence.givenAt !== undefined &&
        !(opts.importRun === true && UNBOUNDED_GIVEN_AT.has(evidence.method))
      ) {
        const created = await repo.subjectCreatedAt(tx, subjectId);
        const earliest = Math.max(
          at.getTime() - BACKDATE_DAYS * DAY_MS,
          created === null ? -Infinity : created.getTime() - GRACE_BEFORE_CREATED_MS,
        );
        if (givenAt.getTime() < earliest) {
          throw invalid(
            'evidence.givenAt',
            `too far in the past: at the earliest ${new Date(earliest).toISOString()} (${BACKDATE_DAYS} days ago, and not more than a day before the person was entered); only an import (method import) may carry older dates`,
          );
        }
      }
      const before = await repo.states(tx, subjectId);
      const current = new Map(before.map((s) => [`${s.kind}\u0000${s.channel}`, s.state]));
      // Only the person's own choice undoes their refusal, withdrawal or objection: made by the
      // person themselves (their portal, sign-up or preference page), never by staff or an API
      // key, whatever method they name.
      if (actor.kind !== 'subject' || !REGRANT_METHODS.has(evidence.method)) {
        const issues: FieldIssue[] = [];
        changes.forEach((c, i) => {
          if (c.state === 'granted' || c.state === 'pending') {
            const refusal = refusalIn(before, c.kind, c.channel);
            if (refusal) {
              issues.push({
                field: `changes[${i}].state`,
                detail: `the person's own choice is ${refusal.state} for "${c.kind}" on "${refusal.channel}"; only they can change it, themselves (${[...REGRANT_METHODS].join(', ')} from their own pages), not ${actor.kind === 'subject' ? evidence.method : `staff or an API key (method ${evidence.method})`}`,
              });
            }
          }
        });
        if (issues.length > 0) {
          throw new AppError(
            'conflict',
            `refused: ${issues.map((i) => `${i.field}: ${i.detail}`).join('; ')}`,
            issues,
          );
        }
      }
      const unchanged: PermissionChange[] = [];
      const rows = [];
      for (const c of changes) {
        const previous = current.get(`${c.kind}\u0000${c.channel}`) ?? null;
        // A consent given again is new evidence, and so is a refusal, withdrawal or objection
        // said again (its time is what decides against a later grant of the kind's `*` row or of
        // a channel's): the state stays, the history gains the row. A repeated `pending` changes
        // nothing, nor does a repeated "no" where the caller asks so and it already decides.
        const repeatSkipped =
          previous === c.state &&
          (c.state === 'pending' ||
            (opts.idempotentRepeat === true &&
              isNegative(c.state) &&
              refusalIn(before, c.kind, c.channel) !== undefined));
        if (repeatSkipped) {
          unchanged.push({ kind: c.kind, channel: c.channel, state: c.state });
          continue;
        }
        rows.push({
          kind: c.kind,
          channel: c.channel,
          state: c.state,
          previousState: previous,
          givenAt,
          method: evidence.method,
          noticeVersion: inForce,
          wordingId: wording?.id ?? null,
          reference: evidence.reference ?? null,
          actor: actorLabel(actor),
        });
      }
      if (wording && rows.length > 0) {
        await repo.putWording(tx, wording, at);
      }
      const ids = new Set(await repo.append(tx, subjectId, rows, at));
      if (rows.length > 0) {
        await audit.record(tx, {
          actor,
          action: 'permission.record',
          subjectId,
          data: {
            method: evidence.method,
            changes: rows.map((r) => ({ kind: r.kind, channel: r.channel, state: r.state })),
          },
        });
      }
      const history = (await repo.history(tx, subjectId)).filter((h) => ids.has(h.id));
      const said = new Set(changes.map((c) => `${c.kind}\u0000${c.channel}`));
      return {
        recorded: history.map(presentHistory),
        unchanged,
        state: (await repo.states(tx, subjectId))
          .filter((st) => !hidden || said.has(`${st.kind}\u0000${st.channel}`))
          .map(presentState),
      };
    });
  };

  const stateOf = async (
    actor: Actor,
    subjectId: string,
    /** As `record`'s: the person's own marketing pages find them as the marketing purposes do. */
    opts: { marketingSide?: boolean } = {},
  ): Promise<PermissionStateEntry[]> => {
    requireTouch(actor, subjectId);
    checkSubjectId(subjectId);
    if (!(await repo.subjectExists(db, subjectId, scopeFor(actor, opts.marketingSide)))) {
      throw new AppError('not_found', `no subject with id ${subjectId}`);
    }
    const rows = await repo.states(db, subjectId);
    await audit.log({ actor, action: 'permission.read', subjectId, data: { history: false } });
    return rows.map(presentState);
  };

  const history = async (actor: Actor, subjectId: string): Promise<PermissionHistoryEntry[]> => {
    requireTouch(actor, subjectId);
    checkSubjectId(subjectId);
    if (!(await repo.subjectExists(db, subjectId, scopeOf(actor)))) {
      throw new AppError('not_found', `no subject with id ${subjectId}`);
    }
    const rows = await repo.history(db, subjectId);
    await audit.log({ actor, action: 'permission.read', subjectId, data: { history: true } });
    return rows.map(presentHistory);
  };

  /** The ledger's deciding state: the later of the channel's row and the kind's `*` row. */
  const decidingState = (
    channel: { state: PermissionState | null; at: Date | null },
    all: { state: PermissionState | null; at: Date | null },
  ): PermissionState | null => {
    if (channel.state === null) {
      return all.state;
    }
    if (all.state === null || all.at === null || channel.at === null) {
      return channel.state;
    }
    const a = new Date(channel.at).getTime();
    const b = new Date(all.at).getTime();
    if (a === b) {
      // Given at the same moment: a refusal wins.
      return isNegative(all.state) ? all.state : channel.state;
    }
    return a > b ? channel.state : all.state;
  };

  /** Reads the ledger for one check straight away, in a statement of its own. */
  const readNow: LedgerRead = async (q, subjectId) => {
    const id = subjectId.toLowerCase();
    return (await repo.forCheck(db, q, [id])).get(id) ?? UNKNOWN_CHECK_ROW;
  };
  /**
   * Reads the ledger for checks that arrive together in one statement (checkBatcher): each read
   * still runs after its request arrived, so the answer is the ledger as it is then; nothing is
   * cached.
   */
  const readTogether: LedgerRead = createCheckBatcher(
    (q, ids) => repo.forCheck(db, q, ids),
    deps.checkStatements ?? DEFAULT_CHECK_STATEMENTS,
  );

  /** The permission check, without authorising or logging, reading the ledger by `read`. */
  const decideBy = async (input: CheckInput, read: LedgerRead): Promise<CheckResult> => {
    const purpose = register.purpose(input.purpose);
    if (!purpose) {
      throw invalid(
        'purpose',
        `unknown purpose; expected one of ${register.definition.purposes.map((p) => p.id).join(', ')}`,
      );
    }
    checkSubjectId(input.subjectId);
    const pm = model.purpose(purpose.id);
    const channel = input.channel ?? ANY_CHANNEL;
    if (channel !== ANY_CHANNEL && !model.channel(channel)) {
      throw invalid(
        'channel',
        model.channels.length
          ? `unknown channel; expected one of ${model.channels.map((c) => c.id).join(', ')}`
          : 'the register declares no marketing channels',
      );
    }
    if (pm && pm.channels.size > 0 && channel === ANY_CHANNEL) {
      throw invalid(
        'channel',
        `purpose "${purpose.id}" reaches people on ${[...pm.channels.keys()].join(', ')}: name the channel`,
      );
    }
    const now = clock.now();
    let at: Date | null = null;
    if (input.at !== undefined) {
      const t = new Date(input.at);
      if (Number.isNaN(t.getTime())) {
        throw invalid('at', 'expected an ISO 8601 date and time');
      }
      if (t.getTime() > now.getTime() + SKEW_MS) {
        throw invalid('at', 'the ledger cannot be read for a time in the future');
      }
      at = t.getTime() >= now.getTime() ? null : t;
    }
    const basis = pm
      ? channel === ANY_CHANNEL
        ? pm.basis
        : (pm.channels.get(channel) ?? null)
      : null;
    const row = await read(
      {
        purpose: purpose.id,
        kind: pm?.kind ?? null,
        channel,
        categories: [...register.categoriesOf(purpose.id)],
        organisationCategory:
          pm?.audience === 'organisation_contacts' ? pm.organisationCategory : null,
        customerCategory: basis === 'soft_opt_in' ? (pm?.customerCategory ?? null) : null,
        at,
        address: (basis !== null && pm?.addresses.get(channel)) || null,
      },
      input.subjectId,
    );
    // A person who is not there for the purpose (a held record, or one whose data in its categories
    // a legal hold keeps for other purposes only) has no ledger state either: the answer is word
    // for word the one for an unknown id.
    const unknown = !row.found || row.held || row.only_held_elsewhere;
    const state =
      pm && !unknown
        ? decidingState(
            { state: row.channel_state, at: row.channel_at },
            { state: row.all_state, at: row.all_at },
          )
        : null;
    const answer = (allowed: boolean, code: CheckCode, message: string): CheckResult => ({
      allowed,
      purpose: purpose.id,
      subjectId: input.subjectId,
      channel,
      kind: pm?.kind ?? null,
      basis,
      state,
      reason: { code, message },
      checkedAt: now.toISOString(),
    });
    const on = channel === ANY_CHANNEL ? '' : ` on ${channel}`;
    if (unknown) {
      return answer(false, UNKNOWN_REASON.code, UNKNOWN_REASON.message);
    }
    if (row.erased) {
      return answer(false, 'erased', 'the person has been erased from the register');
    }
    if (row.restricted && !purpose.allowedDuringRestriction) {
      return answer(
        false,
        'restricted',
        `processing of the person is restricted (Art. 18) and purpose "${purpose.id}" is not allowed meanwhile`,
      );
    }
    if (row.stop !== null) {
      const why =
        row.stop === 'objection'
          ? 'objected (Art. 21)'
          : row.stop === 'consent_withdrawal'
            ? 'withdrawn their consent (Art. 7(3))'
            : 'prohibited direct marketing';
      return answer(
        false,
        'stopped',
        `the person has ${why}: purpose "${purpose.id}" is stopped for them`,
      );
    }
    if (!pm) {
      return answer(
        true,
        'not_marketing',
        `purpose "${purpose.id}" is not marketing (a message within the customer relationship): no marketing permission is needed`,
      );
    }
    if (basis === null) {
      return answer(
        false,
        'channel_not_used',
        `purpose "${purpose.id}" does not reach people on ${channel}`,
      );
    }
    if (row.prohibited) {
      return answer(
        false,
        'prohibition_list',
        `the person's ${pm.addresses.get(channel) === 'phone' ? 'phone number' : 'e-mail address'} is on a direct-marketing prohibition list: no marketing${on}`,
      );
    }
    if (state === 'refused' || state === 'withdrawn' || state === 'objected') {
      const what = {
        refused: 'refused',
        withdrawn: 'withdrawn their consent to',
        objected: 'objected to',
      }[state];
      return answer(false, state, `the person has ${what} ${pm.kind}${on}`);
    }
    if (pm.audience === 'organisation_contacts' && !row.in_organisation) {
      return answer(
        false,
        'not_organisation_contact',
        `purpose "${purpose.id}" addresses contacts of organisations, and the person has nothing in "${pm.organisationCategory ?? ''}"`,
      );
    }
    if (state === 'granted') {
      return answer(true, 'consent_granted', `the person has granted ${pm.kind}${on}`);
    }
    if (basis === 'consent') {
      return state === 'pending'
        ? answer(
            false,
            'consent_pending',
            `the person's consent to ${pm.kind}${on} is not confirmed yet`,
          )
        : answer(
            false,
            'no_consent',
            `${pm.kind}${on} needs the person's consent, and none is recorded`,
          );
    }
    if (basis === 'soft_opt_in' && !row.in_customer) {
      return answer(
        false,
        'not_customer',
        `without consent, ${pm.kind}${on} reaches only customers (soft opt-in), and the person has nothing in "${pm.customerCategory ?? ''}"`,
      );
    }
    return answer(
      true,
      'not_refused',
      `${pm.kind}${on} rests on an opt-out and the person has not refused it`,
    );
  };

  /**
   * The permission check without authorising or logging, from a statement of its own run now:
   * a campaign's send (docs/campaigns.md) and this module's own callers.
   */
  const decide = (input: CheckInput): Promise<CheckResult> => decideBy(input, readNow);

  /**
   * The check of the API (and the console). A restricted person is answered to an actor none of
   * whose purposes finds them (only marketing purposes not allowed during restriction: `scopeOf`)
   * as an unknown id is, `unknown_subject` with no state, word for word: such a caller cannot
   * learn that the person exists (docs/permissions.md, "The check"). An actor that finds them
   * through another purpose is told `restricted`, as is a campaign's send (`decide`), which
   * records it as the reason it skipped them. The access log has the check as it was
   * (`restricted`).
   */
  const check = async (actor: Actor, input: CheckInput): Promise<CheckResult> => {
    // An unknown purpose is refused by decideBy(), naming the field.
    if (register.purpose(input.purpose)) {
      requirePurpose(actor, input.purpose, 'read');
    }
    const result = await decideBy(input, readTogether);
    if (result.reason.code !== 'unknown_subject') {
      await audit.log({
        actor,
        action: 'permission.check',
        purpose: result.purpose,
        subjectId: result.subjectId,
        data: { channel: result.channel, allowed: result.allowed, code: result.reason.code },
      });
    }
    if (result.reason.code === 'restricted' && !seesRestricted(actor)) {
      return { ...result, state: null, reason: { ...UNKNOWN_REASON } };
    }
    return result;
  };

  /**
   * The ledger's side of a stop (a completed objection, consent withdrawal or direct-marketing
   * prohibition request, subjects.stopProcessing): each stopped purpose's kind becomes objected,
   * withdrawn or refused on every channel (`*`), with the method `request` and the request as
   * reference. Answers null when no stopped purpose is marketing.
   */
  const recordStop = async (
    actor: Actor,
    subjectId: string,
    input: {
      reason: 'objection' | 'consent_withdrawal' | 'marketing_prohibition';
      /** The purposes the stop took effect on. */
      purposes: readonly string[];
      /** The request it answers (its id). */
      reference?: string;
    },
  ): Promise<RecordResult | null> => {
    const state: PermissionState =
      input.reason === 'objection'
        ? 'objected'
        : input.reason === 'consent_withdrawal'
          ? 'withdrawn'
          : 'refused';
    const kinds = [
      ...new Set(
        input.purposes.flatMap((p) => {
          const m = model.purpose(p);
          return m ? [m.kind] : [];
        }),
      ),
    ];
    if (kinds.length === 0) {
      return null;
    }
    return record(
      actor,
      subjectId,
      kinds.map((kind) => ({ kind, channel: ANY_CHANNEL, state })),
      { method: 'request', ...(input.reference ? { reference: input.reference } : {}) },
    );
  };

  /**
   * The person's consents as Kantara Consent Receipts (v1.1): one receipt for each kind and
   * channel the person has granted now, dated when it was given, with the purposes that rest on
   * it, the categories they use, their retention and recipients. Texts in `lang`.
   */
  const consentReceipts = async (
    actor: Actor,
    subjectId: string,
    lang: WordingLanguage = 'en',
  ): Promise<ConsentReceipt[]> => {
    requireTouch(actor, subjectId);
    checkSubjectId(subjectId);
    if (!(await repo.subjectExists(db, subjectId, scopeOf(actor)))) {
      throw new AppError('not_found', `no subject with id ${subjectId}`);
    }
    const states = await repo.states(db, subjectId);
    const history = await repo.history(db, subjectId);
    await audit.log({ actor, action: 'permission.read', subjectId, data: { history: true } });
    const def = register.definition;
    const c = def.controller;
    const dpo = appointedDpo(c);
    const base = deps.publicUrl ?? 'http://localhost:8080';
    const label = (l: { sv: string; fi: string; en: string } | undefined, id: string) =>
      l ? l[lang] : id;
    const controller = {
      piiController: c.name,
      onBehalf: false,
      contact: dpo?.name ?? c.contact.name,
      address: {
        streetAddress: c.address.street,
        postalCode: c.address.postalCode,
        addressLocality: c.address.city,
        addressCountry: c.address.country,
      },
      email: dpo?.email ?? c.email,
      ...((dpo?.phone ?? c.phone) ? { phone: dpo?.phone ?? c.phone } : {}),
      ...(c.website ? { piiControllerUrl: c.website } : {}),
    };
    return states
      .filter((st) => st.state === 'granted')
      .map((st) => {
        const given = [...history]
          .reverse()
          .find((h) => h.kind === st.kind && h.channel === st.channel && h.state === 'granted');
        const purposes = model.purposes.filter(
          (p) =>
            p.kind === st.kind &&
            (st.channel === ANY_CHANNEL || p.channels.has(st.channel) || p.channels.size === 0),
        );
        const kindLabel = label(model.kind(st.kind)?.label, st.kind);
        const special = new Set<string>();
        const services = [
          {
            service: `${kindLabel}${st.channel === ANY_CHANNEL ? '' : ` (${label(model.channel(st.channel)?.label, st.channel)})`}`,
            purposes: purposes.map((pm) => {
              const p = register.purpose(pm.purpose);
              const recipients = def.recipients.filter((r) => r.purposes.includes(pm.purpose));
              for (const cat of p?.categories ?? []) {
                if (register.category(cat)?.special) {
                  special.add(label(register.category(cat)?.label, cat));
                }
              }
              const rule = def.retention.rules.find((r) => r.id === p?.retention);
              return {
                purpose: label(p?.label, pm.purpose),
                purposeCategory: [kindLabel],
                // Explicit where the words the person agreed to are on record; a consent taken
                // over by an import without them cannot be shown to have been explicit.
                consentType: given?.wording_text ? 'EXPLICIT' : 'IMPLICIT',
                piiCategory: (p?.categories ?? []).map((cat) =>
                  label(register.category(cat)?.label, cat),
                ),
                primaryPurpose: false,
                termination: label(rule?.label, p?.retention ?? ''),
                thirdPartyDisclosure: recipients.length > 0,
                ...(recipients.length > 0
                  ? {
                      thirdPartyName: recipients
                        .map((r) => r.name[register.languages[0] ?? 'fi'])
                        .join(', '),
                    }
                  : {}),
              };
            }),
          },
        ];
        const id = createHash('sha256')
          .update(`consent-receipt:${subjectId}:${given?.id ?? `${st.kind}:${st.channel}`}`)
          .digest('hex');
        return {
          version: 'KI-CR-v1.1.0',
          jurisdiction: c.address.country,
          consentTimestamp: Math.floor(new Date(given?.given_at ?? st.changed_at).getTime() / 1000),
          collectionMethod: given?.method ?? st.method,
          consentReceiptID: `${id.slice(0, 8)}-${id.slice(8, 12)}-5${id.slice(13, 16)}-${((parseInt(id.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${id.slice(17, 20)}-${id.slice(20, 32)}`,
          language: given?.wording_language ?? lang,
          piiPrincipalId: subjectId,
          piiControllers: [controller],
          // The notice the consent was given under: its published version, frozen as it read then;
          // the notice page where none was published by then (or the row predates versions).
          policyUrl: /^[1-9][0-9]*$/.test(given?.notice_version ?? '')
            ? `${base}/api/v1/notice/versions/${given?.notice_version}`
            : `${base}/notice`,
          services,
          sensitive: special.size > 0,
          spiCat: [...special],
        };
      });
  };

  /**
   * Whether a grant (or `pending`) of `kind` on `channel` by `method` would be refused because
   * it would undo the person's refusal, withdrawal or objection: the refusal's state, or null.
   * For an import's dry run, which records nothing.
   */
  const grantBlockedBy = async (
    actor: Actor,
    subjectId: string,
    kind: string,
    channel: string,
    method: PermissionMethod,
  ): Promise<PermissionState | null> => {
    requireTouch(actor, subjectId);
    checkSubjectId(subjectId);
    // As `record` decides: only the person themselves, by their own choice, undoes their "no".
    if (actor.kind === 'subject' && REGRANT_METHODS.has(method)) {
      return null;
    }
    return refusalIn(await repo.states(db, subjectId), kind, channel)?.state ?? null;
  };

  return {
    record,
    recordStop,
    stateOf,
    history,
    check,
    /**
     * The permission check without authorising or logging, for a caller that authorised its
     * actor and records the answer itself (a campaign's send, one per person: docs/campaigns.md).
     * Always from the ledger as it is now, in a statement of its own: no cache, no batch.
     */
    decide,
    consentReceipts,
    grantBlockedBy,
    /**
     * Whether the actor finds the person by id through the ledger (as its reads and writes do): not
     * when a legal hold keeps all their data for purposes the actor does not have, nor a restricted
     * person to an actor with only marketing purposes not allowed meanwhile, unless `saysNo` (a
     * refusal, withdrawal or objection is recorded for a restricted person, as `record` does).
     */
    seesPerson: (
      actor: Actor,
      subjectId: string,
      opts: { saysNo?: boolean } = {},
    ): Promise<boolean> =>
      repo.subjectExists(
        db,
        subjectId,
        opts.saysNo === true ? withRestricted(scopeOf(actor)) : scopeOf(actor),
      ),
    /**
     * Whether some marketing purpose of the register finds the person by id (the person's own
     * marketing pages: a preference link used, a preference session): not an erased person, nor
     * one whose data left a legal hold keeps for other purposes only.
     */
    seenByMarketing: (subjectId: string): Promise<boolean> =>
      UUID.test(subjectId)
        ? repo.subjectExists(db, subjectId, marketingScope)
        : Promise.resolve(false),
  };
}

export type PermissionsService = ReturnType<typeof createPermissionsService>;
