import { loadConfig, type Config } from '../config/config.ts';
import { openRuntime, type Runtime } from '../runtime.ts';

/** Opens the runtime for one command and always closes it. */
export async function withRuntime<T>(
  fn: (rt: Runtime) => Promise<T>,
  opts: { quiet?: boolean; config?: Readonly<Config> } = {},
): Promise<T> {
  // One configuration per process: loading it takes REKISTERI_MASTER_KEY out of the environment.
  const rt = await openRuntime(opts.config ?? loadConfig());
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
