import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BITRIX24_ERRORS, type Bitrix24ErrorKind, classifyBitrix24Error } from './bitrix24-error';

describe('classifyBitrix24Error: every code the docs and the rest source give for our methods', () => {
  it.each<[number, string, string, Bitrix24ErrorKind]>([
    [401, 'expired_token', 'The access token provided has expired', 'auth_expired'],
    [401, 'invalid_token', 'The access token provided is invalid', 'auth_revoked'],
    [400, 'invalid_grant', 'Invalid grant', 'auth_revoked'],
    [400, 'invalid_client', 'Invalid client', 'auth_revoked'],
    [400, 'invalid_request', 'Invalid request', 'invalid_request'],
    [400, 'invalid_scope', '', 'insufficient_scope'],
    [401, 'insufficient_scope', 'The request requires higher privileges than provided by the access token', 'insufficient_scope'],
    [403, 'insufficient_scope', 'The request requires higher privileges than provided by the webhook token', 'insufficient_scope'],
    [401, 'NO_AUTH_FOUND', 'Wrong authorization data', 'auth_revoked'],
    [401, 'INVALID_CREDENTIALS', 'Invalid request credentials', 'auth_revoked'],
    [401, 'APPLICATION_NOT_FOUND', 'Application not found', 'auth_revoked'],
    [401, 'user_access_error', 'The user does not have access to the application.', 'access_denied'],
    [401, 'ACCESS_DENIED', 'REST is available only on commercial plans.', 'payment_required'],
    [401, 'ACCESS_DENIED', 'REST is available only by subscription.', 'payment_required'],
    [403, 'ACCESS_DENIED', 'REST API is available only on commercial plans', 'payment_required'],
    [401, 'ACCESS_DENIED', "Current user can't be authorized in this context", 'access_denied'],
    [403, 'ACCESS_DENIED', 'Access denied! Application context required', 'access_denied'],
    [403, 'ACCESS_DENIED', 'Access denied!', 'access_denied'],
    [403, 'WRONG_LICENSE', 'This feature is not enabled for the current license: auth_connector', 'payment_required'],
    [401, 'METHOD_CONFIRM_WAITING', 'Waiting for confirmation', 'confirmation_pending'],
    [403, 'METHOD_CONFIRM_DENIED', 'Method call denied', 'access_denied'],
    [401, 'authorization_error', 'Unable to authorize user', 'transient'],
    [401, 'CONNECTION_ERROR', 'Error connecting to authorization server', 'transient'],
    [402, 'PAYMENT_REQUIRED', 'Payment required', 'payment_required'],
    [503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests', 'rate_limited'],
    [429, 'OPERATION_TIME_LIMIT', 'Method is blocked due to operation time limit.', 'rate_limited'],
    [503, 'OVERLOAD_LIMIT', 'REST API is blocked due to overload', 'overload_blocked'],
    [401, 'OVERLOAD_LIMIT', 'REST API is blocked due to overload.', 'overload_blocked'],
    [403, 'PORTAL_DELETED', 'Portal was deleted', 'portal_gone'],
    [500, 'PORTAL_DELETED', 'Portal was deleted', 'portal_gone'],
    [400, 'INVALID_REQUEST', 'Https required.', 'https_required'],
    [500, 'INTERNAL_SERVER_ERROR', 'Internal server error', 'transient'],
    [500, 'ERROR_UNEXPECTED_ANSWER', 'Server returned an unexpected response', 'transient'],
    [500, 'ERROR_CORE', 'SQL query error!', 'transient'],
    [500, 'INTERNAL_WRONG_HANDLER_CLASS', 'Wrong handler class!', 'transient'],
    [404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!', 'insufficient_scope'],
    [400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded', 'invalid_request'],
    [405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage', 'invalid_request'],
    [400, 'ERROR_ARGUMENT', 'Filter field not allowed: X', 'invalid_request'],
    [400, 'WRONG_ENCODING', 'Wrong request encoding', 'invalid_request'],
    [500, 'INTERNAL_WRONG_TRANSPORT', 'Wrong transport!', 'invalid_request'],
    [404, 'ERROR_MANIFEST_IS_NOT_AVAILABLE', 'Manifest is not available', 'invalid_request'],
  ])('%i %s "%s" → %s', (status, code, description, kind) => {
    const error = classifyBitrix24Error(status, { error: code, error_description: description }, { method: 'user.get' });
    expect(error.kind).toBe(kind);
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.message).toContain(code);
  });

  it.each<[number, Bitrix24ErrorKind]>([
    [401, 'transient'],
    [429, 'rate_limited'],
    [503, 'rate_limited'],
    [402, 'payment_required'],
    [400, 'invalid_request'],
    [403, 'invalid_request'],
    [404, 'invalid_request'],
    [500, 'transient'],
    [502, 'transient'],
    [0, 'transient'],
  ])('an unknown code with HTTP %i → %s (never revoked)', (status, kind) => {
    expect(classifyBitrix24Error(status, { error: 'SOMETHING_NEW', error_description: 'x' }).kind).toBe(kind);
  });

  it('a body without a code takes its class from the status, and its code is HTTP_<status>', () => {
    expect(classifyBitrix24Error(401, null)).toMatchObject({ kind: 'transient', code: 'HTTP_401' });
    expect(classifyBitrix24Error(400, { error: '', error_description: 'Handler URL is required' })).toMatchObject({ kind: 'invalid_request', code: 'HTTP_400' });
  });

  it('codes are case-sensitive: the OAuth server’s invalid_request is not the portal’s INVALID_REQUEST', () => {
    expect(classifyBitrix24Error(400, { error: 'invalid_request' }).kind).toBe('invalid_request');
    expect(classifyBitrix24Error(400, { error: 'INVALID_REQUEST' }).kind).toBe('https_required');
  });

  it('says what the owner must know, names the method and keeps Bitrix24’s words', () => {
    const waiting = classifyBitrix24Error(401, { error: 'METHOD_CONFIRM_WAITING', error_description: 'Waiting for confirmation' }, { method: 'user.get' });
    expect(waiting.message).toBe('Waiting for the portal administrator to confirm the application’s call to user.get; the import retries on its own (Bitrix24: 401 METHOD_CONFIRM_WAITING — Waiting for confirmation)');
    const denied = classifyBitrix24Error(403, { error: 'ACCESS_DENIED', error_description: 'Access denied!' }, { method: 'department.get' });
    expect(denied.message).toMatch(/^Bitrix24 denied access to department\.get/);
    expect(denied.message).not.toMatch(/plan/i);
    expect(classifyBitrix24Error(401, { error: 'ACCESS_DENIED', error_description: 'REST is available only on commercial plans.' }).message).toMatch(/plan does not include the REST API/);
  });

  it('keeps the reset time of an operating-time block', () => {
    expect(classifyBitrix24Error(429, { error: 'OPERATION_TIME_LIMIT' }, { operatingResetAt: 1_700_000_000 }).retryAt).toBe(1_700_000_000_000);
    expect(classifyBitrix24Error(429, { error: 'OPERATION_TIME_LIMIT' }).retryAt).toBeUndefined();
  });

  it('every code of the table is in the README table, with its kind', () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    for (const [code, { kind }] of Object.entries(BITRIX24_ERRORS)) {
      expect(readme).toMatch(new RegExp(`\\| \`${code}\`[^\\n]*\\| \`${kind}\` \\|`));
    }
  });
});
