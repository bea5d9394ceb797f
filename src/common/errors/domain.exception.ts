/**
 * Errors the service raises on purpose. Each carries a stable code; the HTTP layer
 * (ApiExceptionFilter) maps the code's kind to a status, so services and the sync
 * engine never deal in HTTP.
 */
export type ErrorKind =
  | 'invalid' // 400
  | 'unauthenticated' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'not_allowed' // 405
  | 'conflict' // 409
  | 'unprocessable' // 422
  | 'rate_limited' // 429
  | 'unavailable' // 503
  | 'upstream'; // 502

export class DomainException extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainException';
  }
}

export const notFound = (what: string, details?: unknown) =>
  new DomainException('not_found', `${what.toLowerCase().replace(/\s+/g, '_')}_not_found`, `${what} not found`, details);
