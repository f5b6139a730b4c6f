/**
 * Time-ordered UUIDs (version 7, RFC 9562): a 48-bit millisecond timestamp, then random bits.
 * New rows land at the right edge of primary-key indexes instead of at random pages, which keeps
 * bulk imports fast; the random part keeps ids unguessable.
 */
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(16 * 256);
let offset = pool.length;
let lastMs = 0;
let seq = 0;

export function uuidv7(now = Date.now()): string {
  if (offset >= pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const b = pool.subarray(offset, offset + 16);
  offset += 16;
  // Within one millisecond, a 12-bit counter in rand_a keeps ids in creation order.
  seq = now === lastMs ? (seq + 1) & 0xfff : 0;
  lastMs = now;
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (seq >> 8);
  b[7] = seq & 0xff;
  b[8] = 0x80 | ((b[8] as number) & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
