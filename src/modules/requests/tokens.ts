/**
 * The portal's link tokens: 32 random bytes as base64url (43 characters), carried in a link's URL
 * fragment so that no server log sees them; only their SHA-256 is stored. A verification link
 * holds 24 hours, a download link 30 minutes; each works once.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { TokenKind } from './tokens.repo.ts';

export const TOKEN_LIFETIME_MS: Record<TokenKind, number> = {
  verify: 24 * 3600_000,
  download: 30 * 60_000,
};

/** The shape of every token we issue; anything else is refused without a database read. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function newToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}
