/**
 * Anchors of the access log's chain kept outside the database: an append-only file of JSON lines
 * (`{"seq":"…","hash":"…","time":"…"}`), written with O_APPEND and flushed to disk before the call
 * returns. A database administrator who cuts entries off the end of the chain cannot make the
 * chain reach an anchored head again, so verification catches the cut.
 */
import { constants } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface Anchor {
  /** Chain position, as a decimal string. */
  seq: string;
  /** The chain hash at that position, in hex. */
  hash: string;
  /** When it was anchored (ISO 8601). */
  time: string;
}

export interface AnchorStore {
  readonly file: string;
  /** The anchor with the highest position among the file's last lines, if any. */
  latest(): Promise<Anchor | undefined>;
  append(anchor: Anchor): Promise<void>;
}

/** How much of the end of the file `latest` reads: many lines, whatever the file's length. */
const TAIL_BYTES = 64 * 1024;

function parse(line: string): Anchor | undefined {
  try {
    const v = JSON.parse(line) as Partial<Anchor>;
    if (
      typeof v.seq === 'string' &&
      /^[1-9]\d{0,18}$/.test(v.seq) &&
      typeof v.hash === 'string' &&
      /^[0-9a-f]{64}$/.test(v.hash) &&
      typeof v.time === 'string'
    ) {
      return { seq: v.seq, hash: v.hash, time: v.time };
    }
  } catch {
    // a line torn by a crash while it was written: the lines before it still count
  }
  return undefined;
}

export function fileAnchors(file: string): AnchorStore {
  let cached: { size: number; mtimeMs: number; anchor: Anchor | undefined } | undefined;

  return {
    file,

    async latest() {
      let info;
      try {
        info = await stat(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          cached = undefined;
          return undefined;
        }
        throw err;
      }
      if (cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs) {
        return cached.anchor;
      }
      const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
      let text: string;
      let size: number;
      try {
        size = (await fh.stat()).size;
        const length = Math.min(size, TAIL_BYTES);
        const buf = Buffer.alloc(length);
        await fh.read(buf, 0, length, size - length);
        text = buf.toString('utf8');
      } finally {
        await fh.close();
      }
      let best: Anchor | undefined;
      // When only the tail was read, its first line may be cut: parse() skips it.
      for (const line of text.split('\n')) {
        const a = line.trim() ? parse(line) : undefined;
        if (a && (!best || BigInt(a.seq) >= BigInt(best.seq))) {
          best = a;
        }
      }
      cached = { size, mtimeMs: info.mtimeMs, anchor: best };
      return best;
    },

    async append(anchor) {
      const dir = dirname(file);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const fh = await open(
        file,
        constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
        0o600,
      );
      let created: boolean;
      try {
        created = (await fh.stat()).size === 0;
        await fh.write(
          `${JSON.stringify({ seq: anchor.seq, hash: anchor.hash, time: anchor.time })}\n`,
        );
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (created) {
        // The new file's directory entry must reach the disk too.
        const d = await open(dir, constants.O_RDONLY);
        try {
          await d.sync();
        } finally {
          await d.close();
        }
      }
    },
  };
}
