import { lookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { DomainException } from '../../common/errors/domain.exception';
import { AddressClass, Cidr, classifyAddress, inNetworks, OPT_IN_CLASSES } from './ip-address';

/**
 * The one address policy for every outbound request (portal, webhook, each redirect
 * hop, the OAuth server, the connect probe): https only, no credentials in URLs, and
 * no address outside the public internet — checked on the URL, on every address the
 * host resolves to, and again on the address actually connected to (so DNS rebinding
 * has no gap). BITRIX24_ALLOW_INSECURE (tests, the simulator; refused in production)
 * switches the address checks off and allows http://.
 */
export interface UrlPolicy {
  allowInsecure: boolean;
  /** BITRIX24_ALLOWED_PRIVATE_NETWORKS: LAN blocks an operator opted in for on-premise portals. */
  allowedPrivateNetworks: readonly Cidr[];
  /** Resolves a host name to its addresses; dns.lookup unless a test injects one. */
  resolve?: (host: string) => Promise<string[]>;
}

const LOOPBACK_NAMES = /^(localhost|localhost\.localdomain|ip6-localhost|ip6-loopback)\.?$|\.localhost\.?$/i;

/** Why an address may not be contacted, or null when it may. */
export function refusedAddressClass(address: string, policy: Pick<UrlPolicy, 'allowInsecure' | 'allowedPrivateNetworks'>): AddressClass | null {
  if (policy.allowInsecure) return null;
  const cls = classifyAddress(address);
  if (cls === 'public') return null;
  if (OPT_IN_CLASSES.has(cls) && inNetworks(address, policy.allowedPrivateNetworks)) return null;
  return cls;
}

const refusal = (what: string, target: string, cls: AddressClass) =>
  new DomainException('invalid', 'private_address', `${what} points at ${target}, a ${cls.replace(/_/g, '-')} address; only public addresses are contacted (BITRIX24_ALLOWED_PRIVATE_NETWORKS opts LAN ranges in)`, {
    addressClass: cls,
  });

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '');

/**
 * Checks an address before we send anything (tokens, secrets) to it: https only, no
 * credentials in the URL, and a host that is neither a loopback name nor a refused IP
 * literal. Host names are resolved by assertResolvableHost and at connect time.
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
  if (policy.allowInsecure) return url;
  const host = bare(url.hostname);
  if (LOOPBACK_NAMES.test(host)) throw refusal(what, host, 'loopback');
  if (isIP(host)) {
    const cls = refusedAddressClass(host, policy);
    if (cls) throw refusal(what, host, cls);
  }
  return url;
}

async function resolveHost(host: string, policy: UrlPolicy): Promise<string[]> {
  if (isIP(host)) return [host];
  if (policy.resolve) return policy.resolve(host);
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

/**
 * Resolves the URL's host: it must resolve (else 422 host_not_found) and, outside
 * insecure mode, every address must be allowed (else 400 private_address). The
 * connection itself is checked again by the guarded dispatcher.
 */
export async function assertResolvableHost(url: URL, policy: UrlPolicy, what = 'URL'): Promise<string[]> {
  const host = bare(url.hostname);
  const addresses = await resolveHost(host, policy).catch(() => [] as string[]);
  if (!addresses.length) throw new DomainException('unprocessable', 'host_not_found', `${what}: the host ${host} does not resolve`);
  for (const address of addresses) {
    const cls = refusedAddressClass(address, policy);
    if (cls) throw refusal(what, `${host} (${address})`, cls);
  }
  return addresses;
}

/** Raised inside a connection attempt when the resolved address is refused. */
export class AddressRefusedError extends Error {
  readonly code = 'ERR_ADDRESS_REFUSED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly addressClass: AddressClass,
  ) {
    super(`${host} resolved to ${address}, a ${addressClass.replace(/_/g, '-')} address, which is refused`);
    this.name = 'AddressRefusedError';
  }
}

/** The AddressRefusedError somewhere in an error's cause chain (fetch wraps it). */
export function addressRefusal(error: unknown): AddressRefusedError | null {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof AddressRefusedError) return e;
  }
  return null;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net/tls connect: resolves the host and refuses the connection when any
 * address it got is refused by the policy, so the address connected to is the address
 * checked (no DNS-rebinding window between a check and the connect).
 */
export function guardedLookup(policy: UrlPolicy) {
  return (hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void => {
    resolveHost(bare(hostname), policy).then(
      (addresses) => {
        if (!addresses.length) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
        for (const address of addresses) {
          const cls = refusedAddressClass(address, policy);
          if (cls) return callback(new AddressRefusedError(hostname, address, cls) as NodeJS.ErrnoException, []);
        }
        const entries = addresses.map((address) => ({ address, family: isIP(address) }));
        if (options?.all) callback(null, entries);
        else callback(null, entries[0].address, entries[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    );
  };
}

/**
 * A `client_endpoint` from the authorization server's answer (settings/oauth/index.md:
 * "The address of the Bitrix24 REST interface"): kept with its scheme and port, checked
 * by the policy, and required to be a `/rest/` address. Returns it normalized.
 */
export function assertClientEndpoint(raw: unknown, policy: UrlPolicy): string {
  if (typeof raw !== 'string' || raw.length > 500) throw new DomainException('unprocessable', 'client_endpoint_invalid', 'The authorization server answered without a usable portal address');
  const url = assertSafeUrl(raw, policy, 'The portal address (client_endpoint)');
  if (!/\/rest\/?$/.test(url.pathname) || url.search || url.hash) throw new DomainException('unprocessable', 'client_endpoint_invalid', 'The authorization server answered with a portal address that is not a REST address');
  url.pathname = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  return url.toString();
}
