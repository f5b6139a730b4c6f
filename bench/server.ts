/**
 * The servers under load in bench/lookup.ts, each run in a child process of its own:
 *
 *   rekisteri  the real application: createApp(services) with logging off, exactly as the server
 *              builds it (API key auth, purpose checks, decryption, response schema).
 *   bare       a plain Fastify route GET /check?subject= (bench/permission-check.ts's baseline:
 *              one person's ledger rows by primary key) and GET /lookup?email= that computes the blind index with the
 *              same vault, runs the same single indexed query as the repository's
 *              findByLookupWithValues for the same purpose, and returns the rows as JSON: no auth,
 *              no schema, no decryption.
 *
 * Both read BENCH_SERVER_DATABASE_URL and BENCH_SERVER_MASTER_KEY, listen on a free port of
 * 127.0.0.1 and report `{ ready: url }` to the parent over IPC. SIGTERM or the parent going away
 * stops them.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { loadDefinition } from '../src/modules/definition/index.ts';
import { DEMO_REGISTER } from '../src/runtime.ts';
import { parseMasterKey } from '../src/vault/master-key.ts';
import { createVault } from '../src/vault/vault.ts';
import { openBenchRuntime, READ_PURPOSE } from './lib.ts';

const mode = process.argv[2];
const url = process.env.BENCH_SERVER_DATABASE_URL;
const masterKey = process.env.BENCH_SERVER_MASTER_KEY;
if ((mode !== 'rekisteri' && mode !== 'bare') || !url || !masterKey) {
  console.error(
    'usage: BENCH_SERVER_DATABASE_URL=… BENCH_SERVER_MASTER_KEY=… server.ts rekisteri|bare',
  );
  process.exit(2);
}

/**
 * The query of subjects.repo.ts findByLookupWithValues for an e-mail address, with the
 * restricted-subject filter it adds for a purpose that is not allowed during restriction.
 */
const LOOKUP_SQL = `
        select s.id, s.restricted_at, s.restriction_reason, s.created_at, s.updated_at,
               v.category, v.sealed, v.source, v.purpose, v.collected_at, v.field_meta, v.version, v.updated_at as v_updated_at
          from subjects s
          left join subject_values v on v.subject_id = s.id and v.category = any($1::text[])
         where s.email_index = $2
           and s.erased_at is null
           %RESTRICTED%
         order by s.id`;

interface LookupRow {
  id: string;
  sealed: Buffer | null;
  [column: string]: unknown;
}

async function bareServer(
  databaseUrl: string,
  key: string,
): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const register = await loadDefinition(DEMO_REGISTER);
  const master = parseMasterKey(key);
  if (!master) {
    throw new Error('BENCH_SERVER_MASTER_KEY is not a 32-byte key');
  }
  const vault = createVault(master, register.definition.defaultCountryCallingCode);
  const purpose = register.purpose(READ_PURPOSE);
  if (!purpose) {
    throw new Error(`the demo register has no purpose ${READ_PURPOSE}`);
  }
  // The same parameters the service passes for this purpose.
  const categories = `{${[...register.categoriesOf(READ_PURPOSE)].join(',')}}`;
  const text = LOOKUP_SQL.replace(
    '%RESTRICTED%',
    purpose.allowedDuringRestriction ? '' : 'and s.restricted_at is null',
  );
  // The same pool size as openDatabase gives the application.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const app = Fastify({ logger: false });
  app.get<{ Querystring: { email?: string } }>('/lookup', async (req, reply) => {
    const index = req.query.email ? vault.emailIndex(req.query.email) : undefined;
    if (!index) {
      return reply.code(400).send({ error: 'expected an e-mail address' });
    }
    const { rows } = await pool.query<LookupRow>(text, [categories, index]);
    // bytea as base64, as any JSON API would send binary (Buffer's own toJSON is a number array).
    return {
      items: rows.map((r) => ({
        ...r,
        sealed: r.sealed?.toString('base64') ?? null,
      })),
    };
  });
  // bench/permission-check.ts's baseline: the ledger rows of one person for the newsletter by
  // e-mail, by primary key, as JSON; no auth, no schema, no access log.
  app.get<{ Querystring: { subject?: string } }>('/check', async (req) => {
    const { rows } = await pool.query(
      `select channel, state, changed_at from permission_states
        where subject_id = $1 and kind = 'newsletter' and channel in ('email', '*')`,
      [req.query.subject],
    );
    return { allowed: rows.some((r: { state: string }) => r.state === 'granted'), rows };
  });
  return { app, close: () => pool.end() };
}

async function main(kind: 'rekisteri' | 'bare', databaseUrl: string, key: string) {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  if (kind === 'rekisteri') {
    const rt = await openBenchRuntime(databaseUrl, key);
    app = await createApp(rt.services, { logger: false });
    close = () => rt.close();
  } else {
    ({ app, close } = await bareServer(databaseUrl, key));
  }
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  let stopping = false;
  const stop = async () => {
    if (stopping) {
      return;
    }
    stopping = true;
    await app.close();
    await close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  // The parent went away (crashed, or Ctrl-C): do not linger.
  process.once('disconnect', () => void stop());
  process.send?.({ ready: address });
}

main(mode, url, masterKey).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
