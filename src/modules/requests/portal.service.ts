/**
 * The public portal's side of data subjects' requests: intake with a mailed single-use link,
 * verification by that link (which starts the clock), and the access copy's download through a
 * fresh link mailed to the address the request came from.
 *
 * What the portal must never do is tell, before the address is proven, whether the person is in
 * the register. `submit` does the same work for every address: it registers the request (the
 * match to a person is made only when the identity is proven), stores a token and mails the link,
 * in one transaction, and answers the same. The download link is mailed only for a completed
 * access or portability request of that address whose copy may still be downloaded; the answer
 * is the same either way.
 *
 * The portal acts as the system actor `portal`, which may handle requests and export; each call is
 * recorded in the access log under it.
 */
import type { Kysely } from 'kysely';
import { withTransaction } from '../../db/transaction.ts';
import type { Database } from '../../db/types.ts';
import type { Actor } from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import type { Locale, MailService } from '../../mail/index.ts';
import type { KeyStore } from '../../keystore/keystore.ts';
import type { Vault } from '../../vault/vault.ts';
import type { AuditService } from '../audit/index.ts';
import type { Register } from '../definition/index.ts';
import type { AccessCopy, FieldValue, SubjectsService } from '../subjects/index.ts';
import type { RequestedChange, RequestState } from './model.ts';
import { requestsRepo } from './requests.repo.ts';
import type { RequestsService } from './requests.service.ts';
import { hashToken, newToken, TOKEN_LIFETIME_MS, TOKEN_PATTERN } from './tokens.ts';
import { tokensRepo, type TokenKind } from './tokens.repo.ts';

/** Who the portal acts as: the system, handling requests (matching, reading) and exporting. */
export const portalActor: Actor = {
  kind: 'system',
  id: 'portal',
  read: '*',
  write: '*',
  actions: new Set(['handle_requests', 'read', 'export']),
};

/** Request types the portal takes (every type a person may ask for). */
export type PortalRequestType = Parameters<RequestsService['submit']>[1]['type'];

/**
 * What the portal needs from the subjects module that other work of issue 10 adds; the
 * composition root (src/services.ts) fills each with the subjects module's function.
 */
export interface PortalPorts {
  /** `subjects.rectifyBySubject(subjectId, changes)`: self-editable fields only. */
  rectifyBySubject(
    subjectId: string,
    changes: Array<{ category: string; field: string; value: FieldValue | null }>,
    opts?: { requestId?: string },
  ): Promise<unknown>;
  /** `buildAccessPackage(copy, register, lang, { portability })`: the access copy as a ZIP. */
  buildAccessPackage(
    copy: AccessCopy,
    register: Register,
    lang: Locale,
    opts?: { portability?: boolean },
  ): Promise<Buffer>;
}

export interface PortalDeps {
  db: Kysely<Database>;
  clock: Clock;
  register: Register;
  audit: Pick<AuditService, 'record'>;
  mail: Pick<MailService, 'sendMail'>;
  requests: Pick<RequestsService, 'submit' | 'proveIdentity' | 'get' | 'closeSelfRectified'>;
  subjects: Pick<SubjectsService, 'exportSubject'>;
  ports: PortalPorts;
  /** Whether a person is still held (their key), without reading them. */
  keys: Pick<KeyStore, 'get' | 'erase'>;
  /** The blind index of an address, to compare with a request's without opening it. */
  vault: Pick<Vault, 'emailIndex'>;
  /** Where people reach the portal (PUBLIC_URL), for the links in mail; never the Host header. */
  publicUrl: string;
}

export interface PortalSubmitInput {
  type: PortalRequestType;
  email: string;
  lang: Locale;
  details?: string | undefined;
  changes?: RequestedChange[] | undefined;
}

/** What a verified request answers: nothing about the person. */
export interface PortalVerified {
  request: string;
  type: PortalRequestType;
  state: RequestState;
  /** `YYYY-MM-DD`, when the answer is due; null when none runs. */
  dueAt: string | null;
}

/** The one refusal of any link that does not work: used, expired, forged, of another kind. */
export function invalidLink(): AppError {
  return new AppError(
    'not_found',
    'this link does not work: it was used already, has expired, or was never ours',
    [{ field: 'token', detail: 'not a link that works (used, expired or never issued)' }],
  );
}

const DOWNLOADABLE = new Set(['access', 'portability']);
/** How long an unverified portal request is kept after its verification link expired. */
export const UNVERIFIED_GRACE_MS = 24 * 3600_000;
/** The states a verification link may prove. */
const VERIFIABLE = new Set(['received', 'identity_pending']);

export function createPortalService(deps: PortalDeps) {
  const { db, clock, register, audit, mail, requests, subjects, ports, keys, vault } = deps;
  const def = register.definition;
  const base = deps.publicUrl.replace(/\/+$/, '');
  const registerName = (lang: Locale) => def.register.name[lang];
  const link = (page: 'verify' | 'download', token: string) =>
    `${base}/requests/${page}#token=${token}`;

  const issue = async (tx: Kysely<Database>, requestId: string, kind: TokenKind) => {
    const { token, hash } = newToken();
    const now = clock.now();
    await tokensRepo.insert(tx, {
      tokenHash: hash,
      requestId,
      kind,
      createdAt: now,
      expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS[kind]),
    });
    return token;
  };

  /** A live token's request, or the one refusal; `use` marks it used in `tx`. */
  const findLive = async (token: string, kind: TokenKind) => {
    if (!TOKEN_PATTERN.test(token)) {
      throw invalidLink();
    }
    const found = await tokensRepo.find(db, hashToken(token), kind, clock.now());
    if (!found) {
      throw invalidLink();
    }
    return found.requestId;
  };

  /**
   * The request's copy, when it may be downloaded now: a completed access or portability request
   * of a person still held (not erased), within its download time, and, when `email` is given,
   * made from that address; undefined otherwise, the same for every reason. Everything up to the
   * address check reads the row only (its blind index), so a probe with a wrong address is not
   * a read of the request; the access-logged `get` opens it once the address matches.
   */
  const downloadable = async (requestId: string, email?: string) => {
    const row = await requestsRepo.get(db, requestId);
    if (
      !row ||
      !DOWNLOADABLE.has(row.type) ||
      row.state !== 'completed' ||
      row.subject_id === null ||
      row.download_until === null ||
      row.download_until <= clock.now()
    ) {
      return undefined;
    }
    if (email !== undefined) {
      const index = vault.emailIndex(email);
      if (index === undefined || row.email_index === null || index !== row.email_index) {
        return undefined;
      }
    }
    // An erased person's key is gone (and a person never held has none): nothing to download.
    if (!(await keys.get(row.subject_id))) {
      return undefined;
    }
    let view;
    try {
      view = await requests.get(portalActor, requestId);
    } catch (e) {
      if (e instanceof AppError && e.code === 'not_found') {
        return undefined;
      }
      throw e;
    }
    return view.subjectId === null ? undefined : { ...view, subjectId: view.subjectId };
  };

  /** Whether `e` says the person is not there (erased meanwhile): answered like any other miss. */
  const gone = (e: unknown) => e instanceof AppError && e.code === 'not_found';

  return {
    /**
     * A new request from the portal: registered waiting for its identity, a verification link
     * (24 h, once) mailed to the address. The same work and the same answer for every address.
     * Only fields the definition marks self-editable may be given as changes.
     */
    async submit(input: PortalSubmitInput): Promise<{ status: 'sent' }> {
      const issues = (input.changes ?? []).flatMap((c, i) => {
        const field = register.field(c.category, c.field);
        if (!field) {
          return [
            {
              field: `changes[${i}].field`,
              detail: `no field "${c.category}.${c.field}" in the register definition`,
            },
          ];
        }
        return field.selfEditable
          ? []
          : [
              {
                field: `changes[${i}].field`,
                detail: `"${c.category}.${c.field}" is not one you can correct yourself: describe the change in details`,
              },
            ];
      });
      if (issues.length > 0) {
        throw new AppError(
          'validation_failed',
          `the request was refused: ${issues.map((i) => `${i.field}: ${i.detail}`).join('; ')}`,
          issues,
        );
      }
      if (input.changes?.length && input.type !== 'rectification') {
        throw new AppError('validation_failed', 'changes are for a rectification request', [
          { field: 'changes', detail: 'only a rectification request takes changes' },
        ]);
      }
      await withTransaction(db, async (tx) => {
        const row = await requests.submit(
          tx,
          {
            type: input.type,
            channel: 'portal',
            lang: input.lang,
            email: input.email,
            ...(input.details !== undefined ? { details: input.details } : {}),
            ...(input.changes?.length ? { changes: input.changes } : {}),
          },
          portalActor,
        );
        const token = await issue(tx, row.id, 'verify');
        await mail.sendMail(
          {
            to: input.email,
            template: 'request-verify',
            locale: input.lang,
            data: {
              register: registerName(input.lang),
              type: input.type,
              link: link('verify', token),
            },
          },
          { db: tx },
        );
      });
      return { status: 'sent' };
    },

    /**
     * The verification link used: the address is proven (e-mail link), the clock starts, and
     * the request is matched to a person by its address. Self-editable changes of a rectification
     * are applied at once when the person is found and nothing else was asked; anything else waits
     * for staff. Answers the request's type, state and due date.
     */
    async verify(token: string): Promise<PortalVerified> {
      const requestId = await findLive(token, 'verify');
      // Only a request still waiting for its identity may be proven by its link: a cancelled (or
      // otherwise closed) request's link is refused like a used one, and nothing changes. Read
      // without the access-logged `get`: nothing of the request is disclosed here.
      const pending = await requestsRepo.get(db, requestId);
      if (!pending || !VERIFIABLE.has(pending.state)) {
        throw invalidLink();
      }
      // The proof first (its own transaction: it matches the person on its own connection, which
      // on the embedded database would wait for ours), then the link used, conditionally: a proof
      // that fails leaves the link usable, and of two uses at once only the one whose proof won
      // goes on (the other's finds the request proven already, a conflict) — both answer the
      // same refusal as a used link.
      let summary;
      try {
        summary = await requests.proveIdentity(portalActor, requestId, { proof: 'email_link' });
      } catch (e) {
        if (e instanceof AppError && (e.code === 'conflict' || e.code === 'not_found')) {
          throw invalidLink();
        }
        throw e;
      }
      const used = await tokensRepo.use(db, hashToken(token), 'verify', clock.now());
      if (!used) {
        throw invalidLink();
      }
      if (
        summary.type === 'rectification' &&
        summary.subjectId &&
        summary.state === 'in_progress'
      ) {
        const view = await requests.get(portalActor, requestId);
        const self = view.changes.filter((c) => register.field(c.category, c.field)?.selfEditable);
        if (self.length > 0) {
          try {
            await ports.rectifyBySubject(
              summary.subjectId,
              self.map((c) => ({
                category: c.category,
                field: c.field,
                value: c.value as FieldValue | null,
              })),
              { requestId },
            );
            // Every change asked for was the person's own to make: the request is done. When
            // some need staff, it stays in progress with all of them for staff to complete.
            if (self.length === view.changes.length) {
              await requests.closeSelfRectified(portalActor, requestId, { changes: self });
            }
          } catch (e) {
            // A value the field refuses (or no self-rectification in this build): staff take it
            // from here, the request in progress with the changes asked for.
            if (
              !(e instanceof AppError) ||
              (e.code !== 'validation_failed' && e.code !== 'conflict')
            ) {
              throw e;
            }
          }
        }
      }
      return {
        request: summary.id,
        type: summary.type,
        state: summary.state,
        dueAt: summary.dueOn,
      };
    },

    /**
     * Mails a fresh download link (30 min, once; earlier unused ones end) when `requestId` is a
     * completed access or portability request of this address whose copy may still be
     * downloaded. Answers the same whether or not it was.
     */
    async downloadLink(input: {
      request: string;
      email: string;
      lang: Locale;
    }): Promise<{ status: 'sent' }> {
      const ready = await downloadable(input.request, input.email);
      if (ready?.contact.email) {
        const to = ready.contact.email;
        await withTransaction(db, async (tx) => {
          await tokensRepo.revoke(tx, ready.id, 'download', clock.now());
          const token = await issue(tx, ready.id, 'download');
          await mail.sendMail(
            {
              to,
              subjectId: ready.subjectId,
              template: 'request-download',
              locale: input.lang,
              data: {
                register: registerName(input.lang),
                link: link('download', token),
                minutes: TOKEN_LIFETIME_MS.download / 60_000,
              },
            },
            { db: tx },
          );
          await requestsRepo.addEvent(tx, {
            requestId: ready.id,
            at: clock.now(),
            step: 'download_link',
            actor: 'system:portal',
          });
          await audit.record(tx, {
            actor: portalActor,
            action: 'request.download_link',
            subjectId: ready.subjectId,
            data: { request: ready.id },
          });
        }).catch((e: unknown) => {
          // The person erased since the check above: no link, and the same answer.
          if (!gone(e)) {
            throw e;
          }
        });
      }
      return { status: 'sent' };
    },

    /**
     * The access copy the download link opens, as a ZIP, once: built first, the link used and the
     * download recorded (access log and the request's history) only when it is handed over.
     */
    async download(token: string): Promise<{ zip: Buffer; filename: string }> {
      const requestId = await findLive(token, 'download');
      const ready = await downloadable(requestId);
      if (!ready) {
        throw invalidLink();
      }
      const lang = ready.lang;
      const copy = await subjects.exportSubject(portalActor, ready.subjectId, lang).catch((e) => {
        throw gone(e) ? invalidLink() : e;
      });
      const portability = ready.type === 'portability';
      const zip = await ports.buildAccessPackage(copy, register, lang, { portability });
      await withTransaction(db, async (tx) => {
        const used = await tokensRepo.use(tx, hashToken(token), 'download', clock.now());
        if (!used) {
          throw invalidLink();
        }
        await requestsRepo.addEvent(tx, {
          requestId,
          at: clock.now(),
          step: 'downloaded',
          actor: 'system:portal',
        });
        await audit.record(tx, {
          actor: portalActor,
          action: 'request.download',
          subjectId: ready.subjectId,
          data: { request: requestId, kind: portability ? 'portability' : 'access' },
        });
      });
      const day = clock.now().toISOString().slice(0, 10);
      return {
        zip,
        filename: `${portability ? 'portability' : 'access-copy'}-${day}.zip`,
      };
    },

    /**
     * Deletes portal requests nobody verified: still waiting for their identity a day after
     * their verification link expired. Each one's key is destroyed first (its sealed data is
     * unreadable in every copy, backups included), then the row with its tokens and history.
     * Answers how many went.
     */
    async purgeUnverified(): Promise<number> {
      const before = new Date(clock.now().getTime() - UNVERIFIED_GRACE_MS);
      let purged = 0;
      for (;;) {
        const ids = await tokensRepo.unverifiedPortalRequests(db, before);
        if (ids.length === 0) {
          return purged;
        }
        const gone = await withTransaction(db, async (tx) => {
          const removed = await tokensRepo.removeUnverified(tx, ids);
          await keys.erase(
            removed.map((id) => ({ subjectId: id, erasedAt: clock.now(), reason: 'retention' })),
          );
          return removed;
        });
        purged += gone.length;
        if (gone.length < ids.length) {
          return purged;
        }
      }
    },

    /** Removes link tokens expired over a day ago (a scheduled job). */
    pruneTokens: () => tokensRepo.removeExpired(db, new Date(clock.now().getTime() - 86_400_000)),
  };
}

export type PortalService = ReturnType<typeof createPortalService>;
