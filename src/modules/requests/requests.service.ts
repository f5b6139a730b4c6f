/**
 * Data subjects' requests as records: intake from staff, the API and the portal; the identity
 * proof that starts the clock; the due date, extension, refusal, cancellation and completion,
 * each a transition recorded in the request's history and in the access log in one transaction;
 * and the mail that tells the person. Completion acts on the person through the subjects
 * module's public functions, or through ports the composition root fills (see RequestsPorts).
 *
 * The request's personal data (contact details, details, changes asked for, reasons) is sealed
 * under a key of the request's own, kept in the key store under the request's id: destroying
 * that key erases it in every copy.
 */
import type { Kysely } from 'kysely';
import { withTransaction, type Executor } from '../../db/transaction.ts';
import type { Database } from '../../db/types.ts';
import { defineSchedule } from '../../jobs/index.ts';
import type { KeyStore } from '../../keystore/keystore.ts';
import {
  actorLabel,
  requireAction,
  requireEveryPurpose,
  system,
  type Actor,
} from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, invalid, invalidAll, type FieldIssue } from '../../lib/errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import {
  renderTemplate,
  type MailMessage,
  type MailService,
  type TemplateName,
} from '../../mail/index.ts';
import { cleanEmail, normaliseEmail, normalisePhone } from '../../vault/normalise.ts';
import type { Vault } from '../../vault/vault.ts';
import type { AuditService } from '../audit/index.ts';
import {
  IDENTITY_PROOFS,
  REQUEST_CHANNELS,
  appointedDpo,
  REQUEST_TYPES,
  type IdentityProof,
  type Register,
  type RequestChannel,
  type RequestType,
} from '../definition/index.ts';
import type { AccessCopy, AccessCopyRequest, SubjectsService } from '../subjects/index.ts';
import { addDays, dueDate, extendedDueDate, helsinkiDate, isOverdue } from './deadlines.ts';
import {
  DELIVERY_HOW,
  DOCUMENT_TYPES,
  LETTER_HOW,
  postalAddressSchema,
  REQUEST_LANGS,
  REQUEST_STATES,
  TOLD_HOW,
  type DeliveryHow,
  type IdentityInput,
  type LetterClosedWhy,
  type LetterHow,
  type LetterView,
  type PostalAddress,
  type RequestLang,
  type RequestSealed,
  type RequestState,
  type RequestSummary,
  type RequestView,
  type RequestedChange,
  type SubmitInput,
  type ToldHow,
} from './model.ts';
import { requestsRepo as repo, type LetterRow, type RequestRow } from './requests.repo.ts';
import { newToken, TOKEN_LIFETIME_MS } from './tokens.ts';
import { tokensRepo } from './tokens.repo.ts';

/** How long an access copy may be downloaded once the request is completed. */
export const DOWNLOAD_DAYS = 30;
/** The digest lists requests due within this many days. */
export const DIGEST_DAYS = 7;
/**
 * A letter not sent this many days after it became due is closed and its text dropped: the
 * request's deadline (at most three months) is long past, and the letter's copy of the person's
 * name and address is kept no longer than it can serve.
 */
export const LETTER_KEEP_DAYS = 120;
/** The digest's language for a handler whose language is not known, and for the fallback address. */
const DIGEST_FALLBACK_LANG: RequestLang = 'fi';

/**
 * What completion needs from the subjects module that another helper of issue 10 adds. The
 * composition root (src/services.ts) fills each with the subjects service's function of the same
 * name once it exists.
 */
/** A completion's claim lapses after this long (a server that died mid-way). */
const CLAIM_LAPSE_MS = 5 * 60_000;

/** Builds a printable access copy (a ZIP or a PDF) from an opened copy. */
export type AccessCopyBuilder = (
  copy: AccessCopy,
  register: Register,
  lang: RequestLang,
  opts?: { portability?: boolean },
) => Promise<Buffer>;

export interface RequestsPorts {
  /**
   * TODO(objection): `subjects.stopProcessing(actor, id, { reason, purposes?, compellingGrounds? })`.
   * Stops processing for an objection, a consent withdrawal or a direct-marketing prohibition.
   */
  stopProcessing(
    actor: Actor,
    subjectId: string,
    input: {
      reason: 'objection' | 'consent_withdrawal' | 'marketing_prohibition';
      purposes?: string[];
      compellingGrounds?: Array<{ purpose: string; reason: string }>;
      /** The request being completed (its id): the permission ledger's evidence names it. */
      request?: string;
    },
  ): Promise<{ stopped: string[]; continued: Array<{ purpose: string }> }>;
  /**
   * TODO(objection): `subjects.recipientsOf(actor, id)`: the definition's recipients that receive
   * a category the person has data in (Art. 19).
   */
  recipientsOf(
    actor: Actor,
    subjectId: string,
  ): Promise<Array<{ id: string; name: string; categories: string[] }>>;
  /**
   * The access package as a ZIP and its readable PDF alone (the subjects module's
   * `buildAccessPackage`, `buildAccessPdf`), for staff to print a copy that is posted or handed
   * over. Left out: no printed delivery in this build.
   */
  buildAccessPackage?: AccessCopyBuilder;
  buildAccessPdf?: AccessCopyBuilder;
}

export interface RequestsDeps {
  db: Kysely<Database>;
  keys: Pick<KeyStore, 'put' | 'get' | 'erase'>;
  vault: Vault;
  audit: AuditService;
  mail: Pick<MailService, 'sendMail'>;
  register: Register;
  /**
   * The portal's public address, for a fresh verification link mailed when staff change a
   * request's e-mail address (`correctContact`). Default http://localhost:8080.
   */
  publicUrl?: string;
  clock: Clock;
  subjects: Pick<
    SubjectsService,
    | 'findSubjects'
    | 'getSubject'
    | 'eraseSubject'
    | 'setRestriction'
    | 'updateSubject'
    | 'matchForRequest'
    | 'existing'
    | 'exportSubject'
  >;
  ports: RequestsPorts;
  /**
   * Those who handle requests, for the digest: active staff with an e-mail address whose role has
   * the `handle_requests` action, with their language when known (the staff module's
   * `requestHandlers`, passed in by the composition root). Left out, or none: the digest goes to
   * the definition's privacy address.
   */
  handlers?: () => Promise<Array<{ email: string; lang: RequestLang | null }>>;
}

export interface RequestFilterInput {
  states?: RequestState[] | undefined;
  type?: RequestType | undefined;
  subjectId?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export type CompleteBody = {
  /** Rectification: the purpose and source the changes are written under. */
  purpose?: string | undefined;
  source?: string | undefined;
  /** Rectification: the changes to apply; those asked for when not given. */
  changes?: RequestedChange[] | undefined;
  /** Restriction: why processing is restricted, as recorded with the person. */
  reason?: string | undefined;
  /** Objection, consent withdrawal: the purposes concerned (every one it may reach when left out). */
  purposes?: string[] | undefined;
  /** Objection: compelling legitimate grounds staff recorded, per purpose; the person is told. */
  compellingGrounds?: Array<{ purpose: string; reason: string }> | undefined;
  /**
   * Access, portability when the request gives no e-mail address: the copy is printed and posted
   * (`post`, to the request's postal address) or handed over (`handed_over`).
   */
  delivery?: DeliveryHow | undefined;
};

/**
 * The steps of a request its person sees in their access copy: its states, the identity proven,
 * an extension, the mail before a restriction is lifted, the download link and the download.
 */
const PERSON_STEPS: ReadonlySet<string> = new Set([
  'received',
  'identity_pending',
  'identity',
  'in_progress',
  'extended',
  'told_before_lifting',
  'download_link',
  'downloaded',
  'delivered',
  'completed',
  'refused',
  'cancelled',
]);

/** Types whose outcome must be told to the recipients of the person's data (Art. 19). */
const TELL_RECIPIENTS: readonly RequestType[] = ['rectification', 'erasure', 'restriction'];

const aadOf = (id: string) => `request:${id}`;

const emptySealed = (): RequestSealed => ({
  email: null,
  phone: null,
  name: null,
  details: null,
  changes: [],
  reasons: {},
  compellingGrounds: [],
});

/** What a letter's sealed part holds: the template's data and whom it goes to. */
interface LetterSealed {
  data: unknown;
  to: { name: string | null; address: PostalAddress | null };
}

const letterAad = (id: string) => `request-letter:${id}`;

/** Completed with a printed copy to post or hand over, not yet delivered. */
const deliveryPending = (row: RequestRow): boolean =>
  row.state === 'completed' && row.delivery_how !== null && row.delivered_how === null;

function present(row: RequestRow, now: Date, lettersWaiting = 0): RequestSummary {
  const pending = deliveryPending(row);
  return {
    id: row.id,
    type: row.type as RequestType,
    state: row.state as RequestState,
    extended: row.extended,
    channel: row.channel as RequestChannel,
    lang: row.lang as RequestLang,
    subjectId: row.subject_id,
    receivedAt: row.received_at.toISOString(),
    identityProvenAt: row.identity_proven_at?.toISOString() ?? null,
    dueOn: row.due_on,
    originalDueOn: row.original_due_on,
    closedAt: row.closed_at?.toISOString() ?? null,
    overdue:
      (row.closed_at === null || pending) && row.due_on !== null && isOverdue(row.due_on, now),
    lettersWaiting,
    deliveryPending: pending,
  };
}

/** A person found for a request, and by what. */
type Match = { subjectId: string; by: 'email' | 'phone' };

/** The held data an erasure reports, when the subjects service reports it (erasure-holds). */
type Held = Array<{
  hold: string;
  law: string;
  purpose: string;
  categories: string[];
  until: string;
}>;
function heldOf(result: unknown): Held {
  if (result && typeof result === 'object' && 'held' in result && Array.isArray(result.held)) {
    return result.held as Held;
  }
  return [];
}

export function createRequestsService(deps: RequestsDeps) {
  const { db, keys, vault, audit, mail, register, clock, subjects, ports } = deps;
  const def = register.definition;
  const allPurposes = def.purposes.map((p) => p.id);
  const callingCode = def.defaultCountryCallingCode;
  const registerName = (lang: RequestLang) => def.register.name[lang];
  const publicUrl = (deps.publicUrl ?? 'http://localhost:8080').replace(/\/+$/, '');

  // --- authorisation ------------------------------------------------------------------------

  /**
   * Handling requests: the action, and read under every purpose (a request reaches everything
   * held about the person, as an export does).
   */
  const authorise = (actor: Actor, what: string) => {
    requireAction(actor, 'handle_requests');
    requireEveryPurpose(actor, allPurposes, what);
  };

  // --- sealing ------------------------------------------------------------------------------

  const keyOf = async (id: string): Promise<Buffer> => {
    const wrapped = await keys.get(id);
    if (!wrapped) {
      throw new AppError('not_found', `the data of request ${id} has been erased`);
    }
    return vault.unwrapSubjectKey(id, wrapped);
  };
  const openSealed = async (row: Pick<RequestRow, 'id' | 'sealed'>): Promise<RequestSealed> => {
    const key = await keyOf(row.id);
    try {
      return {
        ...emptySealed(),
        ...(JSON.parse(vault.open(key, aadOf(row.id), row.sealed).toString('utf8')) as object),
      };
    } finally {
      key.fill(0);
    }
  };
  /** The sealed data, or nothing but empties once the request's data has been shredded. */
  const openOrShredded = async (row: Pick<RequestRow, 'id' | 'sealed'>): Promise<RequestSealed> =>
    (await keys.get(row.id)) ? openSealed(row) : emptySealed();

  /**
   * Shreds the personal data of every request linked to a person who is erased (Art. 5(2): what
   * remains is the type, state, dates and the non-personal history): the requests' keys are
   * destroyed in the key store and their blind indexes cleared; each gets a 'shredded' step.
   */
  const shredRequestsOf = async (subjectId: string, reason: string): Promise<number> => {
    const ids = await repo.unshreddedOf(db, subjectId);
    if (ids.length === 0) {
      return 0;
    }
    const at = clock.now();
    await withTransaction(db, async (tx) => {
      await repo.clearIndexes(tx, ids, at);
      // Letters sealed under the requests' keys can no longer be read: they stop waiting.
      await repo.closeLetters(tx, { requestIds: ids }, 'shredded', at);
      for (const id of ids) {
        await step(tx, id, system, 'shredded', { reason });
      }
    });
    await keys.erase(
      ids.map((id) => ({ subjectId: id, erasedAt: at, reason: 'request' as const })),
    );
    return ids.length;
  };

  const reseal = async (id: string, data: RequestSealed): Promise<Buffer> => {
    const key = await keyOf(id);
    try {
      return vault.seal(key, aadOf(id), JSON.stringify(data));
    } finally {
      key.fill(0);
    }
  };

  // --- identity -----------------------------------------------------------------------------

  /** The proofs any one of which lets a request of this type, come this way, go on. */
  const acceptedProofs = (type: RequestType, channel: RequestChannel): IdentityProof[] => {
    const stronger = def.rights.stronger.find((s) => s.type === type);
    if (stronger) {
      return [...stronger.proof];
    }
    const ch = def.rights.channels.find((c) => c.kind === channel);
    if (ch) {
      return [...ch.proof];
    }
    // A channel the definition does not offer (a phone call, say): any proof it offers elsewhere.
    return [...new Set(def.rights.channels.flatMap((c) => c.proof))];
  };

  const checkIdentity = (actor: Actor, identity: IdentityInput, field: string): FieldIssue[] => {
    const issues: FieldIssue[] = [];
    if (!(IDENTITY_PROOFS as readonly string[]).includes(identity.proof)) {
      issues.push({
        field: `${field}.proof`,
        detail: `expected one of ${IDENTITY_PROOFS.join(', ')}`,
      });
    }
    if (identity.proof === 'email_link' && actor.kind === 'staff') {
      issues.push({
        field: `${field}.proof`,
        detail: 'an e-mail link is proven by the person following the link mailed to them',
      });
    }
    if (identity.proof === 'photo_id' && identity.documentType === undefined) {
      issues.push({
        field: `${field}.documentType`,
        detail: `say which document was checked: ${DOCUMENT_TYPES.join(', ')} (never its number)`,
      });
    }
    if (
      identity.documentType !== undefined &&
      !(DOCUMENT_TYPES as readonly string[]).includes(identity.documentType)
    ) {
      issues.push({
        field: `${field}.documentType`,
        detail: `expected one of ${DOCUMENT_TYPES.join(', ')}`,
      });
    }
    return issues;
  };

  // --- history ------------------------------------------------------------------------------

  const step = (
    tx: Executor,
    requestId: string,
    actor: Actor,
    name: string,
    data: Record<string, unknown> = {},
  ) =>
    repo.addEvent(tx, { requestId, at: clock.now(), step: name, actor: actorLabel(actor), data });

  /** A request locked for a transition, refused (409, naming the state) unless in one of `from`. */
  const lockIn = async (
    tx: Executor,
    id: string,
    from: readonly RequestState[],
    what: string,
  ): Promise<RequestRow> => {
    const row = await repo.get(tx, id, true);
    if (!row) {
      throw new AppError('not_found', `no request with id ${id}`);
    }
    if (!from.includes(row.state as RequestState)) {
      throw new AppError('conflict', `a request that is ${row.state} cannot be ${what}`, [
        { field: 'state', detail: `the request is ${row.state}; expected ${from.join(' or ')}` },
      ]);
    }
    return row;
  };

  // --- matching the person --------------------------------------------------------------------

  /**
   * The one person whose e-mail address (or else phone number) the request gives, found by blind
   * index through the subjects module under no purpose: a person who objected or is restricted
   * is matched to their own requests too. Nobody when none or several are found.
   */
  const matchPerson = async (
    actor: Actor,
    sealed: RequestSealed,
    only?: 'email',
  ): Promise<Match | undefined> => {
    for (const by of only ? [only] : (['email', 'phone'] as const)) {
      const value = sealed[by];
      if (!value) {
        continue;
      }
      const found = await subjects.matchForRequest(actor, { [by]: value });
      if (found.length === 1 && found[0]) {
        return { subjectId: found[0], by };
      }
      if (found.length > 1) {
        return undefined;
      }
    }
    return undefined;
  };

  /**
   * The person a request is about, looked up before its transaction opens (the lookup reads and
   * logs on its own connection, which on the embedded database would wait for that transaction):
   * only when the proof starts the clock and the request is not linked yet.
   */
  const prematch = async (
    actor: Actor,
    req: { type: RequestType; channel: RequestChannel; subjectId: string | null },
    sealed: RequestSealed,
    proof: IdentityProof,
  ): Promise<Match | undefined> =>
    req.subjectId === null && acceptedProofs(req.type, req.channel).includes(proof)
      ? // A mailed link proves its own address only: never a match by the phone number.
        matchPerson(actor, sealed, proof === 'email_link' ? 'email' : undefined)
      : undefined;

  /** Whether a person exists (a restricted one too). */
  const personExists = async (actor: Actor, subjectId: string): Promise<boolean> => {
    const purpose = allPurposes[0];
    if (purpose === undefined) {
      return false;
    }
    try {
      await subjects.getSubject(actor, subjectId, purpose);
      return true;
    } catch (err) {
      if (err instanceof AppError && err.code === 'subject_restricted') {
        return true;
      }
      if (err instanceof AppError && err.code === 'not_found') {
        return false;
      }
      throw err;
    }
  };

  // --- mail -----------------------------------------------------------------------------------

  const authority = (lang: RequestLang) => ({
    name: def.supervisoryAuthority.name[lang],
    website: def.supervisoryAuthority.website,
  });

  /**
   * Puts a mail to the person in the outbox, when the request gives an e-mail address. Tied to
   * the person (sealed under their key) when the request is matched to one and `tied` holds;
   * after an erasure it is not, since their key is gone. Without an e-mail address, a letter to
   * send is recorded instead (see `recordLetter`). Answers whether a mail was queued.
   */
  const mailPerson = async <T extends TemplateName>(
    tx: Executor,
    row: RequestRow,
    sealed: RequestSealed,
    message: Pick<MailMessage<T>, 'template' | 'data'>,
    tied = true,
  ): Promise<boolean> => {
    if (!sealed.email) {
      await recordLetter(tx, row, sealed, message, tied);
      return false;
    }
    await mail.sendMail(
      {
        to: sealed.email,
        locale: row.lang as RequestLang,
        // Tied to no one after an erasure: under a key of its own, destroyed once it is sent.
        ...(tied && row.subject_id ? { subjectId: row.subject_id } : { ownKey: !tied }),
        template: message.template,
        data: message.data,
      },
      { db: tx },
    );
    return true;
  };

  /**
   * Records a letter to send in place of a mail: the same template and data, checked by the
   * template now (so a letter that cannot be rendered fails the step, as a mail would), the
   * person's name and postal address copied in, sealed under the request's key, or, when the
   * person's key is gone with an erasure (`tied` false), under the server's secret so that the
   * completion still reaches them once the request's data is shredded. A step in the history.
   */
  const recordLetter = async <T extends TemplateName>(
    tx: Executor,
    row: RequestRow,
    sealed: RequestSealed,
    message: Pick<MailMessage<T>, 'template' | 'data'>,
    tied: boolean,
  ): Promise<void> => {
    const lang = row.lang as RequestLang;
    renderTemplate(message.template, lang, message.data);
    const id = uuidv7();
    const address = sealed.address ?? null;
    const content: LetterSealed = {
      data: message.data,
      to: { name: sealed.name, address },
    };
    const plain = JSON.stringify(content);
    let bytes: Buffer;
    if (tied) {
      const key = await keyOf(row.id);
      try {
        bytes = vault.seal(key, letterAad(id), plain);
      } finally {
        key.fill(0);
      }
    } else {
      bytes = await sealUnderOwnKey(id, plain);
    }
    await repo.insertLetter(tx, {
      id,
      request_id: row.id,
      template: message.template,
      lang,
      sealed: bytes,
      sealed_with: tied ? 'request' : 'letter',
      has_address: address !== null,
      due_at: clock.now(),
    });
    await step(tx, row.id, system, 'letter_due', {
      letter: id,
      template: message.template,
      address: address !== null,
    });
  };

  /**
   * Seals a letter under a key of its own, put in the key store under the letter's id: the letter
   * of a person whose own key is gone (an erasure's completion). Destroying that key (once the
   * letter is sent, or kept too long) makes every copy of the letter unreadable, backups included.
   */
  const sealUnderOwnKey = async (letterId: string, plain: string): Promise<Buffer> => {
    const { key, wrapped } = vault.newSubjectKey(letterId);
    try {
      // The key first: a key without a letter opens nothing; a letter without its key is lost.
      await keys.put([{ subjectId: letterId, wrapped }], vault.wrapKeyId());
      return vault.seal(key, letterAad(letterId), plain);
    } finally {
      key.fill(0);
    }
  };

  /** Destroys the keys of letters sealed under keys of their own (sent, or closed). */
  const eraseLetterKeys = async (ids: readonly string[]): Promise<void> => {
    if (ids.length > 0) {
      const at = clock.now();
      await keys.erase(ids.map((id) => ({ subjectId: id, erasedAt: at, reason: 'retention' })));
    }
  };

  /** A letter's sealed content; null when its text or its key is gone. */
  const openLetter = async (
    l: Pick<LetterRow, 'id' | 'request_id' | 'sealed' | 'sealed_with'>,
  ): Promise<LetterSealed | null> => {
    if (l.sealed.length === 0) {
      return null;
    }
    if (l.sealed_with === 'server') {
      // Sealed before 0024; `tidyLetters` moves these under keys of their own.
      return JSON.parse(
        vault.openSecret(letterAad(l.id), l.sealed).toString('utf8'),
      ) as LetterSealed;
    }
    const keyId = l.sealed_with === 'letter' ? l.id : l.request_id;
    const wrapped = await keys.get(keyId);
    if (!wrapped) {
      return null;
    }
    const key = vault.unwrapSubjectKey(keyId, wrapped);
    try {
      return JSON.parse(
        vault.open(key, letterAad(l.id), l.sealed).toString('utf8'),
      ) as LetterSealed;
    } finally {
      key.fill(0);
    }
  };

  /** Seals a letter's content again as it was sealed (a corrected address). */
  const resealLetterContent = async (
    l: Pick<LetterRow, 'id' | 'request_id' | 'sealed_with'>,
    content: LetterSealed,
  ): Promise<Buffer> => {
    const plain = JSON.stringify(content);
    if (l.sealed_with === 'server') {
      return vault.sealSecret(letterAad(l.id), plain);
    }
    const keyId = l.sealed_with === 'letter' ? l.id : l.request_id;
    const key = await keyOf(keyId);
    try {
      return vault.seal(key, letterAad(l.id), plain);
    } finally {
      key.fill(0);
    }
  };

  /** A letter as staff see and print it; its data gone once sent, closed or shredded. */
  const letterView = async (l: LetterRow): Promise<LetterView> => {
    const content = await openLetter(l);
    const lang = l.lang as RequestLang;
    const rendered = content
      ? renderTemplate(l.template as TemplateName, lang, content.data)
      : { subject: '', text: '' };
    const c = def.controller;
    return {
      id: l.id,
      template: l.template,
      lang,
      dueAt: l.due_at.toISOString(),
      subject: rendered.subject,
      text: rendered.text,
      from: {
        name: c.name,
        street: c.address.street,
        postalCode: c.address.postalCode,
        city: c.address.city,
        country: c.address.country,
      },
      to: content ? content.to : { name: null, address: null },
      erased: content === null,
      sent:
        l.sent_how && l.sent_on && l.sent_by
          ? { how: l.sent_how as LetterHow, on: l.sent_on, by: l.sent_by }
          : null,
      closed:
        l.closed_why && l.closed_at
          ? { why: l.closed_why as LetterClosedWhy, at: l.closed_at.toISOString() }
          : null,
    };
  };

  /**
   * Marks a waiting letter sent, in the caller's transaction: its text dropped (it has reached the
   * person), a step in the history and the access log. The caller erases a key of its own after.
   */
  const sendLetter = async (
    tx: Executor,
    actor: Actor,
    current: RequestRow,
    letter: LetterRow,
    how: LetterHow,
    on: string,
  ): Promise<void> => {
    const marked = await repo.markLetterSent(tx, letter.id, {
      how,
      on,
      by: actorLabel(actor),
      at: clock.now(),
    });
    if (!marked) {
      throw new AppError('conflict', 'the letter has been marked sent already', [
        { field: 'letterId', detail: 'marked sent already' },
      ]);
    }
    await step(tx, current.id, actor, 'letter_sent', {
      letter: letter.id,
      template: letter.template,
      how,
      on,
    });
    await audit.record(tx, {
      actor,
      action: 'request.letter_sent',
      subjectId: current.subject_id,
      data: { request: current.id, letter: letter.id, how },
    });
  };

  /** A day given as `YYYY-MM-DD`, today when not given, not in the future; or the field's issue. */
  const dayOf = (on: string | undefined): { on: string; issue?: FieldIssue } => {
    const today = helsinkiDate(clock.now());
    const day = on ?? today;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
      return { on: day, issue: { field: 'on', detail: 'expected a date, YYYY-MM-DD' } };
    }
    if (day > today) {
      return { on: day, issue: { field: 'on', detail: 'not in the future' } };
    }
    return { on: day };
  };

  /** A request as listed, with the letters waiting to be sent for it. */
  const summarise = async (row: RequestRow): Promise<RequestSummary> => {
    const waiting = await repo.waitingCounts(db, [row.id]);
    return present(row, clock.now(), waiting.get(row.id) ?? 0);
  };

  // --- transitions ----------------------------------------------------------------------------

  /**
   * Starts the clock: the identity proven now, due one calendar month later (Helsinki dates),
   * the person matched (found before the transaction: see `prematch`), the acknowledgement
   * mailed. In the caller's transaction.
   */
  const startClock = async (
    tx: Executor,
    actor: Actor,
    row: RequestRow,
    sealed: RequestSealed,
    match: Match | undefined,
  ): Promise<RequestRow> => {
    const now = clock.now();
    const due = dueDate(now);
    let subjectId = row.subject_id;
    if (subjectId === null) {
      if (match) {
        subjectId = match.subjectId;
        await step(tx, row.id, actor, 'matched', { by: match.by });
        await audit.record(tx, {
          actor,
          action: 'request.match',
          subjectId,
          data: { request: row.id, by: match.by },
        });
      }
    }
    const next: RequestRow = {
      ...row,
      state: 'in_progress',
      subject_id: subjectId,
      identity_proven_at: now,
      due_on: due,
      original_due_on: due,
      updated_at: now,
    };
    await repo.update(tx, row.id, {
      state: next.state,
      subject_id: subjectId,
      identity_proven_at: now,
      due_on: due,
      original_due_on: due,
      updated_at: now,
    });
    await step(tx, row.id, actor, 'in_progress', { dueOn: due });
    await mailPerson(tx, next, sealed, {
      template: 'request-acknowledged',
      data: {
        register: registerName(next.lang as RequestLang),
        type: next.type as RequestType,
        request: next.id,
        dueOn: due,
      },
    });
    return next;
  };

  /** Records a proof; starts the clock when it is one the request accepts. */
  const recordProof = async (
    tx: Executor,
    actor: Actor,
    row: RequestRow,
    sealed: RequestSealed,
    identity: IdentityInput,
    match: Match | undefined,
  ): Promise<RequestRow> => {
    const accepted = acceptedProofs(row.type as RequestType, row.channel as RequestChannel);
    const sufficient = accepted.includes(identity.proof);
    const now = clock.now();
    const checkedBy = actorLabel(actor);
    await repo.update(tx, row.id, {
      identity_proof: identity.proof,
      identity_document: identity.documentType ?? null,
      identity_checked_by: checkedBy,
      state: sufficient ? row.state : 'identity_pending',
      updated_at: now,
    });
    await step(tx, row.id, actor, 'identity', {
      proof: identity.proof,
      ...(identity.documentType ? { documentType: identity.documentType } : {}),
      sufficient,
    });
    await audit.record(tx, {
      actor,
      action: 'request.identity',
      subjectId: row.subject_id,
      data: {
        request: row.id,
        proof: identity.proof,
        ...(identity.documentType ? { documentType: identity.documentType } : {}),
        sufficient,
      },
    });
    const updated: RequestRow = {
      ...row,
      identity_proof: identity.proof,
      identity_document: identity.documentType ?? null,
      identity_checked_by: checkedBy,
      state: sufficient ? row.state : 'identity_pending',
      updated_at: now,
    };
    return sufficient ? startClock(tx, actor, updated, sealed, match) : updated;
  };

  const inTransaction = <T>(ex: Executor, fn: (tx: Executor) => Promise<T>): Promise<T> =>
    ex.isTransaction ? fn(ex) : withTransaction(ex, fn);

  /** Closes a request: state, time, the reason sealed, history and the access log. */
  const close = async (
    tx: Executor,
    actor: Actor,
    row: RequestRow,
    state: 'completed' | 'refused' | 'cancelled',
    sealed: RequestSealed,
    extra: { download_until?: Date; data?: Record<string, unknown> } = {},
  ): Promise<RequestRow> => {
    const now = clock.now();
    const resealed = await reseal(row.id, sealed);
    await repo.update(tx, row.id, {
      state,
      closed_at: now,
      sealed: resealed,
      updated_at: now,
      ...(extra.download_until ? { download_until: extra.download_until } : {}),
    });
    await step(tx, row.id, actor, state, extra.data ?? {});
    const action =
      state === 'completed'
        ? ('request.complete' as const)
        : state === 'refused'
          ? ('request.refuse' as const)
          : ('request.cancel' as const);
    await audit.record(tx, {
      actor,
      action,
      subjectId: row.subject_id,
      data: { request: row.id, type: row.type as RequestType },
    });
    return {
      ...row,
      state,
      closed_at: now,
      sealed: resealed,
      updated_at: now,
      download_until: extra.download_until ?? row.download_until,
    };
  };

  const OPEN: readonly RequestState[] = ['received', 'identity_pending', 'in_progress'];

  /**
   * An extension counts only when the person is told of it within the first month (Art. 12(3)):
   * told later, or not at all by the original due date, it is void — the due date reverts to the
   * original, a step in the history says why. In the caller's transaction, the row locked.
   */
  const voidExtension = async (
    tx: Executor,
    actor: Actor,
    row: RequestRow,
    why: 'told_late' | 'not_told',
  ): Promise<void> => {
    if (!row.extended || row.original_due_on === null) {
      return;
    }
    await repo.update(tx, row.id, {
      extended: false,
      due_on: row.original_due_on,
      updated_at: clock.now(),
    });
    await step(tx, row.id, actor, 'extension_void', {
      why,
      dueOn: row.original_due_on,
      ...(row.due_on ? { was: row.due_on } : {}),
    });
  };

  // --- the service ----------------------------------------------------------------------------

  const service = {
    acceptedProofs,

    /**
     * Registers a request (staff, API or portal intake), in the caller's transaction when `ex`
     * is one. Its personal data is sealed under a new key of its own. With an identity proof the
     * request accepts, the clock starts at once; otherwise it waits in identity_pending.
     */
    async submit(ex: Executor, input: SubmitInput, actor: Actor): Promise<RequestRow> {
      authorise(actor, 'register a request');
      const issues: FieldIssue[] = [];
      if (!(REQUEST_TYPES as readonly string[]).includes(input.type)) {
        issues.push({ field: 'type', detail: `expected one of ${REQUEST_TYPES.join(', ')}` });
      }
      if (!(REQUEST_CHANNELS as readonly string[]).includes(input.channel)) {
        issues.push({ field: 'channel', detail: `expected one of ${REQUEST_CHANNELS.join(', ')}` });
      } else if (input.channel === 'portal' && actor.kind !== 'system') {
        issues.push({ field: 'channel', detail: 'portal requests come through the portal' });
      }
      if (!(REQUEST_LANGS as readonly string[]).includes(input.lang)) {
        issues.push({ field: 'lang', detail: `expected one of ${REQUEST_LANGS.join(', ')}` });
      }
      const email = input.email === undefined ? undefined : normaliseEmail(input.email);
      if (input.email !== undefined && !email) {
        issues.push({ field: 'email', detail: 'expected an e-mail address' });
      }
      const phone =
        input.phone === undefined ? undefined : normalisePhone(input.phone, callingCode);
      if (input.phone !== undefined && !phone) {
        issues.push({ field: 'phone', detail: 'expected a phone number such as +358 40 123 4567' });
      }
      if (!input.email && !input.phone && !input.subjectId) {
        issues.push({
          field: 'email',
          detail:
            'give an e-mail address or a phone number to reach the person by, or the person (subjectId)',
        });
      }
      let address: PostalAddress | null = null;
      if (input.address !== undefined) {
        const parsed = postalAddressSchema.safeParse(input.address);
        if (parsed.success) {
          address = parsed.data;
        } else {
          for (const issue of parsed.error.issues) {
            issues.push({
              field: ['address', ...issue.path.map(String)].join('.'),
              detail: issue.message,
            });
          }
        }
      }
      if (input.type === 'rectification' && (input.changes ?? []).length === 0 && !input.details) {
        issues.push({
          field: 'changes',
          detail: 'say what is to be rectified (changes or details)',
        });
      }
      (input.changes ?? []).forEach((c, i) => {
        if (!register.field(c.category, c.field)) {
          issues.push({
            field: `changes[${i}].field`,
            detail: `no field "${c.category}.${c.field}" in the register definition`,
          });
        }
      });
      if (input.identity) {
        issues.push(...checkIdentity(actor, input.identity, 'identity'));
      }
      if (issues.length > 0) {
        throw invalidAll(issues);
      }
      if (input.subjectId && !(await personExists(actor, input.subjectId))) {
        throw new AppError('not_found', `no subject with id ${input.subjectId}`, [
          { field: 'subjectId', detail: 'no such person (never there, or erased)' },
        ]);
      }
      const id = uuidv7();
      const now = clock.now();
      const sealed: RequestSealed = {
        ...emptySealed(),
        email: input.email === undefined ? null : cleanEmail(input.email),
        phone: input.phone?.trim() ?? null,
        name: input.name?.trim() || null,
        address,
        details: input.details ?? null,
        changes: input.changes ?? [],
      };
      // The key first: a key without a request opens nothing; a request without a key is lost.
      const { key, wrapped } = vault.newSubjectKey(id);
      let sealedBytes: Buffer;
      try {
        sealedBytes = vault.seal(key, aadOf(id), JSON.stringify(sealed));
      } finally {
        key.fill(0);
      }
      await keys.put([{ subjectId: id, wrapped }], vault.wrapKeyId());
      const match = input.identity
        ? await prematch(
            actor,
            { type: input.type, channel: input.channel, subjectId: input.subjectId ?? null },
            sealed,
            input.identity.proof,
          )
        : undefined;
      return inTransaction(ex, async (tx) => {
        const row: RequestRow = {
          id,
          type: input.type,
          state: 'received',
          extended: false,
          channel: input.channel,
          lang: input.lang,
          subject_id: input.subjectId ?? null,
          email_index: email ? (vault.emailIndex(email) ?? null) : null,
          phone_index: phone ? (vault.phoneIndex(phone) ?? null) : null,
          sealed: sealedBytes,
          received_at: now,
          identity_proven_at: null,
          due_on: null,
          original_due_on: null,
          closed_at: null,
          identity_proof: null,
          identity_document: null,
          identity_checked_by: null,
          download_until: null,
          delivery_how: null,
          delivered_how: null,
          delivered_on: null,
          delivered_by: null,
          created_at: now,
          updated_at: now,
        };
        await repo.insert(tx, { ...row, due_on: null, original_due_on: null, delivered_on: null });
        await step(tx, id, actor, 'received', { type: input.type, channel: input.channel });
        await audit.record(tx, {
          actor,
          action: 'request.receive',
          subjectId: row.subject_id,
          data: { request: id, type: input.type, channel: input.channel },
        });
        if (input.identity) {
          return recordProof(tx, actor, row, sealed, input.identity, match);
        }
        await repo.update(tx, id, { state: 'identity_pending', updated_at: now });
        await step(tx, id, actor, 'identity_pending');
        return { ...row, state: 'identity_pending' };
      });
    },

    /** `submit` on its own transaction, answering the request as listed (the HTTP intake). */
    async intake(actor: Actor, input: SubmitInput): Promise<RequestSummary> {
      return summarise(await service.submit(db, input, actor));
    },

    /** A request's row as listed (for the portal's routes, after `submit`). */
    summaryOf: (row: RequestRow): RequestSummary => present(row, clock.now()),

    /**
     * Records an identity proof: starts the clock when it is one the request accepts (the
     * channel's, or the stronger one its type needs); otherwise the request waits for more.
     */
    async proveIdentity(
      actor: Actor,
      id: string,
      identity: IdentityInput,
    ): Promise<RequestSummary> {
      authorise(actor, 'record an identity proof');
      const issues = checkIdentity(actor, identity, '');
      if (issues.length > 0) {
        throw invalidAll(issues.map((i) => ({ ...i, field: i.field.replace(/^\./, '') })));
      }
      const before = await repo.get(db, id);
      const sealed = before ? await openSealed(before) : emptySealed();
      // A mailed link proves its own address only: a person linked before it (by staff, while
      // nothing was proven) stays linked only when that address is theirs.
      const byLink = identity.proof === 'email_link';
      const owners =
        before && before.subject_id !== null && byLink
          ? await subjects.matchForRequest(actor, { email: sealed.email })
          : [];
      const linked = before?.subject_id ?? null;
      const keepLinked = linked !== null && (!byLink || owners.includes(linked));
      const match =
        before && ['received', 'identity_pending'].includes(before.state)
          ? await prematch(
              actor,
              {
                type: before.type as RequestType,
                channel: before.channel as RequestChannel,
                subjectId: keepLinked ? before.subject_id : null,
              },
              sealed,
              identity.proof,
            )
          : undefined;
      const row = await withTransaction(db, async (tx) => {
        let current = await lockIn(tx, id, ['received', 'identity_pending'], 'proven again');
        if (byLink && current.email_index !== before?.email_index) {
          // The address changed since the link was followed: it proves nothing now.
          throw new AppError('conflict', "the request's e-mail address has changed", [
            {
              field: 'proof',
              detail: 'the link was mailed to an address the request no longer gives',
            },
          ]);
        }
        if (
          byLink &&
          current.subject_id !== null &&
          (current.subject_id !== before?.subject_id || !keepLinked)
        ) {
          await repo.update(tx, id, { subject_id: null, updated_at: clock.now() });
          await step(tx, id, actor, 'unlinked', { by: 'email_link' });
          current = { ...current, subject_id: null };
        }
        return recordProof(tx, actor, current, sealed, identity, match);
      });
      return summarise(row);
    },

    /** Links a request to a person staff found (when it came without an address held, say). */
    async linkSubject(actor: Actor, id: string, subjectId: string): Promise<RequestSummary> {
      authorise(actor, 'link a request to a person');
      if (!(await personExists(actor, subjectId))) {
        throw new AppError('not_found', `no subject with id ${subjectId}`, [
          { field: 'subjectId', detail: 'no such person (never there, or erased)' },
        ]);
      }
      const before = await repo.get(db, id);
      if (!before) {
        throw new AppError('not_found', `no request with id ${id}`);
      }
      // A mailed link proves only the address: the request may go to its owner alone, unless a
      // stronger proof (a document, a signed letter, strong e-identification) is recorded.
      const weak = (proof: string | null) => proof === 'email_link';
      const addressOwners = weak(before.identity_proof)
        ? await subjects.matchForRequest(actor, { email: (await openSealed(before)).email })
        : [];
      const row = await withTransaction(db, async (tx) => {
        const current = await lockIn(tx, id, OPEN, 'linked to a person');
        if (
          (weak(current.identity_proof) && !addressOwners.includes(subjectId)) ||
          current.identity_proof !== before.identity_proof
        ) {
          throw new AppError(
            'conflict',
            'the proven address belongs to someone else: record a stronger proof first',
            [
              {
                field: 'subjectId',
                detail:
                  'the proven address belongs to someone else: record a stronger proof first (photo_id, signed_letter or strong_eid)',
              },
            ],
          );
        }
        const now = clock.now();
        const relinked = current.subject_id !== null && current.subject_id !== subjectId;
        await repo.update(tx, id, { subject_id: subjectId, updated_at: now });
        await step(tx, id, actor, relinked ? 'relinked' : 'matched', {
          by: 'staff',
          ...(relinked ? { from: current.subject_id } : {}),
        });
        await audit.record(tx, {
          actor,
          action: 'request.match',
          subjectId,
          data: { request: id, by: 'staff' },
        });
        return { ...current, subject_id: subjectId, updated_at: now };
      });
      return summarise(row);
    },

    /**
     * Extends the time to answer by one or two months from the original due date: only while the
     * request is in progress, before that date has passed, once, with a reason; the person is told.
     */
    async extend(
      actor: Actor,
      id: string,
      input: { months: number; reason: string },
    ): Promise<RequestSummary> {
      authorise(actor, 'extend a request');
      const row = await withTransaction(db, async (tx) => {
        const current = await lockIn(tx, id, ['in_progress'], 'extended');
        if (current.extended) {
          throw new AppError('conflict', 'the request has been extended already', [
            { field: 'state', detail: 'an extension is made once, by 1 or 2 months' },
          ]);
        }
        const now = clock.now();
        const result = extendedDueDate({
          originalDueOn: current.original_due_on as string,
          provenOn: current.identity_proven_at
            ? helsinkiDate(current.identity_proven_at)
            : undefined,
          months: input.months,
          reason: input.reason,
          now,
        });
        if (!result.ok) {
          const { field, detail } = result.refusal;
          throw field === 'state'
            ? new AppError('conflict', detail, [{ field: 'state', detail }])
            : invalid(field, detail);
        }
        const sealed = await openSealed(current);
        sealed.reasons.extend = input.reason.trim();
        await repo.update(tx, id, {
          extended: true,
          due_on: result.dueOn,
          sealed: await reseal(id, sealed),
          updated_at: now,
        });
        await step(tx, id, actor, 'extended', { months: input.months, dueOn: result.dueOn });
        await audit.record(tx, {
          actor,
          action: 'request.extend',
          subjectId: current.subject_id,
          data: { request: id, months: input.months as 1 | 2 },
        });
        const next = { ...current, extended: true, due_on: result.dueOn, updated_at: now };
        await mailPerson(tx, next, sealed, {
          template: 'request-extended',
          data: {
            register: registerName(next.lang as RequestLang),
            type: next.type as RequestType,
            request: id,
            dueOn: result.dueOn,
            reason: sealed.reasons.extend,
          },
        });
        return next;
      });
      return summarise(row);
    },

    /**
     * Refuses a request, with a reason; the person is told it, the supervisory authority of the
     * definition and their right to complain to it.
     */
    async refuse(actor: Actor, id: string, input: { reason: string }): Promise<RequestSummary> {
      authorise(actor, 'refuse a request');
      if (input.reason.trim().length === 0) {
        throw invalid('reason', 'a refusal needs a reason, which the person is told');
      }
      const row = await withTransaction(db, async (tx) => {
        const current = await lockIn(tx, id, OPEN, 'refused');
        const sealed = await openSealed(current);
        sealed.reasons.refuse = input.reason.trim();
        const next = await close(tx, actor, current, 'refused', sealed);
        await mailPerson(tx, next, sealed, {
          template: 'request-refused',
          data: {
            register: registerName(next.lang as RequestLang),
            type: next.type as RequestType,
            request: id,
            reason: sealed.reasons.refuse,
            authority: authority(next.lang as RequestLang),
          },
        });
        return next;
      });
      return summarise(row);
    },

    /** Cancels a request (withdrawn by the person, made twice), with a reason kept sealed. */
    async cancel(actor: Actor, id: string, input: { reason: string }): Promise<RequestSummary> {
      authorise(actor, 'cancel a request');
      if (input.reason.trim().length === 0) {
        throw invalid('reason', 'say why the request is cancelled');
      }
      const row = await withTransaction(db, async (tx) => {
        const current = await lockIn(tx, id, OPEN, 'cancelled');
        const sealed = await openSealed(current);
        sealed.reasons.cancel = input.reason.trim();
        return close(tx, actor, current, 'cancelled', sealed);
      });
      return summarise(row);
    },

    /**
     * Fulfils a request by its type, through the subjects module, and tells the person:
     * access and portability make the copy downloadable for DOWNLOAD_DAYS; rectification applies
     * the changes; erasure erases (what legal holds keep is listed to the person); restriction
     * restricts; lifting a restriction mails the person first, then lifts; objection, consent
     * withdrawal and the direct-marketing prohibition stop processing, with compelling grounds
     * (objection only) told to the person.
     */
    async complete(actor: Actor, id: string, body: CompleteBody = {}): Promise<RequestSummary> {
      authorise(actor, 'complete a request');
      const current = await repo.get(db, id);
      if (!current) {
        throw new AppError('not_found', `no request with id ${id}`);
      }
      if (current.state !== 'in_progress') {
        throw new AppError('conflict', `a request that is ${current.state} cannot be completed`, [
          {
            field: 'state',
            detail: `the request is ${current.state}; expected in_progress (identity proven)`,
          },
        ]);
      }
      const subjectId = current.subject_id;
      if (subjectId === null) {
        throw new AppError('conflict', 'the request is not linked to a person', [
          {
            field: 'subjectId',
            detail: 'link the request to the person first (POST /requests/{id}/subject)',
          },
        ]);
      }
      const type = current.type as RequestType;
      const sealed = await openSealed(current);
      const lang = current.lang as RequestLang;
      const issues = checkCompletion(type, body, sealed);
      if (issues.length > 0) {
        throw invalidAll(issues);
      }
      const fulfil = async (): Promise<RequestSummary> => {
        // Who must be told (Art. 19), listed before the erasure leaves nothing to list it from (a
        // person already erased some other way has nobody left to tell of).
        const recipients = TELL_RECIPIENTS.includes(type)
          ? await ports.recipientsOf(actor, subjectId).then(
              (list) => list.map((r) => r.id),
              (e: unknown) => {
                if (e instanceof AppError && e.code === 'not_found') {
                  return [] as string[];
                }
                throw e;
              },
            )
          : [];
        const now = clock.now();
        const base = { register: registerName(lang), type, request: id };

        switch (type) {
          case 'access':
          case 'portability': {
            const delivery = body.delivery;
            if (delivery !== undefined) {
              // No e-mail address: staff print the copy and post it or hand it over, with the
              // completion letter, which says so; nothing is downloadable in the portal.
              const row = await withTransaction(db, async (tx) => {
                const locked = await lockIn(tx, id, ['in_progress'], 'completed');
                await repo.update(tx, id, { delivery_how: delivery, updated_at: now });
                const next = await close(
                  tx,
                  actor,
                  { ...locked, delivery_how: delivery },
                  'completed',
                  sealed,
                  { data: { delivery } },
                );
                await mailPerson(tx, next, sealed, {
                  template: 'request-completed',
                  data: { ...base, delivery },
                });
                return next;
              });
              return summarise(row);
            }
            const until = new Date(now.getTime() + DOWNLOAD_DAYS * 86_400_000);
            const row = await withTransaction(db, async (tx) => {
              const locked = await lockIn(tx, id, ['in_progress'], 'completed');
              const next = await close(tx, actor, locked, 'completed', sealed, {
                download_until: until,
                data: { downloadUntil: until.toISOString() },
              });
              await mailPerson(tx, next, sealed, {
                template: 'request-completed',
                data: { ...base, downloadUntil: helsinkiDate(until) },
              });
              return next;
            });
            return summarise(row);
          }
          case 'rectification': {
            const changes = body.changes ?? sealed.changes;
            const values: Record<string, Record<string, unknown>> = {};
            for (const c of changes) {
              (values[c.category] ??= {})[c.field] = c.value;
            }
            await subjects.updateSubject(actor, subjectId, {
              purpose: body.purpose as string,
              source: body.source as string,
              reason: `rectification request ${id}`,
              values,
            });
            const changed = changes.map((c) => `${c.category}.${c.field}`);
            return finish(actor, id, sealed, { changed, recipients }, { ...base, changed });
          }
          case 'erasure': {
            // A person already erased some other way (by staff, by another request) is done: the
            // request completes and the person is told.
            const erased = await subjects
              .eraseSubject(actor, subjectId, 'request')
              .catch((e: unknown) => {
                if (e instanceof AppError && e.code === 'not_found') {
                  return { held: [] };
                }
                throw e;
              });
            const held = heldOf(erased);
            // The person's key is gone: the mail is sealed under the server's key, not theirs.
            const done = await finish(
              actor,
              id,
              sealed,
              {
                recipients,
                held: held.map((h) => h.hold),
                // What each hold keeps and until when, for the request's page: hold ids, laws,
                // category ids and dates, nothing of the person's values.
                holds: held.map((h) => ({
                  hold: h.hold,
                  law: h.law,
                  purpose: h.purpose,
                  categories: h.categories,
                  until: h.until,
                })),
              },
              {
                ...base,
                held: held.map((h) => ({
                  law: h.law,
                  categories: h.categories.map((c) => register.category(c)?.label?.[lang] ?? c),
                  until: h.until,
                })),
              },
              false,
            );
            // The completion mail is queued: now every request of the person loses its personal data.
            await shredRequestsOf(subjectId, 'erasure');
            return done;
          }
          case 'restriction': {
            await subjects.setRestriction(
              actor,
              subjectId,
              body.reason?.trim() || sealed.details || `restriction request ${id}`,
            );
            return finish(actor, id, sealed, { recipients }, base);
          }
          case 'restriction_lift': {
            // Art. 18(3): the person is told before the restriction is lifted.
            await withTransaction(db, async (tx) => {
              await lockIn(tx, id, ['in_progress'], 'completed');
              await mailPerson(tx, current, sealed, {
                template: 'restriction-lift-notice',
                data: base,
              });
              await step(tx, id, actor, 'told_before_lifting');
            });
            await subjects.setRestriction(actor, subjectId, null);
            return finish(actor, id, sealed, {}, undefined);
          }
          case 'objection':
          case 'consent_withdrawal':
          case 'marketing_prohibition': {
            const grounds = type === 'objection' ? (body.compellingGrounds ?? []) : [];
            const result = await ports.stopProcessing(actor, subjectId, {
              reason: type,
              request: id,
              ...(body.purposes ? { purposes: body.purposes } : {}),
              ...(grounds.length > 0 ? { compellingGrounds: grounds } : {}),
            });
            sealed.compellingGrounds = grounds;
            const label = (p: string) => def.purposes.find((x) => x.id === p)?.label[lang] ?? p;
            return finish(
              actor,
              id,
              sealed,
              { stopped: result.stopped, continued: result.continued.map((c) => c.purpose) },
              {
                ...base,
                stopped: result.stopped.map(label),
                continued: result.continued.map((c) => ({
                  purpose: label(c.purpose),
                  grounds: grounds.find((g) => g.purpose === c.purpose)?.reason ?? '',
                })),
              },
            );
          }
        }
      };
      // One completion at a time: the fulfilment above commits through the subjects module in
      // transactions of its own, so a second handler must not start it again meanwhile.
      const claimedAt = clock.now();
      if (!(await repo.claim(db, id, claimedAt, new Date(claimedAt.getTime() - CLAIM_LAPSE_MS)))) {
        throw new AppError('conflict', 'someone else is completing this request', [
          {
            field: 'state',
            detail: 'another completion of this request is under way or has just ended; reload it',
          },
        ]);
      }
      try {
        return await fulfil();
      } catch (e) {
        // The claim goes back, so the request can be completed once what failed is put right.
        await repo.release(db, id).catch(() => undefined);
        throw e;
      }
    },

    /**
     * Completes a rectification whose every change the person made themselves in the portal
     * (self-editable fields, already written with history by the subjects module): nothing is
     * applied again; the request closes and the person is told, as any completion.
     */
    async closeSelfRectified(
      actor: Actor,
      id: string,
      input: { changes: readonly RequestedChange[] },
    ): Promise<RequestSummary> {
      authorise(actor, 'complete a request');
      const current = await repo.get(db, id);
      if (!current) {
        throw new AppError('not_found', `no request with id ${id}`);
      }
      if (current.type !== 'rectification' || current.subject_id === null) {
        throw new AppError('conflict', 'only a linked rectification request closes this way', [
          { field: 'type', detail: `the request is ${current.type}` },
        ]);
      }
      const sealed = await openSealed(current);
      const lang = current.lang as RequestLang;
      const changed = input.changes.map((c) => `${c.category}.${c.field}`);
      const recipients = (await ports.recipientsOf(actor, current.subject_id)).map((r) => r.id);
      return finish(
        actor,
        id,
        sealed,
        { changed, recipients, selfApplied: true },
        { register: registerName(lang), type: 'rectification', request: id, changed },
      );
    },

    /** Records when and how a recipient of the person's data was told (Art. 19). */
    async recordRecipientTold(
      actor: Actor,
      id: string,
      recipientId: string,
      input: { how: ToldHow; at?: Date | undefined },
    ): Promise<RequestView> {
      authorise(actor, 'record a recipient told');
      const issues: FieldIssue[] = [];
      if (!def.recipients.some((r) => r.id === recipientId)) {
        issues.push({
          field: 'recipientId',
          detail: `no recipient "${recipientId}" in the register definition`,
        });
      }
      if (!(TOLD_HOW as readonly string[]).includes(input.how)) {
        issues.push({ field: 'how', detail: `expected one of ${TOLD_HOW.join(', ')}` });
      }
      const now = clock.now();
      const at = input.at ?? now;
      if (at.getTime() > now.getTime() + 60_000) {
        issues.push({ field: 'at', detail: 'not in the future' });
      }
      if (issues.length > 0) {
        throw invalidAll(issues);
      }
      await withTransaction(db, async (tx) => {
        const current = await lockIn(
          tx,
          id,
          ['in_progress', 'completed'],
          'updated with a recipient told',
        );
        if (!TELL_RECIPIENTS.includes(current.type as RequestType)) {
          throw new AppError(
            'conflict',
            `recipients are told of ${TELL_RECIPIENTS.join(', ')} only`,
            [
              {
                field: 'recipientId',
                detail: `a ${current.type} request is not told to recipients`,
              },
            ],
          );
        }
        await repo.upsertRecipient(tx, {
          requestId: id,
          recipientId,
          toldAt: at,
          how: input.how,
          recordedBy: actorLabel(actor),
          at: now,
        });
        await step(tx, id, actor, 'recipient_told', { recipient: recipientId, how: input.how });
        await audit.record(tx, {
          actor,
          action: 'request.recipient_told',
          subjectId: current.subject_id,
          data: { request: id, recipient: recipientId, how: input.how },
        });
      });
      return service.get(actor, id);
    },

    /** A page of requests, the most pressing first; no personal data. */
    async list(actor: Actor, filter: RequestFilterInput = {}): Promise<RequestSummary[]> {
      authorise(actor, 'list requests');
      const rows = await repo.list(db, {
        states: filter.states,
        type: filter.type,
        subjectId: filter.subjectId,
        limit: Math.min(Math.max(filter.limit ?? 50, 1), 500),
        offset: Math.max(filter.offset ?? 0, 0),
      });
      const now = clock.now();
      const waiting = await repo.waitingCounts(
        db,
        rows.map((r) => r.id),
      );
      return rows.map((r) => present(r, now, waiting.get(r.id) ?? 0));
    },

    /** One request, opened, with its history; the read is access-logged. */
    async get(actor: Actor, id: string): Promise<RequestView> {
      authorise(actor, 'read a request');
      const row = await repo.get(db, id);
      if (!row) {
        throw new AppError('not_found', `no request with id ${id}`);
      }
      const [sealed, events, told, letterRows] = await Promise.all([
        openOrShredded(row),
        repo.events(db, id),
        repo.recipients(db, id),
        repo.letters(db, id),
      ]);
      const letters = await Promise.all(letterRows.map(letterView));
      await audit.log({
        actor,
        action: 'request.read',
        subjectId: row.subject_id,
        data: { request: id },
      });
      return {
        ...present(
          row,
          clock.now(),
          letters.filter((l) => l.sent === null && l.closed === null).length,
        ),
        contact: {
          email: sealed.email,
          phone: sealed.phone,
          name: sealed.name,
          address: sealed.address ?? null,
        },
        details: sealed.details,
        changes: sealed.changes,
        reasons: sealed.reasons,
        compellingGrounds: sealed.compellingGrounds,
        identity: {
          proof: row.identity_proof as IdentityProof | null,
          documentType: row.identity_document as RequestView['identity']['documentType'],
          checkedBy: row.identity_checked_by,
          accepted: acceptedProofs(row.type as RequestType, row.channel as RequestChannel),
        },
        downloadUntil: row.download_until?.toISOString() ?? null,
        events: events.map((e) => ({
          seq: e.seq,
          at: e.at.toISOString(),
          step: e.step,
          actor: e.actor,
          data: e.data,
        })),
        recipients: told.map((t) => ({
          recipientId: t.recipient_id,
          toldAt: t.told_at.toISOString(),
          how: t.how as ToldHow,
          recordedBy: t.recorded_by,
        })),
        letters,
        delivery: row.delivery_how
          ? {
              how: row.delivery_how as DeliveryHow,
              delivered:
                row.delivered_how && row.delivered_on && row.delivered_by
                  ? {
                      how: row.delivered_how as DeliveryHow,
                      on: row.delivered_on,
                      by: row.delivered_by,
                    }
                  : null,
            }
          : null,
      };
    },

    /**
     * Records that a letter was sent (posted, handed over) or its content told by phone, on a
     * date (today when not given; not in the future, not before the letter was due): a step in
     * the request's history and the access log. A letter is marked once.
     */
    async markLetterSent(
      actor: Actor,
      id: string,
      letterId: string,
      input: { how?: LetterHow | undefined; on?: string | undefined },
    ): Promise<RequestView> {
      authorise(actor, 'record a letter sent');
      const issues: FieldIssue[] = [];
      if (input.how === undefined || !(LETTER_HOW as readonly string[]).includes(input.how)) {
        issues.push({
          field: 'how',
          detail: `how the person was told: one of ${LETTER_HOW.join(', ')}`,
        });
      }
      const today = helsinkiDate(clock.now());
      const on = input.on ?? today;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(on) || Number.isNaN(Date.parse(`${on}T00:00:00Z`))) {
        issues.push({ field: 'on', detail: 'expected a date, YYYY-MM-DD' });
      } else if (on > today) {
        issues.push({ field: 'on', detail: 'not in the future' });
      }
      if (issues.length > 0) {
        throw invalidAll(issues);
      }
      const how = input.how as LetterHow;
      let sealedWith = '';
      await withTransaction(db, async (tx) => {
        const current = await repo.get(tx, id, true);
        if (!current) {
          throw new AppError('not_found', `no request with id ${id}`);
        }
        const letter = await repo.letter(tx, letterId, true);
        if (!letter || letter.request_id !== id) {
          throw new AppError('not_found', `no letter ${letterId} for request ${id}`, [
            { field: 'letterId', detail: 'no such letter for this request' },
          ]);
        }
        sealedWith = letter.sealed_with;
        if (letter.sent_how !== null) {
          throw new AppError('conflict', 'the letter has been marked sent already', [
            {
              field: 'letterId',
              detail: `marked sent (${letter.sent_how}) on ${letter.sent_on ?? ''} already`,
            },
          ]);
        }
        if (letter.closed_why !== null) {
          throw new AppError('conflict', 'the letter is closed: its text is gone', [
            {
              field: 'letterId',
              detail:
                letter.closed_why === 'shredded'
                  ? "closed: the request's data was shredded"
                  : `closed: not sent within ${LETTER_KEEP_DAYS} days`,
            },
          ]);
        }
        if (how === 'post' && !letter.has_address) {
          throw invalid(
            'address',
            'the request gives no postal address: correct the address first, or tell the person another way (handed_over, phone)',
          );
        }
        if (on < helsinkiDate(letter.due_at)) {
          throw invalid('on', `not before the letter was due (${helsinkiDate(letter.due_at)})`);
        }
        await sendLetter(tx, actor, current, letter, how, on);
        if (
          letter.template === 'request-extended' &&
          current.original_due_on !== null &&
          on > current.original_due_on
        ) {
          await voidExtension(tx, actor, current, 'told_late');
        }
      });
      if (sealedWith === 'letter') {
        await eraseLetterKeys([letterId]);
      }
      return service.get(actor, id);
    },

    /**
     * The access copy of a completed access or portability request that gives no e-mail address,
     * for staff to print and post or hand over: the ZIP, or its readable PDF alone. Only once the
     * request is completed (so the identity is proven and the person linked), and until the
     * delivery is recorded. The export is access-logged by the subjects module; the disclosure
     * itself is `request.package` in the access log and a step in the request's history.
     */
    async deliveryPackage(
      actor: Actor,
      id: string,
      format: 'zip' | 'pdf',
    ): Promise<{ body: Buffer; filename: string; contentType: string }> {
      authorise(actor, 'print an access copy');
      if (format !== 'zip' && format !== 'pdf') {
        throw invalid('format', 'expected zip or pdf');
      }
      const row = await repo.get(db, id);
      if (!row) {
        throw new AppError('not_found', `no request with id ${id}`);
      }
      const type = row.type as RequestType;
      if (type !== 'access' && type !== 'portability') {
        throw new AppError('conflict', 'only an access or portability request has a copy', [
          { field: 'type', detail: `the request is ${type}` },
        ]);
      }
      if (row.state !== 'completed' || row.delivery_how === null || row.subject_id === null) {
        throw new AppError('conflict', 'the copy is printed once the request is completed', [
          {
            field: 'delivery',
            detail:
              row.state === 'completed'
                ? 'the copy of this request is downloaded through the link the portal mails'
                : `the request is ${row.state}: complete it with a delivery (post or handed_over) first`,
          },
        ]);
      }
      if (row.delivered_how !== null) {
        throw new AppError('conflict', 'the copy has been delivered already', [
          {
            field: 'delivery',
            detail: `delivered (${row.delivered_how}) on ${row.delivered_on ?? ''} already`,
          },
        ]);
      }
      const build = format === 'zip' ? ports.buildAccessPackage : ports.buildAccessPdf;
      if (!build) {
        throw new AppError('conflict', 'this server cannot build a printed copy', [
          { field: 'format', detail: 'no access package builder in this build' },
        ]);
      }
      const lang = row.lang as RequestLang;
      const subjectId = row.subject_id;
      const copy = await subjects.exportSubject(actor, subjectId, lang);
      const portability = type === 'portability';
      const body = await build(copy, register, lang, { portability });
      await withTransaction(db, async (tx) => {
        await step(tx, id, actor, 'package', { format });
        await audit.record(tx, {
          actor,
          action: 'request.package',
          subjectId,
          data: { request: id, kind: portability ? 'portability' : 'access', format },
        });
      });
      const day = helsinkiDate(clock.now());
      return {
        body,
        filename: `${portability ? 'portability' : 'access-copy'}-${day}.${format}`,
        contentType: format === 'zip' ? 'application/zip' : 'application/pdf',
      };
    },

    /**
     * Records that the printed copy reached the person (posted, handed over), on a day (today when
     * not given; not in the future, not before the completion): a step in the history and the
     * access log. The completion letter, enclosed with it, is marked sent the same way. Once.
     */
    async recordDelivery(
      actor: Actor,
      id: string,
      input: { how?: DeliveryHow | undefined; on?: string | undefined },
    ): Promise<RequestView> {
      authorise(actor, 'record a delivery');
      const issues: FieldIssue[] = [];
      if (input.how === undefined || !(DELIVERY_HOW as readonly string[]).includes(input.how)) {
        issues.push({
          field: 'how',
          detail: `how the copy reached the person: one of ${DELIVERY_HOW.join(', ')}`,
        });
      }
      const { on, issue } = dayOf(input.on);
      if (issue) {
        issues.push(issue);
      }
      if (issues.length > 0) {
        throw invalidAll(issues);
      }
      const how = input.how as DeliveryHow;
      const before = await repo.get(db, id);
      const sealed = before ? await openOrShredded(before) : emptySealed();
      const ownKeys: string[] = [];
      await withTransaction(db, async (tx) => {
        const current = await repo.get(tx, id, true);
        if (!current) {
          throw new AppError('not_found', `no request with id ${id}`);
        }
        if (current.state !== 'completed' || current.delivery_how === null) {
          throw new AppError('conflict', 'nothing to deliver: no printed copy for this request', [
            {
              field: 'delivery',
              detail: `the request is ${current.state}; a completed access or portability request without e-mail is delivered`,
            },
          ]);
        }
        if (current.delivered_how !== null) {
          throw new AppError('conflict', 'the copy has been delivered already', [
            {
              field: 'delivery',
              detail: `delivered (${current.delivered_how}) on ${current.delivered_on ?? ''} already`,
            },
          ]);
        }
        if (how === 'post' && !sealed.address) {
          throw invalid(
            'address',
            'the request gives no postal address: correct the address first, or hand the copy over',
          );
        }
        if (current.closed_at && on < helsinkiDate(current.closed_at)) {
          throw invalid(
            'on',
            `not before the request was completed (${helsinkiDate(current.closed_at)})`,
          );
        }
        const marked = await repo.markDelivered(tx, id, {
          how,
          on,
          by: actorLabel(actor),
          at: clock.now(),
        });
        if (!marked) {
          throw new AppError('conflict', 'the copy has been delivered already', [
            { field: 'delivery', detail: 'delivered already' },
          ]);
        }
        await step(tx, id, actor, 'delivered', { how, on });
        await audit.record(tx, {
          actor,
          action: 'request.delivered',
          subjectId: current.subject_id,
          data: { request: id, how },
        });
        // The completion letter went with the copy.
        for (const letter of await repo.letters(tx, id)) {
          if (
            letter.template === 'request-completed' &&
            letter.sent_how === null &&
            letter.closed_why === null
          ) {
            await sendLetter(tx, actor, current, letter, how, on);
            if (letter.sealed_with === 'letter') {
              ownKeys.push(letter.id);
            }
          }
        }
      });
      await eraseLetterKeys(ownKeys);
      return service.get(actor, id);
    },

    /**
     * Corrects the contact details a request gives: its e-mail address (while the request is
     * open) and its postal address (letters still waiting are readdressed). Nothing of a
     * completed request is readdressed (its copy and completion went where they were proven to
     * go). A new e-mail address voids whatever rested on the old one: unused verification and
     * download links end; a proof by mailed link is cleared, the person linked on it unlinked and
     * the request waits for its identity again (the clock stops), a fresh verification link
     * mailed to the new address; the old address is told it was changed, nothing more. The
     * history and the access log name the fields changed, never their values.
     */
    async correctContact(
      actor: Actor,
      id: string,
      input: { email?: string | undefined; address?: PostalAddress | undefined },
    ): Promise<RequestView> {
      authorise(actor, "correct a request's contact details");
      const issues: FieldIssue[] = [];
      if (input.email === undefined && input.address === undefined) {
        issues.push({ field: 'email', detail: 'give an e-mail address or a postal address' });
      }
      const email = input.email === undefined ? undefined : normaliseEmail(input.email);
      if (input.email !== undefined && !email) {
        issues.push({ field: 'email', detail: 'expected an e-mail address' });
      }
      let address: PostalAddress | undefined;
      if (input.address !== undefined) {
        const parsed = postalAddressSchema.safeParse(input.address);
        if (parsed.success) {
          address = parsed.data;
        } else {
          for (const issue of parsed.error.issues) {
            issues.push({
              field: ['address', ...issue.path.map(String)].join('.'),
              detail: issue.message,
            });
          }
        }
      }
      if (issues.length > 0) {
        throw invalidAll(issues);
      }
      const fields = [
        ...(input.email !== undefined ? (['email'] as const) : []),
        ...(address !== undefined ? (['address'] as const) : []),
      ];
      await withTransaction(db, async (tx) => {
        const current = await repo.get(tx, id, true);
        if (!current) {
          throw new AppError('not_found', `no request with id ${id}`);
        }
        if (current.state === 'completed') {
          const field = fields[0] ?? 'email';
          throw new AppError(
            'conflict',
            `the ${field === 'email' ? 'e-mail' : 'postal'} address of a completed request stays as it was`,
            fields.map((f) => ({
              field: f,
              detail:
                current.delivery_how !== null && current.delivered_how === null
                  ? 'the request is completed and its copy is waiting for delivery to the address it was completed for; refuse or hand it over there'
                  : 'the request is completed; its answer went to the address it had',
            })),
          );
        }
        if (input.email !== undefined && !OPEN.includes(current.state as RequestState)) {
          throw new AppError('conflict', 'the e-mail address of a closed request stays as it was', [
            {
              field: 'email',
              detail: `the request is ${current.state}; an e-mail address is recorded while it is open`,
            },
          ]);
        }
        if (!(await keys.get(id))) {
          throw new AppError('conflict', "the request's data has been shredded", [
            { field: fields[0] ?? 'email', detail: "the request's data has been shredded" },
          ]);
        }
        const sealed = await openSealed(current);
        const oldEmail = sealed.email;
        const emailChanged =
          email !== undefined &&
          (oldEmail === null || normaliseEmail(oldEmail) !== email || current.email_index === null);
        if (input.email !== undefined) {
          sealed.email = cleanEmail(input.email);
        }
        if (address !== undefined) {
          sealed.address = address;
        }
        const now = clock.now();
        const voided = emailChanged && current.identity_proof === 'email_link';
        let waitingLink = false;
        if (emailChanged) {
          // Every link mailed to the old address ends with it.
          waitingLink = (await tokensRepo.revoke(tx, id, 'verify', now)) > 0;
          await tokensRepo.revoke(tx, id, 'download', now);
        }
        await repo.update(tx, id, {
          sealed: await reseal(id, sealed),
          ...(email ? { email_index: vault.emailIndex(email) ?? null } : {}),
          ...(voided
            ? {
                state: 'identity_pending',
                identity_proof: null,
                identity_document: null,
                identity_checked_by: null,
                identity_proven_at: null,
                due_on: null,
                original_due_on: null,
                extended: false,
                subject_id: null,
              }
            : {}),
          updated_at: now,
        });
        if (address !== undefined) {
          for (const letter of await repo.letters(tx, id)) {
            if (letter.sent_how !== null || letter.closed_why !== null) {
              continue;
            }
            const content = await openLetter(letter);
            if (!content) {
              continue;
            }
            content.to = { name: content.to.name, address };
            await repo.resealLetter(tx, letter.id, {
              sealed: await resealLetterContent(letter, content),
              has_address: true,
            });
          }
        }
        await step(tx, id, actor, 'contact_corrected', { fields: [...fields] });
        await audit.record(tx, {
          actor,
          action: 'request.contact',
          subjectId: current.subject_id,
          data: { request: id, fields: [...fields] },
        });
        if (voided) {
          // The proof was the old address's: nothing proven remains, nor the person found by it.
          await step(tx, id, actor, 'identity_voided', {
            proof: 'email_link',
            unlinked: current.subject_id !== null,
          });
          await step(tx, id, actor, 'identity_pending');
        }
        if (emailChanged && sealed.email && (voided || waitingLink)) {
          const { token, hash } = newToken();
          await tokensRepo.insert(tx, {
            tokenHash: hash,
            requestId: id,
            kind: 'verify',
            createdAt: now,
            expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS.verify),
          });
          await mail.sendMail(
            {
              to: sealed.email,
              locale: current.lang as RequestLang,
              template: 'request-verify',
              data: {
                register: registerName(current.lang as RequestLang),
                type: current.type,
                link: `${publicUrl}/requests/verify#token=${token}`,
              },
            },
            { db: tx },
          );
        }
        if (emailChanged && oldEmail) {
          await mail.sendMail(
            {
              to: oldEmail,
              locale: current.lang as RequestLang,
              template: 'request-address-changed',
              data: { register: registerName(current.lang as RequestLang) },
            },
            { db: tx },
          );
        }
      });
      return service.get(actor, id);
    },

    /**
     * Daily care of letters: waiting letters of requests whose data was shredded are closed;
     * letters waiting over LETTER_KEEP_DAYS are closed, their text dropped and their own keys
     * destroyed; letters sealed under the server's secret before 0024 are sealed under keys of
     * their own. Answers how many of each.
     */
    async tidyLetters(): Promise<{
      shredded: number;
      expired: number;
      resealed: number;
      extensionsVoided: number;
    }> {
      const now = clock.now();
      // Extensions whose letter was not sent by the original due date are void.
      let extensionsVoided = 0;
      for (const id of await repo.extensionsUntold(db, helsinkiDate(now))) {
        await withTransaction(db, async (tx) => {
          const row = await repo.get(tx, id, true);
          if (row?.extended && row.original_due_on !== null) {
            await voidExtension(tx, system, row, 'not_told');
            extensionsVoided++;
          }
        });
      }
      const shreddedIds = await repo.waitingOfShredded(db);
      const shredded = await withTransaction(db, (tx) =>
        repo.closeLetters(tx, { ids: shreddedIds }, 'shredded', now),
      );
      // A completion letter waiting with a printed copy still to deliver stays: it goes with it.
      const old = await repo.waitingSince(
        db,
        new Date(now.getTime() - LETTER_KEEP_DAYS * 86_400_000),
      );
      const expired = await withTransaction(db, (tx) =>
        repo.closeLetters(tx, { ids: old }, 'expired', now),
      );
      await eraseLetterKeys(
        [...shredded, ...expired].filter((l) => l.sealed_with === 'letter').map((l) => l.id),
      );
      let resealed = 0;
      for (const l of await repo.serverSealed(db)) {
        const plain = vault.openSecret(letterAad(l.id), l.sealed);
        const bytes = await sealUnderOwnKey(l.id, plain.toString('utf8'));
        plain.fill(0);
        await repo.resealLetter(db, l.id, { sealed: bytes, sealed_with: 'letter' });
        resealed++;
      }
      return { shredded: shredded.length, expired: expired.length, resealed, extensionsVoided };
    },

    /**
     * The person's own requests for their access copy (Art. 15): every request linked to them,
     * oldest first, with the steps a person sees. Not shown: who handled it (staff names, the
     * identity checker), the identity document checked, the changes asked for (applied ones are in
     * the copy's history), a cancellation's or completion's note (staff's words, never mailed),
     * what staff wrote down of a request that came by e-mail, letter, phone or in person, the
     * matching and linking of the person, and the recipients told. Shown: the contact details the
     * request was made with, what the person wrote in the portal, and the reasons for a refusal
     * and an extension (the person was mailed them). Called by the subjects module's export, which
     * has authorised and logged it; a request whose data was shredded lists its dates only.
     */
    async requestsForCopy(subjectId: string): Promise<AccessCopyRequest[]> {
      const rows = await repo.list(db, {
        states: REQUEST_STATES,
        subjectId,
        limit: 10_000,
        offset: 0,
      });
      rows.sort(
        (a, b) => a.received_at.getTime() - b.received_at.getTime() || a.id.localeCompare(b.id),
      );
      const out: AccessCopyRequest[] = [];
      for (const row of rows) {
        const [sealed, events] = await Promise.all([openOrShredded(row), repo.events(db, row.id)]);
        // Until the identity is proven, what the request was made with may be someone else's (a
        // caller in the person's name, linked by staff): their contact details and words, and a
        // refusal mailed to them, are not the person's to read (Art. 15(4)). The request is listed.
        const proven = row.identity_proven_at !== null;
        const reasons: AccessCopyRequest['reasons'] = {};
        if (proven && sealed.reasons.refuse !== undefined) {
          reasons.refuse = sealed.reasons.refuse;
        }
        if (proven && sealed.reasons.extend !== undefined) {
          reasons.extend = sealed.reasons.extend;
        }
        out.push({
          id: row.id,
          type: row.type as RequestType,
          channel: row.channel as RequestChannel,
          receivedAt: row.received_at.toISOString(),
          identityProvenAt: row.identity_proven_at?.toISOString() ?? null,
          dueOn: row.due_on,
          originalDueOn: row.original_due_on,
          extended: row.extended,
          state: row.state,
          closedAt: row.closed_at?.toISOString() ?? null,
          contact: proven
            ? {
                email: sealed.email,
                phone: sealed.phone,
                name: sealed.name,
                address: sealed.address ?? null,
              }
            : { email: null, phone: null, name: null, address: null },
          details: proven && row.channel === 'portal' ? sealed.details : null,
          reasons,
          history: events
            .filter((e) => PERSON_STEPS.has(e.step))
            .map((e) => ({
              step: e.step,
              at: e.at.toISOString(),
              ...(typeof e.data.dueOn === 'string' ? { dueOn: e.data.dueOn } : {}),
            })),
        });
      }
      return out;
    },

    /**
     * The handlers' digest: open requests overdue and due within DIGEST_DAYS (Helsinki dates),
     * ids, types and due dates only. Mailed to each staff member who handles requests (an active
     * account with an e-mail address whose role has `handle_requests`), in their language (Finnish
     * when not known); only when there is no such member, to the definition's privacy address.
     * Nothing is sent when nothing is due. Answers what was found.
     */
    async sendDigest(): Promise<{
      overdue: number;
      dueSoon: number;
      letters: number;
      sentTo: number;
    }> {
      const now = clock.now();
      const today = helsinkiDate(now);
      const rows = await repo.dueBy(db, addDays(today, DIGEST_DAYS));
      const item = (r: (typeof rows)[number]) => ({
        request: r.id,
        type: r.type as RequestType,
        dueOn: r.due_on,
      });
      const overdue = rows.filter((r) => r.due_on < today).map(item);
      const dueSoon = rows.filter((r) => r.due_on >= today).map(item);
      const letters = (await repo.waitingLetters(db)).map((l) => ({
        request: l.request_id,
        template: l.template,
        dueOn: helsinkiDate(l.due_at),
      }));
      if (overdue.length + dueSoon.length + letters.length === 0) {
        return { overdue: 0, dueSoon: 0, letters: 0, sentTo: 0 };
      }
      const to = await digestRecipients();
      for (const { email: address, lang } of to) {
        await mail.sendMail({
          to: address,
          template: 'requests-digest',
          locale: lang,
          data: { register: registerName(lang), today, overdue, dueSoon, letters },
        });
      }
      return {
        overdue: overdue.length,
        dueSoon: dueSoon.length,
        letters: letters.length,
        sentTo: to.length,
      };
    },
  };

  /**
   * Where the handlers' digest goes: each member who handles requests, in their language; when
   * there is none, the privacy address requests come to, else the DPO's, else the controller's.
   */
  const digestRecipients = async (): Promise<Array<{ email: string; lang: RequestLang }>> => {
    const seen = new Set<string>();
    const handlers = (deps.handlers ? await deps.handlers() : []).filter((h) => {
      const fresh = !seen.has(h.email);
      seen.add(h.email);
      return fresh;
    });
    if (handlers.length > 0) {
      return handlers.map((h) => ({ email: h.email, lang: h.lang ?? DIGEST_FALLBACK_LANG }));
    }
    const channel = def.rights.channels.find((c) => c.kind === 'email' && c.email)?.email;
    const address = channel ?? appointedDpo(def.controller)?.email ?? def.controller.email;
    return [{ email: address, lang: DIGEST_FALLBACK_LANG }];
  };

  /** Completes a request after its action on the person: closes it and mails the person. */
  async function finish(
    actor: Actor,
    id: string,
    sealed: RequestSealed,
    data: Record<string, unknown>,
    mailData: Parameters<typeof completedMail>[0] | undefined,
    tied = true,
  ): Promise<RequestSummary> {
    const row = await withTransaction(db, async (tx) => {
      const locked = await lockIn(tx, id, ['in_progress'], 'completed');
      const next = await close(tx, actor, locked, 'completed', sealed, { data });
      if (mailData) {
        await mailPerson(tx, next, sealed, completedMail(mailData), tied);
      }
      return next;
    });
    return summarise(row);
  }

  /**
   * How an access copy reaches the person: the portal's download link when the request gives an
   * e-mail address (no delivery then); otherwise printed and posted to its postal address, or
   * handed over. Without either, completion is refused naming `delivery` and `email`.
   */
  function checkDelivery(delivery: string | undefined, sealed: RequestSealed): FieldIssue[] {
    if (sealed.email) {
      return delivery === undefined
        ? []
        : [
            {
              field: 'delivery',
              detail:
                'the request gives an e-mail address: the copy is downloaded through the link the portal mails',
            },
          ];
    }
    if (delivery === undefined) {
      return [
        {
          field: 'delivery',
          detail:
            'the request gives no e-mail address for the download link: say how the printed copy reaches the person (post or handed_over)',
        },
        {
          field: 'email',
          detail:
            "or record the person's e-mail address for the request first (POST /requests/{id}/contact), and the portal's download link is used",
        },
      ];
    }
    if (!(DELIVERY_HOW as readonly string[]).includes(delivery)) {
      return [{ field: 'delivery', detail: `expected one of ${DELIVERY_HOW.join(', ')}` }];
    }
    if (delivery === 'post' && !sealed.address) {
      return [
        {
          field: 'address',
          detail:
            'the request gives no postal address to post the copy to: correct the address first (POST /requests/{id}/contact), or hand it over',
        },
      ];
    }
    return [];
  }

  function checkCompletion(
    type: RequestType,
    body: CompleteBody,
    sealed: RequestSealed,
  ): FieldIssue[] {
    const issues: FieldIssue[] = [];
    const allowed: Record<RequestType, ReadonlyArray<keyof CompleteBody>> = {
      access: ['delivery'],
      portability: ['delivery'],
      rectification: ['purpose', 'source', 'changes'],
      erasure: [],
      restriction: ['reason'],
      restriction_lift: [],
      objection: ['purposes', 'compellingGrounds'],
      consent_withdrawal: ['purposes'],
      marketing_prohibition: [],
    };
    for (const key of Object.keys(body) as Array<keyof CompleteBody>) {
      if (body[key] !== undefined && !allowed[type].includes(key)) {
        issues.push({
          field: key,
          detail:
            key === 'compellingGrounds' && type === 'marketing_prohibition'
              ? 'an objection to direct marketing is absolute: no grounds override it'
              : `not used in completing a ${type} request`,
        });
      }
    }
    if (type === 'access' || type === 'portability') {
      issues.push(...checkDelivery(body.delivery, sealed));
    }
    if (type === 'rectification') {
      if (!body.purpose || !register.purpose(body.purpose)) {
        issues.push({ field: 'purpose', detail: 'the purpose the rectified values are held for' });
      }
      if (!body.source || !register.source(body.source)) {
        issues.push({ field: 'source', detail: 'a source id of the register definition' });
      }
      const changes = body.changes ?? sealed.changes;
      if (changes.length === 0) {
        issues.push({ field: 'changes', detail: 'give the changes to apply' });
      }
      changes.forEach((c, i) => {
        if (!register.field(c.category, c.field)) {
          issues.push({
            field: `changes[${i}].field`,
            detail: `no field "${c.category}.${c.field}" in the register definition`,
          });
        }
      });
    }
    for (const [i, p] of (body.purposes ?? []).entries()) {
      if (!register.purpose(p)) {
        issues.push({ field: `purposes[${i}]`, detail: `unknown purpose "${p}"` });
      }
    }
    for (const [i, g] of (body.compellingGrounds ?? []).entries()) {
      if (!register.purpose(g.purpose)) {
        issues.push({
          field: `compellingGrounds[${i}].purpose`,
          detail: `unknown purpose "${g.purpose}"`,
        });
      }
      if (g.reason.trim().length === 0) {
        issues.push({
          field: `compellingGrounds[${i}].reason`,
          detail: 'the grounds, which the person is told',
        });
      }
    }
    return issues;
  }

  /**
   * Shreds the data of requests linked to people erased some other way (by staff, say): the
   * subjects module says who still exists. Answers how many requests were shredded.
   */
  const shredRequestsOfErased = async (): Promise<{ requests: number }> => {
    const linked = await repo.linkedUnshredded(db);
    const live = new Set(await subjects.existing(system, linked));
    let n = 0;
    for (const subjectId of linked.filter((x) => !live.has(x))) {
      n += await shredRequestsOf(subjectId, 'subject_erased');
    }
    return { requests: n };
  };

  const shredSchedule = defineSchedule({
    name: 'requests.shred-erased',
    everySeconds: 86_400,
    describe: 'shredding the requests of erased people',
    handler: async (ctx) => {
      const result = await shredRequestsOfErased();
      if (result.requests > 0) {
        ctx.log.info(result, 'shredded the requests of erased people');
      }
    },
  });

  const digest = defineSchedule({
    name: 'requests.digest',
    everySeconds: 86_400,
    describe: "mailing the request handlers' digest of requests due",
    handler: async (ctx) => {
      const result = await service.sendDigest();
      if (result.sentTo > 0) {
        ctx.log.info(result, 'mailed the request digest');
      }
    },
  });

  const lettersSchedule = defineSchedule({
    name: 'requests.letters',
    everySeconds: 86_400,
    describe: 'closing letters that can no longer be sent, voiding extensions not told in time',
    handler: async (ctx) => {
      const result = await service.tidyLetters();
      if (result.shredded + result.expired + result.resealed + result.extensionsVoided > 0) {
        ctx.log.info(result, 'closed or resealed letters to send');
      }
    },
  });

  return {
    ...service,
    shredRequestsOfErased,
    schedules: [digest, shredSchedule, lettersSchedule],
  };
}

/** The completion mail's data. */
function completedMail(data: {
  register: string;
  type: RequestType;
  request: string;
  downloadUntil?: string;
  changed?: string[];
  held?: Array<{ law: string; categories: string[]; until: string }>;
  stopped?: string[];
  continued?: Array<{ purpose: string; grounds: string }>;
}) {
  return { template: 'request-completed' as const, data };
}

export type RequestsService = ReturnType<typeof createRequestsService>;
