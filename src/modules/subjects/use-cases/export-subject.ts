/** Everything held about one person, for an access copy or portability: every purpose's data. */
import { requireAction, requireEveryPurpose, type Actor } from '../../../lib/actor.ts';
import type { AuditLang } from '../../audit/index.ts';
import type { UseCaseContext } from '../access.ts';
import { presentAccessCopy, type AccessCopy } from '../present-access-copy.ts';
import { ledgerOf } from '../marketing.repo.ts';
import { subjectsRepo as repo } from '../subjects.repo.ts';

export function createExportSubject(ctx: UseCaseContext) {
  const { access, audit, clock, db, register } = ctx;
  /** `lang`: the language the access log's entries are written out in. */
  return async (actor: Actor, id: string, lang: AuditLang = 'en'): Promise<AccessCopy> => {
    requireAction(actor, 'export');
    requireAction(actor, 'handle_requests'); // a whole person: only for those who handle requests
    requireEveryPurpose(actor, access.allPurposes, 'export everything held about a person');
    const subject = await access.requireSubject(db, id);
    const key = await access.keyOf(id);
    const categories = access.codec.openRows(key, await repo.values(db, id));
    const history = await repo.history(db, id);
    const ledger = await ledgerOf(db, id);
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
    return presentAccessCopy({
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
