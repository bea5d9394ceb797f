import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { isDatabaseUnavailable } from '../../database/postgres-errors';
import { DomainException, ErrorKind } from './domain.exception';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  not_allowed: 405,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  upstream: 502,
  unavailable: 503,
};

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
};

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown };
}

/** The single error envelope: `{ "error": { "code", "message", "details?" } }`. */
export function toErrorEnvelope(exception: unknown): { status: number; body: ErrorEnvelope; headers?: Record<string, string> } {
  if (exception instanceof DomainException) {
    const body: ErrorEnvelope = { error: { code: exception.code, message: exception.message } };
    if (exception.details !== undefined) body.error.details = exception.details;
    const headers: Record<string, string> = {};
    const retryAfter = (exception.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
    if (exception.kind === 'rate_limited' && retryAfter) headers['Retry-After'] = String(Math.ceil(retryAfter));
    return { status: STATUS_BY_KIND[exception.kind], body, headers };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const payload = typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
    if (payload.error && typeof payload.error === 'object') return { status, body: payload as unknown as ErrorEnvelope };
    const rawMessage = payload.message ?? exception.message;
    const messages = Array.isArray(rawMessage) ? rawMessage.map(String) : undefined;
    const body: ErrorEnvelope = {
      error: {
        code: (typeof payload.code === 'string' && payload.code) || CODE_BY_STATUS[status] || (status >= 500 ? 'internal_error' : 'error'),
        message: messages ? 'Request validation failed' : String(rawMessage),
      },
    };
    if (messages) body.error.details = messages;
    else if (payload.details !== undefined) body.error.details = payload.details;
    return { status, body };
  }
  // body-parser errors (malformed JSON, body too large) carry a status of their own.
  const bodyParserError = exception as { status?: number; type?: string; message?: string };
  if (typeof bodyParserError?.status === 'number' && bodyParserError.status >= 400 && bodyParserError.status < 500) {
    const status = bodyParserError.status;
    const message = bodyParserError.type === 'entity.parse.failed' ? 'Malformed JSON body' : bodyParserError.message ?? 'Bad request';
    return { status, body: { error: { code: CODE_BY_STATUS[status] ?? 'bad_request', message } } };
  }
  // PostgreSQL unreachable, restarting or out of connections: the request may succeed later,
  // so it is a 503 the client can retry, not a 500 (issue 12, finding 5).
  if (isDatabaseUnavailable(exception)) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      body: { error: { code: 'database_unavailable', message: 'The database is unavailable; try again shortly' } },
      headers: { 'Retry-After': '5' },
    };
  }
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, body: { error: { code: 'internal_error', message: 'Internal server error' } } };
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(ApiExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, body, headers } = toErrorEnvelope(exception);
    if (body.error.code === 'database_unavailable') this.logger.warn({ msg: 'request refused: database unavailable', error: (exception as Error).message });
    else if (status >= 500) this.logger.error(exception instanceof Error ? exception : String(exception));
    if (res.headersSent) return;
    for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
    res.status(status).json(body);
  }
}
