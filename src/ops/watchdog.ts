/**
 * A watchdog on a worker thread: the main thread stamps a shared clock every 500 ms; when the stamp
 * is older than the timeout (the event loop is stuck: a busy loop, or the embedded database
 * spinning on a full disk), the worker writes one line to stderr and kills the process with
 * SIGKILL, which no stuck loop can ignore, so that a supervisor (systemd, Kubernetes) restarts it.
 */
import { Worker } from 'node:worker_threads';

// Plain JavaScript, evaluated in the worker: it needs nothing of the application.
const WORKER = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const stamp = new Float64Array(workerData.buffer);
const limit = workerData.timeoutMs;
setInterval(() => {
  const silent = Date.now() - stamp[0];
  if (silent > limit) {
    try {
      writeSync(2, 'rekisteri: watchdog: the event loop has not answered for ' + Math.round(silent / 1000) +
        ' s (REKISTERI_WATCHDOG_TIMEOUT=' + limit / 1000 + '): ending the process\\n');
    } catch {}
    process.kill(process.pid, 'SIGKILL');
  }
}, Math.min(1000, Math.max(100, limit / 4)));
`;

export interface Watchdog {
  stop(): Promise<void>;
}

/** Starts the watchdog; a timeout of 0 seconds disables it. */
export function startWatchdog(timeoutSeconds: number): Watchdog {
  if (timeoutSeconds <= 0) {
    return { stop: () => Promise.resolve() };
  }
  const buffer = new SharedArrayBuffer(8);
  const stamp = new Float64Array(buffer);
  stamp[0] = Date.now();
  const beat = setInterval(() => {
    stamp[0] = Date.now();
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
