import { sql } from 'kysely';
import type { Executor } from '../../db/transaction.ts';

export interface StaffRow {
  id: string;
  username: string;
  display_name: string;
  role: string;
  password_hash: string;
  totp_secret: Buffer | null;
  totp_enabled: boolean;
  totp_last_step: string;
  recovery_codes: string[];
  failed_logins: number;
  locked_until: Date | null;
  created_at: Date;
  disabled_at: Date | null;
  must_change_password: boolean;
  email: string | null;
  lang: string | null;
}

export interface SessionRow {
  staff_id: string;
  csrf_token: string;
  mfa_passed: boolean;
  last_seen_at: Date;
  expires_at: Date;
}

const staffColumns = [
  'id',
  'username',
  'display_name',
  'role',
  'password_hash',
  'totp_secret',
  'totp_enabled',
  'totp_last_step',
  'recovery_codes',
  'failed_logins',
  'locked_until',
  'created_at',
  'disabled_at',
  'must_change_password',
  'email',
  'lang',
] as const;

/** The staff accounts' and sessions' SQL; every method runs on the executor it is given. */
export function createStaffRepo() {
  const map = (r: StaffRow): StaffRow => ({
    ...r,
    totp_secret: r.totp_secret ? Buffer.from(r.totp_secret) : null,
  });
  return {
    async count(ex: Executor): Promise<number> {
      const r = await ex
        .selectFrom('staff')
        .select(sql<number>`count(*)::int`.as('n'))
        .executeTakeFirstOrThrow();
      return r.n;
    },
    async insert(
      ex: Executor,
      row: {
        id: string;
        username: string;
        display_name: string;
        role: string;
        password_hash: string;
        must_change_password: boolean;
        email?: string | null;
        lang?: string | null;
      },
    ): Promise<void> {
      await ex.insertInto('staff').values(row).execute();
    },
    async findById(ex: Executor, id: string): Promise<StaffRow | undefined> {
      const r = await ex
        .selectFrom('staff')
        .select(staffColumns)
        .where('id', '=', id)
        .executeTakeFirst();
      return r ? map(r) : undefined;
    },
    async findByUsername(ex: Executor, username: string): Promise<StaffRow | undefined> {
      const r = await ex
        .selectFrom('staff')
        .select(staffColumns)
        .where(sql`lower(username)`, '=', username.toLowerCase())
        .executeTakeFirst();
      return r ? map(r) : undefined;
    },
    async list(ex: Executor): Promise<StaffRow[]> {
      return (
        await ex.selectFrom('staff').select(staffColumns).orderBy('created_at').execute()
      ).map(map);
    },
    async update(
      ex: Executor,
      id: string,
      set: Partial<Omit<StaffRow, 'id' | 'created_at'>>,
    ): Promise<void> {
      await ex
        .updateTable('staff')
        .set({ ...set, updated_at: new Date() })
        .where('id', '=', id)
        .execute();
    },
    /**
     * Active staff members with an e-mail address whose role is one of `roles`: those the
     * requests digest goes to.
     */
    async activeWithEmail(
      ex: Executor,
      roles: readonly string[],
    ): Promise<Array<{ id: string; email: string; lang: string | null }>> {
      if (roles.length === 0) {
        return [];
      }
      const rows = await ex
        .selectFrom('staff')
        .select(['id', 'email', 'lang'])
        .where('role', 'in', [...roles])
        .where('disabled_at', 'is', null)
        .where('email', 'is not', null)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map((r) => ({ id: r.id, email: r.email as string, lang: r.lang }));
    },
    async namesOf(ex: Executor, ids: string[]): Promise<Map<string, string>> {
      if (ids.length === 0) {
        return new Map();
      }
      const rows = await ex
        .selectFrom('staff')
        .select(['id', 'display_name'])
        .where('id', 'in', ids)
        .execute();
      return new Map(rows.map((r) => [r.id, r.display_name]));
    },

    async insertSession(
      ex: Executor,
      row: {
        id_hash: Buffer;
        staff_id: string;
        csrf_token: string;
        mfa_passed: boolean;
        created_at: Date;
        last_seen_at: Date;
        expires_at: Date;
      },
    ): Promise<void> {
      await ex.insertInto('staff_sessions').values(row).execute();
    },
    async findSession(ex: Executor, idHash: Buffer): Promise<SessionRow | undefined> {
      return ex
        .selectFrom('staff_sessions')
        .select(['staff_id', 'csrf_token', 'mfa_passed', 'last_seen_at', 'expires_at'])
        .where('id_hash', '=', idHash)
        .executeTakeFirst();
    },
    /** A session and its staff member in one query: every console request asks for both. */
    async findSessionWithStaff(
      ex: Executor,
      idHash: Buffer,
    ): Promise<{ session: SessionRow; staff: StaffRow } | undefined> {
      const r = await ex
        .selectFrom('staff_sessions as ss')
        .innerJoin('staff as s', 's.id', 'ss.staff_id')
        .select([
          'ss.staff_id',
          'ss.csrf_token',
          'ss.mfa_passed',
          'ss.last_seen_at',
          'ss.expires_at',
          ...staffColumns.map((c) => `s.${c}` as const),
        ])
        .where('ss.id_hash', '=', idHash)
        .executeTakeFirst();
      if (!r) {
        return undefined;
      }
      const { staff_id, csrf_token, mfa_passed, last_seen_at, expires_at, ...staff } = r;
      return {
        session: { staff_id, csrf_token, mfa_passed, last_seen_at, expires_at },
        staff: map(staff),
      };
    },
    async touchSession(ex: Executor, idHash: Buffer, at: Date): Promise<void> {
      await ex
        .updateTable('staff_sessions')
        .set({ last_seen_at: at })
        .where('id_hash', '=', idHash)
        .execute();
    },
    async deleteSession(ex: Executor, idHash: Buffer): Promise<void> {
      await ex.deleteFrom('staff_sessions').where('id_hash', '=', idHash).execute();
    },
    /** Counts one more failure atomically; returns the new count. */
    async countFailure(ex: Executor, id: string): Promise<number> {
      const r = await ex
        .updateTable('staff')
        .set({ failed_logins: sql<number>`failed_logins + 1` })
        .where('id', '=', id)
        .returning('failed_logins')
        .executeTakeFirstOrThrow();
      return r.failed_logins;
    },
    /** Uses a TOTP time step only if no later or equal step was used: true when it was free. */
    async useTotpStep(ex: Executor, id: string, step: number): Promise<boolean> {
      const r = await ex
        .updateTable('staff')
        .set({ totp_last_step: String(step) })
        .where('id', '=', id)
        .where('totp_last_step', '<', String(step))
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    /** Removes a recovery code if it is still there: true when this call used it. */
    async useRecoveryCode(ex: Executor, id: string, hashed: string): Promise<boolean> {
      const r = await ex
        .updateTable('staff')
        .set({ recovery_codes: sql<string[]>`array_remove(recovery_codes, ${hashed})` })
        .where('id', '=', id)
        .where(sql<boolean>`${hashed} = any(recovery_codes)`)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async deleteExpiredSessions(ex: Executor, now: Date, idleSince: Date): Promise<number> {
      const r = await ex
        .deleteFrom('staff_sessions')
        .where((eb) => eb.or([eb('expires_at', '<', now), eb('last_seen_at', '<', idleSince)]))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async deleteSessionsOf(ex: Executor, staffId: string, except?: Buffer): Promise<void> {
      let q = ex.deleteFrom('staff_sessions').where('staff_id', '=', staffId);
      if (except) {
        q = q.where('id_hash', '!=', except);
      }
      await q.execute();
    },
  };
}

export type StaffRepo = ReturnType<typeof createStaffRepo>;
