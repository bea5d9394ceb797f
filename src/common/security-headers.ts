import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../config/app-config';

/** JSON and redirects: nothing may load, nothing may frame them. HTML answers set their own policy over it. */
export const DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * /docs (Swagger UI): its scripts and stylesheet are files on this origin, it styles
 * elements inline and draws icons from data: URLs, and it fetches /docs-json.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** A year, subdomains included (RFC 6797); sent when the service is reached over https. */
export const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Headers on every answer: nosniff, no framing (CSP frame-ancestors and
 * X-Frame-Options), a default-deny CSP that HTML routes replace with their own, and
 * HSTS in production or whenever PUBLIC_URL is https.
 */
export function securityHeaders(config: Pick<AppConfig, 'env' | 'publicUrl'>) {
  const hsts = config.env === 'production' || config.publicUrl.startsWith('https://');
  return (req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', req.path === '/docs' || req.path.startsWith('/docs/') || req.path.startsWith('/docs-') ? DOCS_CSP : DEFAULT_CSP);
    if (hsts) res.setHeader('Strict-Transport-Security', HSTS);
    next();
  };
}
