/**
 * Every failure talking to Bitrix24, classified once at the boundary so the rest of the
 * service acts on a kind, not on HTTP details. The table below lists every error code the
 * docs (_includes/system-errors.md, settings/oauth/error-codes.md, limits.md,
 * api-reference/scopes/confirmation.md, the pages of the methods we call) and the `rest`
 * module source (rest/classes/general/rest.php, rest/lib/oauth/auth.php,
 * rest/lib/apauth/auth.php, rest/lib/restexception.php) give for the methods this service
 * calls. Bitrix24 says to branch on `error`, not on the HTTP status (error-codes.md), and
 * the source shows why: every OAuth check failure is an OAuthException, HTTP 401, whether it
 * is final (invalid_token) or temporary (CONNECTION_ERROR). So a code we do not know is
 * never read as "revoked": an unknown 401 is transient.
 */
export type Bitrix24ErrorKind =
  | 'auth_expired' // access token expired: refresh and retry
  | 'auth_revoked' // refresh token dead, app removed, webhook deleted: reconnect
  | 'insufficient_scope' // the app/webhook lacks a permission
  | 'insufficient_rights' // the connecting user is not a portal administrator (user.admin false)
  | 'access_denied' // Bitrix24 refuses this user or app (not a plan problem)
  | 'confirmation_pending' // METHOD_CONFIRM_WAITING: the administrator has not answered yet
  | 'payment_required' // subscription ended / REST not in the plan
  | 'https_required' // the portal takes webhook calls over HTTPS only
  | 'rate_limited' // QUERY_LIMIT_EXCEEDED, OPERATION_TIME_LIMIT: wait and go on
  | 'overload_blocked' // OVERLOAD_LIMIT: a manual block only Bitrix24 support lifts
  | 'portal_gone' // PORTAL_DELETED
  | 'portal_moved' // a redirect to another host: never followed unless a trusted source confirms it
  | 'transient' // 5xx, network, timeout, unknown 401: worth retrying later
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

export interface ErrorClass {
  kind: Bitrix24ErrorKind;
  /** What the owner reads on the connection (the API's `sync.lastError.message`). `{method}` is the method called. */
  owner: string;
  /** HTTP statuses Bitrix24 answers it with, as the docs or the source say. */
  statuses: number[];
  /** Where the code is documented or produced. */
  source: string;
}

/** Code → class. Codes are case-sensitive (`INVALID_REQUEST` is not the OAuth server's `invalid_request`). */
export const BITRIX24_ERRORS: Readonly<Record<string, ErrorClass>> = {
  expired_token: { kind: 'auth_expired', statuses: [401], source: '_includes/system-errors.md; rest/lib/oauth/auth.php', owner: 'The access token expired; it is renewed automatically' },
  invalid_token: { kind: 'auth_revoked', statuses: [401], source: 'OAuth 2.0 (RFC 6750), what the OAuth server answers for an unknown token', owner: 'Bitrix24 no longer accepts this connection’s token (the application was removed or its access revoked). Connect the portal again' },
  invalid_grant: { kind: 'auth_revoked', statuses: [400], source: 'settings/oauth/error-codes.md', owner: 'The Bitrix24 authorization expired or was revoked. Connect the portal again' },
  invalid_client: { kind: 'auth_revoked', statuses: [400], source: 'settings/oauth/error-codes.md', owner: 'Bitrix24 does not know this service’s application (client id or secret), or it is not installed on the portal. Install it and connect again' },
  invalid_request: { kind: 'invalid_request', statuses: [400], source: 'settings/oauth/error-codes.md', owner: 'The authorization server refused a malformed request' },
  invalid_scope: { kind: 'insufficient_scope', statuses: [400], source: 'settings/oauth/error-codes.md', owner: 'The application asks for permissions its settings in Bitrix24 do not grant (user, department)' },
  insufficient_scope: { kind: 'insufficient_scope', statuses: [401, 403], source: '_includes/system-errors.md; rest/lib/oauth/auth.php; rest/lib/apauth/auth.php', owner: 'The application or webhook lacks a permission the import needs (user, department). Add it in Bitrix24 and connect again' },
  NO_AUTH_FOUND: { kind: 'auth_revoked', statuses: [401], source: '_includes/system-errors.md; rest/classes/general/rest_util.php checkAuth', owner: 'Bitrix24 did not accept the credentials (wrong token or webhook code). Connect the portal again' },
  INVALID_CREDENTIALS: { kind: 'auth_revoked', statuses: [401, 403], source: '_includes/system-errors.md; rest/lib/apauth/auth.php check', owner: 'Bitrix24 does not accept this webhook: its user id or secret is wrong, it was deleted, or its user lacks the rights. Create a new webhook' },
  APPLICATION_NOT_FOUND: { kind: 'auth_revoked', statuses: [401], source: 'rest/lib/oauth/auth.php onRestCheckAuth', owner: 'The application is no longer installed (or active) on the portal. Install it and connect again' },
  user_access_error: { kind: 'access_denied', statuses: [401, 403], source: '_includes/system-errors.md; rest/lib/oauth/auth.php (checkAppAccess)', owner: 'The portal administrator has opened this application to certain users only, and the connecting user is not one of them. Give them access, or connect as a user who has it' },
  ACCESS_DENIED: { kind: 'access_denied', statuses: [401, 403], source: 'rest/lib/accessexception.php; rest/lib/oauth/auth.php check; api-reference/common/system/app-info.md', owner: 'Bitrix24 denied access to {method}' },
  WRONG_LICENSE: { kind: 'payment_required', statuses: [403], source: 'rest/lib/licenseexception.php', owner: 'The portal’s license does not include what {method} needs' },
  METHOD_CONFIRM_WAITING: { kind: 'confirmation_pending', statuses: [401], source: 'api-reference/scopes/confirmation.md; rest/classes/general/rest.php requestConfirmation', owner: 'Waiting for the portal administrator to confirm the application’s call to {method}; the import retries on its own' },
  METHOD_CONFIRM_DENIED: { kind: 'access_denied', statuses: [403], source: 'api-reference/scopes/confirmation.md; rest/classes/general/rest.php requestConfirmation', owner: 'The portal administrator denied the application’s call to {method}. Ask them to allow it, then connect again' },
  authorization_error: { kind: 'transient', statuses: [401], source: 'rest/lib/oauth/auth.php; rest/lib/apauth/auth.php (makeAuth failed)', owner: 'Bitrix24 could not sign in the connecting user just now; retrying' },
  CONNECTION_ERROR: { kind: 'transient', statuses: [401], source: 'rest/lib/oauth/auth.php onRestCheckAuth, check', owner: 'The portal could not reach its authorization server; retrying' },
  PAYMENT_REQUIRED: { kind: 'payment_required', statuses: [402], source: 'settings/oauth/error-codes.md; settings/oauth/index.md', owner: 'The application’s paid or trial period on this portal has ended. Renew it in Bitrix24' },
  QUERY_LIMIT_EXCEEDED: { kind: 'rate_limited', statuses: [503], source: '_includes/system-errors.md; limits.md', owner: 'The portal is throttling requests (request rate limit); the import slows down and goes on' },
  OPERATION_TIME_LIMIT: { kind: 'rate_limited', statuses: [429], source: '_includes/system-errors.md; limits.md; rest/classes/general/rest.php processCall', owner: '{method} has used up its time budget on the portal (480 s per 10 minutes); the import waits for it to lift' },
  OVERLOAD_LIMIT: { kind: 'overload_blocked', statuses: [503, 401], source: '_includes/system-errors.md; rest/lib/oauth/auth.php; rest/lib/apauth/auth.php', owner: 'Bitrix24 has blocked the REST API for this application or webhook because of overload; only Bitrix24 support can lift the block' },
  PORTAL_DELETED: { kind: 'portal_gone', statuses: [403, 500], source: '_includes/system-errors.md; rest/classes/general/rest.php init', owner: 'The portal was deleted, or (on-premise) its public part is closed. Reopen it and connect again' },
  INVALID_REQUEST: { kind: 'https_required', statuses: [400], source: '_includes/system-errors.md; rest/lib/apauth/auth.php', owner: 'The portal accepts webhook calls over HTTPS only. Connect it with its https:// address' },
  INTERNAL_SERVER_ERROR: { kind: 'transient', statuses: [500], source: '_includes/system-errors.md', owner: 'The portal had an internal error; retrying' },
  ERROR_UNEXPECTED_ANSWER: { kind: 'transient', statuses: [500], source: '_includes/system-errors.md', owner: 'The portal returned an unexpected answer; retrying' },
  ERROR_CORE: { kind: 'transient', statuses: [400, 500], source: 'rest/lib/restexception.php initFromException', owner: 'The portal failed to run {method}; retrying' },
  INTERNAL_WRONG_HANDLER_CLASS: { kind: 'transient', statuses: [500], source: 'rest/classes/general/rest.php init', owner: 'The portal failed to run {method}; retrying' },
  ERROR_METHOD_NOT_FOUND: { kind: 'insufficient_scope', statuses: [404], source: '_includes/system-errors.md; rest/lib/api/user.php (user.get exists only with the intranet module)', owner: 'The portal does not offer {method} to this connection: the permission (scope) is missing or the portal lacks the module' },
  ERROR_BATCH_LENGTH_EXCEEDED: { kind: 'invalid_request', statuses: [400], source: '_includes/system-errors.md; settings/how-to-call-rest-api/batch.md', owner: 'The service sent a batch Bitrix24 refused (a bug); retrying' },
  ERROR_BATCH_METHOD_NOT_ALLOWED: { kind: 'invalid_request', statuses: [405], source: '_includes/system-errors.md; settings/how-to-call-rest-api/batch.md', owner: 'The service sent a batch Bitrix24 refused (a bug); retrying' },
  ERROR_ARGUMENT: { kind: 'invalid_request', statuses: [400], source: 'rest/lib/restexception.php; rest/classes/general/rest.php sanitizeFilter', owner: 'Bitrix24 refused the parameters of {method} (a bug); retrying' },
  WRONG_ENCODING: { kind: 'invalid_request', statuses: [400], source: 'rest/classes/general/rest.php', owner: 'Bitrix24 could not decode the request (a bug); retrying' },
  INTERNAL_WRONG_TRANSPORT: { kind: 'invalid_request', statuses: [500], source: 'rest/classes/general/rest.php init', owner: 'Bitrix24 refused the request format (a bug); retrying' },
  ERROR_MANIFEST_IS_NOT_AVAILABLE: { kind: 'invalid_request', statuses: [404], source: '_includes/system-errors.md', owner: 'Bitrix24 answered for a manifest this service never asks for; retrying' },
};

/**
 * ACCESS_DENIED is also how Bitrix24 says "no REST on this plan": "REST is available only on
 * commercial plans." (rest/lib/oauth/auth.php) and "…only by subscription." (rest/lib/apauth/auth.php;
 * system-errors.md). Only that text is a plan problem.
 */
const PLAN_WITHOUT_REST: ErrorClass = {
  kind: 'payment_required',
  statuses: [401, 403],
  source: '_includes/system-errors.md; rest/lib/oauth/auth.php; rest/lib/apauth/auth.php',
  owner: 'The portal’s plan does not include the REST API. The portal needs a commercial plan',
};

/**
 * The class of a code this table does not know, by status: a 401 is transient (Bitrix24
 * uses 401 for temporary conditions too), 429 and 503 are rate limits, 402 a payment
 * problem, other 4xx our mistake, anything else transient.
 */
function classByStatus(status: number): ErrorClass {
  const source = 'not in the docs or the source: classified by its HTTP status';
  if (status === 401) return { kind: 'transient', statuses: [401], source, owner: 'Bitrix24 refused the call with an error this service does not know (HTTP 401); retrying, and the connection stays connected' };
  if (status === 429 || status === 503) return { kind: 'rate_limited', statuses: [status], source, owner: 'The portal is overloaded or throttling requests; the import waits and goes on' };
  if (status === 402) return { ...PLAN_WITHOUT_REST, source };
  if (status >= 400 && status < 500) return { kind: 'invalid_request', statuses: [status], source, owner: `Bitrix24 refused the call (HTTP ${status}); retrying` };
  return { kind: 'transient', statuses: [status], source, owner: status ? `The portal failed (HTTP ${status}); retrying` : 'The portal did not answer; retrying' };
}

/** The class of a code and its description (pure; README "Bitrix24 errors" lists the table). */
export function errorClassOf(code: string, description: string, status: number): ErrorClass {
  if (code === 'ACCESS_DENIED' && /commercial plan|subscription/i.test(description)) return PLAN_WITHOUT_REST;
  return Object.prototype.hasOwnProperty.call(BITRIX24_ERRORS, code) ? BITRIX24_ERRORS[code] : classByStatus(status);
}

/**
 * Classifies an error answer `{ error, error_description }` with its HTTP status. The
 * message is what the owner reads, followed by Bitrix24's own words.
 */
export function classifyBitrix24Error(status: number, body: unknown, context: { method?: string; batchCommand?: string; operatingResetAt?: number } = {}): Bitrix24Error {
  const payload = (body ?? {}) as { error?: unknown; error_description?: unknown };
  const code = typeof payload.error === 'string' && payload.error ? payload.error : `HTTP_${status}`;
  const description = typeof payload.error_description === 'string' ? payload.error_description : '';
  const known = errorClassOf(code, description, status);
  const owner = known.owner.replace('{method}', context.method ?? 'the method');
  const said = `${status ? `${status} ` : ''}${code}${description ? ` — ${description}` : ''}`;
  const retryAt = code === 'OPERATION_TIME_LIMIT' && context.operatingResetAt ? context.operatingResetAt * 1000 : undefined;
  const where = context.batchCommand ? `, batch command ${context.batchCommand}` : '';
  return new Bitrix24Error(known.kind, code, `${owner} (Bitrix24${where}: ${said})`, status, retryAt);
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
