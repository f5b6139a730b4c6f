/**
 * A few child processes at a time, for a test file whose tests run concurrently. A `rekisteri`
 * command spends most of its life starting (Node.js, tsx, the embedded database's WebAssembly) and
 * some of it idle (a file system sync, a failed command's grace period before it exits); running
 * two at once keeps the machine's cores busy without letting a dozen of them crowd each other
 * (and the timing checks of a start refused at once) out.
 */
export interface ProcessSlots {
  /**
   * Waits for a free slot; the returned function gives it back (once). Of those waiting, a higher
   * priority goes first (the longest chain of commands, which would otherwise finish last), then
   * whoever came first.
   */
  acquire(priority?: number): Promise<() => void>;
  /** Runs `fn` in a slot. */
  run<T>(fn: () => Promise<T>, priority?: number): Promise<T>;
}

export function processSlots(size: number): ProcessSlots {
  let free = size;
  const waiting: Array<{ priority: number; resolve: () => void }> = [];
  const acquire = async (priority = 0): Promise<() => void> => {
    if (free > 0) {
      free--;
    } else {
      // The slot is handed over directly by whoever releases it.
      await new Promise<void>((resolve) => {
        const at = waiting.findIndex((w) => w.priority < priority);
        waiting.splice(at === -1 ? waiting.length : at, 0, { priority, resolve });
      });
    }
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      const next = waiting.shift();
      if (next) {
        next.resolve();
      } else {
        free++;
      }
    };
  };
  return {
    acquire,
    async run(fn, priority) {
      const release = await acquire(priority);
      try {
        return await fn();
      } finally {
        release();
      }
    },
  };
}
