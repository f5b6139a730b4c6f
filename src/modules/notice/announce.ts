/**
 * Telling people of a material change of the privacy notice (GDPR Art. 13(3), 14(4); SPEC F22;
 * docs/notice.md "Telling people of a change").
 *
 * Staff with `manage_definition` start an announcement of the latest published version. It is
 * refused (409 naming `version`) unless that version changed the purposes or their bases, the
 * recipients, the transfers or the retention since the version before it (`diffMaterial`): a
 * change of wording alone is not mailed to anyone.
 *
 * Who is told: every person with an active relationship and an e-mail address: not erased, not a
 * held record (an erased person's data kept under a legal hold), not restricted (Art. 18(2): a
 * restricted person's data may only be stored, save for the exceptions listed there, and a notice
 * mail is none of them), and whose customer relationship has not ended. A stop (objection,
 * withdrawn consent, marketing prohibition) does not leave a person out: the mail is the
 * controller's duty to inform, not processing for the stopped purpose.
 *
 * How: the `notice.announce` job takes the next batch of such people by id (set-based, from where
 * the previous batch ended: no list of a million ids in memory, no transaction longer than one
 * batch), opens each one's address and language (`contactOf`, in the access log as any opening of
 * contact details), and in one transaction per person records them in `notice_announced`
 * (primary key: version and person) and puts the mail in the outbox (sealed under their key). A
 * person already recorded for the version is never mailed again, whichever run or runner gets
 * there: running an announcement twice mails nobody twice. Each batch queues the next one; the
 * last records `notice.announce_finish` with the count mailed. Only counts and ids are logged.
 */
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { withTransaction } from '../../db/transaction.ts';
import type { Database } from '../../db/types.ts';
import { defineJob, enqueue } from '../../jobs/index.ts';
import { requireAction, system, type Actor, actorLabel } from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import type { MailService } from '../../mail/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { Register } from '../definition/index.ts';
import type { PersonContact } from '../subjects/index.ts';
import type { NoticeLang } from './messages.ts';
import {
  changeKindsOf,
  MATERIAL_SECTIONS,
  type ChangeKind,
  type MaterialSection,
  type NoticeVersionsService,
} from './versions.ts';

export interface Announcement {
  id: string;
  version: number;
  startedAt: string;
  startedBy: string;
  finishedAt: string | null;
  /** People to be told when it started (those already told of the version left out). */
  eligible: number;
  /** People mailed by this run so far. */
  mailed: number;
  /** The version whose notice the mail lists the changes since (the last one announced, else 1). */
  sinceVersion: number;
  /** People skipped because their mail was refused (counted, never named). */
  skipped: number;
  /** When its job gave up: the run is over without having told everyone. */
  failedAt: string | null;
}

export interface AnnounceDeps {
  db: Kysely<Database>;
  register: Register;
  audit: AuditService;
  clock: Clock;
  versions: NoticeVersionsService;
  mail: Pick<MailService, 'sendMail'>;
  /** How to write to a person (subjects.contactOf), asked as the system. */
  contactOf: (actor: Actor, id: string) => Promise<PersonContact>;
  /**
   * Where the portal is (PUBLIC_URL, no trailing slash): the mail links to the version announced,
   * `/{lang}/notice/versions/{n}`.
   */
  publicUrl: string;
  /** People per batch (default 500). */
  batchSize?: number;
}

const NIL = '00000000-0000-0000-0000-000000000000';

/** Retries of a batch before its job gives up and the run is marked failed. */
const ANNOUNCE_RETRIES = 8;

/** A refused field as an audit code: `data.register`, `to` (letters, digits, `_`, one dot). */
const fieldCode = (field: string): string =>
  field
    .split('.')
    .slice(0, 2)
    .map((p) => p.replace(/[^A-Za-z0-9_]/g, '_') || '_')
    .join('.');

/**
 * The last version before `version` that people were told of: one with a run that finished
 * without failing (a run still going, or one that failed, has not told everyone); else 1.
 */
const lastAnnounced = async (db: Kysely<Database>, version: number): Promise<number> => {
  const row = await db
    .selectFrom('notice_announcements')
    .select((eb) => eb.fn.max('version').as('v'))
    .where('version', '<', version)
    .where('finished_at', 'is not', null)
    .where('failed_at', 'is', null)
    .executeTakeFirst();
  return row?.v ?? 1;
};

/** The people to be told of `version`, after `after` in id order: set-based, indexed by id. */
const eligible = (db: Kysely<Database>, version: number, now: Date) =>
  db
    .selectFrom('subjects as s')
    .where('s.erased_at', 'is', null)
    .where('s.held_purpose', 'is', null)
    .where('s.restricted_at', 'is', null)
    .where('s.email_index', 'is not', null)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('subject_retention as r')
            .select('r.subject_id')
            .whereRef('r.subject_id', '=', 's.id')
            .where('r.relationship_ended_at', 'is not', null)
            .where('r.relationship_ended_at', '<=', now),
        ),
      ),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('notice_announced as a')
            .select('a.subject_id')
            .whereRef('a.subject_id', '=', 's.id')
            .where('a.version', '=', version),
        ),
      ),
    );

export function createNoticeAnnouncements(deps: AnnounceDeps) {
  const { db, register, audit, clock, versions } = deps;
  const batchSize = deps.batchSize ?? 500;

  const present = (r: {
    id: string;
    version: number;
    started_at: Date;
    started_by: string;
    finished_at: Date | null;
    eligible: string | number;
    mailed: string | number;
    since_version: number | null;
    skipped: string | number;
    failed_at: Date | null;
  }): Announcement => ({
    id: r.id,
    version: r.version,
    startedAt: new Date(r.started_at).toISOString(),
    startedBy: r.started_by,
    finishedAt: r.finished_at === null ? null : new Date(r.finished_at).toISOString(),
    eligible: Number(r.eligible),
    mailed: Number(r.mailed),
    sinceVersion: r.since_version ?? r.version - 1,
    skipped: Number(r.skipped),
    failedAt: r.failed_at === null ? null : new Date(r.failed_at).toISOString(),
  });

  /**
   * The sections that changed in substance from `since` (default: the last version announced
   * before `version`, else 1) to `version`.
   */
  const materialSections = async (version: number, since?: number): Promise<MaterialSection[]> => {
    const from = since ?? (await lastAnnounced(db, version));
    if (from >= version) {
      return [];
    }
    const changes = await versions.diff(from, version);
    return MATERIAL_SECTIONS.filter((s) => changes.some((c) => c.section === s));
  };

  /**
   * What the mail says changed from `since` to `version`: the purposes, the legal bases, the
   * recipients, the transfers, the retention (changeKindsOf).
   */
  const changeKinds = async (version: number, since: number): Promise<ChangeKind[]> =>
    since >= version ? [] : changeKindsOf(await versions.diff(since, version));

  /** Marks `announcementId` failed (and so over) if it is still running; records it. */
  const markFailed = async (announcementId: string): Promise<void> => {
    await withTransaction(db, async (tx) => {
      const now = clock.now();
      const row = await tx
        .updateTable('notice_announcements')
        .set({ finished_at: now, failed_at: now })
        .where('id', '=', announcementId)
        .where('finished_at', 'is', null)
        .returning(['version', 'mailed'])
        .executeTakeFirst();
      if (row) {
        await audit.record(tx, {
          actor: system,
          action: 'notice.announce_fail',
          data: { version: row.version, mailed: Number(row.mailed) },
        });
      }
    });
  };

  const announceJob = defineJob({
    name: 'notice.announce',
    payload: z.strictObject({ announcementId: z.uuid() }),
    retry: { limit: ANNOUNCE_RETRIES, backoffMs: 30_000 },
    handler: async ({ announcementId }, ctx) => {
      try {
        await runBatch(announcementId);
      } catch (err) {
        // The last attempt: the run is over, failed, so that a new run of the version can start.
        if (ctx.attempt > ANNOUNCE_RETRIES) {
          await markFailed(announcementId);
        }
        throw err;
      }
    },
  });

  /**
   * Starts telling people of `version` (the latest published). Refused when it is not the latest,
   * is the first, changed nothing material since the one before, or a run of it is still going.
   */
  const start = async (actor: Actor, version: number): Promise<Announcement> => {
    requireAction(actor, 'manage_definition');
    const v = await versions.get(version);
    if (!v) {
      throw new AppError('not_found', `there is no version ${version} of the notice`, [
        { field: 'version', detail: `no version ${version}` },
      ]);
    }
    const latest = (await versions.list()).versions[0]?.version;
    if (latest !== version) {
      throw new AppError(
        'conflict',
        `version ${version} is not the latest published version (${latest}): tell people of the notice in force`,
        [{ field: 'version', detail: `not the latest version (${latest})` }],
      );
    }
    if (version === 1) {
      throw new AppError(
        'conflict',
        'version 1 is the first version of the notice: there is no earlier one it changed',
        [{ field: 'version', detail: 'the first version changes nothing' }],
      );
    }
    const since = await lastAnnounced(db, version);
    const sections = await materialSections(version, since);
    if (sections.length === 0) {
      throw new AppError(
        'conflict',
        `version ${version} changed nothing material since version ${since}, the last one people were told of (purposes, legal bases, recipients, transfers, retention): there is nothing to tell`,
        [{ field: 'version', detail: `no material change since version ${since}` }],
      );
    }
    const now = clock.now();
    const id = uuidv7();
    try {
      return await withTransaction(db, async (tx) => {
        // A run whose job is gone (gave up, or its runner died on the last attempt) is over.
        const dead = await tx
          .updateTable('notice_announcements as n')
          .set({ finished_at: now, failed_at: now })
          .where('n.version', '=', version)
          .where('n.finished_at', 'is', null)
          .where((eb) =>
            eb.not(
              eb.exists(
                eb
                  .selectFrom('jobs as j')
                  .select('j.id')
                  .where('j.name', '=', 'notice.announce')
                  .where('j.state', 'in', ['queued', 'running'])
                  .where(sql<boolean>`j.payload->>'announcementId' = n.id::text`),
              ),
            ),
          )
          .returning(['n.version', 'n.mailed'])
          .execute();
        for (const d of dead) {
          await audit.record(tx, {
            actor: system,
            action: 'notice.announce_fail',
            data: { version: d.version, mailed: Number(d.mailed) },
          });
        }
        const count = await eligible(tx, version, now)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow();
        const row = await tx
          .insertInto('notice_announcements')
          .values({
            id,
            version,
            started_at: now,
            started_by: actorLabel(actor),
            eligible: Number(count.n),
            since_version: since,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await enqueue(tx, announceJob, { announcementId: id });
        await audit.record(tx, {
          actor,
          action: 'notice.announce',
          data: { version, people: Number(count.n) },
        });
        return present(row);
      });
    } catch (err) {
      // The partial unique index: one run of a version at a time (two would race for the same
      // people, and mail nobody twice, but to no end).
      if ((err as { code?: unknown }).code === '23505') {
        throw new AppError(
          'conflict',
          `people are being told of version ${version} already: wait until that run has finished`,
          [{ field: 'version', detail: 'an announcement of this version is still running' }],
        );
      }
      throw err;
    }
  };

  /** One batch: the next people after where the last batch ended; then the next batch, or the end. */
  const runBatch = async (announcementId: string): Promise<void> => {
    const run = await db
      .selectFrom('notice_announcements')
      .selectAll()
      .where('id', '=', announcementId)
      .executeTakeFirst();
    if (!run || run.finished_at !== null) {
      return;
    }
    const version = await versions.get(run.version);
    if (!version) {
      return;
    }
    const changes = await changeKinds(run.version, run.since_version ?? run.version - 1);
    // The languages the version was published in; the mail is written only in one the register
    // publishes (a register publishing only Finnish never mails Swedish or English text): the
    // person's own if it is published and the version has it, else the register's first
    // published one the version has, else its first published one (the link then opens the
    // version in a language it was published in).
    const languages = Object.keys(version.notice) as NoticeLang[];
    const readable = register.languages.filter((l) => languages.includes(l));
    const fallback: NoticeLang = readable[0] ?? register.languages[0] ?? 'fi';
    const linkLang = (lang: NoticeLang): NoticeLang =>
      languages.includes(lang) ? lang : (languages[0] ?? lang);
    const now = clock.now();
    const batch = await eligible(db, run.version, now)
      .select('s.id')
      .where('s.id', '>', run.after_subject ?? NIL)
      .orderBy('s.id')
      .limit(batchSize)
      .execute();
    let mailed = 0;
    let skipped = 0;
    const refused = new Set<string>();
    const runVersion = run.version;
    /** Records the person as told and puts the mail in the outbox, in one transaction. */
    const claimAndMail = async (subjectId: string, email: string, lang: NoticeLang) => {
      await withTransaction(db, async (tx) => {
        const claimed = await tx
          .insertInto('notice_announced')
          .values({
            version: runVersion,
            subject_id: subjectId,
            announcement_id: announcementId,
            mailed_at: clock.now(),
          })
          .onConflict((oc) => oc.columns(['version', 'subject_id']).doNothing())
          .returning('subject_id')
          .executeTakeFirst();
        if (!claimed) {
          return; // told already, by another run
        }
        await deps.mail.sendMail(
          {
            to: email,
            subjectId,
            template: 'notice-changed',
            locale: lang,
            data: {
              register: register.definition.register.name[lang],
              // The version announced, frozen as it was published, in the person's language.
              link: `${deps.publicUrl}/${linkLang(lang)}/notice/versions/${runVersion}`,
              version: runVersion,
              date: version.date,
              changes,
            },
          },
          { db: tx },
        );
        mailed++;
      });
    };
    for (const { id: subjectId } of batch) {
      let contact: PersonContact;
      try {
        contact = await deps.contactOf(system, subjectId);
      } catch (err) {
        if (err instanceof AppError && err.code === 'not_found') {
          continue; // erased since the batch was read
        }
        throw err;
      }
      if (!contact.email) {
        continue;
      }
      const lang: NoticeLang =
        contact.lang && readable.includes(contact.lang) ? contact.lang : fallback;
      try {
        await claimAndMail(subjectId, contact.email, lang);
      } catch (err) {
        // This person's mail was refused (a bad address, or data the template refuses): skip
        // them and go on; count it and the fields refused, never who or what value.
        if (err instanceof AppError && err.code === 'validation_failed') {
          skipped++;
          for (const i of err.issues ?? []) {
            refused.add(fieldCode(i.field));
          }
          continue;
        }
        throw err;
      }
    }
    const last = batch.at(-1)?.id ?? null;
    await withTransaction(db, async (tx) => {
      const done = batch.length < batchSize;
      // Compare and set: only the batch that read where the run stood moves it on and queues the
      // next one. A batch run twice (a retry after its commit, a runner that lost its lease)
      // finds the run moved and stops: one chain of jobs, not two.
      const updated = await tx
        .updateTable('notice_announcements')
        .set({
          mailed: sql<number>`mailed + ${mailed}`,
          skipped: sql<number>`skipped + ${skipped}`,
          ...(last ? { after_subject: last } : {}),
          ...(done ? { finished_at: clock.now() } : {}),
        })
        .where('id', '=', announcementId)
        .where('finished_at', 'is', null)
        .where((eb) =>
          run.after_subject === null
            ? eb('after_subject', 'is', null)
            : eb('after_subject', '=', run.after_subject),
        )
        .returning(['id', 'skipped'])
        .executeTakeFirst();
      if (!updated) {
        return;
      }
      if (skipped > 0) {
        await audit.record(tx, {
          actor: system,
          action: 'notice.announce_skip',
          data: { version: run.version, skipped, fields: [...refused].sort() },
        });
      }
      if (!done) {
        await enqueue(tx, announceJob, { announcementId });
        return;
      }
      // Exact at the end: a batch cut short by a crash and run again mailed some it did not count.
      const exact = await tx
        .selectFrom('notice_announced')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('announcement_id', '=', announcementId)
        .executeTakeFirstOrThrow();
      await tx
        .updateTable('notice_announcements')
        .set({ mailed: Number(exact.n) })
        .where('id', '=', announcementId)
        .execute();
      await audit.record(tx, {
        actor: system,
        action: 'notice.announce_finish',
        data: {
          version: run.version,
          mailed: Number(exact.n),
          skipped: Number(updated.skipped),
        },
      });
    });
  };

  const list = async (actor: Actor, version?: number): Promise<Announcement[]> => {
    requireAction(actor, 'manage_definition');
    let q = db.selectFrom('notice_announcements').selectAll();
    if (version !== undefined) {
      q = q.where('version', '=', version);
    }
    return (await q.orderBy('started_at', 'desc').limit(100).execute()).map(present);
  };

  return {
    jobs: [announceJob],
    start,
    list,
    /** The sections that changed in substance since the version before (for the console). */
    materialSections,
    /** One batch, as the job runs it (tests). */
    runBatch,
  };
}

export type NoticeAnnouncements = ReturnType<typeof createNoticeAnnouncements>;
