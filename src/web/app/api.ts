import { queryString } from './logic/employees';

/**
 * The only way the page talks to the service: /api/v1 with "Authorization: Bearer <key>".
 * The key lives in sessionStorage (this tab only) and never in a URL.
 */
export const API = '/api/v1';
const KEY_STORAGE = 'b24sync.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const savedKey = (): string | null => sessionStorage.getItem(KEY_STORAGE);
export const saveKey = (key: string): void => sessionStorage.setItem(KEY_STORAGE, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY_STORAGE);

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  /** Sign-in checks a key before it becomes the session's. */
  key?: string;
  signal?: AbortSignal;
}

export class Api {
  /** Called once when the session's key stops working (401): the page signs out. */
  onUnauthorized: (() => void) | null = null;

  constructor(private key: string | null) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, options, 'application/json');
    const text = await res.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    if (!res.ok) throw this.failure(res, body, options);
    return body as T;
  }

  /** A file download (the CSV export): the answer as a Blob, with its suggested name. */
  async download(path: string, options: RequestOptions = {}): Promise<{ blob: Blob; filename: string }> {
    const res = await this.send('GET', path, options, 'text/csv');
    if (!res.ok) {
      let body: unknown = null;
      try {
        body = await res.json();
      } catch {
        body = null;
      }
      throw this.failure(res, body, options);
    }
    const disposition = res.headers.get('Content-Disposition') ?? '';
    const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'export.csv';
    return { blob: await res.blob(), filename };
  }

  private async send(method: string, path: string, options: RequestOptions, accept: string): Promise<Response> {
    const key = options.key ?? this.key;
    const headers: Record<string, string> = { Accept: accept };
    if (key) headers.Authorization = `Bearer ${key}`;
    const init: RequestInit = { method, headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer', signal: options.signal };
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    try {
      return await fetch(API + path + queryString(options.query ?? {}), init);
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError(0, 'network', 'The service cannot be reached');
    }
  }

  private failure(res: Response, body: unknown, options: RequestOptions): ApiError {
    const err = (body as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error ?? {};
    if (res.status === 401 && !options.key && this.key) {
      this.key = null;
      this.onUnauthorized?.();
    }
    return new ApiError(res.status, err.code || `http_${res.status}`, err.message || `HTTP ${res.status}`, err.details);
  }
}

/** Errors not worth showing: the session ended (the page signs out) or the request was cancelled. */
export const isQuiet = (error: unknown): boolean =>
  (error instanceof ApiError && error.status === 401) || (error instanceof Error && error.name === 'AbortError');

/** One portal's part of the API. */
export const connectionPath = (connectionId: string): string => `/bitrix24/connections/${encodeURIComponent(connectionId)}`;

/** The owner's link of one Bitrix24 user: PUT links to an employee, DELETE unlinks and excludes from matching. */
export const userLinkPath = (connectionId: string, bitrix24UserId: number): string => `${connectionPath(connectionId)}/user-links/${encodeURIComponent(String(bitrix24UserId))}`;

/** The portal's exclusions (GET), or one of them (DELETE lifts it: the next run matches the user again). */
export const userExclusionsPath = (connectionId: string, bitrix24UserId?: number): string =>
  `${connectionPath(connectionId)}/user-exclusions${bitrix24UserId === undefined ? '' : `/${encodeURIComponent(String(bitrix24UserId))}`}`;
