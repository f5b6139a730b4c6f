/**
 * The watchdog ends a process whose event loop stops, with one line on stderr; a process whose
 * loop runs is left alone, and 0 disables it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rekisteri-watchdog-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs a child that starts the watchdog, waits `healthyMs` with a working loop, then busy-loops for `busyMs`. */
async function child(timeout: number, healthyMs: number, busyMs: number, clockShiftMs = 0) {
  const script = join(dir, `child-${timeout}-${busyMs}-${clockShiftMs}.mjs`);
  const module = pathToFileURL(join(ROOT, 'src/ops/watchdog.ts')).href;
  await writeFile(
    script,
    `const { startWatchdog } = await import(${JSON.stringify(module)});
const dog = startWatchdog(${timeout});
// The wall clock as this thread sees it from now on: stepped by ${clockShiftMs} ms.
const wall = Date.now;
Date.now = () => wall() + ${clockShiftMs};
await new Promise((r) => setTimeout(r, ${healthyMs}));
process.stdout.write('busy\\n');
const end = Date.now() + ${busyMs};
while (Date.now() < end) {}
process.stdout.write('survived\\n');
await dog.stop();
`,
  );
  const started = Date.now();
  const p = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) =>
    p.on('exit', (c, s) => r([c, s])),
  );
  return { code, signal, out, err, took: Date.now() - started };
}

describe('the watchdog', () => {
  it('kills a process whose event loop stops answering, with one line on stderr', async () => {
    const r = await child(1, 1500, 20_000);
    expect(r.out).toBe('busy\n');
    expect(r.signal).toBe('SIGKILL');
    expect(r.err.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^rekisteri: watchdog: the event loop has not answered for \d+ s \(REKISTERI_WATCHDOG_TIMEOUT=1\): ending the process$/,
      ),
    ]);
    expect(r.took).toBeLessThan(10_000);
  }, 30_000);

  it('leaves a process alone whose loop stalls for less than the timeout, and 0 disables it', async () => {
    const short = await child(3, 1500, 1000);
    expect(short.signal).toBeNull();
    expect(short.code).toBe(0);
    expect(short.out).toBe('busy\nsurvived\n');
    const off = await child(0, 100, 2500);
    expect(off.code).toBe(0);
    expect(off.out).toBe('busy\nsurvived\n');
    expect(off.err).toBe('');
  }, 30_000);

  it('goes by elapsed time, not the wall clock: a clock stepped forward kills nothing, one stepped back spares nothing', async () => {
    const forward = await child(2, 4000, 0, -60_000);
    expect(forward.signal).toBeNull();
    expect(forward.out).toBe('busy\nsurvived\n');
    expect(forward.err).toBe('');
    const back = await child(1, 1500, 20_000, 3_600_000);
    expect(back.out).toBe('busy\n');
    expect(back.signal).toBe('SIGKILL');
    expect(back.took).toBeLessThan(10_000);
  }, 60_000);
});
