import { loadConfig } from '../config/config.ts';
import { openRuntime, type Runtime } from '../runtime.ts';

/** Opens the runtime for one command and always closes it. */
export async function withRuntime<T>(
  fn: (rt: Runtime) => Promise<T>,
  opts: { quiet?: boolean } = {},
): Promise<T> {
  const rt = await openRuntime(loadConfig());
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
