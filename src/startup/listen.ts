/**
 * Whether the server can listen where PORT and HOST say, tried before the databases are opened so
 * that a port in use or an unknown host ends the start at once, naming the variable.
 */
import { createServer } from 'node:net';
import { StartupError } from './database-errors.ts';

export function explainListenError(err: unknown, port: number, host: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EADDRINUSE':
      return new StartupError(
        `PORT: port ${port} on ${host} is in use by another process (another Rekisteri?): stop it, or set PORT to a free port`,
      );
    case 'EACCES':
      return new StartupError(
        `PORT: port ${port} needs privileges this user does not have (ports below 1024): use a port from 1024 up, behind a reverse proxy`,
      );
    case 'EADDRNOTAVAIL':
      return new StartupError(
        `HOST: ${host} is not an address of this machine: use one of its addresses, 127.0.0.1 (this machine only) or 0.0.0.0 (all)`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return new StartupError(
        `HOST: "${host}" is not a known host name or address: use an address of this machine, 127.0.0.1 or 0.0.0.0`,
      );
    case 'EINVAL':
      return new StartupError(`HOST: cannot listen on "${host}": not a usable address`);
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}

export async function checkListen(port: number, host: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(explainListenError(err, port, host)));
    server.listen({ port, host, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
