/**
 * Configuration from the environment, checked once at start. Fails fast with advice.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

/** A postgres:// URL that parses: a malformed one is refused here rather than by the driver. */
function postgresUrl() {
  return z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
    .refine(
      (v) => URL.canParse(v),
      'not a valid URL (a special character in the password must be percent-encoded, e.g. %40 for @)',
    );
}

const schema = z.object({
  PORT: z
    .string()
    .default('8080')
    .transform((v, ctx) => {
      const n = /^\d{1,5}$/.test(v.trim()) ? Number(v.trim()) : NaN;
      if (n >= 1 && n <= 65535) {
        return n;
      }
      ctx.addIssue({
        code: 'custom',
        message: `must be a port number from 1 to 65535 (found ${JSON.stringify(v)})`,
      });
      return z.NEVER;
    }),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: postgresUrl().optional(),
  REKISTERI_DATA: z.string().min(1).default('./data'),
  /**
   * The key store: person keys, the erasure journal and the access log's anchors, kept apart from
   * the data so that a backup of the data alone opens nothing. A directory; without
   * KEYSTORE_DATABASE_URL it also holds the key store's embedded database.
   */
  REKISTERI_KEYSTORE: z.string().min(1).default('./keystore'),
  KEYSTORE_DATABASE_URL: postgresUrl().optional(),
  REKISTERI_REGISTER: z.string().min(1).default('./register.yaml'),
  REKISTERI_MASTER_KEY: z.string().min(1).optional(),
  REKISTERI_KEY_FILE: z.string().min(1).default('./rekisteri.key'),
  REKISTERI_DEMO_PEOPLE: z.coerce.number().int().min(0).max(1_000_000).default(2000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `auto`: readable lines when stdout is a terminal, JSON lines otherwise. */
  LOG_FORMAT: z
    .enum(['auto', 'json', 'pretty'], {
      error: () => 'must be auto, json or pretty',
    })
    .default('auto'),
  /**
   * `false`; a number of proxy hops in front of the server (`true` means 1: only the nearest); or
   * a comma-separated list of proxy addresses or CIDR ranges. Trusting every hop would let a
   * client choose its own address for the sign-in limit by sending X-Forwarded-For.
   */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v, ctx): false | number | string[] => {
      const t = v.trim().toLowerCase();
      if (t === 'false' || t === '0' || t === '') {
        return false;
      }
      if (t === 'true') {
        return 1;
      }
      if (/^\d{1,2}$/.test(t)) {
        return Number(t);
      }
      const list = t.split(',').map((x) => x.trim());
      if (list.every((x) => /^[0-9a-f.:]+(\/\d{1,3})?$/.test(x))) {
        return list;
      }
      ctx.addIssue({
        code: 'custom',
        message:
          'expected false, a number of proxy hops, or proxy addresses/CIDRs separated by commas',
      });
      return z.NEVER;
    }),
  REKISTERI_BODY_LIMIT: z.coerce.number().int().min(1024).default(1_048_576),
  /** Seconds between passes that clean erased keys out of the key store's storage. */
  REKISTERI_KEY_CLEAN_INTERVAL: z.coerce.number().int().min(1).max(3600).default(60),
  /** Seconds to wait for a PostgreSQL server to accept a connection and answer its start-up. */
  DATABASE_CONNECT_TIMEOUT: z.coerce.number().int().min(1).max(600).default(10),
  /** Seconds one statement may run (or wait for a lock) on PostgreSQL; 0 disables. */
  DATABASE_STATEMENT_TIMEOUT: z.coerce.number().int().min(0).max(86_400).default(30),
  /** Seconds a PostgreSQL session may sit idle inside a transaction; 0 disables. */
  DATABASE_IDLE_TRANSACTION_TIMEOUT: z.coerce.number().int().min(0).max(86_400).default(60),
  /**
   * Free space, in megabytes, the embedded databases' volumes must keep: below it every write is
   * refused (a PostgreSQL WAL segment is 16 MB; the embedded database hangs when it cannot write one).
   */
  REKISTERI_MIN_FREE_SPACE: z.coerce.number().int().min(0).max(1_048_576).default(64),
  /** Seconds the event loop may stop before the watchdog ends the process; 0 disables. */
  REKISTERI_WATCHDOG_TIMEOUT: z.coerce.number().int().min(0).max(3600).default(30),
  /**
   * The SMTP server outgoing mail is delivered through: smtp://[user:password@]host[:port] (STARTTLS
   * when the server offers it) or smtps:// (TLS from the start). Without it mail waits in the outbox.
   */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'expected an smtp:// or smtps:// URL')
    .refine(
      (v) => URL.canParse(v) && new URL(v).hostname !== '',
      'not a valid URL with a host (a special character in the password must be percent-encoded, e.g. %40 for @)',
    )
    .optional(),
  /** The sender of outgoing mail: an address, or `Name <address>`. */
  MAIL_FROM: z
    .string()
    .regex(
      /^(?:[^<>@\r\n]*<[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)$/,
      'expected an address (registry@example.fi) or a name and an address (Registry <registry@example.fi>)',
    )
    .optional(),
  /**
   * Hours a mail stays in the outbox, delivered or not: `mail.expire` removes it then (a mail not
   * delivered by then is not sent). Default 168 (seven days).
   */
  MAIL_OUTBOX_TTL: z.coerce.number().int().min(1).max(2160).default(168),
  /** Campaign mails per minute at most, across the instances (docs/campaigns.md). */
  CAMPAIGN_SEND_RATE: z.coerce.number().int().min(1).max(100_000).default(600),
  /**
   * Where people reach the portal (`https://rekisteri.example.fi`): the links mailed to them (a
   * request's confirmation, a download) point here, never to whatever Host a request named.
   */
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
    .refine((v) => {
      // Runs even when the URL check above failed: a value that is no URL at all is that error's.
      if (!URL.canParse(v)) {
        return true;
      }
      const u = new URL(v);
      return u.search === '' && u.hash === '' && u.username === '' && u.password === '';
    }, 'expected the portal’s address only, without query, fragment or credentials')
    .optional(),
  API_KEY_RATE_LIMIT: z.coerce.number().int().min(0).max(100_000_000).default(300_000),
  /** A bearer token of at least 32 characters; without it /metrics answers 404. */
  REKISTERI_METRICS_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters (for example `openssl rand -hex 32`)')
    .optional(),
});

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  /** Directory of the key store (its embedded database unless keystoreUrl is set, anchors). */
  keystoreDir: string;
  /** A PostgreSQL database for person keys; must differ from databaseUrl. */
  keystoreUrl: string | undefined;
  registerFile: string;
  keyFile: string;
  demoPeople: number;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  /** How log lines are written: JSON, readable, or by whether stdout is a terminal. */
  logFormat: z.infer<typeof schema>['LOG_FORMAT'];
  trustProxy: false | number | string[];
  bodyLimit: number;
  keyCleanInterval: number;
  /** Timeouts of the PostgreSQL pools, in milliseconds (0: none). */
  databaseTimeouts: DatabaseTimeouts;
  /** Bytes the embedded databases' volumes must keep free. */
  minFreeSpace: number;
  /** Seconds; 0 disables the watchdog. */
  watchdogTimeout: number;
  /** The sender of outgoing mail (MAIL_FROM); the SMTP server is read by smtpSettings(). */
  mailFrom: string | undefined;
  /** Milliseconds a mail stays in the outbox (MAIL_OUTBOX_TTL, given in hours). */
  mailOutboxTtl: number;
  /** Campaign mails per minute at most (CAMPAIGN_SEND_RATE). */
  campaignSendRate: number;
  /** Where people reach the portal (PUBLIC_URL), for mailed links; this server when not given. */
  publicUrl: string;
  /** Requests per minute per API key under /api/v1 (API_KEY_RATE_LIMIT); 0: no limit. */
  apiKeyRateLimit: number;
}

export interface DatabaseTimeouts {
  connect: number;
  statement: number;
  idleInTransaction: number;
}

/**
 * REKISTERI_MASTER_KEY as given, kept beside each configuration rather than in it: the
 * configuration is passed around, printed in tests and might be logged; the key must not be.
 */
const masterKeys = new WeakMap<object, string>();

/** SMTP_URL (it may hold a password), kept out of the configuration object for the same reason. */
const smtpUrls = new WeakMap<object, string>();

/** Where and as whom mail is delivered, when SMTP_URL is set. */
export function smtpSettings(config: Readonly<Config>): { url: string; from: string } | undefined {
  const url = smtpUrls.get(config);
  return url && config.mailFrom ? { url, from: config.mailFrom } : undefined;
}

/** REKISTERI_METRICS_TOKEN, kept out of the configuration object for the same reason. */
const metricsTokens = new WeakMap<object, string>();

export function metricsToken(config: Readonly<Config>): string | undefined {
  return metricsTokens.get(config);
}

/** The master key text from the environment the configuration was loaded from, if it had one. */
export function masterKeyFromEnvironment(config: Readonly<Config>): string | undefined {
  return masterKeys.get(config);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  // Out of the environment once read, even when the rest is refused: worker threads and child
  // processes inherit process.env.
  delete env.REKISTERI_MASTER_KEY;
  // An empty value means unset; one of spaces only is a mistake (a quoted blank in a unit file),
  // refused rather than silently replaced by the default.
  const blank = Object.keys(schema.shape).filter((k) => cleaned[k]?.trim() === '');
  if (blank.length > 0) {
    throw new ConfigError(
      blank
        .map((k) => `${k}: is only spaces: give a value, or leave ${k} out for the default`)
        .join('\n'),
    );
  }
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues
        .map((i) => `${i.path.join('.')}: ${i.message} (see the configuration table in README.md)`)
        .join('\n'),
    );
  }
  const e = parsed.data;
  if (e.DATABASE_URL && !e.KEYSTORE_DATABASE_URL) {
    throw new ConfigError(
      'KEYSTORE_DATABASE_URL: required when DATABASE_URL is set: a PostgreSQL database apart from the data (better on another server) for person keys; see docs/operations.md',
    );
  }
  if (e.KEYSTORE_DATABASE_URL && e.KEYSTORE_DATABASE_URL === e.DATABASE_URL) {
    throw new ConfigError(
      'KEYSTORE_DATABASE_URL: must name another database than DATABASE_URL: a key store inside the data database would go into every dump of the data',
    );
  }
  if (e.SMTP_URL && !e.MAIL_FROM) {
    throw new ConfigError(
      'MAIL_FROM: required when SMTP_URL is set: the address mail is sent from, e.g. "Registry <registry@example.fi>"',
    );
  }
  const config = Object.freeze({
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: resolve(e.REKISTERI_DATA),
    keystoreDir: resolve(e.REKISTERI_KEYSTORE),
    keystoreUrl: e.KEYSTORE_DATABASE_URL,
    registerFile: resolve(e.REKISTERI_REGISTER),
    keyFile: resolve(e.REKISTERI_KEY_FILE),
    demoPeople: e.REKISTERI_DEMO_PEOPLE,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    trustProxy: e.TRUST_PROXY,
    bodyLimit: e.REKISTERI_BODY_LIMIT,
    keyCleanInterval: e.REKISTERI_KEY_CLEAN_INTERVAL,
    databaseTimeouts: Object.freeze({
      connect: e.DATABASE_CONNECT_TIMEOUT * 1000,
      statement: e.DATABASE_STATEMENT_TIMEOUT * 1000,
      idleInTransaction: e.DATABASE_IDLE_TRANSACTION_TIMEOUT * 1000,
    }),
    minFreeSpace: e.REKISTERI_MIN_FREE_SPACE * 1024 * 1024,
    watchdogTimeout: e.REKISTERI_WATCHDOG_TIMEOUT,
    mailFrom: e.MAIL_FROM,
    mailOutboxTtl: e.MAIL_OUTBOX_TTL * 3600 * 1000,
    campaignSendRate: e.CAMPAIGN_SEND_RATE,
    publicUrl: (
      e.PUBLIC_URL ??
      `http://${e.HOST === '0.0.0.0' || e.HOST === '::' ? 'localhost' : e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST}:${e.PORT}`
    ).replace(/\/+$/, ''),
    apiKeyRateLimit: e.API_KEY_RATE_LIMIT,
  });
  if (e.SMTP_URL !== undefined) {
    smtpUrls.set(config, e.SMTP_URL);
  }
  if (e.REKISTERI_METRICS_TOKEN !== undefined) {
    metricsTokens.set(config, e.REKISTERI_METRICS_TOKEN);
  }
  if (e.REKISTERI_MASTER_KEY !== undefined) {
    masterKeys.set(config, e.REKISTERI_MASTER_KEY);
  }
  return config;
}
