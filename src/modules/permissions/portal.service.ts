/**
 * The person's own side of the permission ledger, in the public portal (docs/permissions.md,
 * "The portal"):
 *
 * - **one-click unsubscribe** (RFC 8058): a token from a marketing mail's List-Unsubscribe link
 *   (./unsubscribe-links.ts) withdraws (consent) or refuses (opt-out) the purpose's kind on the
 *   mail's channel at once, as the person, method `unsubscribe_link`;
 * - **the preference page**: a single-use link mailed on request (1 h, fragment) opens a short
 *   person session (30 min, HttpOnly SameSite=Strict cookie) in which the person sees and changes
 *   each kind and channel, method `preference_page` with the wording shown;
 * - **double opt-in sign-up**: an address and the kinds and channels asked for; `pending` recorded
 *   where nothing was (never over a refusal), a confirmation link (24 h, once) mailed; following it
 *   grants, method `double_opt_in`.
 *
 * Nothing answers whether an address is in the register: the sign-up and the link request answer
 * `{ status: 'sent' }` whatever the address, a suppressed (erased person's) address included, which
 * is never re-created. Links are 32 random bytes whose SHA-256 only is stored (`permission_links`).
 *
 * A person a legal hold keeps for other purposes only (or whose address a hold keeps) is, here, as
 * an address nobody has: no link is mailed, a sign-up with the address is answered alike and
 * stores and mails nothing, and a link or session of theirs from before the hold does not work.
 * Their data serve the hold's purpose alone (docs/permissions.md, "The portal").
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';
import { withTransaction } from '../../db/transaction.ts';
import { subjectActor } from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, invalidAll, type FieldIssue } from '../../lib/errors.ts';
import type { Locale, MailService } from '../../mail/index.ts';
import { normaliseEmail } from '../../vault/normalise.ts';
import type { Vault } from '../../vault/vault.ts';
import type { Register } from '../definition/index.ts';
import { ANY_CHANNEL, isNegative, type PermissionState, type WordingLanguage } from './model.ts';
import type { PermissionsService } from './permissions.service.ts';

export type LinkKind = 'manage' | 'confirm' | 'session';

/** How long each link or session holds. */
export const LINK_LIFETIME_MS: Record<LinkKind, number> = {
  manage: 60 * 60_000,
  confirm: 24 * 3600_000,
  session: 30 * 60_000,
};

/** No second confirmation mail to one address within this long (a mail-bomb, or a double click). */
export const SIGNUP_RESEND_MS = 15 * 60_000;
/** The associated data a pending sign-up's address is sealed with. */
const SIGNUP_AAD = 'permission-signup:v1';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const hash = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** What the unsubscribe links open (./unsubscribe-links.ts, `createUnsubscribeLinks`). */
export interface UnsubscribeOpener {
  open(
    token: string,
  ): { subjectId: string; purpose: string; channel: string; issuedAt: Date | string } | undefined;
}

/** What the portal needs of the subjects module (filled in src/services.ts). */
export interface PreferencePorts {
  /**
   * Live people with this e-mail address whom the register's marketing purposes see through it
   * (access-logged): not a person a legal hold keeps, or whose address it keeps, for other purposes.
   */
  findByEmail(email: string): Promise<string[]>;
  /** Whether the address is such a held person's: taken, yet nothing of theirs is for marketing. */
  isKeptByHold(email: string): Promise<boolean>;
  /** Whether the address belonged to an erased person. */
  isSuppressed(email: string): Promise<boolean>;
  /** A new person with this address, collected for `purpose` from the person themselves. */
  createPerson(input: { email: string; purpose: string }): Promise<string>;
}

export interface PreferencesDeps {
  db: Kysely<Database>;
  /** Seals a pending sign-up's address; keys it for the resend window. */
  vault: Pick<Vault, 'sealSecret' | 'openSecret' | 'rateLimitHash'>;
  clock: Clock;
  register: Register;
  permissions: Pick<PermissionsService, 'record' | 'stateOf' | 'seenByMarketing'>;
  mail: Pick<MailService, 'sendMail'>;
  ports: PreferencePorts;
  publicUrl: string;
  /** The unsubscribe links; without them every unsubscribe token is refused. */
  unsubscribe?: UnsubscribeOpener | undefined;
}

export interface KindChannel {
  kind: string;
  channel: string;
}

export interface ChoiceView {
  kind: string;
  channel: string;
  label: Record<Locale, string>;
  channelLabel: Record<Locale, string>;
  /** The deciding state (the later of the channel's own and the kind's `*`), null: never asked. */
  state: PermissionState | null;
  /** What rests on it: `consent` where some purpose of the kind needs consent on the channel. */
  basis: 'consent' | 'opt_out';
}

export interface Wording {
  text: string;
  language: WordingLanguage;
}

/** The one refusal of any link that does not work: used, expired, forged, of another kind. */
export function invalidPermissionLink(field = 'token'): AppError {
  return new AppError(
    'not_found',
    'this link does not work: it was used already, has expired, or was never ours',
    [{ field, detail: 'not a link that works (used, expired or never issued)' }],
  );
}

export function createPreferencesService(deps: PreferencesDeps) {
  const { db, clock, register, permissions, mail, ports } = deps;
  const model = register.marketing;
  const base = deps.publicUrl.replace(/\/+$/, '');
  const registerName = (lang: Locale) => register.definition.register.name[lang];
  /** "Newsletter: e-mail", in the mail's language. */
  const choiceLabel = (c: KindChannel, lang: Locale) => {
    const kind = model.kind(c.kind)?.label[lang] ?? c.kind;
    const channel =
      c.channel === ANY_CHANNEL
        ? { sv: 'alla kanaler', fi: 'kaikki kanavat', en: 'all channels' }[lang]
        : (model.channel(c.channel)?.label[lang] ?? c.channel);
    return `${kind}: ${channel}`;
  };

  /** Where the kind on the channel rests on consent for some purpose (else opt-out). */
  const basisOf = (kind: string, channel: string): 'consent' | 'opt_out' => {
    for (const p of model.purposes) {
      if (p.kind !== kind) {
        continue;
      }
      const b = channel === ANY_CHANNEL ? p.basis : p.channels.get(channel);
      if (b === 'consent' || b === 'soft_opt_in') {
        return 'consent';
      }
    }
    return 'opt_out';
  };

  /** Every kind and channel the register's purposes use, in definition order. */
  const choices = (): KindChannel[] => {
    const out: KindChannel[] = [];
    for (const k of model.kinds) {
      const channels = model.channelsOfKind(k.id);
      if (!model.purposes.some((p) => p.kind === k.id)) {
        continue;
      }
      if (channels.length === 0) {
        out.push({ kind: k.id, channel: ANY_CHANNEL });
      }
      for (const c of channels) {
        out.push({ kind: k.id, channel: c });
      }
    }
    return out;
  };

  const checkChoices = (list: KindChannel[], at: string): void => {
    const known = new Set(choices().map((c) => `${c.kind}\u0000${c.channel}`));
    const issues: FieldIssue[] = [];
    list.forEach((c, i) => {
      if (!known.has(`${c.kind}\u0000${c.channel}`)) {
        issues.push({
          field: `${at}[${i}]`,
          detail: `no purpose of this register asks for "${c.kind}" on "${c.channel}"`,
        });
      }
    });
    if (list.length === 0) {
      issues.push({ field: at, detail: 'choose at least one' });
    }
    if (issues.length > 0) {
      throw invalidAll(issues);
    }
  };

  const issue = async (kind: LinkKind, subjectId: string, data?: unknown) => {
    const token = randomBytes(32).toString('base64url');
    const now = clock.now();
    await db
      .insertInto('permission_links')
      .values({
        token_hash: hash(token),
        kind,
        subject_id: subjectId,
        data: data === undefined ? null : JSON.stringify(data),
        created_at: now,
        expires_at: new Date(now.getTime() + LINK_LIFETIME_MS[kind]),
      })
      .execute();
    return token;
  };

  /** Uses a live link of this kind once (one statement: two uses at once cannot both win). */
  const use = async (token: string, kind: LinkKind) => {
    if (!TOKEN.test(token)) {
      return undefined;
    }
    const now = clock.now();
    return db
      .updateTable('permission_links')
      .set({ used_at: now })
      .where('token_hash', '=', hash(token))
      .where('kind', '=', kind)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning(['subject_id', 'data', 'email_sealed'])
      .executeTakeFirst();
  };

  /**
   * A used link of a sign-up that is refused: its row goes (the sealed address with it), so nothing
   * of the address is kept. The link does not work.
   */
  const refuseSignUp = async (token: string): Promise<AppError> => {
    await db.deleteFrom('permission_links').where('token_hash', '=', hash(token)).execute();
    return invalidPermissionLink();
  };

  /**
   * The person's deciding state per kind and channel. A person no marketing purpose sees (erased,
   * or kept by a legal hold for other purposes since the session opened) is not found.
   */
  const view = async (subjectId: string): Promise<ChoiceView[]> => {
    const rows = await permissions.stateOf(subjectActor(subjectId), subjectId, {
      marketingSide: true,
    });
    const at = (kind: string, channel: string) =>
      rows.find((r) => r.kind === kind && r.channel === channel);
    return choices().map(({ kind, channel }) => {
      const own = at(kind, channel);
      const whole = channel === ANY_CHANNEL ? undefined : at(kind, ANY_CHANNEL);
      // The later of the two; given at the same moment, a refusal.
      const t = (e: { changedAt: string }) => new Date(e.changedAt).getTime();
      const later =
        own && whole
          ? t(whole) > t(own) || (t(whole) === t(own) && isNegative(whole.state))
            ? whole
            : own
          : (own ?? whole);
      const k = model.kind(kind)!;
      const ch = channel === ANY_CHANNEL ? undefined : model.channel(channel);
      return {
        kind,
        channel,
        label: { sv: k.label.sv, fi: k.label.fi, en: k.label.en },
        channelLabel: ch
          ? { sv: ch.label.sv, fi: ch.label.fi, en: ch.label.en }
          : { sv: 'alla kanaler', fi: 'kaikki kanavat', en: 'all channels' },
        state: later?.state ?? null,
        basis: basisOf(kind, channel),
      };
    });
  };

  return {
    /** Every kind and channel a person may choose, with labels (for the sign-up form). */
    choices: () =>
      choices().map(({ kind, channel }) => {
        const k = model.kind(kind)!;
        const ch = channel === ANY_CHANNEL ? undefined : model.channel(channel);
        return {
          kind,
          channel,
          label: { sv: k.label.sv, fi: k.label.fi, en: k.label.en },
          channelLabel: ch
            ? { sv: ch.label.sv, fi: ch.label.fi, en: ch.label.en }
            : { sv: 'alla kanaler', fi: 'kaikki kanavat', en: 'all channels' },
          basis: basisOf(kind, channel),
        };
      }),

    /**
     * The one-click unsubscribe: the token's purpose's kind on its channel becomes `withdrawn`
     * (the channel rests on consent) or `refused` (opt-out), as the person. A repeat changes
     * nothing. A token that does not open (forged, tampered, another server's, a person erased
     * since) is refused alike and changes nothing.
     */
    async unsubscribe(token: string): Promise<{ status: 'unsubscribed' }> {
      const opened = deps.unsubscribe?.open(token);
      const purpose = opened ? model.purpose(opened.purpose) : undefined;
      if (!opened || !purpose) {
        throw invalidPermissionLink();
      }
      const basis = purpose.channels.get(opened.channel) ?? purpose.basis;
      const state: PermissionState =
        basis === 'consent' || basis === 'soft_opt_in' ? 'withdrawn' : 'refused';
      const channel = purpose.channels.has(opened.channel) ? opened.channel : ANY_CHANNEL;
      try {
        await permissions.record(
          subjectActor(opened.subjectId),
          opened.subjectId,
          [{ kind: purpose.kind, channel, state }],
          {
            method: 'unsubscribe_link',
            // Which link, without saying whose: the first 16 hex digits of its SHA-256.
            reference: `unsubscribe:${hash(token).toString('hex').slice(0, 16)}`,
          },
          // The same link posted again records nothing while the "no" already decides.
          { idempotentRepeat: true },
        );
      } catch (e) {
        if (e instanceof AppError && e.code === 'not_found') {
          throw invalidPermissionLink();
        }
        throw e;
      }
      return { status: 'unsubscribed' };
    },

    /** What the unsubscribe page shows before the button: the kind and channel, no person. */
    describeUnsubscribe(token: string): { kind: string; channel: string } | undefined {
      const opened = deps.unsubscribe?.open(token);
      const purpose = opened ? model.purpose(opened.purpose) : undefined;
      return opened && purpose ? { kind: purpose.kind, channel: opened.channel } : undefined;
    },

    /**
     * Mails a link to the preference page (1 h, once) when the address is a person's in the
     * register whom its marketing purposes see (not one a legal hold keeps for other purposes);
     * the same answer whether or not it is.
     */
    async requestManageLink(input: { email: string; lang: Locale }): Promise<{ status: 'sent' }> {
      const [subjectId] = await ports.findByEmail(input.email);
      if (subjectId) {
        const token = await issue('manage', subjectId);
        await mail.sendMail({
          to: input.email,
          subjectId,
          template: 'preferences-link',
          locale: input.lang,
          data: {
            register: registerName(input.lang),
            link: `${base}/preferences#token=${token}`,
            minutes: LINK_LIFETIME_MS.manage / 60_000,
          },
        });
      }
      return { status: 'sent' };
    },

    /** The mailed link used (once): a person session of 30 minutes, for the cookie. */
    async openSession(token: string): Promise<{ session: string; expiresAt: Date }> {
      const used = await use(token, 'manage');
      if (!used) {
        throw invalidPermissionLink();
      }
      // Nor when the person is no longer one the marketing purposes see (erased, or kept by a legal
      // hold for other purposes since the link was mailed).
      if (!used.subject_id || !(await permissions.seenByMarketing(used.subject_id))) {
        throw invalidPermissionLink();
      }
      // Proving who one is to use one's rights is not use of the controller's service: no
      // activity for retention (docs/retention.md).
      const session = await issue('session', used.subject_id);
      return {
        session,
        expiresAt: new Date(clock.now().getTime() + LINK_LIFETIME_MS.session),
      };
    },

    /**
     * The person sessions' store (src/http/auth/person-session.ts). A session of a person the
     * marketing purposes no longer see (kept by a legal hold for other purposes since it opened) is
     * as one that has ended.
     */
    sessions: {
      async find(tokenHash: Buffer) {
        const row = await db
          .selectFrom('permission_links')
          .select(['subject_id', 'expires_at'])
          .where('token_hash', '=', tokenHash)
          .where('kind', '=', 'session')
          .where('used_at', 'is', null)
          .executeTakeFirst();
        return row?.subject_id && (await permissions.seenByMarketing(row.subject_id))
          ? { subjectId: row.subject_id, expiresAt: new Date(row.expires_at) }
          : undefined;
      },
    },

    /** Ends a person session (signing out). */
    async endSession(tokenHash: Buffer): Promise<void> {
      await db
        .updateTable('permission_links')
        .set({ used_at: clock.now() })
        .where('token_hash', '=', tokenHash)
        .where('kind', '=', 'session')
        .execute();
    },

    /** The person's choices with their current state. */
    preferences: (subjectId: string) => view(subjectId),

    /**
     * The person's changes on the preference page, at once: `allow` grants; not allowing is
     * `withdrawn` where the kind rests on consent on the channel, `refused` otherwise.
     */
    async setPreferences(
      subjectId: string,
      input: { changes: Array<KindChannel & { allow: boolean }>; wording: Wording },
    ): Promise<ChoiceView[]> {
      checkChoices(input.changes, 'changes');
      await permissions.record(
        subjectActor(subjectId),
        subjectId,
        input.changes.map((c) => ({
          kind: c.kind,
          channel: c.channel,
          state: c.allow
            ? 'granted'
            : basisOf(c.kind, c.channel) === 'consent'
              ? 'withdrawn'
              : 'refused',
        })),
        { method: 'preference_page', wording: input.wording },
        { marketingSide: true },
      );
      return view(subjectId);
    },

    /**
     * A sign-up. Nothing about a person is read or written: the address is sealed into a pending
     * sign-up (no person, expiring with its link) and a confirmation link is mailed. Only
     * following the link creates the person (a new address) or finds them (a known one) and
     * grants what was asked. An address on the suppression list gets nothing, nor does an address
     * a legal hold keeps (its person held for other purposes: it cannot be signed up again while
     * the hold lasts, nor can a new person have it); an address that was sent a confirmation in
     * the last `SIGNUP_RESEND_MS` gets no second one. The same answer whatever happened.
     */
    async signUp(input: {
      email: string;
      lang: Locale;
      choices: KindChannel[];
      wording: Wording;
    }): Promise<{ status: 'sent' }> {
      checkChoices(input.choices, 'choices');
      const email = normaliseEmail(input.email) ?? input.email.trim().toLowerCase();
      if ((await ports.isSuppressed(input.email)) || (await ports.isKeptByHold(input.email))) {
        return { status: 'sent' };
      }
      const emailKey = deps.vault.rateLimitHash(`signup\u0000email\u0000${email}`);
      const now = clock.now();
      const recent = await db
        .selectFrom('permission_links')
        .select('token_hash')
        .where('kind', '=', 'confirm')
        .where('email_key', '=', emailKey)
        .where('used_at', 'is', null)
        .where('created_at', '>', new Date(now.getTime() - SIGNUP_RESEND_MS))
        .executeTakeFirst();
      if (recent) {
        return { status: 'sent' };
      }
      const token = randomBytes(32).toString('base64url');
      await db
        .insertInto('permission_links')
        .values({
          token_hash: hash(token),
          kind: 'confirm',
          subject_id: null,
          data: JSON.stringify({ choices: input.choices, wording: input.wording }),
          email_sealed: deps.vault.sealSecret(SIGNUP_AAD, input.email.trim()),
          email_key: emailKey,
          created_at: now,
          expires_at: new Date(now.getTime() + LINK_LIFETIME_MS.confirm),
        })
        .execute();
      await mail.sendMail({
        to: input.email,
        template: 'signup-confirm',
        locale: input.lang,
        data: {
          register: registerName(input.lang),
          link: `${base}/signup/confirm#token=${token}`,
          kinds: [...new Set(input.choices.map((c) => model.kind(c.kind)!.label[input.lang]))],
          choices: input.choices.map((c) => choiceLabel(c, input.lang)),
          wording: input.wording.text,
        },
      });
      return { status: 'sent' };
    },

    /**
     * The confirmation link followed (once): the person is found by the sealed address, or created
     * (a new address, under the first purpose of the first kind asked for), and the kinds and
     * channels asked for are granted, method `double_opt_in`, with the words shown on the form.
     * An address erased since the sign-up, or kept by a legal hold since (its person held for other
     * purposes), gets nothing: the link does not work, its row goes, nothing is recorded.
     */
    async confirm(token: string): Promise<{ status: 'confirmed'; granted: KindChannel[] }> {
      const used = await use(token, 'confirm');
      if (!used) {
        throw invalidPermissionLink();
      }
      const data = used.data as { choices: KindChannel[]; wording: Wording };
      let subjectId = used.subject_id;
      if (subjectId === null) {
        if (!used.email_sealed) {
          throw invalidPermissionLink();
        }
        const email = deps.vault.openSecret(SIGNUP_AAD, used.email_sealed).toString('utf8');
        if ((await ports.isSuppressed(email)) || (await ports.isKeptByHold(email))) {
          throw await refuseSignUp(token);
        }
        [subjectId = null] = await ports.findByEmail(email);
        if (subjectId === null) {
          const first = data.choices[0]!;
          const purpose = model.purposes.find(
            (p) =>
              p.kind === first.kind &&
              (first.channel === ANY_CHANNEL || p.channels.has(first.channel)),
          );
          if (!purpose) {
            throw invalidPermissionLink();
          }
          subjectId = await ports.createPerson({ email, purpose: purpose.purpose });
        }
      }
      const person = subjectId;
      try {
        // The grants and the link naming the person, together: the person is locked and must
        // still be one the marketing purposes see (a hold since then: nothing recorded).
        await withTransaction(db, async (tx) => {
          await permissions.record(
            subjectActor(person),
            person,
            data.choices.map((c) => ({ ...c, state: 'granted' as const })),
            {
              method: 'double_opt_in',
              wording: data.wording,
              reference: `signup:${hash(token).toString('hex').slice(0, 16)}`,
            },
            { tx, marketingSide: true },
          );
          // The address is no longer needed: the link now names the person it confirmed.
          await tx
            .updateTable('permission_links')
            .set({ subject_id: person, email_sealed: null, email_key: null })
            .where('token_hash', '=', hash(token))
            .execute();
        });
      } catch (e) {
        if (e instanceof AppError && e.code === 'not_found') {
          throw await refuseSignUp(token);
        }
        throw e;
      }
      return { status: 'confirmed', granted: data.choices };
    },

    /** Removes links and sessions expired over a day ago (a scheduled job). */
    async pruneLinks(): Promise<number> {
      // A sign-up never confirmed (no person, a sealed address) goes as soon as its link expires.
      const r = await db
        .deleteFrom('permission_links')
        .where((eb) =>
          eb.or([
            eb('expires_at', '<=', new Date(clock.now().getTime() - 86_400_000)),
            eb.and([eb('subject_id', 'is', null), eb('expires_at', '<=', clock.now())]),
          ]),
        )
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

export type PreferencesService = ReturnType<typeof createPreferencesService>;
