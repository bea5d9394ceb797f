import { Logger } from '@nestjs/common';
import type { Bitrix24Department, Bitrix24User } from '../bitrix24-user';
import { planBatch } from './batch-pacing';
import { Bitrix24Error, classifyBitrix24Error, PortalMovedError } from './bitrix24-error';
import type { LeakyBucket } from './leaky-bucket';
import { MethodTimings, type TimeBlock } from './method-timings';
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
  /** What this portal's answers said about method costs and budgets (shared per portal). */
  timings?: MethodTimings;
  timeoutMs: number;
  /** First backoff step; doubled per retry (capped at 64 ×), with jitter. */
  retryBaseMs: number;
  maxTransientRetries?: number;
  /**
   * Until when (epoch ms) the client may wait out rate limits, operating-time blocks and
   * 503 storms before giving up with a typed error: a sync run's deadline. Without it each
   * request may wait `maxWaitMs`.
   */
  deadlineAt?: number;
  /** Longest wait of one request when there is no deadline (interactive calls). Default 30 s. */
  maxWaitMs?: number;
  /** Estimated processing seconds one request may carry (limits.md: a request must end within 60 s). Default 20. */
  requestBudgetSeconds?: number;
  /** A method's processing budget per 10 minutes (limits.md: 480 in the cloud, 420 on a self-hosted box that enables it). */
  operatingLimitSeconds?: number;
  /** Called once per HTTP request sent (metrics, benchmarks). */
  onHttpRequest?: (method: string) => void;
}

export interface Bitrix24Envelope<T = unknown> {
  result: T;
  total?: number;
  next?: number;
  time?: TimeBlock;
}

export interface BatchCommand {
  method: string;
  params?: Record<string, unknown>;
}

export interface FullExportOptions {
  /** Users the portal had at the last complete export: sizes the first request until the count answers. */
  expectedUsers?: number | null;
  /** Resume: export only users with a larger ID (each page reports its `lastUserId`). */
  afterUserId?: number | null;
  /**
   * Check `user.admin` in the first request and throw `insufficient_rights` (NOT_ADMIN)
   * before yielding anything when the token's user is not a portal administrator.
   */
  requireAdmin?: boolean;
  /**
   * false: read no department pages (the caller read the tree beforehand with
   * departments(), because a department selection must be known before the first user).
   */
  departments?: boolean;
}

export interface ExportPage {
  users: Bitrix24User[];
  departments: Bitrix24Department[];
  /**
   * Users to export, from the one counted call (users after `afterUserId` when resuming);
   * grows if more arrive than were counted. 0 until the count has answered.
   */
  totalUsers: number;
  /** The largest user ID exported so far: every user up to it has been yielded (null before the first). */
  lastUserId: number | null;
}

export interface BatchResult {
  result: Record<string, unknown>;
  errors: Record<string, { error: string; error_description?: string }>;
  total: Record<string, number>;
  next: Record<string, number>;
  time: Record<string, TimeBlock>;
}

/** The user fields the import reads (src/bitrix24/bitrix24-user.ts): the `select` of every export. */
export const IMPORT_FIELDS = ['ID', 'ACTIVE', 'NAME', 'LAST_NAME', 'SECOND_NAME', 'EMAIL', 'WORK_PHONE', 'PERSONAL_MOBILE', 'PERSONAL_PHONE', 'UF_PHONE_INNER', 'UF_DEPARTMENT', 'USER_TYPE'] as const;

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

/** A batch answers a list result as a JSON list, or as an object when PHP kept other keys. */
function rowsOf<T>(value: unknown): T[] {
  if (Array.isArray(value)) return value as T[];
  if (value && typeof value === 'object') return Object.values(value) as T[];
  return [];
}

const DEFAULT_MAX_WAIT_MS = 30_000;

/** One operation's retries: until when it may wait, and how many failures in a row it had. */
interface RetryState {
  deadline: number;
  attempt: number;
  transient: number;
}
const DEFAULT_REQUEST_BUDGET_SECONDS = 20;
/** limits.md: "the established limit is 480 seconds" (cloud). */
export const CLOUD_OPERATING_LIMIT_SECONDS = 480;
/** limits.md: self-hosted boxes have the limit off; "If enabled, the default limit will be 420 seconds". */
export const ON_PREMISE_OPERATING_LIMIT_SECONDS = 420;
const USER_GET = 'user.get';
const DEPARTMENT_GET = 'department.get';

/** A department.get page (api-reference/departments/department-get.md: paged by start, counted). */
function departmentPage(start: number): BatchCommand {
  return { method: DEPARTMENT_GET, params: { sort: 'ID', order: 'ASC', start } };
}

/** A user.get page command of the keyset chain: `>ID` is a number, or a `$result[…]` reference. */
function keysetPage(after: number | string): BatchCommand {
  return { method: USER_GET, params: { FILTER: { '>ID': after }, ADMIN_MODE: true, sort: 'ID', order: 'ASC', select: [...IMPORT_FIELDS], start: -1 } };
}

/**
 * The one Bitrix24 REST client. Paces requests with the portal's leaky bucket and each
 * method's time budget, refreshes an expired token once per request, waits out
 * QUERY_LIMIT_EXCEEDED, 503 storms and OPERATION_TIME_LIMIT blocks up to its deadline,
 * retries reads on network errors and 5xx, stops at a redirect to another host
 * (re-pointing only when the authorization server confirms the move), and turns every
 * other failure into a typed Bitrix24Error.
 */
export class Bitrix24Client {
  private readonly logger = new Logger(Bitrix24Client.name);
  private readonly timings: MethodTimings;

  constructor(
    private readonly session: Bitrix24Session,
    private readonly options: Bitrix24ClientOptions,
  ) {
    this.timings = options.timings ?? new MethodTimings();
  }

  async call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<Bitrix24Envelope<T>> {
    return this.request<T>(method, params);
  }

  /**
   * Whether the token's (or webhook's) user may manage the portal's applications
   * (api-reference/common/users/user-admin.md). Only then does user.get's ADMIN_MODE show
   * every user (rest/lib/api/user.php).
   */
  async isAdministrator(): Promise<boolean> {
    const { result } = await this.call<unknown>('user.admin');
    return isYes(result);
  }

  /** Up to 50 commands in one HTTP request; per-command errors come back, not thrown. */
  async batch(commands: Record<string, BatchCommand>, options: { halt?: boolean; unmetered?: ReadonlySet<string> } = {}): Promise<BatchResult> {
    const keys = Object.keys(commands);
    if (keys.length === 0) return { result: {}, errors: {}, total: {}, next: {}, time: {} };
    if (keys.length > MAX_BATCH_COMMANDS) throw new Error(`A batch holds at most ${MAX_BATCH_COMMANDS} commands`);
    const cmd = Object.fromEntries(
      keys.map((key) => {
        const { method, params } = commands[key];
        const query = params ? buildPhpQuery(params) : '';
        return [key, query ? `${method}?${query}` : method];
      }),
    );
    const envelope = await this.request<Record<string, unknown>>('batch', { halt: options.halt ? 1 : 0, cmd });
    const body = section<unknown>(envelope.result);
    const time = section<TimeBlock>(body.result_time);
    // limits.md: the outer batch is not counted; each command's time is its method's.
    const byMethod = new Map<string, { metered: TimeBlock[]; unmetered: TimeBlock[] }>();
    for (const key of keys) {
      if (!time[key]) continue;
      const entry = byMethod.get(commands[key].method) ?? { metered: [], unmetered: [] };
      (options.unmetered?.has(key) ? entry.unmetered : entry.metered).push(time[key]);
      byMethod.set(commands[key].method, entry);
    }
    for (const [method, { metered, unmetered }] of byMethod) {
      if (metered.length) this.timings.observe(method, metered);
      if (unmetered.length) this.timings.observe(method, unmetered, { cost: false });
    }
    return { result: section(body.result), errors: section(body.result_error), total: section(body.result_total), next: section(body.result_next), time };
  }

  /**
   * The whole portal for a full import, as a stream of pages: every user and every
   * department.
   *
   * Users follow settings/performance/huge-data.md (and the tip in
   * api-reference/user/user-get.md): sorted by ID, filtered by `>ID` of the last user
   * received, `start=-1` so Bitrix24 counts nothing, and a `select` of exactly the fields
   * the import reads; ADMIN_MODE and no ACTIVE filter, so dismissed users come too. Inside
   * one batch each command takes its `>ID` from the previous one,
   * `$result[u_k][49][ID]` (settings/how-to-call-rest-api/batch.md), so N users still cost
   * about ceil(N / 2,500) requests. The total for progress comes from one counted call
   * (`start=0`, `select=[ID]`) in the first request.
   *
   * The end: a page of fewer than 50 rows is the last. Inside a batch everything after it is
   * discarded — Bitrix24 resolves the next command's `$result[u_k][49][ID]` to the whole
   * short page (rest_util.php processBatchElement stops at the deepest key that exists),
   * which intval turns into `>ID` 1 or 0, so those commands read the portal again from the
   * start. A failed command is handled the same way: the pages before it are kept and the
   * next request continues from the last good ID. Each request asks for the pages the count
   * says remain plus one, so the last request ends on a short (or empty) page.
   *
   * Departments: department.get has no `>ID` filter and always counts
   * (api-reference/departments/department-get.md), so they are paged by `start`; page one
   * rides in the first request, the rest fill free slots of later ones.
   *
   * Every request is sized by planBatch() from the time the previous answers reported.
   */
  async *fullExport(options: FullExportOptions = {}): AsyncGenerator<ExportPage> {
    const countFrom = Math.max(0, Math.trunc(options.afterUserId ?? 0));
    let lastId = countFrom;
    let lastYielded: number | null = options.afterUserId ? lastId : null;
    let counted: number | null = null;
    let fetched = 0;
    let usersDone = false;
    let departmentTotal: number | null = null;
    let departmentStarts: number[] = options.departments === false ? [] : [0];
    let adminPending = options.requireAdmin === true;
    let countPending = true;
    const retries = this.retryState();
    for (;;) {
      const remaining = counted ?? options.expectedUsers ?? null;
      const wantedUserPages = usersDone ? 0 : remaining === null ? MAX_BATCH_COMMANDS : Math.max(1, Math.ceil((remaining - fetched + 1) / PAGE_SIZE));
      const fixed: Array<[string, BatchCommand]> = [];
      if (adminPending) fixed.push(['admin', { method: 'user.admin' }]);
      if (countPending) fixed.push(['count', { method: USER_GET, params: { FILTER: { '>ID': countFrom }, ADMIN_MODE: true, sort: 'ID', order: 'ASC', select: ['ID'], start: 0 } }]);
      // Department page one says how many pages follow, so it rides in the first request.
      const firstDepartmentPage: boolean = departmentTotal === null && departmentStarts.includes(0);
      if (firstDepartmentPage) fixed.push(['d0', departmentPage(0)]);
      const plan = planBatch({
        now: Date.now(),
        fixed: fixed.map(([, c]) => c.method),
        wanted: [
          { method: USER_GET, count: wantedUserPages },
          { method: DEPARTMENT_GET, count: firstDepartmentPage ? 0 : departmentStarts.length },
        ],
        budgets: this.timings.budgets([USER_GET, DEPARTMENT_GET, 'user.admin']),
        requestBudgetSeconds: this.options.requestBudgetSeconds ?? DEFAULT_REQUEST_BUDGET_SECONDS,
        operatingLimitSeconds: this.options.operatingLimitSeconds ?? CLOUD_OPERATING_LIMIT_SECONDS,
        maxCommands: MAX_BATCH_COMMANDS,
      });
      if (plan.kind === 'wait') {
        this.logger.log({ msg: 'Bitrix24 method time budget spent; waiting for the oldest bucket to reset', method: plan.method, waitMs: plan.until - Date.now() });
        await this.sleepWithin(plan.until, plan.method, retries);
        continue;
      }
      const [userPages, departmentPages] = plan.counts;
      const commands: Record<string, BatchCommand> = Object.fromEntries(fixed);
      for (let i = 0; i < userPages; i++) commands[`u${i}`] = keysetPage(i === 0 ? lastId : `$result[u${i - 1}][${PAGE_SIZE - 1}][ID]`);
      const starts: number[] = firstDepartmentPage ? [0] : departmentStarts.slice(0, departmentPages);
      for (const start of starts) commands[`d${start}`] = departmentPage(start);
      const batch = await this.batch(commands, { unmetered: new Set(['count']) });

      let failure: { key: string; method: string; error: { error: string; error_description?: string } } | null = null;
      const fail = (key: string) => {
        failure = failure ?? { key, method: commands[key].method, error: batch.errors[key] ?? { error: 'ERROR_UNEXPECTED_ANSWER', error_description: 'No result for this command' } };
      };
      if (adminPending) {
        if (batch.errors.admin || !('admin' in batch.result)) fail('admin');
        else if (!isYes(batch.result.admin)) throw new Bitrix24Error('insufficient_rights', 'NOT_ADMIN', 'The Bitrix24 user this connection uses is not a portal administrator (user.admin answered false), so user.get would hide users from it');
        else adminPending = false;
      }
      // Rows read before the administrator check answered are not trusted: read them again.
      const trusted = !adminPending;
      if (countPending && trusted) {
        if (batch.errors.count || batch.total.count === undefined) fail('count');
        else {
          counted = Number(batch.total.count);
          countPending = false;
        }
      }
      const users: Bitrix24User[] = [];
      for (let i = 0; i < userPages && trusted; i++) {
        const key = `u${i}`;
        if (batch.errors[key] || !(key in batch.result)) {
          fail(key);
          break;
        }
        const page = rowsOf<Bitrix24User>(batch.result[key]);
        for (const user of page) {
          const id = Number(user.ID);
          // The keyset must move forward; anything else means the portal ignored the filter or the sort.
          if (!Number.isSafeInteger(id) || id <= lastId) throw new Bitrix24Error('invalid_request', 'EXPORT_ORDER_BROKEN', `user.get returned user ${String(user.ID)} after ${lastId}: the portal did not honour the >ID filter and the ID sort`);
          lastId = id;
          users.push(pickImportFields(user));
        }
        if (page.length < PAGE_SIZE) {
          usersDone = true;
          break;
        }
      }
      fetched += users.length;
      const departments: Bitrix24Department[] = [];
      for (const start of trusted ? starts : []) {
        const key = `d${start}`;
        if (batch.errors[key] || !(key in batch.result)) {
          fail(key);
          continue;
        }
        departments.push(...rowsOf<Bitrix24Department>(batch.result[key]));
        departmentStarts = departmentStarts.filter((s) => s !== start);
        if (departmentTotal === null && batch.total[key] !== undefined) {
          departmentTotal = Number(batch.total[key]);
          for (let next = PAGE_SIZE; next < departmentTotal; next += PAGE_SIZE) departmentStarts.push(next);
        }
      }
      if (users.length || departments.length) {
        // Progress: the failures so far were not in a row. The deadline stays.
        retries.attempt = 0;
        retries.transient = 0;
        if (users.length) lastYielded = lastId;
        yield { users, departments, totalUsers: Math.max(counted ?? 0, fetched), lastUserId: lastYielded };
      }
      if (failure) {
        const { key, method, error } = failure as { key: string; method: string; error: { error: string; error_description?: string } };
        await this.waitAfterCommandError(key, method, error, retries);
      }
      if (usersDone && !departmentStarts.length && !adminPending && !countPending) return;
    }
  }

  /**
   * Every department (api-reference/departments/department-get.md: paged by `start`, 50 a
   * page, always counted): page one says how many follow, the rest go in batches of up to
   * 50 pages. A failed read throws; the caller must not act on a partial tree.
   */
  async departments(): Promise<Bitrix24Department[]> {
    const retries = this.retryState();
    const first = await this.batchRetryingCommands({ d0: departmentPage(0) }, retries);
    const found = rowsOf<Bitrix24Department>(first.result.d0);
    const total = Number(first.total.d0 ?? found.length);
    let starts: number[] = [];
    for (let next = PAGE_SIZE; next < total; next += PAGE_SIZE) starts.push(next);
    while (starts.length) {
      const plan = this.planReads(DEPARTMENT_GET, starts.length);
      if (plan.kind === 'wait') {
        await this.sleepWithin(plan.until, plan.method, retries);
        continue;
      }
      const commands: Record<string, BatchCommand> = Object.fromEntries(starts.slice(0, Math.max(1, plan.counts[0])).map((start) => [`d${start}`, departmentPage(start)]));
      const batch = await this.batchRetryingCommands(commands, retries);
      for (const key of Object.keys(commands)) found.push(...rowsOf<Bitrix24Department>(batch.result[key]));
      starts = starts.slice(Object.keys(commands).length);
    }
    return found;
  }

  /** Full records of the given users (dismissed ones included), 50 ids per command, nothing counted. */
  async usersById(ids: number[]): Promise<Bitrix24User[]> {
    const unique = [...new Set(ids)];
    const found: Bitrix24User[] = [];
    let offset = 0;
    const retries = this.retryState();
    while (offset < unique.length) {
      const plan = this.planReads(USER_GET, Math.ceil((unique.length - offset) / PAGE_SIZE));
      if (plan.kind === 'wait') {
        await this.sleepWithin(plan.until, plan.method, retries);
        continue;
      }
      const commands: Record<string, BatchCommand> = {};
      for (let i = 0; i < plan.counts[0]; i++) {
        const slice = unique.slice(offset + i * PAGE_SIZE, offset + (i + 1) * PAGE_SIZE);
        if (slice.length) commands[`u${i}`] = { method: USER_GET, params: { FILTER: { ID: slice }, ADMIN_MODE: true, select: [...IMPORT_FIELDS], start: -1 } };
      }
      const batch = await this.batchRetryingCommands(commands, retries);
      for (const key of Object.keys(commands)) found.push(...rowsOf<Bitrix24User>(batch.result[key]).map(pickImportFields));
      offset += Object.keys(commands).length * PAGE_SIZE;
    }
    return found;
  }

  /** How many pages of one method the next batch of independent reads may carry (planBatch). */
  private planReads(method: string, count: number): ReturnType<typeof planBatch> {
    return planBatch({
      now: Date.now(),
      fixed: [],
      wanted: [{ method, count }],
      budgets: this.timings.budgets([method]),
      requestBudgetSeconds: this.options.requestBudgetSeconds ?? DEFAULT_REQUEST_BUDGET_SECONDS,
      operatingLimitSeconds: this.options.operatingLimitSeconds ?? CLOUD_OPERATING_LIMIT_SECONDS,
      maxCommands: MAX_BATCH_COMMANDS,
    });
  }

  /**
   * The users whose EMAIL filter matches (api-reference/user/user-get.md: FILTER by any user
   * field, ADMIN_MODE for every user), at most one page: the one-person check wants one
   * person, and the caller keeps only exact (normalized) matches whatever the portal's
   * comparison is.
   */
  async usersByEmail(email: string): Promise<Bitrix24User[]> {
    const { result } = await this.call<unknown>(USER_GET, { FILTER: { EMAIL: email }, ADMIN_MODE: true, select: [...IMPORT_FIELDS], start: -1 });
    return rowsOf<Bitrix24User>(result).map(pickImportFields);
  }

  /**
   * A batch of independent reads whose sub-commands failed on their own (rate limits, a 500
   * in one command) is sent again after the appropriate wait; any other sub-command error
   * ends the read with its typed error.
   */
  private async batchRetryingCommands(commands: Record<string, BatchCommand>, retries: RetryState): Promise<BatchResult> {
    for (;;) {
      const batch = await this.batch(commands);
      const [key] = Object.keys(batch.errors);
      if (!key) return batch;
      await this.waitAfterCommandError(key, commands[key]?.method ?? 'batch', batch.errors[key], retries);
    }
  }

  /**
   * Waits as retryDelay() says after a batch command failed, or throws its typed error. A
   * command Bitrix24 refused as malformed counts as transient: in a batch it is most often
   * collateral of an earlier failure, and the run should be retried, not abandoned.
   */
  private async waitAfterCommandError(key: string, method: string, answer: { error: string; error_description?: string }, retries: RetryState): Promise<void> {
    const classified = classifyBitrix24Error(0, answer, { method, batchCommand: key });
    const kind = classified.kind === 'invalid_request' ? 'transient' : classified.kind;
    const retryAt = classified.code === 'OPERATION_TIME_LIMIT' ? this.timings.resetAt(method) : undefined;
    const error = new Bitrix24Error(kind, classified.code, classified.message, undefined, retryAt);
    const wait = this.retryDelay(error, method, retries);
    if (wait === null) throw error;
    await sleep(wait);
  }

  /** A fresh retry state: until the run's deadline, or maxWaitMs from now for a call outside a run. */
  private retryState(): RetryState {
    return { deadline: this.options.deadlineAt ?? Date.now() + (this.options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS), attempt: 0, transient: 0 };
  }

  /** Sleeps until a known block lifts, or throws a typed rate_limited error when that is past the deadline. */
  private async sleepWithin(until: number, method: string, retries: RetryState): Promise<void> {
    if (until > retries.deadline) {
      throw new Bitrix24Error('rate_limited', 'OPERATION_TIME_LIMIT', `${method} has used up its time budget on the portal until ${new Date(until).toISOString()}, past this run's deadline`, 429, until);
    }
    await sleep(Math.max(0, until - Date.now()));
  }

  /**
   * How long to wait before trying again, or null to give up:
   * - QUERY_LIMIT_EXCEEDED and any other 503 (limits.md: "retry calls with increasing
   *   delay"): jittered exponential backoff, for as long as the deadline allows — a storm
   *   of any length short of it is ridden out;
   * - OPERATION_TIME_LIMIT: until the reset time the last successful answer announced
   *   (limits.md: "For the first retry, refer to operating_reset_at from the last successful
   *   response. If the error persists, wait for the next bucket reset"); when no answer said,
   *   probe with the same backoff (a blocked call is refused before it runs, so a probe costs
   *   the budget nothing) until the deadline;
   * - transient errors (5xx, network, unknown 401s, CONNECTION_ERROR): a few retries with
   *   backoff, then the typed error, so a failing portal shows as failing;
   * - anything else: no retry.
   */
  private retryDelay(error: Bitrix24Error, method: string, retries: RetryState): number | null {
    const attempt = retries.attempt++;
    const within = (ms: number) => (Date.now() + ms <= retries.deadline ? Math.max(0, ms) : null);
    if (error.code === 'OPERATION_TIME_LIMIT') {
      const resetAt = error.retryAt ?? this.timings.resetAt(method);
      if (resetAt && resetAt > Date.now()) return within(Math.max(resetAt + 1000 - Date.now(), this.backoff(0)));
      return within(this.backoff(attempt));
    }
    if (error.kind === 'rate_limited' || error.status === 503) {
      if (error.code === 'QUERY_LIMIT_EXCEEDED') this.options.bucket.markFull();
      return within(this.backoff(attempt));
    }
    if (error.kind === 'transient') {
      const failures = retries.transient++;
      return failures < (this.options.maxTransientRetries ?? 4) ? within(this.backoff(failures)) : null;
    }
    return null;
  }

  private async request<T>(method: string, params: Record<string, unknown>): Promise<Bitrix24Envelope<T>> {
    let refreshed = false;
    let moveChecked = false;
    const retries = this.retryState();
    for (;;) {
      await this.options.bucket.take();
      const token = await this.session.accessToken();
      let error: Bitrix24Error;
      try {
        const { status, body } = await this.post(method, token ? { ...params, auth: token } : params);
        const payload = body as { error?: unknown; time?: TimeBlock } | null;
        if (status >= 200 && status < 300 && payload && payload.error === undefined) {
          if (payload.time && method !== 'batch') this.timings.observe(method, [payload.time]);
          return payload as Bitrix24Envelope<T>;
        }
        error = classifyBitrix24Error(status, payload, { method, operatingResetAt: payload?.time?.operating_reset_at });
      } catch (thrown) {
        if (thrown instanceof Bitrix24Error) error = thrown;
        else throw thrown;
      }
      if (error.kind === 'auth_expired' && token && !refreshed) {
        refreshed = true;
        await this.session.refresh(token);
        continue;
      }
      if (error instanceof PortalMovedError && !moveChecked) {
        moveChecked = true;
        if (await this.session.confirmMove(error.newHost)) {
          this.logger.warn({ msg: 'Bitrix24 portal moved; the authorization server confirmed its new address', to: error.newHost });
          continue;
        }
      }
      const wait = this.retryDelay(error, method, retries);
      if (wait === null) {
        if (error.code === 'OPERATION_TIME_LIMIT') throw new Bitrix24Error(error.kind, error.code, error.message, error.status, error.retryAt ?? this.timings.resetAt(method));
        throw error;
      }
      if (error.code === 'OPERATION_TIME_LIMIT') this.logger.warn({ msg: 'Bitrix24 method over its operating time limit; waiting', method, waitMs: wait });
      await sleep(wait);
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

  /** Exponential backoff with jitter: between half and all of base × 2^attempt, capped at 64 × base. */
  private backoff(attempt: number): number {
    const cap = this.options.retryBaseMs * 2 ** Math.min(attempt, 6);
    return Math.round(cap / 2 + Math.random() * (cap / 2));
  }
}

/** user.admin answers a JSON boolean (user-admin.md); older boxes may say "Y" or 1. */
function isYes(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 'Y' || value === 'true';
}
