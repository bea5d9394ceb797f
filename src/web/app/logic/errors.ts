import { knownKey, type MessageKey } from '../i18n/i18n';

/** An error as the page meets it: the API's envelope, a failed run's error, or a network failure. */
export interface ErrorLike {
  code?: string | null;
  message?: string | null;
  status?: number;
  /** Bitrix24 error kind, when the API says it (issue 11 adds it to runs and connections). */
  kind?: string | null;
  details?: unknown;
}

/** Codes that say the same thing to an owner share one text. Keys are lower case. */
const ALIASES: Record<string, string> = {
  invalid_token: 'auth_revoked',
  invalid_grant: 'auth_revoked',
  invalid_client: 'auth_revoked',
  no_auth_found: 'auth_revoked',
  invalid_credentials: 'auth_revoked',
  user_access_error: 'auth_revoked',
  expired_token: 'auth_revoked',
  connection_not_found: 'auth_revoked',
  internal_server_error: 'bitrix24_unavailable',
  error_unexpected_answer: 'bitrix24_unavailable',
  not_json: 'bitrix24_unavailable',
  bad_redirect: 'bitrix24_unavailable',
  too_many_redirects: 'bitrix24_unavailable',
  refresh_failed: 'bitrix24_unavailable',
  oauth_server_unreachable: 'bitrix24_unavailable',
  query_limit_exceeded: 'bitrix24_rate_limited',
  operation_time_limit: 'bitrix24_rate_limited',
  overload_limit: 'bitrix24_rate_limited',
  access_denied: 'payment_required',
  invalid_scope: 'insufficient_scope',
  error_method_not_found: 'insufficient_scope',
  portal_gone: 'portal_deleted',
  transient: 'bitrix24_unavailable',
  insecure_url: 'invalid_portal',
  invalid_url: 'invalid_portal',
};

function codeKey(code: string | null | undefined): MessageKey | undefined {
  if (!code) return undefined;
  const lower = code.toLowerCase();
  if (/^http_5\d\d$/.test(lower)) return 'errors.bitrix24_unavailable';
  return knownKey('errors', ALIASES[lower] ?? lower);
}

/**
 * The catalog text for an error: by its code (aliases included), else by its Bitrix24 kind,
 * else by the HTTP status; the raw code and message are only ever shown as a detail.
 */
export function errorKey(error: ErrorLike): MessageKey {
  const byCode = codeKey(error.code) ?? codeKey(error.kind);
  if (byCode) return byCode;
  const status = error.status ?? 0;
  if (status >= 500) return 'errors.service_error';
  if (status >= 400) return 'errors.request_refused';
  return 'errors.unknown';
}

/** "ECONNREFUSED … (NETWORK_ERROR)": what a support person needs, behind a "details" toggle. */
export function errorDetail(error: ErrorLike): string {
  const parts = [error.message?.trim(), error.code ? `(${error.code})` : null].filter(Boolean);
  return parts.join(' ');
}

/** Field problems of a validation_failed answer (src/common/validation.ts). */
export function fieldProblems(error: ErrorLike): Array<{ field: string; problem: string }> {
  if (error.code !== 'validation_failed' || !Array.isArray(error.details)) return [];
  return error.details
    .filter((d): d is { field: string; problems: string[] } => typeof d === 'object' && d !== null && typeof (d as { field?: unknown }).field === 'string')
    .map((d) => ({ field: d.field, problem: Array.isArray(d.problems) ? String(d.problems[0] ?? '') : '' }));
}
