import { Logger } from '@nestjs/common';
import type { Bitrix24Department, Bitrix24User } from '../bitrix24-user';
import { Bitrix24Error, classifyBitrix24Error, PortalMovedError } from './bitrix24-error';
import type { LeakyBucket } from './leaky-bucket';
import type { OutboundFetch, OutboundResponse } from './outbound-http';
import { buildPhpQuery } from './php-query';
import { addressRefusal, assertSafeUrl, UrlPolicy } from './url-policy';

/** Fixed by Bitrix24 for list methods (api-reference/user/user-get.md: "always static: 50 records"). */
export const PAGE_SIZE = 50;
/** At most 50 commands per batch (api-reference/how-to-call-rest-api/batch.md). */
export const MAX_BATCH_COMMANDS = 50;

/** What a client needs to know about the portal it talks to; backed by the connection row. */
export interface Bitrix24Session {
  /** Base REST address ending in '/': `https://portal/rest/` (OAuth) or the webhook URL. */
  baseUrl(): string;
  /** The OAuth access token to send as `auth`, or null for an incoming webhook. */
  accessToken(): Promise<string | null>;
  /** Bitrix24 said `failedToken` expired: get a fresh one (serialized across replicas). */
  refresh(failedToken: string): Promise<void>;
  /**
   * Bitrix24 redirected us to `newHost`. A redirect proves nothing, so the session may
   * only re-point if a trusted source confirms the move (for OAuth: a token refresh
   * whose answer names that host as client_endpoint). True when baseUrl() now points there.
   */
  confirmMove(newHost: string): Promise<boolean>;
}

export interface Bitrix24ClientOptions {
  policy: UrlPolicy;
  /** The policy-guarded transport (OutboundHttp.fetch). */
  fetch: OutboundFetch;
  bucket: LeakyBucket;
  timeoutMs: number;
  /** First backoff step; doubled per retry, with full jitter. */
  retryBaseMs: number;
  maxTransientRetries?: number;
  maxRateLimitRetries?: number;
  /** Longest wait for an OPERATION_TIME_LIMIT block to lift before giving up the run. */
  maxOperatingWaitMs?: number;
  /** Called once per HTTP request sent (metrics, benchmarks). */
  onHttpRequest?: (method: string) => void;
}

export interface Bitrix24Envelope<T = unknown> {
  result: T;
  total?: number;
  next?: number;
  time?: { operating?: number; operating_reset_at?: number; [k: string]: unknown };
}

export interface BatchCommand {
  method: string;
  params?: Record<string, unknown>;
}

export interface ExportPage {
  users: Bitrix24User[];
  departments: Bitrix24Department[];
  /** Users the portal reported; grows if users are added during the export. */
  totalUsers: number;
}

export interface BatchResult {
  result: Record<string, unknown>;
  errors: Record<string, { error: string; error_description?: string }>;
  total: Record<string, number>;
  next: Record<string, number>;
}

/** The user fields the import reads (src/bitrix24/bitrix24-user.ts). */
const IMPORT_FIELDS = ['ID', 'ACTIVE', 'NAME', 'LAST_NAME', 'SECOND_NAME', 'EMAIL', 'WORK_PHONE', 'PERSONAL_MOBILE', 'PERSONAL_PHONE', 'UF_PHONE_INNER', 'UF_DEPARTMENT', 'USER_TYPE'] as const;

function pickImportFields(user: Bitrix24User): Bitrix24User {
  const picked: Record<string, unknown> = {};
  for (const field of IMPORT_FIELDS) if (user[field] !== undefined) picked[field] = user[field];
  return picked as Bitrix24User;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** PHP encodes an empty associative array as `[]`; batch sections may arrive either way. */
function section<T>(value: unknown): Record<string, T> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, T>) : {};
}

/**
 * The one Bitrix24 REST client. Paces requests with the portal's leaky bucket, refreshes
 * an expired token once per request, backs off on QUERY_LIMIT_EXCEEDED, waits out
 * OPERATION_TIME_LIMIT, retries reads on network errors and 5xx, stops at a redirect to
 * another host (re-pointing only when the authorization server confirms the move), and turns every other failure into a typed Bitrix24Error.
 */
export class Bitrix24Client {
  private readonly logger = new Logger(Bitrix24Client.name);
  /**
   * A 429 OPERATION_TIME_LIMIT answer carries no reset time; the last successful
   * answer's `time.operating_reset_at` for that method says when the block lifts
   * (limits.md). Epoch seconds per method.
   */
  private readonly operatingResetAt = new Map<string, number>();

  constructor(
    private readonly session: Bitrix24Session,
    private readonly options: Bitrix24ClientOptions,
  ) {}

  async call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<Bitrix24Envelope<T>> {
    return this.request<T>(method, params);
  }

  /** Up to 50 commands in one HTTP request; per-command errors come back, not thrown. */
  async batch(commands: Record<string, BatchCommand>, halt = false): Promise<BatchResult> {
    const keys = Object.keys(commands);
    if (keys.length === 0) return { result: {}, errors: {}, total: {}, next: {} };
    if (keys.length > MAX_BATCH_COMMANDS) throw new Error(`A batch holds at most ${MAX_BATCH_COMMANDS} commands`);
    const cmd = Object.fromEntries(
      keys.map((key) => {
        const { method, params } = commands[key];
        const query = params ? buildPhpQuery(params) : '';
        return [key, query ? `${method}?${query}` : method];
      }),
    );
    const envelope = await this.request<Record<string, unknown>>('batch', { halt: halt ? 1 : 0, cmd });
    const body = section<unknown>(envelope.result);
    for (const [key, time] of Object.entries(section<{ operating_reset_at?: number }>(body.result_time))) {
      if (time?.operating_reset_at && commands[key]) this.operatingResetAt.set(commands[key].method, Number(time.operating_reset_at));
    }
    return {
      result: section(body.result),
      errors: section(body.result_error),
      total: section(body.result_total),
      next: section(body.result_next),
    };
  }

  /**
   * The whole portal for a full import, as a stream: every user (`user.get` with
   * ADMIN_MODE and no ACTIVE filter, so dismissed users come too —
   * api-reference/user/user-get.md: "ACTIVE — when set to true excludes dismissed users")
   * and every department (`department.get`, paged with `start` —
   * api-reference/departments/department-get.md), sorted by ID so pages do not overlap.
   * Every request is a batch of up to 50 pages of 50 rows. The first one already asks
   * for as many user pages as the portal is expected to have (the last run's total; 49
   * pages when unknown), so N users and D departments cost about
   * ceil(N / 2,500) + ceil(D / 2,500) requests.
   */
  async *fullExport(options: { expectedUsers?: number | null } = {}): AsyncGenerator<ExportPage> {
    const expected = options.expectedUsers;
    const firstUserPages = expected === undefined || expected === null ? MAX_BATCH_COMMANDS - 1 : Math.min(MAX_BATCH_COMMANDS - 1, Math.max(1, Math.ceil((expected + 1) / PAGE_SIZE)));
    for await (const page of this.pageLists(
      {
        departments: { method: 'department.get', params: { sort: 'ID', order: 'ASC' } },
        users: { method: 'user.get', params: { sort: 'ID', order: 'ASC', ADMIN_MODE: true } },
      },
      { departments: 1, users: firstUserPages },
    )) {
      // Keep only the fields the import reads: a page of full user records is several
      // times larger, and up to two pages are alive at once.
      const users = ((page.rows.users ?? []) as Bitrix24User[]).map(pickImportFields);
      yield { users, departments: (page.rows.departments ?? []) as Bitrix24Department[], totalUsers: page.totals.users ?? 0 };
    }
  }

  /** Full records of the given users (dismissed ones included), 50 ids per command. */
  async usersById(ids: number[]): Promise<Bitrix24User[]> {
    const unique = [...new Set(ids)];
    const found: Bitrix24User[] = [];
    for (let offset = 0; offset < unique.length; offset += PAGE_SIZE * MAX_BATCH_COMMANDS) {
      const slice = unique.slice(offset, offset + PAGE_SIZE * MAX_BATCH_COMMANDS);
      const commands: Record<string, BatchCommand> = {};
      for (let i = 0; i < slice.length; i += PAGE_SIZE) {
        commands[`u${i / PAGE_SIZE}`] = { method: 'user.get', params: { FILTER: { ID: slice.slice(i, i + PAGE_SIZE) }, ADMIN_MODE: true } };
      }
      const batch = await this.batchRetryingCommands(commands);
      for (const key of Object.keys(commands)) found.push(...((batch.result[key] as Bitrix24User[] | undefined) ?? []));
    }
    return found;
  }

  /**
   * Pages several list methods at once: one batch request per step, each holding up to
   * 50 page commands (Bitrix24 list pages are 50 rows). The first step fetches page one
   * of every list to learn the totals; a list that grew meanwhile keeps being paged
   * while its last page came back full.
   */
  private async *pageLists(lists: Record<string, BatchCommand>, firstPages: Record<string, number>): AsyncGenerator<{ rows: Record<string, unknown[]>; totals: Record<string, number> }> {
    const totals: Record<string, number> = {};
    const nextStart: Record<string, number | undefined> = {};
    const names = Object.keys(lists);
    const initial = names.flatMap((name) => Array.from({ length: firstPages[name] ?? 1 }, (_, i) => ({ name, start: i * PAGE_SIZE })));
    const first = await this.batchRetryingCommands(
      Object.fromEntries(initial.map(({ name, start }) => [`${name}_${start}`, { method: lists[name].method, params: { ...lists[name].params, start } }])),
    );
    const rows: Record<string, unknown[]> = Object.fromEntries(names.map((name) => [name, []]));
    for (const { name, start } of initial) {
      const key = `${name}_${start}`;
      const page = (first.result[key] as unknown[] | undefined) ?? [];
      rows[name].push(...page);
      totals[name] = Math.max(totals[name] ?? 0, Number(first.total[key] ?? 0), rows[name].length);
      if (start === 0 || nextStart[name] !== undefined) nextStart[name] = page.length < PAGE_SIZE ? undefined : start + PAGE_SIZE;
    }
    yield { rows, totals };
    for (;;) {
      // Queue every page still to fetch, list by list, and send them 50 at a time.
      const pending: Array<{ name: string; start: number }> = [];
      for (const name of names) {
        for (let start = nextStart[name]; start !== undefined && start < totals[name]; start += PAGE_SIZE) pending.push({ name, start });
      }
      if (!pending.length) return;
      for (let offset = 0; offset < pending.length; offset += MAX_BATCH_COMMANDS) {
        const slice = pending.slice(offset, offset + MAX_BATCH_COMMANDS);
        const commands = Object.fromEntries(slice.map(({ name, start }) => [`${name}_${start}`, { method: lists[name].method, params: { ...lists[name].params, start } }]));
        const batch = await this.batchRetryingCommands(commands);
        const stepRows: Record<string, unknown[]> = Object.fromEntries(names.map((name) => [name, []]));
        for (const { name, start } of slice) {
          const key = `${name}_${start}`;
          const page = (batch.result[key] as unknown[] | undefined) ?? [];
          stepRows[name].push(...page);
          if (batch.total[key] !== undefined) totals[name] = Math.max(totals[name], Number(batch.total[key]));
          nextStart[name] = page.length < PAGE_SIZE ? undefined : start + PAGE_SIZE;
        }
        yield { rows: stepRows, totals };
      }
      // Loop again: pages beyond the first totals exist only if a list grew meanwhile.
    }
  }

  /**
   * A batch of reads whose sub-commands failed on their own (rate limits, a 500 in one
   * command) is sent again after the appropriate wait; any other sub-command error ends
   * the export with its typed error.
   */
  private async batchRetryingCommands(commands: Record<string, BatchCommand>): Promise<BatchResult> {
    for (let attempt = 0; ; attempt++) {
      const batch = await this.batch(commands);
      const [key] = Object.keys(batch.errors);
      if (!key) return batch;
      const method = commands[key]?.method ?? 'batch';
      const error = classifyBitrix24Error(0, batch.errors[key]);
      const retryable = error.kind === 'rate_limited' || error.kind === 'transient';
      if (!retryable || attempt >= (this.options.maxTransientRetries ?? 4)) {
        throw new Bitrix24Error(error.kind === 'invalid_request' ? 'transient' : error.kind, error.code, `batch command ${key} (${method}): ${error.message}`);
      }
      const wait = this.waitFor(error, method, attempt);
      if (wait === null) throw new Bitrix24Error(error.kind, error.code, `batch command ${key} (${method}): ${error.message}`, undefined, this.resetAt(method));
      await sleep(wait);
    }
  }

  /** How long to wait before retrying after a rate-limit or transient error; null when too long. */
  private waitFor(error: Bitrix24Error, method: string, attempt: number): number | null {
    if (error.code === 'OPERATION_TIME_LIMIT') {
      const resetAt = error.retryAt ?? this.resetAt(method);
      // operating_reset_at is in whole seconds: wait one more so we land after it.
      const wait = resetAt ? Math.max(resetAt + 1000 - Date.now(), this.backoff(attempt)) : this.backoff(attempt);
      return wait <= (this.options.maxOperatingWaitMs ?? 120_000) ? Math.max(0, wait) : null;
    }
    if (error.code === 'QUERY_LIMIT_EXCEEDED') this.options.bucket.markFull();
    return this.backoff(attempt);
  }

  private resetAt(method: string): number | undefined {
    const seconds = this.operatingResetAt.get(method);
    return seconds ? seconds * 1000 : undefined;
  }

  private async request<T>(method: string, params: Record<string, unknown>): Promise<Bitrix24Envelope<T>> {
    const maxTransient = this.options.maxTransientRetries ?? 4;
    const maxRate = this.options.maxRateLimitRetries ?? 6;
    let refreshed = false;
    let moveChecked = false;
    let transientRetries = 0;
    let rateRetries = 0;
    for (;;) {
      await this.options.bucket.take();
      const token = await this.session.accessToken();
      let error: Bitrix24Error;
      try {
        const { status, body } = await this.post(method, token ? { ...params, auth: token } : params);
        const payload = body as { error?: unknown; time?: { operating_reset_at?: number } } | null;
        if (status >= 200 && status < 300 && payload && payload.error === undefined) {
          if (payload.time?.operating_reset_at) this.operatingResetAt.set(method, Number(payload.time.operating_reset_at));
          return payload as Bitrix24Envelope<T>;
        }
        error = classifyBitrix24Error(status, payload, payload?.time?.operating_reset_at);
      } catch (thrown) {
        if (thrown instanceof Bitrix24Error) error = thrown;
        else throw thrown;
      }
      if (error instanceof PortalMovedError && !moveChecked) {
        moveChecked = true;
        if (await this.session.confirmMove(error.newHost)) {
          this.logger.warn({ msg: 'Bitrix24 portal moved; the authorization server confirmed its new address', to: error.newHost });
          continue;
        }
      }
      if (error.kind === 'auth_expired' && token && !refreshed) {
        refreshed = true;
        await this.session.refresh(token);
        continue;
      }
      if (error.kind === 'rate_limited' && error.code !== 'OVERLOAD_LIMIT' && rateRetries < maxRate) {
        const wait = this.waitFor(error, method, rateRetries);
        if (wait !== null) {
          rateRetries++;
          if (error.code === 'OPERATION_TIME_LIMIT') this.logger.warn({ msg: 'Bitrix24 method over its operating time limit; waiting', method, waitMs: wait });
          await sleep(wait);
          continue;
        }
        throw new Bitrix24Error(error.kind, error.code, error.message, error.status, this.resetAt(method));
      }
      if (error.kind === 'transient' && transientRetries < maxTransient) {
        await sleep(this.backoff(transientRetries++));
        continue;
      }
      throw error;
    }
  }

  /**
   * POSTs JSON through the policy-guarded transport. A redirect within the same origin
   * is followed (a path change); one to another host is never followed or stored: it
   * ends the request with PortalMovedError (settings/how-to-call-rest-api/change-domen.md
   * says a moved portal redirects, but anyone who controls the old address could send
   * our token or webhook secret anywhere that way).
   */
  private async post(method: string, payload: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
    let url = new URL(`${this.session.baseUrl()}${method}.json`);
    const body = JSON.stringify(payload);
    for (let hop = 0; hop <= 3; hop++) {
      try {
        assertSafeUrl(url.toString(), this.options.policy, 'The portal address');
      } catch (error) {
        throw new Bitrix24Error('invalid_request', 'ADDRESS_REFUSED', (error as Error).message, 0);
      }
      this.options.onHttpRequest?.(method);
      let response: OutboundResponse;
      try {
        response = await this.options.fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
      } catch (error) {
        const refused = addressRefusal(error);
        if (refused) throw new Bitrix24Error('invalid_request', 'ADDRESS_REFUSED', `Bitrix24 request ${method} not sent: ${refused.message}`, 0);
        const reason = (error as Error).name === 'TimeoutError' ? `timed out after ${this.options.timeoutMs} ms` : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
        throw new Bitrix24Error('transient', 'NETWORK_ERROR', `Bitrix24 request ${method} failed: ${reason}`, 0);
      }
      if ([301, 302, 303, 307, 308].includes(response.status)) {
        const location = response.headers.get('location');
        await response.arrayBuffer().catch(() => undefined);
        if (!location) throw new Bitrix24Error('transient', 'BAD_REDIRECT', `Bitrix24 redirected ${method} without a Location`, response.status);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new Bitrix24Error('transient', 'BAD_REDIRECT', `Bitrix24 redirected ${method} to an unreadable address`, response.status);
        }
        if (next.origin !== url.origin) {
          let refused = false;
          try {
            assertSafeUrl(next.origin, this.options.policy, 'Bitrix24 new address');
          } catch {
            refused = true;
          }
          this.logger.warn({ msg: 'Bitrix24 redirected to another host; not followed', to: next.host, refused });
          throw new PortalMovedError(next.host, refused, response.status);
        }
        next.search = '';
        url = next;
        continue;
      }
      const text = await response.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        if (response.status >= 500) throw new Bitrix24Error('transient', `HTTP_${response.status}`, `Bitrix24 answered ${response.status} with a non-JSON body`, response.status);
        throw new Bitrix24Error('invalid_request', 'NOT_JSON', `Bitrix24 answered ${response.status} with a non-JSON body`, response.status);
      }
      return { status: response.status, body: parsed };
    }
    throw new Bitrix24Error('transient', 'TOO_MANY_REDIRECTS', `Bitrix24 redirected ${method} too many times`);
  }

  private backoff(attempt: number): number {
    const cap = this.options.retryBaseMs * 2 ** Math.min(attempt, 6);
    return Math.round(cap / 2 + Math.random() * (cap / 2));
  }
}
