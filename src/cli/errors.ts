/**
 * What the command line prints for an error: its message, whatever was thrown. An object that is
 * not an Error (some libraries throw those) would otherwise print as "[object Object]".
 */
import { inspect } from 'node:util';

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    return err.message || err.name || 'an error without a message';
  }
  if (typeof err === 'string') {
    return err || 'an error without a message';
  }
  if (err && typeof err === 'object') {
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') {
      return message;
    }
    return inspect(err, { depth: 2, breakLength: Infinity });
  }
  return String(err);
}

/** Each line of a message, prefixed with the command's name. */
export function prefixed(message: string): string {
  return message
    .split('\n')
    .map((line) => (line.startsWith('rekisteri: ') ? line : `rekisteri: ${line}`))
    .join('\n');
}

/**
 * Output to a pipe closed early (`rekisteri audit verify | head -1`) ends quietly, as other
 * command-line tools do, instead of crashing on EPIPE: what is left to print is dropped, and the
 * command finishes what it was doing (closing its databases) and exits with its own status.
 * Any other failure to write (a full disk) is one line on stderr and exit status 1.
 */
export function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      stream.write = () => true;
      if (err.code === 'EPIPE') {
        return;
      }
      // Output that cannot be written (a full disk, an I/O error): one line, and a failed command.
      process.exitCode = 1;
      if (stream === process.stdout) {
        process.stderr.write(`rekisteri: cannot write the output: ${err.code ?? err.message}\n`);
      }
    });
  }
}
