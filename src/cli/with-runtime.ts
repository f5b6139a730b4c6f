import { loadConfig, type Config } from '../config/config.ts';
import { openRuntime, type Runtime, type RuntimeOptions } from '../runtime.ts';

/** Opens the runtime for one command and always closes it. */
export async function withRuntime<T>(
  fn: (rt: Runtime) => Promise<T>,
  opts: { quiet?: boolean; config?: Readonly<Config>; runtime?: RuntimeOptions } = {},
): Promise<T> {
  // One configuration per process: loading it takes REKISTERI_MASTER_KEY out of the environment.
  const rt = await openRuntime(opts.config ?? loadConfig(), opts.runtime);
  if (!opts.quiet) {
    for (const note of rt.notes) {
      console.error(`rekisteri: ${note}`);
    }
  }
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}
