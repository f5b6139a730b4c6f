import cliProgress from 'cli-progress';

/** A progress bar on a terminal; silent when output is piped. */
export function progressBar(
  label: string,
  total: number,
  unit = '',
): { update(value: number, payload?: Record<string, unknown>): void; stop(): void } {
  if (!process.stderr.isTTY) {
    return { update: () => undefined, stop: () => undefined };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total}${unit} | {eta_formatted} left {info}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { info: '' });
  return { update: (v, payload) => bar.update(v, payload ?? {}), stop: () => bar.stop() };
}
