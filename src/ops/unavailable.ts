/**
 * Errors that mean the database cannot be used right now (unreachable, restarting, shutting down,
 * out of connections, or too slow within the statement timeout) rather than a fault of the
 * request or of our code. They answer 503 with Retry-After, and clear by themselves.
 */

/** SQLSTATEs of an unavailable or overloaded database. */
const UNAVAILABLE_STATES = new Set([
  '57P01', // admin_shutdown (a backend terminated)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '53300', // too_many_connections
  '53100', // disk_full
  '57014', // query_canceled: the statement timeout
  '55P03', // lock_not_available
  '25P03', // idle_in_transaction_session_timeout
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const MESSAGES =
  /connection terminated|connection timeout|timeout exceeded when trying to connect|timeout expired|client has encountered a connection error|connection is closed|database .* does not exist|cannot use a pool after calling end/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    if (typeof e !== 'object') {
      return false;
    }
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (UNAVAILABLE_STATES.has(code) || code.startsWith('08') || NETWORK_CODES.has(code)) {
        return true;
      }
      // 3D000: the database was dropped or renamed under a running server.
      if (code === '3D000') {
        return true;
      }
    }
    if (e instanceof StorageLowError) {
      return true;
    }
    if (e instanceof Error && MESSAGES.test(e.message)) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** What kind of unavailability, for one log line: a code, never a message with data in it. */
export function unavailableReason(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') {
    return code;
  }
  if (err instanceof StorageLowError) {
    return 'storage_low';
  }
  const message = err instanceof Error ? err.message : '';
  if (/timeout/i.test(message)) {
    return 'timeout';
  }
  if (/terminated|closed/i.test(message)) {
    return 'connection_lost';
  }
  return 'unavailable';
}

/** Raised while the embedded database's volume is below REKISTERI_MIN_FREE_SPACE. */
export class StorageLowError extends Error {
  override name = 'StorageLowError';
}
