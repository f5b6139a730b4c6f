/**
 * Whether a PUBLIC_URL is an address the people a link is mailed or handed to can reach.
 */

/** Whether a URL's host is this machine: localhost, a loopback or an unspecified address. */
export function isLoopbackAddress(address: string): boolean {
  const host = new URL(address).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\./.test(host) ||
    host === '::1' ||
    host === '0.0.0.0' ||
    host === '::'
  );
}

/**
 * Why links under `address` (PUBLIC_URL) cannot go out to recipients: not an https:// address
 * (RFC 8058 one-click unsubscribe needs https), or a host only this machine reaches. Undefined
 * when it is a public https:// address.
 */
export function unreachableForRecipients(address: string): string | undefined {
  if (new URL(address).protocol !== 'https:') {
    return 'not an https:// address';
  }
  if (isLoopbackAddress(address)) {
    return 'an address only this machine reaches';
  }
  return undefined;
}
