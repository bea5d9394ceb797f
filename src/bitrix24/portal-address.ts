import { DomainException } from '../common/errors/domain.exception';

export interface PortalAddress {
  /** host[:port], e.g. acme.bitrix24.ru */
  domain: string;
  /** scheme://host[:port] */
  origin: string;
}

const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Reads what an owner types as "the portal": `acme.bitrix24.ru`, `https://acme.bitrix24.ru/`,
 * or any page URL of it. Only the origin is kept. Plain http:// is accepted only in
 * insecure (test/simulator) mode.
 */
export function parsePortalAddress(input: string, allowInsecure: boolean): PortalAddress {
  const text = input.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new DomainException('invalid', 'invalid_portal', 'portal must be a Bitrix24 address such as acme.bitrix24.ru');
  }
  if (url.protocol !== 'https:' && !(allowInsecure && url.protocol === 'http:')) {
    throw new DomainException('invalid', 'invalid_portal', 'portal must be an https:// address');
  }
  const hostname = url.hostname.toLowerCase();
  if (url.username || url.password || !(HOST.test(hostname) && (hostname.includes('.') || allowInsecure))) {
    throw new DomainException('invalid', 'invalid_portal', 'portal must be a Bitrix24 address such as acme.bitrix24.ru');
  }
  const domain = url.port ? `${hostname}:${url.port}` : hostname;
  return { domain, origin: `${url.protocol}//${domain}` };
}

/**
 * An incoming webhook address: `https://portal/rest/<user id>/<secret>/`
 * (local-integrations/local-webhooks.md).
 */
export function parseWebhookUrl(input: string): { baseUrl: string; domain: string; userId: number } {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new DomainException('invalid', 'invalid_webhook_url', 'webhookUrl must be a URL such as https://portal.example.com/rest/1/abc123/');
  }
  const match = /^\/rest\/(\d{1,10})\/([A-Za-z0-9]{4,64})\/?$/.exec(url.pathname);
  if (!match || url.search || url.hash) {
    throw new DomainException('invalid', 'invalid_webhook_url', 'webhookUrl must look like https://<portal>/rest/<user id>/<secret>/');
  }
  return { baseUrl: `${url.origin}/rest/${match[1]}/${match[2]}/`, domain: url.host.toLowerCase(), userId: Number(match[1]) };
}

/** The webhook address with its secret hidden, for display. */
export function maskWebhookUrl(baseUrl: string): string {
  return baseUrl.replace(/(\/rest\/\d+\/)[^/]+/, '$1***');
}
