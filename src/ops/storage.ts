/**
 * The embedded databases' volumes must keep room: the embedded PostgreSQL writes its log in 16 MB
 * segments, and when it cannot create one it spins, answers nothing and ignores SIGTERM. So the
 * free space of each embedded database's volume is watched; below REKISTERI_MIN_FREE_SPACE every
 * request that would write answers 503 (and readiness too) until space returns. A server on
 * PostgreSQL has no embedded volume to watch: PostgreSQL itself reports a full disk as errors.
 */
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface WatchedVolume {
  /** The database directory (it may not exist yet: its nearest existing parent is measured). */
  dir: string;
  /** The variable that names it, for messages. */
  variable: string;
}

export interface VolumeReading extends WatchedVolume {
  freeBytes: number;
}

/** Bytes free for this process's user on the volume of `dir` (or of its nearest existing parent). */
export async function freeSpace(dir: string): Promise<number> {
  let path = dir;
  for (;;) {
    try {
      const s = await statfs(path);
      return Number(s.bavail) * Number(s.bsize);
    } catch (err) {
      const parent = dirname(path);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === path) {
        throw err;
      }
      path = parent;
    }
  }
}

export function formatBytes(n: number): string {
  return n >= 1024 * 1024 * 1024
    ? `${(n / 1024 ** 3).toFixed(1)} GB`
    : `${(n / 1024 ** 2).toFixed(1)} MB`;
}

export class StorageLowAtStart extends Error {
  override name = 'StorageLowAtStart';
}

/**
 * Refuses to open an embedded database on a volume below the threshold: it could hang on its
 * first write. One line naming the variable and the free space.
 */
export async function checkStorageAtStart(
  volumes: WatchedVolume[],
  minFree: number,
): Promise<void> {
  await requireFreeSpace(
    volumes,
    minFree,
    'free some space (the embedded database writes its log in 16 MB segments) before starting',
  );
}

/** Throws StorageLowAtStart naming the first volume below `minFree`; `advice` ends the message. */
export async function requireFreeSpace(
  volumes: WatchedVolume[],
  minFree: number,
  advice: string,
): Promise<void> {
  for (const v of volumes) {
    const free = await freeSpace(v.dir);
    if (free < minFree) {
      throw new StorageLowAtStart(
        `${v.variable}: only ${formatBytes(free)} free on the volume of ${v.dir}, below REKISTERI_MIN_FREE_SPACE (${formatBytes(minFree)}): ${advice}`,
      );
    }
  }
}

export interface StorageLog {
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export class StorageGuard {
  #low = false;
  #readings: VolumeReading[] = [];
  #timer: NodeJS.Timeout | undefined;
  #log: StorageLog | undefined;

  #checking: Promise<boolean> | undefined;

  constructor(
    readonly volumes: WatchedVolume[],
    public minFree: number,
    readonly intervalMs = 2000,
    /** How a volume is measured (freeSpace; a test may hand in a volume that never answers). */
    readonly measure: (dir: string) => Promise<number> = freeSpace,
  ) {}

  /** Whether any watched volume is below the threshold (as of the last check). */
  get low(): boolean {
    return this.#low;
  }

  get readings(): readonly VolumeReading[] {
    return this.#readings;
  }

  setLogger(log: StorageLog): void {
    this.#log = log;
  }

  /**
   * Measures every volume; logs once when the state changes, not on every check. One check at a
   * time: a statfs that hangs (a stale network mount) holds one of libuv's four threads, and checks
   * piled on it every 2 s would soon hold all of them (file reads, password hashing, DNS).
   */
  check(): Promise<boolean> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #check(): Promise<boolean> {
    const readings: VolumeReading[] = [];
    for (const v of this.volumes) {
      try {
        readings.push({ ...v, freeBytes: await this.measure(v.dir) });
      } catch {
        // A volume that cannot be measured is not taken for full; the database will say more.
      }
    }
    this.#readings = readings;
    const short = readings.filter((r) => r.freeBytes < this.minFree);
    const low = short.length > 0;
    if (low !== this.#low) {
      this.#low = low;
      if (low) {
        for (const r of short) {
          this.#log?.error(
            { variable: r.variable, freeBytes: r.freeBytes, minFreeBytes: this.minFree },
            `storage is low: ${formatBytes(r.freeBytes)} free for ${r.variable} (${r.dir}), below REKISTERI_MIN_FREE_SPACE; refusing writes until space is freed`,
          );
        }
      } else {
        this.#log?.info({}, 'storage has room again: accepting writes');
      }
    }
    return low;
  }

  start(): void {
    if (this.#timer || this.volumes.length === 0) {
      return;
    }
    this.#timer = setInterval(() => void this.check(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
