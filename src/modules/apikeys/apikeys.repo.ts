import type { Executor } from '../../db/transaction.ts';

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

/** The API keys' SQL; every method runs on the executor it is given. */
export function createApiKeysRepo() {
  const map = (r: ApiKeyRow): ApiKeyRow => ({ ...r, secret_hash: Buffer.from(r.secret_hash) });
  return {
    async insert(ex: Executor, row: Omit<ApiKeyRow, 'last_used_at' | 'revoked_at'>): Promise<void> {
      await ex.insertInto('api_keys').values(row).execute();
    },
    async findById(ex: Executor, id: string): Promise<ApiKeyRow | undefined> {
      const row = await ex
        .selectFrom('api_keys')
        .select(columns)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? map(row) : undefined;
    },
    async list(ex: Executor): Promise<ApiKeyRow[]> {
      return (await ex.selectFrom('api_keys').select(columns).orderBy('created_at').execute()).map(
        map,
      );
    },
    async revoke(ex: Executor, id: string, at: Date): Promise<boolean> {
      const r = await ex
        .updateTable('api_keys')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async touch(ex: Executor, id: string, at: Date): Promise<void> {
      await ex.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
    },
  };
}

export type ApiKeysRepo = ReturnType<typeof createApiKeysRepo>;
