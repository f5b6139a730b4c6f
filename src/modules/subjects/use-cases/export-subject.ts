/** Everything held about one person, for an access copy or portability: every purpose's data. */
import { requireAction, requireEveryPurpose, type Actor } from '../../../lib/actor.ts';
import type { AuditLang } from '../../audit/index.ts';
import type { UseCaseContext } from '../access.ts';
import { presentAccessCopy, type AccessCopy } from '../present-access-copy.ts';
import { ledgerOf } from '../marketing.repo.ts';
import { subjectsRepo as repo } from '../subjects.repo.ts';
import { groundsAad } from './stop-processing.ts';

export function createExportSubject(ctx: UseCaseContext) {
  const { access, audit, clock, db, register } = ctx;
  /** `lang`: the language the access log's entries are written out in. */
  return async (actor: Actor, id: string, lang: AuditLang = 'en'): Promise<AccessCopy> => {
    requireAction(actor, 'export');
    requireAction(actor, 'handle_requests'); // a whole person: only for those who handle requests
    requireEveryPurpose(actor, access.allPurposes, 'export everything held about a person');
    // The reads do not depend on each other: they go out together (the key store is a database of
    // its own). An unknown person is not_found, whatever the other reads say.
    const reads = [
      access.keyOf(id),
      repo.values(db, id),
      repo.history(db, id),
      ledgerOf(db, id),
    ] as const;
    const settled = Promise.allSettled(reads); // handles a read's failure at once
    const subject = await access.requireSubject(db, id).catch(async (err: unknown) => {
      await settled;
      throw err;
    });
    const [key, values, history, ledger] = await Promise.all(reads);
    const categories = access.codec.openRows(key, values);
    await audit.log({
      actor,
      action: 'subject.export',
      subjectId: id,
      ...access.touched(categories),
    });
    // The person's view lists entries whether or not the sealer has chained them yet; sealing here
    // would make every export pay for a pass over the log's unsealed tail (about a second with
    // 1,000,000 people), which the server's sealer does every second anyway.
    const accessLog = await audit.forSubject(id, lang);
    // The person's stops and the compelling grounds against their objection: the grounds are
    // what the person was told (the completion mail names them), who recorded them is not shown.
    const stops = await repo.stopsOf(db, id);
    const grounds = (await repo.groundsOf(db, id)).map((g) => ({
      purpose: g.purpose,
      since: g.since,
      grounds: ctx.vault.open(key, groundsAad(id, g.purpose), g.sealed_reason).toString('utf8'),
    }));
    const requests = ctx.requestsOf ? await ctx.requestsOf(id) : [];
    return presentAccessCopy({
      stops,
      compellingGrounds: grounds,
      requests,
      register,
      exportedAt: clock.now(),
      subject,
      restrictionReason:
        subject.restriction_reason === null
          ? null
          : ctx.vault
              .open(key, `restriction:${id}`, Buffer.from(subject.restriction_reason, 'base64'))
              .toString('utf8'),
      categories,
      history: history.map((row) => ({ row, change: access.codec.openChange(key, id, row) })),
      accessLog,
      ledger,
    });
  };
}
