/**
 * Staff accounts, sign-in and sessions. Passwords are argon2id hashes; a second factor (TOTP,
 * RFC 6238) with one-time recovery codes is optional per account. Failed sign-ins count per
 * account (five in a row lock it for fifteen minutes: the account's state); the rate of sign-in
 * requests per address is limited by the HTTP layer (src/http/rate-limit). Sessions are tokens
 * here: which cookie carries one is the HTTP layer's (src/http/auth). Every sign-in, failure,
 * lockout and change to an account goes to the access log.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { withTransaction, type Executor } from '../../db/transaction.ts';
import type { Register } from '../definition/index.ts';
import type { RoleDefinition } from '../definition/index.ts';
import { requireAction, type Action, type Actor } from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, invalid } from '../../lib/errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { textFault } from '../../lib/text.ts';
import { normaliseEmail } from '../../vault/normalise.ts';
import type { Vault } from '../../vault/vault.ts';
import type { AuditService } from '../audit/index.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import type { StaffRepo, StaffRow } from './staff.repo.ts';

export interface StaffView {
  id: string;
  username: string;
  displayName: string;
  role: string;
  totpEnabled: boolean;
  lockedUntil: string | null;
  disabledAt: string | null;
  createdAt: string;
  /** Signed in with a one-time password: a new password must be chosen before anything else. */
  mustChangePassword: boolean;
  /** Where the requests digest goes to a member who handles requests; null: none given. */
  email: string | null;
  /** The language mail to the member is written in; null: not known. */
  lang: StaffLang | null;
}

export const STAFF_LANGS = ['sv', 'fi', 'en'] as const;
export type StaffLang = (typeof STAFF_LANGS)[number];

/** The e-mail address and language given, checked: null clears; undefined leaves as it is. */
function contactInput(input: {
  email?: string | null | undefined;
  lang?: string | null | undefined;
}): { email?: string | null; lang?: StaffLang | null } {
  const out: { email?: string | null; lang?: StaffLang | null } = {};
  if (input.email !== undefined) {
    if (input.email === null || input.email.trim() === '') {
      out.email = null;
    } else {
      const email = input.email.length <= 254 ? normaliseEmail(input.email) : undefined;
      if (email === undefined) {
        throw invalid('email', 'expected an e-mail address such as kaisa@example.fi');
      }
      out.email = email;
    }
  }
  if (input.lang !== undefined) {
    if (input.lang !== null && !(STAFF_LANGS as readonly string[]).includes(input.lang)) {
      throw invalid('lang', `expected one of ${STAFF_LANGS.join(', ')}`);
    }
    out.lang = input.lang as StaffLang | null;
  }
  return out;
}

export interface SessionInfo {
  staff: StaffView;
  actor: Actor;
  csrfToken: string;
  mfaPassed: boolean;
}

const LOCK_AFTER = 5;
const LOCK_MS = 15 * 60_000;
const TOUCH_MS = 60_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest();
const token = (bytes = 32) => randomBytes(bytes).toString('base64url');

/** Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives. */
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_CHARS = 16;

/** A recovery code: 80 random bits as four groups of four base32 characters (`7KQ2-M9XD-…`). */
export function generateRecoveryCode(): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CODE_ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return (out.match(/.{4}/g) as string[]).join('-');
}

/**
 * A recovery code as typed, in the form it is hashed in: upper case, without spaces or dashes,
 * with the look-alikes base32 leaves out read as the digits they resemble. Undefined when it
 * cannot be a code.
 */
export function normaliseRecoveryCode(code: string): string | undefined {
  const n = code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return n.length === CODE_CHARS && [...n].every((c) => CODE_ALPHABET.includes(c)) ? n : undefined;
}

export function present(r: StaffRow): StaffView {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    totpEnabled: r.totp_enabled,
    lockedUntil: r.locked_until?.toISOString() ?? null,
    disabledAt: r.disabled_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    mustChangePassword: r.must_change_password,
    email: r.email,
    lang: (r.lang as StaffLang | null) ?? null,
  };
}

/** A random password of 20 characters from an alphabet without look-alikes. */
export function generatePassword(): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(20);
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

export function actorForRole(id: string, role: RoleDefinition): Actor {
  const set = (list: string[]) => (list.includes('*') ? '*' : new Set(list));
  const data: Action[] = [];
  if (role.read.length > 0) {
    data.push('read');
  }
  if (role.write.length > 0) {
    data.push('write');
  }
  if (role.actions.includes('handle_requests')) {
    data.push('erase', 'export');
  }
  return {
    kind: 'staff',
    id,
    role: role.id,
    read: set(role.read),
    write: set(role.write),
    actions: new Set([...data, ...role.actions]),
  };
}

export function createStaffService(deps: {
  db: Executor;
  repo: StaffRepo;
  register: Register;
  vault: Vault;
  audit: AuditService;
  clock: Clock;
  sessionIdleMinutes?: number;
  sessionMaxHours?: number;
}) {
  const { db, repo, register, vault, audit, clock } = deps;
  const idleMs = (deps.sessionIdleMinutes ?? 30) * 60_000;
  const maxMs = (deps.sessionMaxHours ?? 12) * 3_600_000;
  /** What each role may do, as an actor without an id: built once, shared by every request. */
  const roleActors = new Map(register.roles.map((r) => [r.id, actorForRole('', r)]));
  let dummyHash: Promise<string> | undefined;
  const anonymous = { kind: 'staff' as const, id: 'unknown' };

  /** Counts a failure; the fifth in a row locks the account. */
  const fail = async (staff: StaffRow, step: 'password' | 'second_factor', requestId?: string) => {
    await withTransaction(db, async (tx) => {
      // Counted in the database, so that parallel guesses cannot all read the same count.
      const failures = await repo.countFailure(tx, staff.id);
      const lock = failures >= LOCK_AFTER;
      if (lock) {
        await repo.update(tx, staff.id, {
          failed_logins: 0,
          locked_until: new Date(clock.now().getTime() + LOCK_MS),
        });
      }
      const actor = { kind: 'staff', id: staff.id, role: staff.role, requestId } as const;
      await audit.record(
        tx,
        lock
          ? { actor, action: 'staff.lockout', outcome: 'denied', data: { step } }
          : {
              actor,
              action: 'staff.login_failed',
              outcome: 'denied',
              data: { reason: step === 'password' ? 'wrong_password' : 'wrong_code' },
            },
      );
    });
  };

  const newSession = async (tx: Executor, staff: StaffRow, mfaPassed: boolean) => {
    const sessionToken = token();
    const now = clock.now();
    const csrfToken = token(24);
    await repo.insertSession(tx, {
      id_hash: sha256(sessionToken),
      staff_id: staff.id,
      csrf_token: csrfToken,
      mfa_passed: mfaPassed,
      created_at: now,
      last_seen_at: now,
      expires_at: new Date(now.getTime() + maxMs),
    });
    return { sessionToken, csrfToken };
  };

  const checkTotp = async (
    staff: StaffRow,
    code: string,
    allowRecovery = true,
  ): Promise<boolean> => {
    const trimmed = code.replace(/\s/g, '');
    if (/^\d{6}$/.test(trimmed) && staff.totp_secret) {
      const secret = vault.openSecret(`totp:${staff.id}`, staff.totp_secret).toString('utf8');
      const totp = new OTPAuth.TOTP({
        secret: OTPAuth.Secret.fromBase32(secret),
        digits: 6,
        period: 30,
      });
      // One reading of the clock for both the check and the replay guard: the injected clock,
      // so that the two can never disagree about which step is now.
      const now = clock.now().getTime();
      const delta = totp.validate({ token: trimmed, window: 1, timestamp: now });
      if (delta === null) {
        return false;
      }
      // A code is good once, even when sent twice at the same moment.
      return repo.useTotpStep(db, staff.id, Math.floor(now / 30_000) + delta);
    }
    const recovery = normaliseRecoveryCode(code);
    if (!allowRecovery || recovery === undefined) {
      return false;
    }
    // Codes stored in the pre-release form (bare SHA-256 of a 40-bit code) never match this.
    return repo.useRecoveryCode(db, staff.id, vault.recoveryCodeHash(staff.id, recovery));
  };

  const requireStaff = async (id: string) => {
    const staff = await repo.findById(db, id);
    if (!staff) {
      throw new AppError('not_found', `no staff member with id ${id}`);
    }
    return staff;
  };

  const createStaff = async (
    actor: Actor,
    input: {
      username: string;
      displayName: string;
      role: string;
      password?: string;
      email?: string | null | undefined;
      lang?: StaffLang | null | undefined;
    },
  ): Promise<{ staff: StaffView; password: string }> => {
    requireAction(actor, 'manage_staff');
    const contact = contactInput(input);
    const username = input.username.trim();
    if (!/^[a-zA-Z0-9._-]{3,64}$/.test(username)) {
      throw invalid('username', 'expected 3 to 64 letters, digits, dots, dashes or underscores');
    }
    if (input.displayName.trim().length === 0 || input.displayName.length > 200) {
      throw invalid('displayName', 'expected a name of 1 to 200 characters');
    }
    const nameFault = textFault(input.displayName);
    if (nameFault) {
      throw invalid('displayName', nameFault);
    }
    if (!register.role(input.role)) {
      throw invalid(
        'role',
        `unknown role "${input.role}"; expected one of ${register.roles.map((r) => r.id).join(', ')}`,
      );
    }
    const password = input.password ?? generatePassword();
    const problem = passwordProblem(password, username);
    if (problem) {
      throw invalid('password', problem);
    }
    if (await repo.findByUsername(db, username)) {
      throw new AppError('conflict', `the username "${username}" is taken`, [
        { field: 'username', detail: 'already taken' },
      ]);
    }
    const row = {
      id: uuidv7(),
      username,
      display_name: input.displayName.trim(),
      role: input.role,
      password_hash: await hashPassword(password),
      // A generated password is one-time: it was shown to someone other than its owner (or
      // printed to a terminal), so the owner replaces it at the first sign-in.
      must_change_password: input.password === undefined,
      email: contact.email ?? null,
      lang: contact.lang ?? null,
    };
    await withTransaction(db, async (tx) => {
      await repo.insert(tx, row);
      await audit.record(tx, {
        actor,
        action: 'staff.create',
        data: { staffId: row.id, role: row.role },
      });
    });
    return { staff: present((await repo.findById(db, row.id)) as StaffRow), password };
  };

  return {
    createStaff,

    async listStaff(actor: Actor): Promise<StaffView[]> {
      requireAction(actor, 'manage_staff');
      return (await repo.list(db)).map(present);
    },

    async updateStaff(
      actor: Actor,
      id: string,
      input: {
        role?: string;
        displayName?: string;
        disabled?: boolean;
        email?: string | null | undefined;
        lang?: StaffLang | null | undefined;
      },
    ): Promise<StaffView> {
      requireAction(actor, 'manage_staff');
      const staff = await requireStaff(id);
      if (id === actor.id && (input.role !== undefined || input.disabled === true)) {
        throw new AppError(
          'forbidden',
          'you cannot change your own role or disable yourself; ask another administrator',
          [
            {
              field: input.role !== undefined ? 'role' : 'disabled',
              detail: 'not on your own account',
            },
          ],
        );
      }
      if (input.role !== undefined && !register.role(input.role)) {
        throw invalid('role', `unknown role "${input.role}"`);
      }
      if (
        input.displayName !== undefined &&
        (input.displayName.trim().length === 0 || input.displayName.length > 200)
      ) {
        throw invalid('displayName', 'expected a name of 1 to 200 characters');
      }
      const nameFault = input.displayName === undefined ? null : textFault(input.displayName);
      if (nameFault) {
        throw invalid('displayName', nameFault);
      }
      const contact = contactInput(input);
      await withTransaction(db, async (tx) => {
        await repo.update(tx, id, {
          ...contact,
          ...(input.role !== undefined ? { role: input.role } : {}),
          ...(input.displayName !== undefined ? { display_name: input.displayName.trim() } : {}),
          ...(input.disabled !== undefined
            ? { disabled_at: input.disabled ? clock.now() : null }
            : {}),
        });
        if (input.disabled === true || input.role !== undefined) {
          await repo.deleteSessionsOf(tx, id);
        }
        const changed = [
          ...(input.role !== undefined ? (['role'] as const) : []),
          ...(input.disabled !== undefined
            ? ([input.disabled ? 'disabled' : 'enabled'] as const)
            : []),
          ...(input.displayName !== undefined ? (['name'] as const) : []),
          ...(contact.email !== undefined ? (['email'] as const) : []),
          ...(contact.lang !== undefined ? (['language'] as const) : []),
        ];
        await audit.record(tx, {
          actor,
          action: 'staff.update',
          data: {
            staffId: id,
            changed,
            ...(input.role !== undefined ? { role: { from: staff.role, to: input.role } } : {}),
          },
        });
      });
      return present(await requireStaff(id));
    },

    /**
     * Where the requests digest goes: the active members with an e-mail address whose role has
     * the `handle_requests` action, each with their language when known. No actor: the digest is
     * the server's own job, and it learns addresses only, never opens a person's data.
     */
    async requestHandlers(): Promise<Array<{ email: string; lang: StaffLang | null }>> {
      const roles = register.roles.filter((r) => r.actions.includes('handle_requests'));
      const rows = await repo.activeWithEmail(
        db,
        roles.map((r) => r.id),
      );
      return rows.map((r) => ({ email: r.email, lang: (r.lang as StaffLang | null) ?? null }));
    },

    roles(actor: Actor) {
      if (actor.kind !== 'staff' && actor.kind !== 'operator') {
        requireAction(actor, 'manage_staff');
      }
      return register.roles;
    },

    /** The first administrator, made on a fresh database; returns the one-time password. */
    async ensureFirstAdmin(): Promise<{ username: string; password: string } | undefined> {
      if ((await repo.count(db)) > 0) {
        return undefined;
      }
      const admin = register.roles.find((r) => r.actions.includes('manage_staff'));
      try {
        const { password } = await createStaff(
          { kind: 'system', id: 'system', read: '*', write: '*', actions: '*' },
          { username: 'admin', displayName: 'Administrator', role: admin?.id ?? 'admin' },
        );
        return { username: 'admin', password };
      } catch (err) {
        // Another instance starting at the same moment made it first (the unique index says so).
        if ((await repo.count(db)) > 0) {
          return undefined;
        }
        throw err;
      }
    },

    async login(input: {
      username: string;
      password: string;
      requestId?: string;
      previousSession?: string;
    }) {
      const usernameFault = textFault(input.username);
      if (usernameFault) {
        throw invalid('username', usernameFault);
      }
      const staff = await repo.findByUsername(db, input.username);
      if (!staff || staff.disabled_at) {
        dummyHash ??= hashPassword(generatePassword());
        await verifyPassword(await dummyHash, input.password);
        await audit.record(db, {
          actor: { ...anonymous, requestId: input.requestId },
          action: 'staff.login_failed',
          outcome: 'denied',
          data: { reason: staff ? 'disabled_account' : 'unknown_username' },
        });
        throw new AppError('unauthenticated', 'wrong username or password');
      }
      if (staff.locked_until && staff.locked_until > clock.now()) {
        // Only someone who knows the password learns that the account is locked; anyone else gets
        // the answer an unknown username gets.
        const right = await verifyPassword(staff.password_hash, input.password);
        await audit.record(db, {
          actor: { kind: 'staff', id: staff.id, role: staff.role, requestId: input.requestId },
          action: 'staff.login_failed',
          outcome: 'denied',
          data: { reason: 'locked' },
        });
        if (!right) {
          throw new AppError('unauthenticated', 'wrong username or password');
        }
        throw new AppError(
          'locked',
          `too many failed sign-ins: the account is locked until ${staff.locked_until.toISOString()}`,
          [],
          {
            retryAfter: Math.max(
              1,
              Math.ceil((staff.locked_until.getTime() - clock.now().getTime()) / 1000),
            ),
          },
        );
      }
      if (!(await verifyPassword(staff.password_hash, input.password))) {
        await fail(staff, 'password', input.requestId);
        throw new AppError('unauthenticated', 'wrong username or password');
      }
      const mfaPassed = !staff.totp_enabled;
      const session = await withTransaction(db, async (tx) => {
        if (input.previousSession) {
          await repo.deleteSession(tx, sha256(input.previousSession));
        }
        await repo.update(tx, staff.id, { failed_logins: 0, locked_until: null });
        await audit.record(tx, {
          actor: { kind: 'staff', id: staff.id, role: staff.role, requestId: input.requestId },
          action: 'staff.login',
          data: { step: 'password', secondFactorPending: !mfaPassed },
        });
        return newSession(tx, staff, mfaPassed);
      });
      return { ...session, staff: present(staff), mfaRequired: !mfaPassed };
    },

    /** The second step: a TOTP or recovery code; the session is replaced by a full one. */
    async completeMfa(sessionToken: string, code: string, requestId?: string) {
      const session = await repo.findSession(db, sha256(sessionToken));
      const staff = session ? await repo.findById(db, session.staff_id) : undefined;
      if (!session || !staff || session.expires_at < clock.now()) {
        throw new AppError('unauthenticated', 'sign in with your password first');
      }
      if (staff.locked_until && staff.locked_until > clock.now()) {
        throw new AppError(
          'locked',
          `too many failed sign-ins: the account is locked until ${staff.locked_until.toISOString()}`,
          [],
          {
            retryAfter: Math.max(
              1,
              Math.ceil((staff.locked_until.getTime() - clock.now().getTime()) / 1000),
            ),
          },
        );
      }
      if (!(await checkTotp(staff, code))) {
        await fail(staff, 'second_factor', requestId);
        throw new AppError('unauthenticated', 'the code is not valid', [
          { field: 'code', detail: 'not valid' },
        ]);
      }
      const next = await withTransaction(db, async (tx) => {
        await repo.deleteSession(tx, sha256(sessionToken));
        await repo.update(tx, staff.id, { failed_logins: 0 });
        await audit.record(tx, {
          actor: { kind: 'staff', id: staff.id, role: staff.role, requestId },
          action: 'staff.login',
          data: { step: 'second_factor', secondFactorPending: false },
        });
        return newSession(tx, staff, true);
      });
      return { ...next, staff: present(staff), mfaRequired: false };
    },

    /** The session a cookie stands for, or undefined when there is none or it has expired. */
    async session(sessionToken: string): Promise<SessionInfo | undefined> {
      const idHash = sha256(sessionToken);
      const found = await repo.findSessionWithStaff(db, idHash);
      const now = clock.now();
      if (!found) {
        return undefined;
      }
      const { session, staff } = found;
      if (session.expires_at < now || session.last_seen_at.getTime() + idleMs < now.getTime()) {
        await repo.deleteSession(db, idHash);
        return undefined;
      }
      const template = roleActors.get(staff.role);
      if (staff.disabled_at || !template) {
        return undefined;
      }
      if (session.last_seen_at.getTime() + TOUCH_MS < now.getTime()) {
        await repo.touchSession(db, idHash, now);
      }
      return {
        staff: present(staff),
        actor: { ...template, id: staff.id },
        csrfToken: session.csrf_token,
        mfaPassed: session.mfa_passed,
      };
    },

    /**
     * Compares digests, which are always 32 bytes, in constant time: comparing the tokens' bytes
     * directly fails (and threw) when a token of the right length in characters has another
     * length in bytes, and would tell an attacker the token's length.
     */
    csrfMatches(expected: string, given: unknown): boolean {
      return (
        typeof given === 'string' &&
        given.length > 0 &&
        timingSafeEqual(sha256(given), sha256(expected))
      );
    },

    async logout(actor: Actor, sessionToken: string): Promise<void> {
      await withTransaction(db, async (tx) => {
        await repo.deleteSession(tx, sha256(sessionToken));
        await audit.record(tx, { actor, action: 'staff.logout' });
      });
    },

    async changePassword(
      actor: Actor,
      sessionToken: string,
      input: { current: string; next: string },
    ): Promise<void> {
      const staff = await requireStaff(actor.id);
      if (!(await verifyPassword(staff.password_hash, input.current))) {
        throw new AppError('forbidden', 'the current password is wrong', [
          { field: 'current', detail: 'wrong password' },
        ]);
      }
      if (input.next === input.current) {
        throw invalid('next', 'must differ from the current password');
      }
      const problem = passwordProblem(input.next, staff.username);
      if (problem) {
        throw invalid('next', problem);
      }
      const hashed = await hashPassword(input.next);
      await withTransaction(db, async (tx) => {
        await repo.update(tx, staff.id, { password_hash: hashed, must_change_password: false });
        await repo.deleteSessionsOf(tx, staff.id, sha256(sessionToken));
        await audit.record(tx, { actor, action: 'staff.password' });
      });
    },

    /** Starts second-factor enrolment: a new secret, not yet in force until a code confirms it. */
    async setupTotp(
      actor: Actor,
      password: string,
    ): Promise<{ secret: string; otpauthUrl: string }> {
      const staff = await requireStaff(actor.id);
      if (!(await verifyPassword(staff.password_hash, password))) {
        throw new AppError('forbidden', 'the password is wrong', [
          { field: 'password', detail: 'wrong password' },
        ]);
      }
      if (staff.totp_enabled) {
        throw new AppError('conflict', 'two-factor sign-in is already on');
      }
      const secret = new OTPAuth.Secret({ size: 20 });
      const totp = new OTPAuth.TOTP({
        issuer: `Rekisteri ${register.definition.controller.name}`,
        label: staff.username,
        secret,
        digits: 6,
        period: 30,
      });
      await repo.update(db, staff.id, {
        totp_secret: vault.sealSecret(`totp:${staff.id}`, secret.base32),
      });
      return { secret: secret.base32, otpauthUrl: totp.toString() };
    },

    async enableTotp(actor: Actor, code: string): Promise<{ recoveryCodes: string[] }> {
      const staff = await requireStaff(actor.id);
      if (staff.totp_enabled || !staff.totp_secret) {
        throw new AppError(
          'conflict',
          staff.totp_enabled ? 'two-factor sign-in is already on' : 'start with the setup step',
        );
      }
      if (!/^\d{6}$/.test(code.replace(/\s/g, '')) || !(await checkTotp(staff, code, false))) {
        throw invalid('code', 'the code does not match; check the time on your device');
      }
      const codes = Array.from({ length: 10 }, generateRecoveryCode);
      await withTransaction(db, async (tx) => {
        await repo.update(tx, staff.id, {
          totp_enabled: true,
          recovery_codes: codes.map((c) =>
            vault.recoveryCodeHash(staff.id, normaliseRecoveryCode(c) as string),
          ),
        });
        await audit.record(tx, { actor, action: 'staff.totp', data: { enabled: true } });
      });
      return { recoveryCodes: codes };
    },

    namesOf: (ids: string[]) => repo.namesOf(db, ids),

    /** Removes sessions that have expired or gone idle; the server runs it every minute. */
    pruneSessions: () => {
      const now = clock.now();
      return repo.deleteExpiredSessions(db, now, new Date(now.getTime() - idleMs));
    },
  };
}

export type StaffService = ReturnType<typeof createStaffService>;
