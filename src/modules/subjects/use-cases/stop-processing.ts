/**
 * Stopping purposes for one person, and resuming them (Art. 7(3), 21; Information Society Code
 * ch. 24). The stops are rows of subject_stops that every read, list, search, lookup and write
 * for a purpose consults in the data layer (access.ts, subjects.repo.ts):
 *
 * - `objection` (Art. 21(1)–(3)): every purpose whose legal basis is legitimate_interest or
 *   public_task, and always every direct-marketing purpose whatever its basis, or the listed ones
 *   of these. Staff may record compelling legitimate grounds (or legal claims) for a
 *   legitimate-interest or public-task purpose, with a reason: that purpose goes on, and the
 *   answer lists it under `continued` so the person can be told. Grounds for a direct-marketing
 *   purpose are refused: that objection is absolute (Art. 21(3)).
 * - `consent_withdrawal` (Art. 7(3)): every consent purpose, or the listed ones.
 * - `marketing_prohibition`: every direct-marketing purpose (the Information Society Code's
 *   prohibition and Art. 21(2)). Profiling and market-research purposes are not direct marketing
 *   unless the definition marks them so: the person reaches them by an objection (legitimate
 *   interest) or by withdrawing consent.
 *
 * Who: those who handle requests (the `handle_requests` action), or an API key trusted with
 * erasure, and only an actor that may read under every purpose: a stop reaches every purpose of
 * the register, as a restriction does (restrict-subject.ts). `write` is not asked for: a stop
 * writes no value, it takes processing away.
 */
import { withTransaction } from '../../../db/transaction.ts';
import { actorLabel, may, requireEveryPurpose, type Actor } from '../../../lib/actor.ts';
import { AppError, invalid, invalidAll, type FieldIssue } from '../../../lib/errors.ts';
import type { RegisterDefinition } from '../../definition/index.ts';

type PurposeDefinition = RegisterDefinition['purposes'][number];
import type { UseCaseContext } from '../access.ts';
import { STOP_REASONS, subjectsRepo as repo, type StopReason } from '../subjects.repo.ts';

export interface StopInput {
  reason: StopReason;
  /** Only these purposes (each must be one the reason reaches); all it reaches when left out. */
  purposes?: string[];
  /** Objection only: purposes that go on, each with the compelling grounds recorded for it. */
  compellingGrounds?: Array<{ purpose: string; reason: string }>;
}

export interface StopResult {
  /** The purposes now stopped for the person, in definition order. */
  stopped: string[];
  /** The purposes that go on on compelling grounds (the person is told of them). */
  continued: Array<{ purpose: string }>;
}

export interface StopsOfPerson {
  stops: Array<{ purpose: string; reason: StopReason; since: string }>;
  compellingGrounds: Array<{ purpose: string; reason: string; since: string; recordedBy: string }>;
}

const MAX_GROUNDS = 1000;

/**
 * Whether a stop for `reason` reaches the purpose. A purpose whose basis the definition leaves
 * `unknown` is reached by both an objection and a withdrawal of consent: where the controller
 * cannot say what the processing rests on, the person's stop is honoured.
 */
export function reaches(reason: StopReason, p: PurposeDefinition): boolean {
  switch (reason) {
    case 'objection':
      return (
        p.directMarketing ||
        p.legalBasis === 'legitimate_interest' ||
        p.legalBasis === 'public_task' ||
        p.legalBasis === 'unknown'
      );
    case 'consent_withdrawal':
      return p.legalBasis === 'consent' || p.legalBasis === 'unknown';
    case 'marketing_prohibition':
      return p.directMarketing;
  }
}

const REACH: Record<StopReason, string> = {
  objection:
    'an objection (Art. 21) reaches legitimate_interest and public_task purposes and direct marketing',
  consent_withdrawal: 'a consent withdrawal reaches purposes whose legal basis is consent',
  marketing_prohibition: 'a direct-marketing prohibition reaches direct-marketing purposes',
};

/** The gate of request handling: handle_requests (or an API key trusted with erasure) and every purpose. */
export function requireRequestHandler(
  actor: Actor,
  allPurposes: readonly string[],
  what: string,
): void {
  if (!(may(actor, 'handle_requests') || (actor.kind === 'api_key' && may(actor, 'erase')))) {
    throw new AppError('forbidden', `to ${what} is for those who handle requests`);
  }
  requireEveryPurpose(actor, allPurposes, what);
}

export const groundsAad = (id: string, purpose: string) => `compelling-grounds:${id}:${purpose}`;

export function createStopProcessing(ctx: UseCaseContext) {
  const { access, audit, clock, db, register, vault } = ctx;
  const purposes = register.definition.purposes;

  const checkReason = (reason: unknown): StopReason => {
    if (!STOP_REASONS.includes(reason as StopReason)) {
      throw invalid('reason', `expected one of ${STOP_REASONS.join(', ')}`);
    }
    return reason as StopReason;
  };

  /** The purposes a stop or resume is about: the listed ones (checked) or all the reason reaches. */
  const scopeOf = (reason: StopReason, listed: unknown, issues: FieldIssue[]): string[] => {
    if (listed === undefined) {
      return purposes.filter((p) => reaches(reason, p)).map((p) => p.id);
    }
    if (!Array.isArray(listed) || listed.length === 0) {
      issues.push({
        field: 'purposes',
        detail: 'give at least one purpose, or leave purposes out for every one the reason reaches',
      });
      return [];
    }
    const seen = new Set<string>();
    listed.forEach((id: unknown, i) => {
      const p = typeof id === 'string' ? register.purpose(id) : undefined;
      if (!p) {
        issues.push({
          field: `purposes[${i}]`,
          detail: `unknown purpose; expected one of ${purposes.map((x) => x.id).join(', ')}`,
        });
      } else if (!reaches(reason, p)) {
        issues.push({
          field: `purposes[${i}]`,
          detail: `purpose "${p.id}" (legal basis ${p.legalBasis}) is not one ${REACH[reason]}`,
        });
      } else if (seen.has(p.id)) {
        issues.push({ field: `purposes[${i}]`, detail: `purpose "${p.id}" is listed twice` });
      } else {
        seen.add(p.id);
      }
    });
    // Definition order, whatever order they were listed in.
    return purposes.filter((p) => seen.has(p.id)).map((p) => p.id);
  };

  const stopProcessing = async (
    actor: Actor,
    id: string,
    input: StopInput,
  ): Promise<StopResult> => {
    requireRequestHandler(actor, access.allPurposes, 'stop processing for a person');
    const reason = checkReason(input.reason);
    const issues: FieldIssue[] = [];
    const scope = scopeOf(reason, input.purposes, issues);
    const grounds = new Map<string, string>();
    if (input.compellingGrounds !== undefined) {
      if (reason !== 'objection') {
        issues.push({
          field: 'compellingGrounds',
          detail: 'compelling grounds answer an objection (Art. 21(1)) only',
        });
      } else {
        input.compellingGrounds.forEach((g, i) => {
          const at = `compellingGrounds[${i}]`;
          const p = register.purpose(g.purpose);
          if (!p) {
            issues.push({ field: `${at}.purpose`, detail: 'unknown purpose' });
          } else if (p.directMarketing) {
            issues.push({
              field: `${at}.purpose`,
              detail: `purpose "${p.id}" is direct marketing: an objection to it is absolute (Art. 21(3)) and no grounds let it go on`,
            });
          } else if (!scope.includes(p.id)) {
            issues.push({
              field: `${at}.purpose`,
              detail: `purpose "${p.id}" is not one this objection stops`,
            });
          } else if (grounds.has(p.id)) {
            issues.push({ field: `${at}.purpose`, detail: `purpose "${p.id}" is listed twice` });
          }
          const text = typeof g.reason === 'string' ? g.reason.trim() : '';
          if (text.length === 0) {
            issues.push({
              field: `${at}.reason`,
              detail: 'say what the compelling grounds are: the person is told of them',
            });
          } else if (text.length > MAX_GROUNDS) {
            issues.push({ field: `${at}.reason`, detail: `at most ${MAX_GROUNDS} characters` });
          }
          if (p && !grounds.has(p.id)) {
            grounds.set(p.id, text);
          }
        });
      }
    }
    if (issues.length > 0) {
      throw invalidAll(issues);
    }
    const stopped = scope.filter((p) => !grounds.has(p));
    const continued = scope.filter((p) => grounds.has(p));
    const at = clock.now();
    await withTransaction(db, async (tx) => {
      await access.requireSubject(tx, id, true);
      await repo.addStops(tx, id, reason, stopped, at);
      if (reason === 'objection') {
        // An objection without grounds for a purpose ends grounds recorded for it earlier; grounds
        // recorded now let a purpose the person objected to before go on again.
        await repo.removeGrounds(tx, id, stopped);
        const key = await access.keyOf(id);
        await repo.setGrounds(
          tx,
          id,
          continued.map((p) => ({
            purpose: p,
            sealedReason: vault.seal(key, groundsAad(id, p), grounds.get(p) ?? ''),
          })),
          actorLabel(actor),
          at,
        );
        await repo.removeStops(tx, id, 'objection', continued);
      }
      await audit.record(tx, {
        actor,
        action: 'subject.stop',
        subjectId: id,
        data: { reason, stopped, continued },
      });
    });
    return { stopped, continued: continued.map((purpose) => ({ purpose })) };
  };

  /**
   * Lifts the person's stops of one reason (new consent, an objection or prohibition withdrawn by
   * the person): on the listed purposes, or every one stopped for that reason. Answers the purposes
   * lifted; a purpose still stopped for another reason stays stopped for it.
   */
  const resumeProcessing = async (
    actor: Actor,
    id: string,
    input: { reason: StopReason; purposes?: string[] },
  ): Promise<{ resumed: string[] }> => {
    requireRequestHandler(actor, access.allPurposes, 'resume processing for a person');
    const reason = checkReason(input.reason);
    const issues: FieldIssue[] = [];
    const scope = scopeOf(reason, input.purposes, issues);
    if (issues.length > 0) {
      throw invalidAll(issues);
    }
    return withTransaction(db, async (tx) => {
      await access.requireSubject(tx, id, true);
      const resumed = await repo.removeStops(tx, id, reason, scope);
      if (reason === 'objection') {
        await repo.removeGrounds(tx, id, scope);
      }
      await audit.record(tx, {
        actor,
        action: 'subject.resume',
        subjectId: id,
        data: { reason, purposes: resumed },
      });
      return { resumed };
    });
  };

  /** The person's stops and the compelling grounds recorded against their objection, opened. */
  const stopsOf = async (actor: Actor, id: string): Promise<StopsOfPerson> => {
    requireRequestHandler(actor, access.allPurposes, "see a person's objections and stops");
    await access.requireSubject(db, id);
    const stops = await repo.stopsOf(db, id);
    const rows = await repo.groundsOf(db, id);
    const key = rows.length > 0 ? await access.keyOf(id) : undefined;
    await audit.log({ actor, action: 'subject.stops', subjectId: id });
    return {
      stops: stops.map((s) => ({
        purpose: s.purpose,
        reason: s.reason,
        since: new Date(s.since).toISOString(),
      })),
      compellingGrounds: rows.map((g) => ({
        purpose: g.purpose,
        reason: key
          ? vault.open(key, groundsAad(id, g.purpose), g.sealed_reason).toString('utf8')
          : '',
        since: new Date(g.since).toISOString(),
        recordedBy: g.recorded_by,
      })),
    };
  };

  return { stopProcessing, resumeProcessing, stopsOf };
}
