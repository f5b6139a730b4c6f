/**
 * The vault seals personal data at rest. Each subject has a random 256-bit data key, stored only
 * wrapped (AES-256-GCM) under a key derived from the master key; values are sealed with the data
 * key, bound by associated data to the subject and category they belong to. Destroying a subject's
 * wrapped key makes every copy of their values (backups included) unreadable: crypto-shredding.
 *
 * Lookup without decryption goes through blind indexes: a keyed HMAC-SHA256 of a normalised value,
 * truncated to 64 bits so it fits a bigint column. Collisions are possible but rare; callers check
 * candidates after opening them.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomFillSync,
} from 'node:crypto';
import { normaliseEmail, normalisePhone, searchTokens } from './normalise.ts';

/**
 * Format of a sealed value: its first byte. 2 since associated data binds each value's write
 * counter and provenance; format 1 was written only by pre-releases and is refused.
 */
const VERSION = 2;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION_BYTE = Buffer.from([VERSION]);

export interface Vault {
  /** A fresh data key and its wrapped form, for a new subject. */
  newSubjectKey(subjectId: string): { key: Buffer; wrapped: Buffer };
  unwrapSubjectKey(subjectId: string, wrapped: Uint8Array): Buffer;
  seal(key: Buffer, aad: string, plaintext: Buffer | string): Buffer;
  open(key: Buffer, aad: string, sealed: Uint8Array): Buffer;
  /** Blind index of an e-mail address, as a decimal string for a bigint column. */
  emailIndex(email: string): string | undefined;
  phoneIndex(phone: string): string | undefined;
  /**
   * Blind indexes of each token of a name-like text and of each token's prefixes, in the domain of
   * one field (`category.field`): the same word in two fields gives two unrelated indexes.
   */
  tokenIndexes(field: string, text: string): string[];
  /** Blind index of one already-normalised search token in the domain of one field. */
  tokenIndex(field: string, token: string): string;
  /** A value that tells whether a database was sealed with this master key. */
  keyCheck(): string;
  /** Names the key that wraps person keys, without revealing it: rotation re-wraps by it. */
  wrapKeyId(): string;
  /** Wraps an existing person key under this vault's wrapping key (master-key rotation). */
  wrapSubjectKey(subjectId: string, key: Buffer): Buffer;
  /** Seals the register's root under this vault's wrapping key, for the key store. */
  sealRoot(root: Buffer): Buffer;
  /** Opens a root sealed by `sealRoot`; fails unless this is the master key that sealed it. */
  openRoot(sealed: Uint8Array): Buffer;
  /**
   * Seals a server secret (a staff member's TOTP secret) under a key derived for that use. The
   * associated data as text, or already as its UTF-8 bytes (a caller sealing many under one).
   */
  sealSecret(aad: string | Uint8Array, plaintext: Buffer | string): Buffer;
  openSecret(aad: string, sealed: Uint8Array): Buffer;
  /** HMAC-SHA256 of the access log chain: covers the previous entry's hash and this entry. */
  auditHash(previous: Buffer, entry: string): Buffer;
  /** HMAC-SHA256 of one access-log event, written by the application with the event. */
  auditMac(entry: string): Buffer;
  /**
   * What is stored of a staff member's recovery code: HMAC-SHA256 under a key derived for that
   * use, bound to the staff member, as `hmac-sha256:<hex>`. Without the master key a stolen table
   * cannot be searched for codes, even short ones.
   */
  recoveryCodeHash(staffId: string, code: string): string;
  /**
   * What is stored of a request rate-limit key (a limit's name and an address or account):
   * HMAC-SHA256 under a key derived for that use, so the table never holds an address.
   */
  rateLimitHash(key: string): Buffer;
  /**
   * HMAC-SHA256 (hex) of a normalised e-mail address or phone number under the interchange key:
   * what the suppression list is exported as, for a processor holding that key to compare its own
   * addresses with. Undefined when the value is not an address.
   */
  interchangeHash(kind: 'email' | 'phone', value: string): string | undefined;
  /** The interchange key (hex), for the operator to hand to a processor; no other key follows from it. */
  interchangeKey(): string;
  /**
   * Copies of the derived keys that sealing and indexing new people needs (the wrapping key and
   * the index key), for a vault in another thread: never the master key, never the other keys.
   */
  exportSealingKeys(): SealingKeys;
}

/** What a seal worker's vault is made from: two derived keys, not the master key. */
export interface SealingKeys {
  wrap: Uint8Array;
  blindIndex: Uint8Array;
}

/**
 * Random bytes for nonces and keys, drawn from the CSPRNG 64 KiB at a time: one system call per
 * few thousand seals instead of one each. Every slice is handed out once.
 */
const pool = Buffer.alloc(65_536);
let poolOffset = pool.length;
function randomView(n: number): Buffer {
  if (poolOffset + n > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}
/**
 * Random bytes of one's own (data keys), outside Node's shared 8 KiB allocation pool: a key must
 * not sit in a slab that other, less secret buffers share and hand to other threads. The slice of
 * the pool it came from is zeroed at once, so the key's bytes do not wait in the pool for its
 * next refill.
 */
function random(n: number): Buffer {
  const out = Buffer.allocUnsafeSlow(n);
  const view = randomView(n);
  view.copy(out);
  view.fill(0);
  return out;
}

/** For tests: the random pool and the offset of the next slice it will hand out. */
export function inspectRandomPool(): { pool: Buffer; offset: number } {
  return { pool, offset: poolOffset };
}

/**
 * Blind indexes in ascending numeric order, without repeats: the order in which words and prefixes
 * were indexed (`mat, matt, matti, vir, …`) would tell a reader of the database where one word ends
 * and the next begins.
 */
export function sortIndexes(indexes: Iterable<string>): string[] {
  return [...new Set(indexes)]
    .map((i) => BigInt(i))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map(String);
}

export class VaultError extends Error {
  override name = 'VaultError';
}

export interface VaultOptions {
  /**
   * Remember up to this many search-token indexes (name words and their prefixes) in memory. For
   * bulk work only: an import sees the same first names, surnames and organisation words again and
   * again, and one HMAC call costs several microseconds. Entries not used for a while make room.
   * Off (0) by default, so a long-running server keeps no such table.
   */
  tokenCache?: number;
  /**
   * The secret every key but the wrapping key is derived from, when it is not the master key
   * itself: after a master-key rotation the key store keeps the register's original root, sealed
   * under the new master key, so that blind indexes, the access log's keys and staff secrets stay
   * the same while person keys are re-wrapped.
   */
  root?: Buffer;
}

/**
 * A vault from the master key, or from the sealing keys alone (a seal worker's): such a vault
 * seals, wraps and indexes new people, and refuses everything that needs another key.
 */
export function createVault(
  masterKey: Buffer | { sealingKeys: SealingKeys },
  defaultCallingCode = '+358',
  options: VaultOptions = {},
): Vault {
  let derive: (info: string) => Buffer | undefined;
  if (Buffer.isBuffer(masterKey)) {
    if (masterKey.length !== 32) {
      throw new VaultError('the master key must be 32 bytes');
    }
    const root = options.root ?? masterKey;
    if (root.length !== 32) {
      throw new VaultError('the root key must be 32 bytes');
    }
    // Person keys are wrapped under the master key itself; everything else follows the root.
    derive = (info) =>
      Buffer.from(
        hkdfSync(
          'sha256',
          info === 'wrap' ? masterKey : root,
          Buffer.alloc(0),
          `rekisteri/${info}/v1`,
          32,
        ),
      );
  } else {
    const given: Record<string, Uint8Array> = {
      wrap: masterKey.sealingKeys.wrap,
      'blind-index': masterKey.sealingKeys.blindIndex,
    };
    derive = (info) => {
      const k = given[info];
      if (k === undefined) {
        return undefined;
      }
      if (k.length !== 32) {
        throw new VaultError('a derived key must be 32 bytes');
      }
      return Buffer.from(k);
    };
  }
  /** A key this vault holds, or a refusal naming it. */
  const need = (key: Buffer | undefined, name: string): Buffer => {
    if (!key) {
      throw new VaultError(`this vault holds only the sealing keys, not the ${name} key`);
    }
    return key;
  };
  const wrapKey = need(derive('wrap'), 'wrapping');
  const indexKey = need(derive('blind-index'), 'index');
  const auditKey = derive('audit-chain');
  const secretKey = derive('staff-secrets');
  const auditEventKey = derive('audit-event');
  const recoveryKey = derive('recovery-codes');
  const rateLimitKey = derive('rate-limits');
  const interchangeKey = derive('interchange');

  const seal = (key: Buffer, aad: string | Uint8Array, plaintext: Buffer | string): Buffer => {
    // The nonce is a view of the random pool: both the cipher and the result copy it at once.
    const iv = randomView(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(typeof aad === 'string' ? Buffer.from(aad, 'utf8') : aad);
    const body = cipher.update(plaintext);
    cipher.final(); // GCM: nothing more to write, but the tag is computed here
    const tag = cipher.getAuthTag();
    return Buffer.concat([VERSION_BYTE, iv, body, tag], 1 + IV_BYTES + body.length + TAG_BYTES);
  };

  const open = (key: Buffer, aad: string, sealed: Uint8Array): Buffer => {
    const buf = Buffer.isBuffer(sealed) ? sealed : Buffer.from(sealed);
    if (buf.length >= 1 && buf[0] === 1) {
      throw new VaultError(
        'sealed value is in format 1, written by a pre-release of Rekisteri and no longer read; see "Format versions" in docs/sealing.md',
      );
    }
    if (buf.length < 1 + IV_BYTES + TAG_BYTES || buf[0] !== VERSION) {
      throw new VaultError('sealed value has an unknown format');
    }
    const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
    try {
      const plain = decipher.update(buf.subarray(1 + IV_BYTES, buf.length - TAG_BYTES));
      decipher.final(); // checks the tag; GCM has nothing more to give
      return plain;
    } catch {
      throw new VaultError('sealed value failed authentication (wrong key or tampered data)');
    }
  };

  const blind = (domain: string, value: string): string =>
    createHmac('sha256', indexKey)
      .update(`${domain}\u0000${value}`)
      .digest()
      .readBigInt64BE(0)
      .toString();

  // Two generations: lookups fill the young one; when it holds half the limit it becomes the old
  // one and the previous old one is dropped. A word still in use moves back to the young
  // generation when it is found in the old one. Evicting one entry at a time from the front of a
  // Map instead would cost more and more as deleted slots pile up there.
  const half = Math.floor((options.tokenCache ?? 0) / 2);
  let young = new Map<string, string>();
  let old = new Map<string, string>();
  const token = (field: string, t: string): string => {
    const domain = `token:${field}`;
    if (half <= 0) {
      return blind(domain, t);
    }
    const cacheKey = `${field}\u0000${t}`;
    let index = young.get(cacheKey);
    if (index !== undefined) {
      return index;
    }
    index = old.get(cacheKey) ?? blind(domain, t);
    young.set(cacheKey, index);
    if (young.size >= half) {
      old = young;
      young = new Map();
    }
    return index;
  };

  return {
    newSubjectKey(subjectId) {
      const key = random(32);
      return { key, wrapped: seal(wrapKey, `subject-key:${subjectId}`, key) };
    },
    unwrapSubjectKey(subjectId, wrapped) {
      return open(wrapKey, `subject-key:${subjectId}`, wrapped);
    },
    wrapSubjectKey(subjectId, key) {
      return seal(wrapKey, `subject-key:${subjectId}`, key);
    },
    sealRoot(root) {
      return seal(wrapKey, 'rekisteri/root', root);
    },
    openRoot(sealed) {
      return open(wrapKey, 'rekisteri/root', sealed);
    },
    seal,
    open,
    emailIndex(email) {
      const n = normaliseEmail(email);
      return n ? blind('email', n) : undefined;
    },
    phoneIndex(phone) {
      const n = normalisePhone(phone, defaultCallingCode);
      return n ? blind('phone', n) : undefined;
    },
    tokenIndexes(field, text) {
      const out = new Set<string>();
      for (const t of searchTokens(text, true)) {
        out.add(token(field, t));
      }
      return sortIndexes(out);
    },
    tokenIndex: token,
    keyCheck() {
      return blind('key-check', 'rekisteri');
    },
    wrapKeyId() {
      return createHmac('sha256', wrapKey)
        .update('rekisteri/wrap-key-id')
        .digest('hex')
        .slice(0, 32);
    },
    sealSecret: (aad, plaintext) => seal(need(secretKey, 'staff secret'), aad, plaintext),
    openSecret: (aad, sealed) => open(need(secretKey, 'staff secret'), aad, sealed),
    auditHash(previous, entry) {
      return createHmac('sha256', need(auditKey, 'audit')).update(previous).update(entry).digest();
    },
    recoveryCodeHash(staffId, code) {
      const mac = createHmac('sha256', need(recoveryKey, 'recovery'))
        .update(`${staffId}\u0000${code}`)
        .digest('hex');
      return `hmac-sha256:${mac}`;
    },
    rateLimitHash(key) {
      return createHmac('sha256', need(rateLimitKey, 'rate-limit')).update(key).digest();
    },
    interchangeHash(kind, value) {
      const n =
        kind === 'email' ? normaliseEmail(value) : normalisePhone(value, defaultCallingCode);
      return n === undefined
        ? undefined
        : createHmac('sha256', need(interchangeKey, 'interchange')).update(n).digest('hex');
    },
    interchangeKey() {
      return need(interchangeKey, 'interchange').toString('hex');
    },
    exportSealingKeys() {
      return { wrap: new Uint8Array(wrapKey), blindIndex: new Uint8Array(indexKey) };
    },
    auditMac(entry) {
      return createHmac('sha256', need(auditEventKey, 'audit event')).update(entry).digest();
    },
  };
}
