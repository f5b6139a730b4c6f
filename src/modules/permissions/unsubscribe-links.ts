/**
 * The unsubscribe links every marketing mail and every audience row carries (RFC 8058).
 *
 * A link names one person, one purpose and one channel, and nothing else: `<PUBLIC_URL>/u/<token>`.
 * The token is those three and the time it was issued, sealed with AES-256-GCM under a key
 * derived from the register's root (the vault's server-secret key, with an associated-data label of
 * its own, so no other sealed secret is ever taken for a token). So it is
 *
 * - opaque: the recipient, a mail provider or a log learns nothing from it, not even the person's id;
 * - unforgeable: a changed byte, or a token made for another register, opens to nothing;
 * - stateless: issuing one writes nothing, so an audience of a million rows costs a million seals,
 *   not a million inserts.
 *
 * A link does not expire: a newsletter read a year later must still unsubscribe its reader. It
 * survives a master-key rotation (the root does not change). Following it can only ever take a
 * permission away, never grant one, so a forwarded mail risks at most an unwanted unsubscribe.
 */
import { AppError } from '../../lib/errors.ts';
import { unreachableForRecipients } from '../../lib/public-url.ts';
import type { Vault } from '../../vault/vault.ts';

export interface UnsubscribeTarget {
  subjectId: string;
  purpose: string;
  channel: string;
}

export interface OpenedUnsubscribeToken extends UnsubscribeTarget {
  issuedAt: Date;
}

export interface UnsubscribeLinks {
  /** A new token for the person, purpose and channel (a fresh nonce each time). */
  issue(target: UnsubscribeTarget, now?: Date): string;
  /** The HTTPS (or configured) URL a mail's List-Unsubscribe header and an audience row carry. */
  url(token: string): string;
  /**
   * For many people at once (an audience's rows): a function that issues the URL of a new token
   * for one person and this purpose and channel, each as `url(issue(…))` would, with what every
   * row shares checked and encoded once.
   */
  urls(target: Omit<UnsubscribeTarget, 'subjectId'>): (subjectId: string) => string;
  /** What a token names, or undefined for anything this register did not issue, unchanged. */
  open(token: string): OpenedUnsubscribeToken | undefined;
  /**
   * Why links cannot be handed out for `doing` (`a campaign cannot be sent`): PUBLIC_URL is not an
   * https:// address, and RFC 8058 one-click unsubscribe needs one (mail services ignore a plain
   * http link, or hold it against the sender). A 409 naming PUBLIC_URL; undefined when it is https.
   */
  refusal(doing: string): AppError | undefined;
}

/** The associated data every token is sealed with: a label no other sealed secret uses. */
const AAD = 'unsubscribe-link/v1';
const AAD_BYTES = Buffer.from(AAD, 'utf8');
/** The payload's own format number, inside the seal. */
const FORMAT = 1;
/** base64url of at least the seal's overhead and a payload; at most what a URL path should hold. */
export const UNSUBSCRIBE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{60,400}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Purpose and channel ids as the definition allows them (letters, digits, underscore). */
const ID = /^[a-z][a-z0-9_]{0,127}$/;

export function createUnsubscribeLinks(deps: {
  vault: Vault;
  publicUrl: string;
}): UnsubscribeLinks {
  const base = deps.publicUrl.replace(/\/+$/, '');

  const refuse = () => {
    throw new Error('an unsubscribe link needs a subject id, a purpose id and a channel id');
  };
  /** Issues tokens for one purpose and channel: the payload's tail encoded once. */
  const issuer = (target: Omit<UnsubscribeTarget, 'subjectId'>) => {
    if (!ID.test(target.purpose) || !ID.test(target.channel)) {
      refuse();
    }
    const ids = Buffer.from(`${target.purpose}\u0000${target.channel}`, 'utf8');
    return (subjectId: string, now: Date | number = Date.now()): string => {
      if (!UUID.test(subjectId)) {
        refuse();
      }
      const payload = Buffer.allocUnsafe(1 + 16 + 4 + ids.length);
      payload[0] = FORMAT;
      // The id's 32 hex digits in its five groups (8-4-4-4-12), straight into the payload.
      payload.write(subjectId.slice(0, 8), 1, 'hex');
      payload.write(subjectId.slice(9, 13), 5, 'hex');
      payload.write(subjectId.slice(14, 18), 7, 'hex');
      payload.write(subjectId.slice(19, 23), 9, 'hex');
      payload.write(subjectId.slice(24), 11, 'hex');
      payload.writeUInt32BE(Math.floor((typeof now === 'number' ? now : now.getTime()) / 1000), 17);
      ids.copy(payload, 21);
      return deps.vault.sealSecret(AAD_BYTES, payload).toString('base64url');
    };
  };

  const issue = (target: UnsubscribeTarget, now = new Date()): string =>
    issuer(target)(target.subjectId, now);

  const open = (token: string): OpenedUnsubscribeToken | undefined => {
    if (!UNSUBSCRIBE_TOKEN_PATTERN.test(token)) {
      return undefined;
    }
    let payload: Buffer;
    try {
      payload = deps.vault.openSecret(AAD, Buffer.from(token, 'base64url'));
    } catch {
      return undefined;
    }
    if (payload.length < 21 + 3 || payload[0] !== FORMAT) {
      return undefined;
    }
    const hex = payload.subarray(1, 17).toString('hex');
    const subjectId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const [purpose, channel, ...rest] = payload.subarray(21).toString('utf8').split('\u0000');
    if (rest.length > 0 || !purpose || !channel || !ID.test(purpose) || !ID.test(channel)) {
      return undefined;
    }
    return {
      subjectId,
      purpose,
      channel,
      issuedAt: new Date(payload.readUInt32BE(17) * 1000),
    };
  };

  const prefix = `${base}/u/`;
  return {
    issue,
    url: (token) => `${prefix}${token}`,
    urls: (target) => {
      const one = issuer(target);
      return (subjectId) => `${prefix}${one(subjectId)}`;
    },
    open,
    refusal: (doing) => {
      const why = unreachableForRecipients(base);
      return why === undefined
        ? undefined
        : new AppError(
            'conflict',
            `PUBLIC_URL is ${base}, ${why}: ${doing}, as its unsubscribe links would not work for recipients (RFC 8058 one-click unsubscribe needs https on an address they reach). Set PUBLIC_URL to the portal's public https:// address (see the configuration table in README.md)`,
            [
              {
                field: 'PUBLIC_URL',
                detail:
                  'expected a public https:// URL (not a loopback host) for unsubscribe links',
              },
            ],
          );
    },
  };
}
