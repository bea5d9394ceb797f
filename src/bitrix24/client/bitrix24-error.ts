/**
 * Every failure talking to Bitrix24, classified once at the boundary so the rest of
 * the service acts on a kind, not on HTTP details. Codes and statuses:
 * _includes/system-errors.md, settings/oauth/error-codes.md, limits.md.
 */
export type Bitrix24ErrorKind =
  | 'auth_expired' // access token expired: refresh and retry
  | 'auth_revoked' // refresh token dead, app removed, webhook deleted: needs the owner
  | 'insufficient_scope' // the app/webhook lacks a permission
  | 'payment_required' // subscription ended / REST not in the plan
  | 'rate_limited' // QUERY_LIMIT_EXCEEDED, OPERATION_TIME_LIMIT, OVERLOAD_LIMIT
  | 'portal_gone' // PORTAL_DELETED
  | 'portal_moved' // a redirect to another host: never followed unless a trusted source confirms it
  | 'transient' // 5xx, network, timeout: worth retrying later
  | 'invalid_request'; // our request was wrong (a bug, or an unexpected answer)

export class Bitrix24Error extends Error {
  constructor(
    readonly kind: Bitrix24ErrorKind,
    readonly code: string,
    message: string,
    readonly status?: number,
    /** For rate limits: when to try again (epoch ms), if Bitrix24 said. */
    readonly retryAt?: number,
  ) {
    super(message);
    this.name = 'Bitrix24Error';
  }
}

const KIND_BY_CODE: Record<string, Bitrix24ErrorKind> = {
  expired_token: 'auth_expired',
  invalid_token: 'auth_revoked',
  invalid_grant: 'auth_revoked',
  invalid_client: 'auth_revoked',
  NO_AUTH_FOUND: 'auth_revoked',
  INVALID_CREDENTIALS: 'auth_revoked',
  user_access_error: 'auth_revoked',
  insufficient_scope: 'insufficient_scope',
  invalid_scope: 'insufficient_scope',
  // "unavailable without the required scope" is one documented cause; for the fixed
  // methods this service calls it is the only plausible one.
  ERROR_METHOD_NOT_FOUND: 'insufficient_scope',
  PAYMENT_REQUIRED: 'payment_required',
  ACCESS_DENIED: 'payment_required',
  QUERY_LIMIT_EXCEEDED: 'rate_limited',
  OPERATION_TIME_LIMIT: 'rate_limited',
  OVERLOAD_LIMIT: 'rate_limited',
  PORTAL_DELETED: 'portal_gone',
  INTERNAL_SERVER_ERROR: 'transient',
  ERROR_UNEXPECTED_ANSWER: 'transient',
};

/** Classifies an error answer `{ error, error_description }` with its HTTP status. */
export function classifyBitrix24Error(status: number, body: unknown, operatingResetAt?: number): Bitrix24Error {
  const payload = (body ?? {}) as { error?: unknown; error_description?: unknown };
  const code = typeof payload.error === 'string' ? payload.error : `HTTP_${status}`;
  const description = typeof payload.error_description === 'string' ? payload.error_description : '';
  const kind = KIND_BY_CODE[code] ?? (status >= 500 || status === 0 ? 'transient' : status === 401 ? 'auth_revoked' : 'invalid_request');
  const retryAt = code === 'OPERATION_TIME_LIMIT' && operatingResetAt ? operatingResetAt * 1000 : undefined;
  return new Bitrix24Error(kind, code, `Bitrix24 answered ${status} ${code}${description ? `: ${description}` : ''}`, status, retryAt);
}

/**
 * Bitrix24 redirected a request to another host (settings/how-to-call-rest-api/change-domen.md).
 * A redirect is not proof of anything, so it is never followed or stored on its own:
 * the owner reconnects, or a token refresh whose answer names the new client_endpoint
 * re-points an OAuth connection.
 */
export class PortalMovedError extends Bitrix24Error {
  constructor(
    readonly newHost: string,
    refused: boolean,
    status?: number,
  ) {
    super(
      'portal_moved',
      'PORTAL_MOVED',
      refused
        ? `Bitrix24 redirected the request to ${newHost}, an address this service refuses; nothing was sent there`
        : `The portal answered that it moved to ${newHost}; reconnect it at its new address`,
      status,
    );
  }
}
