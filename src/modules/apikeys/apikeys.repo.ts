import type { Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';

export interface ApiKeyRow {
  id: string;
  name: string;
  secret_hash: Buffer;
  purposes: string[];
  actions: string[];
  created_at: Date;
  created_by: string;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const columns = [
  'id',
  'name',
  'secret_hash',
  'purposes',
  'actions',
  'created_at',
  'created_by',
  'last_used_at',
  'revoked_at',
] as const;

export function createApiKeysRepo(db: Kysely<Database>) {
  const map = (r: ApiKeyRow): ApiKeyRow => ({ ...r, secret_hash: Buffer.from(r.secret_hash) });
  return {
    async insert(row: Omit<ApiKeyRow, 'last_used_at' | 'revoked_at'>): Promise<void> {
      await db.insertInto('api_keys').values(row).execute();
    },
    async findById(id: string): Promise<ApiKeyRow | undefined> {
      const row = await db
        .selectFrom('api_keys')
        .select(columns)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? map(row) : undefined;
    },
    async list(): Promise<ApiKeyRow[]> {
      return (await db.selectFrom('api_keys').select(columns).orderBy('created_at').execute()).map(
        map,
      );
    },
    async revoke(id: string, at: Date): Promise<boolean> {
      const r = await db
        .updateTable('api_keys')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async touch(id: string, at: Date): Promise<void> {
      await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
    },
  };
}

export type ApiKeysRepo = ReturnType<typeof createApiKeysRepo>;
