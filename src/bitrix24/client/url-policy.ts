import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DomainException } from '../../common/errors/domain.exception';

export interface UrlPolicy {
  /** BITRIX24_ALLOW_INSECURE: plain http:// and loopback hosts (tests, the simulator). */
  allowInsecure: boolean;
  /** In production, webhook hosts that resolve to private addresses are refused. */
  production: boolean;
}

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost']);

export function isPrivateAddress(address: string): boolean {
  if (isIP(address) === 4) {
    const [a, b] = address.split('.').map(Number);
    return (
      a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a >= 224
    );
  }
  const v6 = address.toLowerCase();
  if (v6 === '::1' || v6 === '::') return true;
  if (v6.startsWith('::ffff:')) return isPrivateAddress(v6.slice(7));
  return /^(fc|fd|fe8|fe9|fea|feb)/.test(v6);
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return LOOPBACK_NAMES.has(host) || (isIP(host) !== 0 && isPrivateAddress(host) && (host.startsWith('127.') || host === '::1'));
}

/**
 * Checks an address before we send anything (tokens, secrets) to it: https only, no
 * credentials in the URL, no loopback, unless insecure mode is on for tests.
 */
export function assertSafeUrl(raw: string, policy: UrlPolicy, what = 'URL'): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DomainException('invalid', 'invalid_url', `${what} is not a valid URL`);
  }
  if (url.username || url.password) throw new DomainException('invalid', 'invalid_url', `${what} must not contain a user name or password`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowInsecure)) {
    throw new DomainException('invalid', 'insecure_url', `${what} must use https://`);
  }
  if (!policy.allowInsecure && isLoopbackHost(url.hostname)) {
    throw new DomainException('invalid', 'private_address', `${what} points at this machine`);
  }
  return url;
}

/** For webhook URLs in production: the host must not resolve to a private network. */
export async function assertPublicHost(url: URL, policy: UrlPolicy, what = 'URL'): Promise<void> {
  if (!policy.production || policy.allowInsecure) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (!addresses.length) throw new DomainException('unprocessable', 'host_not_found', `${what}: the host ${host} does not resolve`);
  if (addresses.some(isPrivateAddress)) {
    throw new DomainException('invalid', 'private_address', `${what} resolves to a private network address, which is refused`);
  }
}
