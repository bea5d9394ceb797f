/**
 * The portal address as the page checks it before asking the API: the same reading as the
 * service's parsePortalAddress (src/bitrix24/portal-address.ts), so nothing that the API
 * would refuse leaves the page, and the scheme is kept where insecure mode allows http://.
 */
export type PortalCheck = { ok: true; origin: string; domain: string } | { ok: false; problem: 'empty' | 'scheme' | 'insecure' | 'invalid' };

const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function checkPortalAddress(input: string, insecureAllowed: boolean): PortalCheck {
  const text = input.trim();
  if (!text) return { ok: false, problem: 'empty' };
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  if (!hasScheme && /^[a-z][a-z0-9+.-]*:/i.test(text) && !/^[^:]+:\d+(\/|$)/.test(text)) return { ok: false, problem: 'scheme' };
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `https://${text}`);
  } catch {
    return { ok: false, problem: 'invalid' };
  }
  if (url.protocol === 'http:' && !insecureAllowed) return { ok: false, problem: 'insecure' };
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, problem: 'scheme' };
  const hostname = url.hostname.toLowerCase();
  if (url.username || url.password || !HOST.test(hostname) || !(hostname.includes('.') || insecureAllowed)) return { ok: false, problem: 'invalid' };
  const domain = url.port ? `${hostname}:${url.port}` : hostname;
  return { ok: true, domain, origin: `${url.protocol}//${domain}` };
}
