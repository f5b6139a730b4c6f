import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';

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
] as const;

export function createStaffRepo(db: Kysely<Database>) {
  const map = (r: StaffRow): StaffRow => ({
    ...r,
    totp_secret: r.totp_secret ? Buffer.from(r.totp_secret) : null,
  });
  return {
    async count(): Promise<number> {
      const r = await db
        .selectFrom('staff')
        .select(sql<number>`count(*)::int`.as('n'))
        .executeTakeFirstOrThrow();
      return r.n;
    },
    async insert(
      tx: Kysely<Database>,
      row: {
        id: string;
        username: string;
        display_name: string;
        role: string;
        password_hash: string;
        must_change_password: boolean;
      },
    ): Promise<void> {
      await tx.insertInto('staff').values(row).execute();
    },
    async findById(id: string, tx: Kysely<Database> = db): Promise<StaffRow | undefined> {
      const r = await tx
        .selectFrom('staff')
        .select(staffColumns)
        .where('id', '=', id)
        .executeTakeFirst();
      return r ? map(r) : undefined;
    },
    async findByUsername(username: string): Promise<StaffRow | undefined> {
      const r = await db
        .selectFrom('staff')
        .select(staffColumns)
        .where(sql`lower(username)`, '=', username.toLowerCase())
        .executeTakeFirst();
      return r ? map(r) : undefined;
    },
    async list(): Promise<StaffRow[]> {
      return (
        await db.selectFrom('staff').select(staffColumns).orderBy('created_at').execute()
      ).map(map);
    },
    async update(
      tx: Kysely<Database>,
      id: string,
      set: Partial<Omit<StaffRow, 'id' | 'created_at'>>,
    ): Promise<void> {
      await tx
        .updateTable('staff')
        .set({ ...set, updated_at: new Date() })
        .where('id', '=', id)
        .execute();
    },
    async namesOf(ids: string[]): Promise<Map<string, string>> {
      if (ids.length === 0) {
        return new Map();
      }
      const rows = await db
        .selectFrom('staff')
        .select(['id', 'display_name'])
        .where('id', 'in', ids)
        .execute();
      return new Map(rows.map((r) => [r.id, r.display_name]));
    },

    async insertSession(
      tx: Kysely<Database>,
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
      await tx.insertInto('staff_sessions').values(row).execute();
    },
    async findSession(idHash: Buffer): Promise<SessionRow | undefined> {
      return db
        .selectFrom('staff_sessions')
        .select(['staff_id', 'csrf_token', 'mfa_passed', 'last_seen_at', 'expires_at'])
        .where('id_hash', '=', idHash)
        .executeTakeFirst();
    },
    /** A session and its staff member in one query: every console request asks for both. */
    async findSessionWithStaff(
      idHash: Buffer,
    ): Promise<{ session: SessionRow; staff: StaffRow } | undefined> {
      const r = await db
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
    async touchSession(idHash: Buffer, at: Date): Promise<void> {
      await db
        .updateTable('staff_sessions')
        .set({ last_seen_at: at })
        .where('id_hash', '=', idHash)
        .execute();
    },
    async deleteSession(tx: Kysely<Database>, idHash: Buffer): Promise<void> {
      await tx.deleteFrom('staff_sessions').where('id_hash', '=', idHash).execute();
    },
    /** Counts one more failure atomically; returns the new count. */
    async countFailure(tx: Kysely<Database>, id: string): Promise<number> {
      const r = await tx
        .updateTable('staff')
        .set({ failed_logins: sql<number>`failed_logins + 1` })
        .where('id', '=', id)
        .returning('failed_logins')
        .executeTakeFirstOrThrow();
      return r.failed_logins;
    },
    /** Uses a TOTP time step only if no later or equal step was used: true when it was free. */
    async useTotpStep(id: string, step: number): Promise<boolean> {
      const r = await db
        .updateTable('staff')
        .set({ totp_last_step: String(step) })
        .where('id', '=', id)
        .where('totp_last_step', '<', String(step))
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    /** Removes a recovery code if it is still there: true when this call used it. */
    async useRecoveryCode(id: string, hashed: string): Promise<boolean> {
      const r = await db
        .updateTable('staff')
        .set({ recovery_codes: sql<string[]>`array_remove(recovery_codes, ${hashed})` })
        .where('id', '=', id)
        .where(sql<boolean>`${hashed} = any(recovery_codes)`)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async deleteExpiredSessions(now: Date, idleSince: Date): Promise<number> {
      const r = await db
        .deleteFrom('staff_sessions')
        .where((eb) => eb.or([eb('expires_at', '<', now), eb('last_seen_at', '<', idleSince)]))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async deleteSessionsOf(tx: Kysely<Database>, staffId: string, except?: Buffer): Promise<void> {
      let q = tx.deleteFrom('staff_sessions').where('staff_id', '=', staffId);
      if (except) {
        q = q.where('id_hash', '!=', except);
      }
      await q.execute();
    },
  };
}

export type StaffRepo = ReturnType<typeof createStaffRepo>;
