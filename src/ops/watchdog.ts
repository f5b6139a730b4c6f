/**
 * A watchdog on a worker thread: the main thread counts a shared beat every 500 ms; when the count
 * has not moved for the timeout (the event loop is stuck: a busy loop, or the embedded database
 * spinning on a full disk), the worker writes one line to stderr and kills the process with
 * SIGKILL, which no stuck loop can ignore, so that a supervisor (systemd, Kubernetes) restarts it.
 *
 * Time is the worker's monotonic clock, never the wall clock: a clock set forward (NTP at boot, a
 * resumed virtual machine) must not kill a healthy process, nor one set back spare a stuck one.
 * When the worker itself was held up (the whole process stopped, the machine suspended), it
 * counts again from its next look rather than blame the event loop.
 */
import { Worker } from 'node:worker_threads';

// Plain JavaScript, evaluated in the worker: it needs nothing of the application.
const WORKER = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const beats = new Int32Array(workerData.buffer);
const limit = workerData.timeoutMs;
const every = Math.min(1000, Math.max(100, limit / 4));
let seen = Atomics.load(beats, 0);
let since = performance.now();
let last = since;
setInterval(() => {
  const now = performance.now();
  const beat = Atomics.load(beats, 0);
  if (beat !== seen || now - last > 4 * every) {
    seen = beat;
    since = now;
  } else if (now - since > limit) {
    try {
      writeSync(2, 'rekisteri: watchdog: the event loop has not answered for ' + Math.round((now - since) / 1000) +
        ' s (REKISTERI_WATCHDOG_TIMEOUT=' + limit / 1000 + '): ending the process\\n');
    } catch {}
    process.kill(process.pid, 'SIGKILL');
  }
  last = now;
}, every);
`;

export interface Watchdog {
  stop(): Promise<void>;
}

/** Starts the watchdog; a timeout of 0 seconds disables it. */
export function startWatchdog(timeoutSeconds: number): Watchdog {
  if (timeoutSeconds <= 0) {
    return { stop: () => Promise.resolve() };
  }
  const buffer = new SharedArrayBuffer(4);
  const beats = new Int32Array(buffer);
  const beat = setInterval(() => {
    Atomics.add(beats, 0, 1);
  }, 500);
  beat.unref();
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { buffer, timeoutMs: timeoutSeconds * 1000 },
    // The worker needs no environment: REKISTERI_MASTER_KEY and the rest stay out of it.
    env: {},
  });
  worker.unref();
  return {
    async stop() {
      clearInterval(beat);
      await worker.terminate();
    },
  };
}
