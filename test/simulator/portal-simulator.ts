/**
 * A Bitrix24 portal and its OAuth server on one node:http listener, for tests, the demo
 * and the benchmark. Every shape below follows the official REST docs
 * (github.com/bitrix24/b24restdocs, github.com/bitrix-tools/b24-rest-docs); the doc path is
 * cited above each one. Where the docs are silent, the choice is written down in
 * test/simulator/README.md ("Where the docs are silent").
 *
 * Plain TypeScript, no NestJS, no test-framework imports.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Bitrix24Department, Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { generatePortal, type PortalShares, type SystemUser } from './people-generator';
import { appFrameBody, appFrameRequest, appHostPage, notInstalledPage, type AppFrameOpen } from './app-frame';
import { OfflineEventQueue, OfflineQueueError } from './offline-queue';
import { asList, parsePhpQuery, phpHttpBuildQuery, phpIntval, phpJsonValue, phpToPlain, phpTruthy, type PhpArray } from './php-wire';

// ---------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------

/** App status letters (api-reference/common/system/app-info.md, STATUS). */
export type AppStatus = 'F' | 'D' | 'T' | 'P' | 'L' | 'S';

export interface PortalSimulatorOptions {
  /** Port to listen on (127.0.0.1). Default 0: any free port. */
  port?: number;
  clientId?: string;
  clientSecret?: string;
  /** The app's OAuth handler; /oauth/authorize/ redirects there (settings/oauth/index.md). */
  redirectUri?: string;
  /** Scopes granted to the app, comma-separated or a list. Default 'user,department'. */
  scope?: string | string[];
  accessTokenTtlSeconds?: number;
  /** settings/oauth/auto-renewal.md: 180 days. */
  refreshTokenTtlSeconds?: number;
  /** settings/oauth/index.md: the code lives 30 seconds. */
  codeTtlSeconds?: number;
  /** limits.md leaky bucket per portal; false disables it. Default {perSecond: 2, burst: 50} (5/250 on an "ent" licence). */
  rateLimit?: { perSecond: number; burst: number } | false;
  /** List page size (user-get.md: "always static: 50 records"). */
  pageSize?: number;
  /** A number of generated people, or the exact users. Default 50 generated. */
  people?: number | Bitrix24User[];
  /** A number of generated departments, or the exact list. */
  departments?: number | Bitrix24Department[];
  /** Bots and partners that user.get never returns; generated with `people` when it is a number. */
  systemUsers?: SystemUser[];
  /** Generator knobs when `people` is a number. */
  shares?: Partial<PortalShares>;
  seed?: number;
  memberId?: string;
  applicationToken?: string;
  /** app.info LICENSE, e.g. 'ru_pro100', 'ru_ent250' (app-info.md). Default 'ru_pro100'. */
  license?: string;
  /** app.info / token `status`. Default 'F'. */
  appStatus?: AppStatus;
  appCode?: string;
  appVersion?: number;
  languageId?: string;
  paymentExpired?: boolean;
  days?: number | null;
  /** The user who "logs in" at /oauth/authorize/ and installs the app. Default 1. */
  authUserId?: number;
  /** Portal administrators (profile.ADMIN). Default [1]. */
  adminUserIds?: number[];
  /** limits.md: 480 seconds of method time per 10 minutes. */
  operatingLimitSeconds?: number;
  /**
   * limits.md: method time is summed in ten one-minute buckets, each leaving the sum 10
   * minutes after its first call. Tests may shrink both (e.g. 6 s / 0.6 s) to see resets quickly.
   */
  operatingWindowSeconds?: number;
  operatingBucketSeconds?: number;
  /**
   * Simulated processing seconds per call of a method, e.g. `{ 'user.get': 2 }` for a portal
   * where user.get is heavy. Added to `time.processing`/`duration` and to the method's
   * operating time (limits.md); nothing actually sleeps. `sim.setMethodCost()` changes it.
   */
  methodCost?: Record<string, number>;
  /**
   * Records as an old on-premise box sends them: every column of the scope version, `null`
   * when empty, ACTIVE "Y"/"N", and no USER_TYPE (README, "Old boxes").
   */
  oldBox?: boolean;
  /**
   * The extranet module is installed (it is on cloud portals). It is what makes user.get hide
   * users from a caller without ADMIN_MODE rights (rest/lib/api/user.php). Default true.
   */
  extranet?: boolean;
  /** Server time zone for date strings (server-time.md). Default '+03:00'. */
  timezoneOffset?: string;
  /** Older portals send ACTIVE as "Y"/"N" instead of a JSON boolean. */
  legacyActiveYN?: boolean;
  /**
   * The application has its own page and an installer (settings/app-installation/installation-finish.md):
   * app.info INSTALLED is false, and no event is delivered (online or offline), until the
   * installer page calls installFinish. Default false: an "API only" application, installed at once.
   */
  interfaceApp?: boolean;
  /** The application's page (installer and main page) the portal posts to when it is opened (simple-way.md). */
  appUrl?: string;
  /** The `rest_offline_extended` feature: event.offline.get with clear=0 (offline-events.md "Availability check"). Default true. */
  offlineExtended?: boolean;
  /** The simulated clock in epoch ms (default Date.now); advanceClock() adds to it. */
  clock?: () => number;
}

export interface TokenResponse {
  access_token: string;
  client_endpoint: string;
  domain: string;
  expires: number;
  expires_in: number;
  member_id: string;
  refresh_token: string;
  scope: string;
  server_endpoint: string;
  status: AppStatus;
  user_id: number;
}

export interface SimulatorStats {
  /** Every HTTP request to /rest/… (batch counts once; redirected and refused ones too). */
  restRequests: number;
  /** Calls per REST method: top-level calls and batch sub-commands alike. */
  perMethod: Record<string, number>;
  /** Sub-commands executed inside batch. */
  batchCommands: number;
  /** 503 answers (QUERY_LIMIT_EXCEEDED) of any cause. */
  sent503: number;
  /** Of those, the ones the leaky bucket produced. */
  rateLimited: number;
  /** 429 answers (OPERATION_TIME_LIMIT), including batch sub-commands. */
  sent429: number;
  /** 500 answers (INTERNAL_SERVER_ERROR), including batch sub-commands. */
  sent500: number;
  /** 302 answers from an old address after movePortal(). */
  redirects: number;
  /** Successful authorization_code exchanges. */
  tokenExchanges: number;
  /** Failed authorization_code exchanges. */
  tokenExchangesFailed: number;
  /** ok: rotations done; lost: rotated, but the client had hung up before the (slowTokenAnswer) answer. */
  refreshes: { ok: number; failed: number; lost: number };
  /** How many requests carried client_secret (to the OAuth server). */
  secretsReceived: number;
  /** Requests to the portal itself (REST, /oauth/authorize/) that carried the client_secret: should stay 0. */
  secretLeaksToPortal: number;
  /** Event POSTs sent to handlers. */
  eventsPosted: number;
  /**
   * List calls that made Bitrix24 count the total (user.get with start >= 0, every
   * department.get), by method; user.get with start=-1 counts nothing (huge-data.md).
   */
  countedListCalls: Record<string, number>;
  /** The largest `time.operating` (a method's accumulated seconds in the window) any answer carried. */
  maxOperatingSeconds: number;
  /** The largest processing time of one HTTP request (a batch: the sum of its commands), in seconds. */
  maxRequestProcessingSeconds: number;
  /** TCP connections accepted on any listener (portal, old addresses, OAuth server): 0 means nothing reached the simulator at all. */
  connections: number;
  /** HTTP requests received on any path. */
  httpRequests: number;
}

/** One registered event handler (api-reference/events/event-get.md). */
export interface EventBinding {
  id: number;
  event: string;
  handler: string;
  authType: number;
  offline: boolean;
}

/** One event POST the simulator made. */
export interface EventDelivery {
  event: string;
  url: string;
  status: number;
  body: string;
}

// ---------------------------------------------------------------------------------------
// Internal types
// ---------------------------------------------------------------------------------------

type PV = string | number | boolean | null | PV[] | PMap;
type PMap = Map<string, PV>;

interface AccessToken {
  token: string;
  userId: number;
  scopes: string[];
  expiresAt: number;
  invalid: boolean;
  forcedExpired: boolean;
}

interface RefreshToken {
  token: string;
  userId: number;
  scopes: string[];
  expiresAt: number;
  used: boolean;
  revoked: boolean;
}

interface AuthCode {
  code: string;
  userId: number;
  scopes: string[];
  expiresAt: number;
  used: boolean;
}

interface Webhook {
  userId: number;
  secret: string;
  scopes: string[];
}

type AuthContext = { kind: 'app'; userId: number; scopes: string[]; token: string } | { kind: 'webhook'; userId: number; scopes: string[] };

interface MethodOk {
  result: unknown;
  total?: number;
  next?: number;
}

interface CallOk extends MethodOk {
  ok: true;
  time: TimeBlock;
}

interface CallFail {
  ok: false;
  status: number;
  error: string;
  description: string;
}

interface TimeBlock {
  start: number;
  finish: number;
  duration: number;
  processing: number;
  date_start: string;
  date_finish: string;
  operating_reset_at?: number;
  operating?: number;
}

interface OperatingBucket {
  startedAt: number;
  resetAt: number;
  seconds: number;
}

interface Listener {
  server: http.Server;
  port: number;
}

/** A batch's $arResult: section name (result, time, total, next, error) → command key → value. */
type BatchSections = Map<string, Map<string, unknown>>;

class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${code}: ${description}`);
  }
}

// ---------------------------------------------------------------------------------------
// Constants from the docs
// ---------------------------------------------------------------------------------------

// _includes/system-errors.md (statuses and texts of the system errors)
const ERR = {
  internal: () => new RestError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'),
  queryLimit: () => new RestError(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests'),
  operationLimit: () => new RestError(429, 'OPERATION_TIME_LIMIT', 'Method is blocked due to operation time limit'),
  noAuth: () => new RestError(401, 'NO_AUTH_FOUND', 'Wrong authorization data'),
  invalidCredentials: () => new RestError(401, 'INVALID_CREDENTIALS', 'Invalid request credentials'),
  methodNotFound: () => new RestError(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!'),
  insufficientScope: (webhook: boolean) =>
    new RestError(401, 'insufficient_scope', `The request requires higher privileges than provided by the ${webhook ? 'webhook token' : 'access token'}`),
  expiredToken: () => new RestError(401, 'expired_token', 'The access token provided has expired'),
  // Not in the system error table; the OAuth 2.0 code Bitrix24 SDKs handle next to expired_token (README).
  invalidToken: () => new RestError(401, 'invalid_token', 'The access token provided is invalid'),
  portalDeleted: () => new RestError(403, 'PORTAL_DELETED', 'Portal was deleted'),
  // settings/oauth/index.md shows the body; the status is our choice (README).
  paymentRequired: () => new RestError(402, 'PAYMENT_REQUIRED', 'Payment required'),
  // error-codes.md: ACCESS_DENIED with 403 and this text comes from methods that need an app context.
  appContextRequired: () => new RestError(403, 'ACCESS_DENIED', 'Access denied! Application context required'),
  // rest/lib/oauth/auth.php: the token could not be checked at the OAuth server; an
  // OAuthException, so HTTP 401 (rest/lib/oauthexception.php).
  connectionError: () => new RestError(401, 'CONNECTION_ERROR', 'Error connecting to authorization server'),
  // rest/classes/general/rest.php requestConfirmation(); api-reference/scopes/confirmation.md.
  confirmWaiting: () => new RestError(401, 'METHOD_CONFIRM_WAITING', 'Waiting for confirmation'),
  confirmDenied: () => new RestError(403, 'METHOD_CONFIRM_DENIED', 'Method call denied'),
  // rest/lib/restexception.php initFromException: an SQL error becomes ERROR_CORE "SQL query error!", status 500.
  sqlError: () => new RestError(500, 'ERROR_CORE', 'SQL query error!'),
};

// settings/how-to-call-rest-api/batch.md (errors of sub-commands)
const BATCH_MAX = 50;
const batchLengthExceeded = (): RestError => new RestError(400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded');
const batchMethodNotAllowed = (): RestError => new RestError(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage');

const USER_SCOPES = ['user', 'user_basic', 'user_brief'];

/** Scope a method needs; null = basic (every app and webhook). */
const METHOD_SCOPES: Record<string, string[] | null> = {
  'user.get': USER_SCOPES, // api-reference/user/user-get.md
  'user.current': USER_SCOPES, // api-reference/user/user-current.md
  'user.fields': USER_SCOPES, // api-reference/user/user-fields.md
  'department.get': ['department'], // api-reference/departments/department-get.md
  'event.bind': null, // api-reference/events/event-bind.md
  'event.get': null, // api-reference/events/event-get.md
  'event.unbind': null, // api-reference/events/event-unbind.md
  'event.offline.get': null, // api-reference/events/event-offline-get.md
  'event.offline.clear': null, // api-reference/events/event-offline-clear.md
  'event.offline.error': null, // api-reference/events/event-offline-error.md
  'event.offline.list': null, // api-reference/events/event-offline-list.md
  profile: null, // api-reference/common/users/profile.md
  'user.admin': null, // api-reference/common/users/user-admin.md (scope basic: any token)
  'app.info': null, // api-reference/common/system/app-info.md
  scope: null, // api-reference/common/system/scope.md
  'server.time': null, // api-reference/common/system/server-time.md
  batch: null, // settings/how-to-call-rest-api/batch.md
};

/** All scopes this portal "has" (scope.md with full=true). */
const PORTAL_SCOPES = ['bizproc', 'calendar', 'crm', 'department', 'disk', 'entity', 'im', 'imbot', 'imopenlines', 'lists', 'log', 'placement', 'sonet_group', 'task', 'telephony', 'timeman', 'user', 'user_basic', 'user_brief', 'user.userfield'];

// api-reference/user/user-scope.md: fields each version of the user scope may read.
const USER_BRIEF_FIELDS = ['ID', 'XML_ID', 'ACTIVE', 'USER_TYPE', 'IS_ONLINE', 'TIME_ZONE', 'DATE_REGISTER', 'TIMESTAMP_X', 'LAST_ACTIVITY_DATE', 'NAME', 'LAST_NAME', 'SECOND_NAME', 'TITLE', 'WORK_POSITION', 'UF_DEPARTMENT', 'UF_PHONE_INNER', 'PERSONAL_CITY', 'PERSONAL_STATE', 'PERSONAL_COUNTRY', 'WORK_CITY', 'WORK_STATE', 'WORK_COUNTRY', 'PERSONAL_PHOTO', 'PERSONAL_BIRTHDAY', 'PERSONAL_GENDER', 'PERSONAL_PROFESSION', 'UF_SKILLS', 'UF_INTERESTS', 'UF_EMPLOYMENT_DATE', 'UF_TIMEMAN'];
const USER_BASIC_EXTRA = ['WORK_COMPANY', 'WORK_DEPARTMENT', 'EMAIL', 'PERSONAL_PHONE', 'PERSONAL_MOBILE', 'PERSONAL_FAX', 'PERSONAL_PAGER', 'PERSONAL_MAILBOX', 'WORK_PHONE', 'WORK_FAX', 'WORK_PAGER', 'WORK_MAILBOX', 'WORK_WWW', 'UF_SKYPE', 'UF_SKYPE_LINK', 'UF_ZOOM', 'UF_TWITTER', 'UF_FACEBOOK', 'UF_LINKEDIN', 'UF_XING', 'UF_WEB_SITES', 'PERSONAL_STREET', 'PERSONAL_ZIP', 'WORK_STREET', 'WORK_ZIP', 'UF_DISTRICT', 'PERSONAL_NOTES', 'WORK_PROFILE', 'WORK_LOGO', 'WORK_NOTES'];
const USER_FULL_EXTRA = ['LAST_LOGIN', 'PERSONAL_WWW', 'PERSONAL_ICQ'];
const FIELDS_BRIEF = new Set(USER_BRIEF_FIELDS);
const FIELDS_BASIC = new Set([...USER_BRIEF_FIELDS, ...USER_BASIC_EXTRA]);
const FIELDS_FULL = new Set([...FIELDS_BASIC, ...USER_FULL_EXTRA]);

// api-reference/user/user-fields.md (English titles from the docs example).
const USER_FIELD_TITLES: Record<string, string> = {
  XML_ID: 'External code', ACTIVE: 'Activity', NAME: 'First Name', LAST_NAME: 'Last Name', SECOND_NAME: 'Middle Name', TITLE: 'User List',
  EMAIL: 'E-Mail', LAST_LOGIN: 'Last Login', DATE_REGISTER: 'Registration Date', PERSONAL_GENDER: 'Gender', PERSONAL_PROFESSION: 'Profession',
  PERSONAL_WWW: 'Homepage', PERSONAL_BIRTHDAY: 'Birthday', PERSONAL_PHOTO: 'Photo', PERSONAL_ICQ: 'ICQ', PERSONAL_PHONE: 'Personal Phone',
  PERSONAL_FAX: 'Fax', PERSONAL_MOBILE: 'Personal Mobile', PERSONAL_PAGER: 'Pager', PERSONAL_STREET: 'Street Address', PERSONAL_CITY: 'City of Residence',
  PERSONAL_STATE: 'Region / Territory', PERSONAL_ZIP: 'Postal Code', PERSONAL_COUNTRY: 'Country', PERSONAL_MAILBOX: 'Mailbox', PERSONAL_NOTES: 'Additional Notes',
  WORK_PHONE: 'Company Phone', WORK_COMPANY: 'Company', WORK_POSITION: 'Position', WORK_DEPARTMENT: 'Department', WORK_WWW: 'Company Website',
  WORK_CITY: 'City of Work', UF_SKYPE_LINK: 'Skype Chat Link', UF_ZOOM: 'Zoom', UF_EMPLOYMENT_DATE: 'Employment Date', UF_TIMEMAN: 'Time Management',
  UF_DEPARTMENT: 'Departments', UF_INTERESTS: 'Interests', UF_SKILLS: 'Skills', UF_WEB_SITES: 'Other Websites', UF_XING: 'Xing', UF_LINKEDIN: 'LinkedIn',
  UF_FACEBOOK: 'Facebook', UF_TWITTER: 'Twitter', UF_SKYPE: 'Skype', UF_DISTRICT: 'District', UF_PHONE_INNER: 'Internal Phone',
};

/** Events an app can bind, with the scope each needs (null = basic). Unknown names → ERROR_EVENT_NOT_FOUND. */
const KNOWN_EVENTS: Record<string, string[] | null> = {
  ONAPPINSTALL: null, // api-reference/common/events/on-app-install.md
  ONAPPUNINSTALL: null, // api-reference/common/events/on-app-uninstall.md
  ONAPPUPDATE: null, // api-reference/common/events/on-app-update.md
  ONAPPPAYMENT: null,
  ONOFFLINEEVENT: null,
  ONUSERADD: USER_SCOPES, // api-reference/common/events/on-user-add.md (all three user scope versions: user-scope.md)
};

const LIST_PREFIX_OPS = ['!=%', '!%=', '>=', '<=', '!@', '!%', '!=', '=%', '%=', '>', '<', '@', '%', '=', '!'];
const USER_GET_RESERVED = new Set(['SORT', 'ORDER', 'ADMIN_MODE', 'START', 'SELECT', 'IMAGE_RESIZE', 'AUTH', 'FILTER', 'NAV_PARAMS']);

// Hot paths use local aliases of globals: under Jest the code runs in a vm context where
// every global lookup goes through an interceptor and is many times slower.
const toNum = Number;
const toStr = String;

/** The pseudo filter field user.get's visibility rule adds (never a real field name). */
const VISIBLE_TO = '#VISIBLE_TO';

function hasDepartment(user: Bitrix24User): boolean {
  const raw = user.UF_DEPARTMENT;
  if (Array.isArray(raw)) return raw.some((id) => toNum(id) > 0);
  return raw !== undefined && raw !== null && raw !== false && toNum(raw) > 0;
}

/**
 * The bound of an `>ID`-style filter as Bitrix24 computes it: rest/lib/api/user.php
 * prepareUserValue() runs an ID through intval (a non-empty array element by element, an
 * empty one becomes 0), and CSQLWhere::addIntFilter compares a range operator with the
 * array's element 0 only. A map without an element 0 makes invalid SQL (ERROR_CORE).
 */
function idBound(value: PV): number {
  if (value instanceof Map) {
    if (value.size === 0) return 0;
    if (!value.has('0')) throw ERR.sqlError();
    return phpIntval(value.get('0'));
  }
  if (Array.isArray(value)) return value.length ? phpIntval(value[0]) : 0;
  return phpIntval(value);
}

/** PHP's `$node[$key]` for the values a batch holds (lists, maps, JSON objects); undefined when not set. */
function phpIndex(node: unknown, key: string): unknown {
  if (node instanceof Map) return node.get(key);
  if (Array.isArray(node)) return /^(0|[1-9]\d*)$/.test(key) ? node[toNum(key)] : undefined;
  if (node && typeof node === 'object') return (node as Record<string, unknown>)[key];
  return undefined;
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Tokens look like Bitrix24's: lower-case letters and digits. */
function tokenString(length = 32): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const raw = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[raw[i] % alphabet.length];
  return out;
}

function jsonToP(value: unknown): PV {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(jsonToP);
  if (value instanceof Map) {
    const map: PMap = new Map();
    for (const [key, item] of value) map.set(toStr(key), jsonToP(item));
    return map;
  }
  if (typeof value === 'object') {
    const map: PMap = new Map();
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) map.set(key, jsonToP(item));
    return map;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return toStr(value);
}

function phpToP(value: PhpArray): PMap {
  return value as unknown as PMap;
}

/** A parameter by name: exact first, then case-insensitive (Bitrix24 upper-cases most parameter names). */
function pget(params: PMap, name: string): PV | undefined {
  if (params.has(name)) return params.get(name);
  const upper = name.toUpperCase();
  for (const [key, value] of params) if (key.toUpperCase() === upper) return value;
  return undefined;
}

function scalarString(value: PV | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return toStr(value);
  return undefined;
}

function pToJson(value: unknown): unknown {
  return phpJsonValue(value);
}

function binarySearchById<T extends { ID: string | number }>(list: T[], id: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const value = toNum(list[mid].ID);
    if (value === id) return mid;
    if (value < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** First index whose ID is >= id (or > id when strict). */
function lowerBound<T extends { ID: string | number }>(list: T[], id: number, strict: boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const value = toNum(list[mid].ID);
    if (strict ? value <= id : value < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function likeToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${escaped}$`, 'is');
}

// ---------------------------------------------------------------------------------------
// Fault switches
// ---------------------------------------------------------------------------------------

/** Fault switches; every one is undone by reset(). */
export class SimulatorFaults {
  /** @internal */ storm503Left = 0;
  /** @internal */ error500Left = 0;
  /** @internal */ slowMs = 0;
  /** @internal */ failAfter = new Map<string, { okLeft: number; failuresLeft: number }>();
  /** @internal */ pendingOperating = new Map<string, { afterCalls: number; resetInSeconds: number }>();
  /** @internal */ paymentRequired = false;
  /** @internal */ portalGone = false;
  /** @internal */ connectionErrorLeft = 0;
  /** @internal */ canned: { left: number; status: number; error: string; description: string; method: string | null } | null = null;
  /** @internal */ confirmationMethods = new Set<string>();
  /** @internal */ redirectOrigin: string | null = null;
  /** @internal */ tokenAnswerDelayMs = 0;

  constructor(private readonly onOperatingLimit: (method: string, resetInSeconds: number) => void, private readonly onReset: () => void) {}

  /** The next n REST HTTP requests answer 503 QUERY_LIMIT_EXCEEDED (limits.md). */
  storm503(n: number): void {
    this.storm503Left = Math.max(0, Math.floor(n));
  }

  /** The next n REST HTTP requests answer 500 INTERNAL_SERVER_ERROR (system-errors.md). */
  error500(n: number): void {
    this.error500Left = Math.max(0, Math.floor(n));
  }

  /** Every response (REST and OAuth) waits this long first; 0 turns it off. */
  slow(ms: number): void {
    this.slowMs = Math.max(0, ms);
  }

  /**
   * `method` answers nCalls times normally, then the next `times` calls (default 1) fail with
   * 500 INTERNAL_SERVER_ERROR — a plain call gets HTTP 500, a batch sub-command gets it in
   * result_error — then it works again. failMethodAfter('user.get', 2) breaks the 3rd page.
   */
  failMethodAfter(method: string, nCalls: number, times = 1): void {
    this.failAfter.set(method.toLowerCase(), { okLeft: Math.max(0, Math.floor(nCalls)), failuresLeft: Math.max(1, Math.floor(times)) });
  }

  /**
   * Puts `method` over its operating-time limit until resetInSeconds from now (limits.md):
   * calls answer 429 OPERATION_TIME_LIMIT, and time.operating / time.operating_reset_at of
   * successful responses show the accumulated time and the reset moment. With afterCalls
   * > 0, that many calls still complete first (the last one is the call that "crossed" the
   * limit, as the docs describe), then the block starts.
   */
  operatingLimit(method: string, resetInSeconds: number, options: { afterCalls?: number } = {}): void {
    const afterCalls = Math.max(0, Math.floor(options.afterCalls ?? 0));
    if (afterCalls === 0) this.onOperatingLimit(method.toLowerCase(), resetInSeconds);
    else this.pendingOperating.set(method.toLowerCase(), { afterCalls, resetInSeconds });
  }

  /**
   * The next n REST requests made with an application token answer 401 CONNECTION_ERROR
   * "Error connecting to authorization server": the portal could not reach the OAuth server
   * to check the token (rest/lib/oauth/auth.php, onRestCheckAuth and check()). Webhook
   * requests are checked locally (rest/lib/apauth/auth.php) and are not affected.
   */
  connectionError(n: number): void {
    this.connectionErrorLeft = Math.max(0, Math.floor(n));
  }

  /**
   * The next n REST requests (of `method` only, when given: the top-level method, e.g.
   * 'batch') answer `status` with `{ error, error_description }` — for codes the simulator
   * has no behaviour of its own for (e.g. an undocumented 401).
   */
  respond(n: number, answer: { status: number; error: string; description?: string; method?: string }): void {
    this.canned = { left: Math.max(0, Math.floor(n)), status: answer.status, error: answer.error, description: answer.description ?? '', method: answer.method?.toLowerCase() ?? null };
  }

  /**
   * `method` now needs the portal administrator's confirmation
   * (api-reference/scopes/confirmation.md; rest/classes/general/rest.php requestConfirmation):
   * an application token calling it gets 401 METHOD_CONFIRM_WAITING "Waiting for
   * confirmation" until `sim.answerConfirmation(method, allow)`; a denied token gets 403
   * METHOD_CONFIRM_DENIED. The answer binds the tokens issued so far; a token issued later
   * must be confirmed again ("a new permission must be obtained when receiving the next
   * token"). A webhook gets 403 ACCESS_DENIED "Application context required".
   */
  requireConfirmation(method: string): void {
    this.confirmationMethods.add(method.toLowerCase());
  }

  /**
   * A hostile or hijacked portal address: every REST request answers 302 with Location on
   * `origin` (same path and query), the way a moved portal does (change-domen.md) — but to
   * wherever the switch says, e.g. https://0.0.0.0:PORT or a private address.
   */
  redirectRest(origin: string | null): void {
    this.redirectOrigin = origin;
  }

  /**
   * The authorization server is slow to answer refreshes: it rotates at once — the presented
   * refresh token is spent and the new pair issued (settings/oauth/auto-renewal.md: the answer
   * carries "the new value of the renewal token. Retain it instead of the previous one") — and
   * only then waits `ms` before writing the answer. A client that gives up earlier has lost the
   * pair it was given. The docs say nothing about an answer that never arrives; this plays the
   * worst case (README, "Where the docs are silent"). 0 turns it off.
   */
  slowTokenAnswer(ms: number): void {
    this.tokenAnswerDelayMs = Math.max(0, ms);
  }

  /** Clears every switch above and paymentRequired/portalGone (movePortal cannot be undone). */
  reset(): void {
    this.connectionErrorLeft = 0;
    this.canned = null;
    this.confirmationMethods.clear();
    this.redirectOrigin = null;
    this.storm503Left = 0;
    this.error500Left = 0;
    this.slowMs = 0;
    this.tokenAnswerDelayMs = 0;
    this.failAfter.clear();
    this.pendingOperating.clear();
    this.paymentRequired = false;
    this.portalGone = false;
    this.onReset();
  }
}

// ---------------------------------------------------------------------------------------
// The simulator
// ---------------------------------------------------------------------------------------

export class PortalSimulator {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string | undefined;
  readonly scopes: string[];
  readonly faults: SimulatorFaults;
  /** Who "logs in" at /oauth/authorize/ (and installs the app). */
  authorizingUserId: number;
  /** Every event POST made, oldest first. */
  readonly deliveries: EventDelivery[] = [];
  /** Every method call (top-level and batch sub-commands) with its parameters, while recordCalls is on. */
  readonly calls: Array<{ method: string; params: Record<string, unknown> }> = [];
  /** Keep `calls` (off by default: a 100,000-person export makes thousands). */
  recordCalls = false;
  /** The offline event queue (api-reference/events/offline-events.md). */
  readonly offlineQueue: OfflineEventQueue;
  /** The application's page (installer and main page), posted to when the app is opened (simple-way.md). */
  appUrl: string | undefined;

  private readonly options: Required<Pick<PortalSimulatorOptions, 'accessTokenTtlSeconds' | 'refreshTokenTtlSeconds' | 'codeTtlSeconds' | 'pageSize' | 'license' | 'appStatus' | 'appVersion' | 'languageId' | 'operatingLimitSeconds' | 'operatingWindowSeconds' | 'operatingBucketSeconds' | 'timezoneOffset'>> & PortalSimulatorOptions;
  private readonly listeners: Listener[] = [];
  private activeListener = 0;
  private readonly authListener = 0;
  private clockOffsetMs = 0;
  private installed = true;
  /** app.info INSTALLED: false for an interface app until its installer calls installFinish (installation-finish.md). */
  private installFinished: boolean;
  private applicationTokenValue: string;
  private appVersionValue: number;
  /** APP_SID of each rendered app page → the user it was rendered for. */
  private readonly appSessions = new Map<string, number>();
  private stopped = false;
  private readonly pendingDelays = new Set<() => void>();

  private people: Bitrix24User[] = [];
  private systemUsers: SystemUser[] = [];
  private depts: Bitrix24Department[] = [];
  private readonly admins: Set<number>;
  private dataVersion = 0;
  private listCache = new Map<string, { version: number; list: Bitrix24User[] }>();

  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly codes = new Map<string, AuthCode>();
  private readonly webhooks: Webhook[] = [];
  private bindings: EventBinding[] = [];
  private nextBindingId = 1;

  private readonly rate: { perSecond: number; burst: number } | null;
  private bucketLevel = 0;
  private bucketUpdatedAt = 0;
  private readonly operating = new Map<string, OperatingBucket[]>();
  private readonly methodCost = new Map<string, number>();
  private workgroups: number[][] = [];
  /** `${token} ${method}` → the administrator's answer (confirmation.md). */
  private readonly confirmations = new Map<string, 'confirmed' | 'denied'>();
  private oldBox: boolean;
  private statsData: SimulatorStats = PortalSimulator.emptyStats();

  private constructor(options: PortalSimulatorOptions) {
    const license = options.license ?? 'ru_pro100';
    this.options = {
      accessTokenTtlSeconds: 3600,
      refreshTokenTtlSeconds: 180 * 24 * 3600,
      codeTtlSeconds: 30,
      pageSize: 50,
      appStatus: 'F',
      appVersion: 1,
      languageId: 'ru',
      operatingLimitSeconds: 480,
      operatingWindowSeconds: 600,
      operatingBucketSeconds: 60,
      timezoneOffset: '+03:00',
      ...options,
      license,
    };
    this.memberId = options.memberId ?? hex(16);
    this.clientId = options.clientId ?? `local.${hex(7)}.${toStr(10_000_000 + Math.floor(Math.random() * 89_999_999))}`;
    this.clientSecret = options.clientSecret ?? tokenString(50);
    this.applicationTokenValue = options.applicationToken ?? hex(16);
    this.installFinished = !options.interfaceApp;
    this.appVersionValue = options.appVersion ?? 1;
    this.appUrl = options.appUrl;
    this.offlineQueue = new OfflineEventQueue(() => this.now(), (ms) => this.isoAt(ms));
    this.offlineQueue.extendedMode = options.offlineExtended ?? true;
    this.redirectUri = options.redirectUri;
    const scope = options.scope ?? 'user,department';
    this.scopes = (Array.isArray(scope) ? scope : scope.split(/[,\s]+/)).map((s) => s.trim()).filter(Boolean);
    this.authorizingUserId = options.authUserId ?? 1;
    this.admins = new Set(options.adminUserIds ?? [1]);
    this.oldBox = options.oldBox ?? false;
    for (const [method, seconds] of Object.entries(options.methodCost ?? {})) this.setMethodCost(method, seconds);
    const family = PortalSimulator.licenseFamily(license);
    this.rate = options.rateLimit === false ? null : options.rateLimit ?? (family === 'ent' ? { perSecond: 5, burst: 250 } : { perSecond: 2, burst: 50 });
    this.faults = new SimulatorFaults(
      (method, resetIn) => this.pushOperatingBlock(method, resetIn),
      () => this.operating.clear(),
    );
    this.loadData(options);
  }

  /** Starts the portal on 127.0.0.1 (port 0 = any free port). */
  static async start(options: PortalSimulatorOptions = {}): Promise<PortalSimulator> {
    const sim = new PortalSimulator(options);
    await sim.listen(options.port ?? 0);
    return sim;
  }

  /** Closes every listener and open connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const release of this.pendingDelays) release();
    this.pendingDelays.clear();
    await Promise.all(
      this.listeners.map(
        (listener) =>
          new Promise<void>((resolve) => {
            listener.server.close(() => resolve());
            listener.server.closeAllConnections();
          }),
      ),
    );
  }

  // ---- addresses ----------------------------------------------------------------------

  /** http://127.0.0.1:PORT of the portal (changes after movePortal()). */
  get baseUrl(): string {
    return `http://${this.domain}`;
  }

  /** The portal address as Bitrix24 reports it in `domain` (127.0.0.1:PORT). */
  get domain(): string {
    return `127.0.0.1:${this.listeners[this.activeListener].port}`;
  }

  /** `${baseUrl}/rest/` — where REST calls go (client_endpoint). */
  get clientEndpoint(): string {
    return `${this.baseUrl}/rest/`;
  }

  /** The OAuth server host: this same process, at the address the portal was started on. */
  get serverDomain(): string {
    return `127.0.0.1:${this.listeners[this.authListener].port}`;
  }

  /** server_endpoint of token responses. */
  get serverEndpoint(): string {
    return `http://${this.serverDomain}/rest/`;
  }

  /** The application token Bitrix24 sends with every event and app page (safe-event-handlers.md). */
  get applicationToken(): string {
    return this.applicationTokenValue;
  }

  /** app.info INSTALLED (installation-finish.md): false for an interface app until installFinish. */
  get appInstalled(): boolean {
    return this.installed && this.installFinished;
  }

  /** The /oauth/authorize/ URL a browser would be sent to. */
  authorizeUrl(state?: string): string {
    const query = new URLSearchParams({ client_id: this.clientId });
    if (state !== undefined) query.set('state', state);
    return `${this.baseUrl}/oauth/authorize/?${query.toString()}`;
  }

  // ---- data ---------------------------------------------------------------------------

  /** The people user.get can return (bots and partners excluded), sorted by ID. */
  get users(): Bitrix24User[] {
    return [...this.people];
  }

  /** Bots and partners: on the portal, never in user.get. */
  get hiddenUsers(): SystemUser[] {
    return [...this.systemUsers];
  }

  get departments(): Bitrix24Department[] {
    return [...this.depts];
  }

  /** Registered event handlers (what event.get shows). */
  get eventHandlers(): EventBinding[] {
    return this.bindings.map((binding) => ({ ...binding }));
  }

  /** Adds a user with the next free ID (or the given one). Fields default to a plain active employee. */
  addUser(partial: Partial<Bitrix24User> = {}): Bitrix24User {
    const id = partial.ID !== undefined ? toNum(partial.ID) : this.maxUserId() + 1;
    if (this.findUser(id) || this.systemUsers.some((u) => toNum(u.ID) === id)) throw new Error(`user ${id} already exists`);
    const now = this.isoNow();
    const user: Bitrix24User = {
      ID: toStr(id),
      ACTIVE: true,
      NAME: `Сотрудник ${id}`,
      LAST_NAME: 'Новый',
      EMAIL: `user${id}@example.com`,
      DATE_REGISTER: now,
      TIMESTAMP_X: {},
      LAST_ACTIVITY_DATE: {},
      UF_DEPARTMENT: [toNum(this.depts[0]?.ID ?? 1)],
      USER_TYPE: 'employee',
      ...partial,
    };
    user.ID = toStr(id);
    const at = lowerBound(this.people, id, false);
    this.people.splice(at, 0, user);
    this.touch();
    return user;
  }

  /** Replaces fields of a user (ID stays). */
  updateUser(id: number | string, patch: Partial<Bitrix24User>): Bitrix24User {
    const index = binarySearchById(this.people, toNum(id));
    if (index < 0) throw new Error(`no user ${id}`);
    const updated: Bitrix24User = { ...this.people[index], ...patch, ID: this.people[index].ID };
    for (const [key, value] of Object.entries(patch)) if (value === undefined) delete (updated as Record<string, unknown>)[key];
    this.people[index] = updated;
    this.touch();
    return updated;
  }

  /** Dismisses a user: ACTIVE false (user-update.md: dismissal is ACTIVE = false). */
  dismissUser(id: number | string): Bitrix24User {
    return this.updateUser(id, { ACTIVE: false });
  }

  /** Removes a user from the portal: gone from user.get. */
  deleteUser(id: number | string): void {
    const index = binarySearchById(this.people, toNum(id));
    if (index < 0) throw new Error(`no user ${id}`);
    this.people.splice(index, 1);
    this.touch();
  }

  /** Replaces all people (sorted by ID here). */
  setUsers(list: Bitrix24User[]): void {
    this.people = list.map((user) => ({ ...user, ID: toStr(user.ID) })).sort((a, b) => toNum(a.ID) - toNum(b.ID));
    this.touch();
  }

  /** Adds a department (next free ID, under the root unless PARENT is given). */
  addDepartment(partial: Partial<Bitrix24Department> = {}): Bitrix24Department {
    const id = partial.ID !== undefined ? toNum(partial.ID) : this.depts.reduce((max, d) => Math.max(max, toNum(d.ID)), 0) + 1;
    if (binarySearchById(this.depts, id) >= 0) throw new Error(`department ${id} already exists`);
    const department: Bitrix24Department = { NAME: `Отдел ${id}`, SORT: 500, ...partial, ID: toStr(id) };
    if (department.PARENT === undefined && this.depts.length > 0) department.PARENT = toStr(this.depts[0].ID);
    if (department.PARENT !== undefined && department.PARENT !== null) department.PARENT = toStr(department.PARENT);
    if (department.UF_HEAD !== undefined && department.UF_HEAD !== null) department.UF_HEAD = toStr(department.UF_HEAD);
    this.depts.splice(lowerBound(this.depts, id, false), 0, department);
    return department;
  }

  /**
   * Changes a department as department.update does (api-reference/departments/department-update.md:
   * NAME, SORT, PARENT, UF_HEAD): a rename, a move (PARENT) or a new head (UF_HEAD; null removes it).
   */
  updateDepartment(id: number | string, patch: Partial<Omit<Bitrix24Department, 'ID'>>): Bitrix24Department {
    const index = binarySearchById(this.depts, toNum(id));
    if (index < 0) throw new Error(`no department ${id}`);
    const updated: Bitrix24Department = { ...this.depts[index], ...patch, ID: this.depts[index].ID };
    for (const key of ['PARENT', 'UF_HEAD'] as const) {
      if (updated[key] === null) delete updated[key];
      else if (updated[key] !== undefined) updated[key] = toStr(updated[key]);
    }
    this.depts[index] = updated;
    return updated;
  }

  /**
   * Removes a department as department.delete does (api-reference/departments/department-delete.md).
   * The page says nothing about subdepartments or members: the simulator removes only this
   * department; children keep their PARENT and users their UF_DEPARTMENT, so the service
   * meets references to a department department.get no longer returns.
   */
  deleteDepartment(id: number | string): void {
    const index = binarySearchById(this.depts, toNum(id));
    if (index < 0) throw new Error(`no department ${id}`);
    this.depts.splice(index, 1);
  }

  /** Replaces all departments. */
  setDepartments(list: Bitrix24Department[]): void {
    this.depts = list.map((d) => ({ ...d, ID: toStr(d.ID) })).sort((a, b) => toNum(a.ID) - toNum(b.ID));
  }

  /**
   * An incoming webhook (local-integrations/local-webhooks.md): returns its base URL
   * `${clientEndpoint}<userId>/<secret>/`; append the method name.
   */
  createWebhook(options: { scope?: string[] | string; userId?: number } = {}): string {
    const scope = options.scope ?? this.scopes;
    const webhook: Webhook = {
      userId: options.userId ?? 1,
      secret: tokenString(16),
      scopes: (Array.isArray(scope) ? scope : scope.split(/[,\s]+/)).filter(Boolean),
    };
    this.webhooks.push(webhook);
    return `${this.clientEndpoint}${webhook.userId}/${webhook.secret}/`;
  }

  /**
   * Issues a token pair as if the code flow had run (for tests that do not care about it).
   * Counts nothing in stats.
   */
  issueTokens(userId = this.authorizingUserId): TokenResponse {
    return this.tokenResponse(userId, this.scopes);
  }

  /** Portal administrators (profile.ADMIN, user.admin). */
  get adminUserIds(): number[] {
    return [...this.admins].sort((a, b) => a - b);
  }

  /** Grants or takes away portal administrator rights (user-admin.md, profile.md ADMIN). */
  setAdmin(userId: number, admin = true): void {
    if (admin) this.admins.add(userId);
    else this.admins.delete(userId);
  }

  /**
   * A workgroup (socialnetwork group) of these users. rest/lib/api/user.php: a caller
   * without ADMIN_MODE rights still sees the users of its own workgroups
   * (CExtranet::getMyGroupsUsersSimple), department or not. Returns the group's index.
   */
  addWorkgroup(memberIds: Array<number | string>): number {
    this.workgroups.push(memberIds.map(toNum));
    this.touch();
    return this.workgroups.length - 1;
  }

  /** Simulated processing seconds per call of `method` (0 removes it); see PortalSimulatorOptions.methodCost. */
  setMethodCost(method: string, seconds: number): void {
    if (seconds > 0) this.methodCost.set(method.toLowerCase(), seconds);
    else this.methodCost.delete(method.toLowerCase());
  }

  /** Switches the old on-premise record shape on or off (PortalSimulatorOptions.oldBox). */
  setOldBox(on = true): void {
    this.oldBox = on;
  }

  /**
   * The portal administrator answers the confirmation request for `method`
   * (api-reference/scopes/confirmation.md) for every token issued so far.
   */
  answerConfirmation(method: string, allow: boolean): void {
    for (const token of this.accessTokens.keys()) this.confirmations.set(`${token} ${method.toLowerCase()}`, allow ? 'confirmed' : 'denied');
  }

  /** Moves the simulated clock forward (token/code expiry, the leaky bucket, operating limits). */
  advanceClock(seconds: number): void {
    this.clockOffsetMs += seconds * 1000;
  }

  // ---- portal-level switches ----------------------------------------------------------

  /** Every access token issued so far now answers 401 expired_token. New ones work. */
  expireAccessTokens(): void {
    for (const token of this.accessTokens.values()) token.forcedExpired = true;
  }

  /** Every refresh token issued so far now answers invalid_grant. */
  revokeRefreshTokens(): void {
    for (const token of this.refreshTokens.values()) token.revoked = true;
  }

  /** The app's paid period is over: REST calls and token requests answer PAYMENT_REQUIRED (settings/oauth/index.md). */
  paymentRequired(on = true): void {
    this.faults.paymentRequired = on;
  }

  /** The portal is gone: every REST call answers 403 PORTAL_DELETED (system-errors.md). */
  portalGone(on = true): void {
    this.faults.portalGone = on;
  }

  /**
   * The portal changes its address (settings/how-to-call-rest-api/change-domen.md: calls to
   * the old address are redirected to the new one). Starts a new listener; every REST and
   * /oauth/authorize/ request to an old address now answers 302 with Location on the new
   * address (same path and query). The OAuth server (serverDomain) stays where it was.
   */
  async movePortal(): Promise<string> {
    const index = await this.listen(0);
    this.activeListener = index;
    return this.baseUrl;
  }

  // ---- events ---------------------------------------------------------------------------

  /**
   * Posts ONUSERADD to every online handler bound to it, as Bitrix24 does
   * (api-reference/common/events/on-user-add.md, api-reference/events/index.md):
   * application/x-www-form-urlencoded, event, event_handler_id, data[…], ts, auth[…].
   * Returns the HTTP status each handler answered (0 when unreachable).
   */
  async fireOnUserAdd(userId: number | string): Promise<number[]> {
    const user = this.findUser(toNum(userId));
    if (!user) throw new Error(`no user ${userId}`);
    // rest/lib/event/callback.php selects handlers of installed applications only (INSTALLED = Y):
    // until installFinish nothing is posted and nothing is queued (installation-finish.md).
    if (!this.appInstalled) return [];
    const level = this.userScopeLevel(this.scopes);
    const allowed = level === 'full' ? null : level === 'basic' ? FIELDS_BASIC : FIELDS_BRIEF;
    const birthday = typeof user.PERSONAL_BIRTHDAY === 'string' ? user.PERSONAL_BIRTHDAY.slice(0, 10) : undefined;
    const employment = typeof user.UF_EMPLOYMENT_DATE === 'string' ? user.UF_EMPLOYMENT_DATE.slice(0, 10) : undefined;
    // on-user-add.md: the data block of a new user; ID integer, ACTIVE "Y"/"N".
    const full: Record<string, unknown> = {
      ID: toNum(user.ID),
      ACTIVE: this.isActive(user) ? 'Y' : 'N',
      EMAIL: user.EMAIL,
      NAME: user.NAME,
      LAST_NAME: user.LAST_NAME,
      PERSONAL_GENDER: user.PERSONAL_GENDER,
      PERSONAL_BIRTHDAY: birthday,
      UF_DEPARTMENT: Array.isArray(user.UF_DEPARTMENT) ? user.UF_DEPARTMENT : undefined,
      DATE_REGISTER: user.DATE_REGISTER,
      WORK_POSITION: user.WORK_POSITION,
      UF_EMPLOYMENT_DATE: employment,
    };
    const data: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(full)) if (!allowed || allowed.has(key)) data[key] = value;
    // offline-events.md: an offline binding records the change in the portal's queue instead of
    // calling anyone (rest/lib/event/provideroffline.php: EVENT_DATA is the event's data,
    // EVENT_ADDITIONAL its auth with the local user), whether or not an online handler answers.
    if (this.bindings.some((b) => b.event === 'ONUSERADD' && b.offline)) {
      this.offlineQueue.record('ONUSERADD', data, { user_id: this.authorizingUserId, application_token: this.applicationToken });
    }
    const statuses: number[] = [];
    for (const binding of this.bindings.filter((b) => b.event === 'ONUSERADD' && !b.offline)) {
      const actor = binding.authType > 0 ? binding.authType : this.authorizingUserId;
      const token = this.newAccessToken(actor, this.scopes);
      // api-reference/events/index.md "Событие в приложение": auth without refresh_token.
      const body = phpHttpBuildQuery({
        event: 'ONUSERADD',
        event_handler_id: toStr(binding.id),
        data,
        ts: toStr(this.nowSeconds()),
        auth: {
          access_token: token.token,
          expires_in: toStr(this.options.accessTokenTtlSeconds),
          scope: this.scopes.find((s) => USER_SCOPES.includes(s)) ?? 'user',
          domain: this.domain,
          server_endpoint: this.serverEndpoint,
          status: this.options.appStatus,
          client_endpoint: this.clientEndpoint,
          member_id: this.memberId,
          application_token: this.applicationToken,
        },
      });
      statuses.push(await this.postForm('ONUSERADD', binding.handler, body));
    }
    return statuses;
  }

  /**
   * Posts ONAPPINSTALL to the app's install handler with a fresh token pair and the
   * application_token (api-reference/common/events/on-app-install.md). Marks the app installed.
   * `userId` is who installs (default authorizingUserId): the tokens are that user's, so a
   * non-administrator installer (user-admin.md: `user.admin` false) can be played.
   */
  async postInstall(url: string, options: { userId?: number } = {}): Promise<number> {
    this.installed = true;
    const body = phpHttpBuildQuery({
      event: 'ONAPPINSTALL',
      data: { VERSION: toStr(this.appVersionValue), ACTIVE: 'Y', INSTALLED: this.installFinished ? 'Y' : 'N', LANGUAGE_ID: this.options.languageId },
      ts: toStr(this.nowSeconds()),
      auth: this.tokenEventAuth(options.userId ?? this.authorizingUserId),
    });
    return this.postForm('ONAPPINSTALL', url, body);
  }

  /**
   * Uninstalls the app and posts ONAPPUNINSTALL to `url`, or to every handler bound to it
   * (api-reference/common/events/on-app-uninstall.md): no tokens, only domain, endpoints,
   * member_id and application_token. As the docs say, the app's API access is gone first:
   * its tokens answer invalid_token/invalid_grant and its handlers are removed.
   */
  async postUninstall(url?: string, options: { clean?: boolean } = {}): Promise<number[]> {
    const targets = url ? [url] : this.bindings.filter((b) => b.event === 'ONAPPUNINSTALL').map((b) => b.handler);
    this.installed = false;
    for (const token of this.accessTokens.values()) token.invalid = true;
    for (const token of this.refreshTokens.values()) token.revoked = true;
    this.bindings = [];
    this.offlineQueue.clearAll(); // rest/lib/eventoffline.php deleteByApp
    this.installFinished = !this.options.interfaceApp;
    const body = phpHttpBuildQuery({
      event: 'ONAPPUNINSTALL',
      data: { LANGUAGE_ID: this.options.languageId, CLEAN: options.clean ? 1 : 0 },
      ts: toStr(this.nowSeconds()),
      auth: {
        domain: this.domain,
        server_endpoint: this.serverEndpoint,
        client_endpoint: this.clientEndpoint,
        member_id: this.memberId,
        application_token: this.applicationToken,
      },
    });
    const statuses: number[] = [];
    for (const target of targets) statuses.push(await this.postForm('ONAPPUNINSTALL', target, body));
    return statuses;
  }

  /**
   * A new version of the application is installed (api-reference/common/events/on-app-update.md):
   * posts ONAPPUPDATE with VERSION, PREVIOUS_VERSION, LANGUAGE_ID and an auth block that, like
   * ONAPPINSTALL, carries a refresh token (rest_provider.php: OnAppUpdate "sendRefreshToken")
   * and "the updated application_token" — `newApplicationToken` makes it a new one. The tokens
   * are `userId`'s (who updated; default authorizingUserId). An interface app goes back to
   * INSTALLED = N until its installer calls installFinish again (rest/lib/marketplace/application.php
   * sets INSTALLED to NOT_INSTALLED when the version has an installer URL). Posts to `url`, or to
   * every online ONAPPUPDATE handler; returns the statuses.
   */
  async postUpdate(url?: string, options: { userId?: number; newApplicationToken?: boolean } = {}): Promise<number[]> {
    const previous = this.appVersionValue;
    this.appVersionValue = previous + 1;
    if (options.newApplicationToken) this.applicationTokenValue = hex(16);
    if (this.options.interfaceApp) this.installFinished = false;
    const targets = url ? [url] : this.bindings.filter((b) => b.event === 'ONAPPUPDATE' && !b.offline).map((b) => b.handler);
    const body = phpHttpBuildQuery({
      event: 'ONAPPUPDATE',
      data: { VERSION: toStr(this.appVersionValue), PREVIOUS_VERSION: toStr(previous), LANGUAGE_ID: this.options.languageId },
      ts: toStr(this.nowSeconds()),
      auth: this.tokenEventAuth(options.userId ?? this.authorizingUserId),
    });
    const statuses: number[] = [];
    for (const target of targets) statuses.push(await this.postForm('ONAPPUPDATE', target, body));
    return statuses;
  }

  /**
   * The auth block of the events that carry a token pair — ONAPPINSTALL and ONAPPUPDATE
   * (on-app-install.md, on-app-update.md): a fresh pair of `userId`, scope space-separated
   * (on-app-install.md: "Список прав, выданных приложению, через пробел"), the application token.
   */
  private tokenEventAuth(userId: number): Record<string, string> {
    const pair = this.tokenResponse(userId, this.scopes);
    return {
      domain: this.domain,
      scope: this.scopes.join(' '),
      access_token: pair.access_token,
      refresh_token: pair.refresh_token,
      expires_in: toStr(pair.expires_in),
      server_endpoint: this.serverEndpoint,
      status: this.options.appStatus,
      client_endpoint: this.clientEndpoint,
      member_id: this.memberId,
      application_token: this.applicationToken,
    };
  }

  /**
   * Someone opens the application (settings/oauth/simple-way.md): the portal posts the app
   * page (`appUrl`, or `url`) with that user's fresh tokens and the application token. A
   * regular user opening an interface app whose installation is not finished gets the
   * portal's own message and nothing is posted (installation-finish.md) — unless
   * `bypassPortal` plays a user who posts their genuine tokens to the page directly.
   */
  async openApp(options: { userId?: number; url?: string; placement?: string; placementOptions?: Record<string, string>; bypassPortal?: boolean } = {}): Promise<{ status: number; body: string; headers: Headers; portalRefused: boolean }> {
    const userId = options.userId ?? this.authorizingUserId;
    const target = options.url ?? this.appUrl;
    if (!target) throw new Error('the simulator has no appUrl for the application page');
    if (!this.installFinished && !this.admins.has(userId) && !options.bypassPortal) {
      return { status: 0, body: notInstalledPage(), headers: new Headers(), portalRefused: true };
    }
    const { open } = this.frameOpen(userId, options.placement, options.placementOptions);
    const request = appFrameRequest(target, open);
    const response = await fetch(request.url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html' }, body: appFrameBody(request.fields) });
    return { status: response.status, body: await response.text(), headers: response.headers, portalRefused: false };
  }

  /**
   * What the portal does on BX24.installFinish() from the installer page
   * (sdk/bx24-js-sdk/system-functions/bx24-install-finish.md): the installation is finished,
   * app.info INSTALLED becomes true and events start to flow. The host page calls this
   * through POST /marketplace/app/install-finish; tests that drive no browser call it directly.
   */
  finishInstall(): void {
    this.installFinished = true;
  }

  /** A fresh frame open for `userId`: new tokens and APP_SID (simple-way.md), remembered for the host page's calls. */
  private frameOpen(userId: number, placement = 'DEFAULT', placementOptions?: Record<string, string>): { open: AppFrameOpen; initData: Record<string, unknown> } {
    const pair = this.tokenResponse(userId, this.scopes);
    const appSid = hex(16);
    this.appSessions.set(appSid, userId);
    if (this.appSessions.size > 200) this.appSessions.delete(this.appSessions.keys().next().value!);
    const open: AppFrameOpen = {
      domain: this.domain,
      https: this.baseUrl.startsWith('https:'),
      lang: this.options.languageId,
      appSid,
      accessToken: pair.access_token,
      expiresIn: pair.expires_in,
      refreshToken: pair.refresh_token,
      serverEndpoint: this.serverEndpoint,
      applicationToken: this.applicationToken,
      scope: this.scopes,
      memberId: this.memberId,
      status: this.options.appStatus,
      placement,
      placementOptions,
    };
    // What the portal answers to getInitData (the fields @bitrix24/b24jssdk's B24Frame.init reads).
    const initData = {
      DOMAIN: this.domain,
      PROTOCOL: open.https ? 1 : 0,
      LANG: open.lang,
      PATH: '/marketplace/app/',
      AUTH_ID: pair.access_token,
      AUTH_EXPIRES: pair.expires_in,
      REFRESH_ID: pair.refresh_token,
      MEMBER_ID: this.memberId,
      IS_ADMIN: this.admins.has(userId),
      INSTALL: !this.installFinished,
      FIRST_RUN: false,
      PLACEMENT: placement,
      PLACEMENT_OPTIONS: placementOptions ?? {},
      APP_OPTIONS: [],
      USER_OPTIONS: [],
    };
    return { open, initData };
  }

  /** GET /marketplace/app/?user=N: the portal page framing the application; POST …/install-finish: its installFinish call. */
  private handleAppPage(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    req.resume();
    const html = (status: number, body: string): void => {
      res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(body);
    };
    if (url.pathname.endsWith('/install-finish')) {
      const userId = this.appSessions.get(url.searchParams.get('sid') ?? '');
      // Only an administrator's installer page can finish the installation (installation-finish.md).
      if (req.method !== 'POST' || userId === undefined || !this.admins.has(userId)) return html(403, 'Access denied');
      this.finishInstall();
      return html(200, 'OK');
    }
    const userId = Number(url.searchParams.get('user') ?? this.authorizingUserId);
    if (!this.appUrl) return html(404, 'The application has no page');
    if (!this.installFinished && !this.admins.has(userId)) return html(200, notInstalledPage());
    const { open, initData } = this.frameOpen(userId);
    const request = appFrameRequest(this.appUrl, open);
    html(200, appHostPage(request, open, initData, `/marketplace/app/install-finish?sid=${open.appSid}`));
  }

  // ---- stats ----------------------------------------------------------------------------

  get stats(): SimulatorStats {
    return this.statsData;
  }

  resetStats(): void {
    this.statsData = PortalSimulator.emptyStats();
  }

  // =====================================================================================
  // Internals
  // =====================================================================================

  private static emptyStats(): SimulatorStats {
    return {
      restRequests: 0,
      perMethod: {},
      batchCommands: 0,
      sent503: 0,
      rateLimited: 0,
      sent429: 0,
      sent500: 0,
      redirects: 0,
      tokenExchanges: 0,
      tokenExchangesFailed: 0,
      refreshes: { ok: 0, failed: 0, lost: 0 },
      secretsReceived: 0,
      secretLeaksToPortal: 0,
      eventsPosted: 0,
      countedListCalls: {},
      maxOperatingSeconds: 0,
      maxRequestProcessingSeconds: 0,
      connections: 0,
      httpRequests: 0,
    };
  }

  private static licenseFamily(license: string): string {
    const type = license.includes('_') ? license.slice(license.indexOf('_') + 1) : license;
    return type.replace(/\d+$/, '');
  }

  private loadData(options: PortalSimulatorOptions): void {
    const people = options.people ?? 50;
    if (typeof people === 'number') {
      const generated = generatePortal({
        seed: options.seed ?? 1,
        people,
        departments: typeof options.departments === 'number' ? options.departments : undefined,
        shares: options.shares,
      });
      this.people = generated.users;
      this.depts = Array.isArray(options.departments) ? options.departments.map((d) => ({ ...d, ID: toStr(d.ID) })) : generated.departments;
      this.systemUsers = options.systemUsers ?? generated.systemUsers;
    } else {
      this.setUsers(people);
      this.systemUsers = options.systemUsers ?? [];
      if (Array.isArray(options.departments)) this.setDepartments(options.departments);
      else this.depts = generatePortal({ seed: options.seed ?? 1, people: 0, departments: options.departments ?? 1 }).departments;
    }
    this.depts.sort((a, b) => toNum(a.ID) - toNum(b.ID));
  }

  private touch(): void {
    this.dataVersion++;
    this.listCache.clear();
  }

  private maxUserId(): number {
    const lastPerson = this.people.length ? toNum(this.people[this.people.length - 1].ID) : 0;
    return this.systemUsers.reduce((max, u) => Math.max(max, toNum(u.ID)), lastPerson);
  }

  private findUser(id: number): Bitrix24User | undefined {
    const index = binarySearchById(this.people, id);
    return index >= 0 ? this.people[index] : undefined;
  }

  private isActive(user: Bitrix24User): boolean {
    const value = user.ACTIVE;
    if (value === undefined || value === null) return true;
    if (typeof value === 'boolean') return value;
    return toStr(value).toUpperCase() === 'Y' || value === 'true' || value === '1';
  }

  private now(): number {
    return (this.options.clock ? this.options.clock() : Date.now()) + this.clockOffsetMs;
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** server-time.md: YYYY-MM-DDThh:mm:ss±hh:mm in the server's zone. */
  private isoAt(ms: number): string {
    const offset = this.options.timezoneOffset;
    const sign = offset.startsWith('-') ? -1 : 1;
    const [h, m] = offset.slice(1).split(':').map(Number);
    const shifted = new Date(ms + sign * (h * 60 + (m || 0)) * 60_000);
    return shifted.toISOString().slice(0, 19) + offset;
  }

  private isoNow(): string {
    return this.isoAt(this.now());
  }

  private delay(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const release = (): void => {
        clearTimeout(timer);
        this.pendingDelays.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      this.pendingDelays.add(release);
    });
  }

  private async listen(port: number): Promise<number> {
    const index = this.listeners.length;
    const server = http.createServer((req, res) => {
      this.handle(req, res, index).catch((error: unknown) => {
        if (!res.headersSent) this.sendJson(res, 500, { error: 'INTERNAL_SERVER_ERROR', error_description: toStr(error instanceof Error ? error.message : error) });
        else res.end();
      });
    });
    server.keepAliveTimeout = 1000;
    server.on('connection', () => this.statsData.connections++);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.listeners.push({ server, port: (server.address() as AddressInfo).port });
    return index;
  }

  private sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private sendError(res: http.ServerResponse, error: RestError): void {
    // error-codes.md: { error, error_description } instead of the data.
    this.sendJson(res, error.status, { error: error.code, error_description: error.description });
  }

  private readBody(req: http.IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > 64 * 1024 * 1024) {
          reject(new Error('body too large'));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  /** Query string and body merged as PHP's $_REQUEST would be (body wins). */
  private async readParams(req: http.IncomingMessage, url: URL): Promise<PMap> {
    const params = phpToP(parsePhpQuery(url.search.slice(1)));
    if (req.method === 'GET' || req.method === 'HEAD') {
      req.resume();
      return params;
    }
    const body = await this.readBody(req);
    if (body.length === 0) return params;
    const type = toStr(req.headers['content-type'] ?? '').toLowerCase();
    if (type.includes('application/json')) {
      try {
        const parsed = jsonToP(JSON.parse(body.toString('utf8')));
        if (parsed instanceof Map) for (const [key, value] of parsed) params.set(key, value);
      } catch {
        // PHP would see no parameters at all.
      }
      return params;
    }
    if (type.includes('multipart/form-data')) return params; // not emulated (README)
    parsePhpQuery(body.toString('utf8'), params as unknown as PhpArray);
    return params;
  }

  private containsSecret(value: PV | undefined): boolean {
    if (value === undefined || value === null) return false;
    if (typeof value === 'string') return value.includes(this.clientSecret);
    if (Array.isArray(value)) return value.some((item) => this.containsSecret(item));
    if (value instanceof Map) {
      for (const [key, item] of value) if (key.includes(this.clientSecret) || this.containsSecret(item)) return true;
    }
    return false;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, listenerIndex: number): Promise<void> {
    this.statsData.httpRequests++;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    if (this.faults.slowMs > 0) await this.delay(this.faults.slowMs);
    if (this.stopped) {
      res.destroy();
      return;
    }
    if (path === '/oauth/token' || path === '/oauth/token/') return this.handleToken(req, res, url);
    if (path === '/oauth/authorize' || path === '/oauth/authorize/') {
      if (listenerIndex !== this.activeListener) return this.redirect(req, res, url);
      return this.handleAuthorize(req, res, url);
    }
    if (path === '/marketplace/app/' || path === '/marketplace/app/install-finish') return this.handleAppPage(req, res, url);
    if (path === '/rest' || path.startsWith('/rest/')) {
      this.statsData.restRequests++;
      if (listenerIndex !== this.activeListener || this.faults.redirectOrigin) return this.redirect(req, res, url, this.faults.redirectOrigin ?? this.baseUrl);
      return this.handleRest(req, res, url);
    }
    req.resume();
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Not found');
  }

  /** change-domen.md: the old address answers 302 to the new one. */
  private redirect(req: http.IncomingMessage, res: http.ServerResponse, url: URL, origin = this.baseUrl): void {
    req.resume();
    this.statsData.redirects++;
    res.writeHead(302, { Location: `${origin}${url.pathname}${url.search}`, 'Content-Length': '0' });
    res.end();
  }

  // ---- OAuth ----------------------------------------------------------------------------

  /**
   * settings/oauth/index.md, step 1: /oauth/authorize/?client_id=…&state=… → back to the
   * app's redirect_uri with code, state, domain, member_id, scope, server_domain. A failed
   * authorization shows an error page and does not redirect.
   */
  private async handleAuthorize(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const params = await this.readParams(req, url);
    if (this.containsSecret(params)) this.statsData.secretLeaksToPortal++;
    const page = (status: number, text: string): void => {
      res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!DOCTYPE html><html><body><p>${text}</p></body></html>`);
    };
    const clientId = scalarString(pget(params, 'client_id'));
    if (!clientId || clientId !== this.clientId || !this.installed) {
      page(400, 'The application is not installed on this Bitrix24.');
      return;
    }
    const asked = scalarString(pget(params, 'redirect_uri'));
    if (asked && this.redirectUri && asked !== this.redirectUri) {
      page(400, 'redirect_uri does not match the application settings.');
      return;
    }
    const target = this.redirectUri ?? asked;
    const code: AuthCode = {
      code: tokenString(32),
      userId: this.authorizingUserId,
      scopes: [...this.scopes],
      expiresAt: this.now() + this.options.codeTtlSeconds * 1000,
      used: false,
    };
    this.codes.set(code.code, code);
    if (!target) {
      // index.md: an app without redirect_uri gets the code shown on the page.
      page(200, `Authorization code: <code id="code">${code.code}</code>`);
      return;
    }
    const state = scalarString(pget(params, 'state'));
    const query = [`code=${encodeURIComponent(code.code)}`];
    if (state !== undefined) query.push(`state=${encodeURIComponent(state)}`);
    query.push(
      `domain=${encodeURIComponent(this.domain)}`,
      `member_id=${encodeURIComponent(this.memberId)}`,
      // index.md: "scope … comes URL-encoded, the comma as %2C".
      `scope=${encodeURIComponent(this.scopes.join(','))}`,
      `server_domain=${encodeURIComponent(this.serverDomain)}`,
    );
    const location = `${target}${target.includes('?') ? '&' : '?'}${query.join('&')}`;
    res.writeHead(302, { Location: location, 'Content-Length': '0' });
    res.end();
  }

  private newAccessToken(userId: number, scopes: string[]): AccessToken {
    const token: AccessToken = {
      token: tokenString(32),
      userId,
      scopes: [...scopes],
      expiresAt: this.now() + this.options.accessTokenTtlSeconds * 1000,
      invalid: false,
      forcedExpired: false,
    };
    this.accessTokens.set(token.token, token);
    return token;
  }

  /** settings/oauth/auto-renewal.md: the full token answer (fields in the docs' order). */
  private tokenResponse(userId: number, scopes: string[]): TokenResponse {
    const access = this.newAccessToken(userId, scopes);
    const refresh: RefreshToken = {
      token: tokenString(32),
      userId,
      scopes: [...scopes],
      expiresAt: this.now() + this.options.refreshTokenTtlSeconds * 1000,
      used: false,
      revoked: false,
    };
    this.refreshTokens.set(refresh.token, refresh);
    return {
      access_token: access.token,
      client_endpoint: this.clientEndpoint,
      // index.md: in the token answer `domain` is the authorization server's domain.
      domain: this.serverDomain,
      expires: Math.floor(access.expiresAt / 1000),
      expires_in: this.options.accessTokenTtlSeconds,
      member_id: this.memberId,
      refresh_token: refresh.token,
      scope: scopes.join(','),
      server_endpoint: this.serverEndpoint,
      status: this.options.appStatus,
      user_id: userId,
    };
  }

  /**
   * settings/oauth/index.md step 2 and settings/oauth/auto-renewal.md: GET or POST
   * /oauth/token/ with grant_type authorization_code | refresh_token. Errors per
   * settings/oauth/error-codes.md.
   */
  private async handleToken(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const params = await this.readParams(req, url);
    const fail = (code: string, description: string, status = 400): void => this.sendJson(res, status, { error: code, error_description: description });
    const grantType = scalarString(pget(params, 'grant_type'));
    const secret = scalarString(pget(params, 'client_secret'));
    if (secret !== undefined) this.statsData.secretsReceived++;
    const countFailure = (): void => {
      if (grantType === 'refresh_token') this.statsData.refreshes.failed++;
      else this.statsData.tokenExchangesFailed++;
    };
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      countFailure();
      return fail('invalid_request', 'Invalid request');
    }
    if (scalarString(pget(params, 'client_id')) !== this.clientId || secret !== this.clientSecret) {
      countFailure();
      return fail('invalid_client', 'Invalid client');
    }
    if (this.faults.paymentRequired) {
      countFailure();
      return fail('PAYMENT_REQUIRED', 'Payment required', 402);
    }
    if (grantType === 'authorization_code') {
      const code = this.codes.get(scalarString(pget(params, 'code')) ?? '');
      if (!code || code.used || code.expiresAt <= this.now() || !this.installed) {
        if (code) code.used = true;
        countFailure();
        return fail('invalid_grant', 'Invalid grant');
      }
      code.used = true;
      this.statsData.tokenExchanges++;
      return this.sendJson(res, 200, this.tokenResponse(code.userId, code.scopes));
    }
    const refresh = this.refreshTokens.get(scalarString(pget(params, 'refresh_token')) ?? '');
    if (!refresh || refresh.used || refresh.revoked || refresh.expiresAt <= this.now()) {
      countFailure();
      return fail('invalid_grant', 'Invalid grant');
    }
    // Rotation: a refresh token works once. The old access token keeps working until it
    // expires (the docs say nothing about revoking it).
    refresh.used = true;
    this.statsData.refreshes.ok++;
    const answer = this.tokenResponse(refresh.userId, refresh.scopes);
    if (this.faults.tokenAnswerDelayMs > 0) {
      // slowTokenAnswer(): rotated already; the answer comes late, if the client still waits.
      await this.delay(this.faults.tokenAnswerDelayMs);
      if (!res.socket || res.socket.destroyed || this.stopped) {
        this.statsData.refreshes.lost++;
        res.destroy();
        return;
      }
    }
    return this.sendJson(res, 200, answer);
  }

  // ---- REST -----------------------------------------------------------------------------

  private countMethod(method: string): void {
    this.statsData.perMethod[method] = (this.statsData.perMethod[method] ?? 0) + 1;
  }

  /** limits.md: counter +1 per request, -perSecond every second; over burst → blocked. */
  private takeRateToken(): boolean {
    if (!this.rate) return true;
    const now = this.now();
    const elapsed = Math.max(0, now - this.bucketUpdatedAt) / 1000;
    this.bucketLevel = Math.max(0, this.bucketLevel - elapsed * this.rate.perSecond);
    this.bucketUpdatedAt = now;
    if (this.bucketLevel + 1 > this.rate.burst) return false;
    this.bucketLevel += 1;
    return true;
  }

  private authenticate(params: PMap, webhookPath: { userId: number; secret: string } | null): AuthContext {
    if (webhookPath) {
      const webhook = this.webhooks.find((w) => w.userId === webhookPath.userId && w.secret === webhookPath.secret);
      if (!webhook || !this.findUser(webhook.userId)) throw ERR.invalidCredentials();
      return { kind: 'webhook', userId: webhook.userId, scopes: webhook.scopes };
    }
    const auth = scalarString(pget(params, 'auth'));
    if (!auth) throw ERR.noAuth();
    if (this.faults.connectionErrorLeft > 0) {
      this.faults.connectionErrorLeft--;
      throw ERR.connectionError();
    }
    const token = this.accessTokens.get(auth);
    if (!token || token.invalid) throw ERR.invalidToken();
    if (token.forcedExpired || token.expiresAt <= this.now()) throw ERR.expiredToken();
    if (this.faults.paymentRequired) throw ERR.paymentRequired();
    return { kind: 'app', userId: token.userId, scopes: token.scopes, token: token.token };
  }

  private async handleRest(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const started = this.now();
    const perfStart = performance.now();
    const params = await this.readParams(req, url);
    if (this.containsSecret(params)) this.statsData.secretLeaksToPortal++;

    // /rest/<method>[.json] or /rest/<userId>/<secret>/<method>[.json]
    const parts = url.pathname.split('/').filter(Boolean).slice(1).map((p) => decodeURIComponent(p));
    let webhookPath: { userId: number; secret: string } | null = null;
    let methodPart = parts[0] ?? '';
    if (parts.length >= 3 && /^\d+$/.test(parts[0])) {
      webhookPath = { userId: toNum(parts[0]), secret: parts[1] };
      methodPart = parts.slice(2).join('/');
    }
    const method = methodPart.replace(/\.(json|xml)$/i, '').toLowerCase();
    if (method) this.countMethod(method);

    try {
      if (this.faults.portalGone) throw ERR.portalDeleted();
      const canned = this.faults.canned;
      if (canned && canned.left > 0 && (canned.method === null || canned.method === method)) {
        canned.left--;
        throw new RestError(canned.status, canned.error, canned.description);
      }
      if (this.faults.storm503Left > 0) {
        this.faults.storm503Left--;
        throw ERR.queryLimit();
      }
      if (this.faults.error500Left > 0) {
        this.faults.error500Left--;
        throw ERR.internal();
      }
      if (!this.takeRateToken()) {
        this.statsData.rateLimited++;
        throw ERR.queryLimit();
      }
      const auth = this.authenticate(params, webhookPath);
      if (!method) throw ERR.methodNotFound();
      if (method === 'batch') {
        if (!this.methodAllowed('batch', auth)) throw ERR.insufficientScope(auth.kind === 'webhook');
        const { result, simulatedSeconds } = this.runBatch(params, auth);
        // limits.md: the outer batch is not counted in operating; its time is its commands' time.
        const time = this.timeBlock(started, (performance.now() - perfStart) / 1000 + simulatedSeconds);
        this.noteRequestProcessing(time.processing);
        this.sendJson(res, 200, { result, time });
        return;
      }
      const call = this.call(method, params, auth, started, perfStart);
      if (call.ok) this.noteRequestProcessing(call.time.processing);
      if (!call.ok) throw new RestError(call.status, call.error, call.description);
      const body: Record<string, unknown> = { result: pToJson(call.result) };
      if (call.total !== undefined) body.total = call.total;
      if (call.next !== undefined) body.next = call.next;
      body.time = call.time;
      this.sendJson(res, 200, body);
    } catch (error) {
      if (!(error instanceof RestError)) throw error;
      this.countError(error);
      this.sendError(res, error);
    }
  }

  private countError(error: RestError): void {
    if (error.status === 503) this.statsData.sent503++;
    else if (error.status === 429) this.statsData.sent429++;
    else if (error.status === 500) this.statsData.sent500++;
  }

  private methodAllowed(method: string, auth: AuthContext): boolean {
    const needed = METHOD_SCOPES[method];
    if (needed === null || needed === undefined) return true;
    return needed.some((scope) => auth.scopes.includes(scope));
  }

  /** One method call (top-level or a batch sub-command): scope, operating limit, faults, handler. */
  private call(method: string, params: PMap, auth: AuthContext, started = this.now(), perfStart = performance.now()): CallOk | CallFail {
    if (this.recordCalls) {
      const plain = phpToPlain(params) as Record<string, unknown>;
      delete plain.auth;
      this.calls.push({ method, params: plain });
    }
    try {
      if (!(method in METHOD_SCOPES)) throw ERR.methodNotFound();
      if (!this.methodAllowed(method, auth)) throw ERR.insufficientScope(auth.kind === 'webhook');
      // rest.php processCall: the operating-time check comes before the method runs.
      if (this.operatingSeconds(method) > this.options.operatingLimitSeconds) throw ERR.operationLimit();
      if (this.faults.confirmationMethods.has(method)) this.checkConfirmation(method, auth);
      const failure = this.faults.failAfter.get(method);
      if (failure) {
        if (failure.okLeft > 0) failure.okLeft--;
        else {
          failure.failuresLeft--;
          if (failure.failuresLeft <= 0) this.faults.failAfter.delete(method);
          throw ERR.internal();
        }
      }
      const outcome = this.runMethod(method, params, auth);
      const processing = (performance.now() - perfStart) / 1000 + (this.methodCost.get(method) ?? 0);
      this.recordOperating(method, processing);
      return { ok: true, ...outcome, time: this.timeBlock(started, processing, method) };
    } catch (error) {
      if (!(error instanceof RestError)) throw error;
      return { ok: false, status: error.status, error: error.code, description: error.description };
    }
  }

  /** confirmation.md: waiting until the administrator answers; the answer binds one token. */
  private checkConfirmation(method: string, auth: AuthContext): void {
    if (auth.kind !== 'app') throw ERR.appContextRequired();
    const answer = this.confirmations.get(`${auth.token} ${method}`);
    if (answer === 'denied') throw ERR.confirmDenied();
    if (answer !== 'confirmed') throw ERR.confirmWaiting();
  }

  private noteRequestProcessing(seconds: number): void {
    if (seconds > this.statsData.maxRequestProcessingSeconds) this.statsData.maxRequestProcessingSeconds = seconds;
  }

  private runMethod(method: string, params: PMap, auth: AuthContext): MethodOk {
    switch (method) {
      case 'user.get':
        return this.userGet(params, auth);
      case 'user.current':
        return { result: this.projectUser(this.findUser(auth.userId) ?? { ID: toStr(auth.userId) }, auth.scopes, null) };
      case 'user.fields':
        return this.userFields(auth);
      case 'department.get':
        return this.departmentGet(params);
      case 'event.bind':
        return this.eventBind(params, auth);
      case 'event.get':
        return this.eventGet(auth);
      case 'event.unbind':
        return this.eventUnbind(params, auth);
      case 'event.offline.get':
      case 'event.offline.clear':
      case 'event.offline.error':
      case 'event.offline.list':
        return this.offlineMethod(method, params, auth);
      case 'profile':
        return this.profile(auth);
      case 'user.admin':
        // user-admin.md: "determines whether the current user has the permissions to manage
        // application settings"; no parameters, result a JSON boolean.
        return { result: this.admins.has(auth.userId) };
      case 'app.info':
        return this.appInfo(auth);
      case 'scope':
        // scope.md: `full` is a boolean; in form data the string "false" switches it on (PHP).
        return { result: phpTruthy(pget(params, 'full') ?? null) ? [...PORTAL_SCOPES] : auth.scopes.filter((s) => s !== 'basic') };
      case 'server.time':
        // server-time.md: ISO 8601 in the server's zone.
        return { result: this.isoNow() };
      default:
        throw ERR.methodNotFound();
    }
  }

  // ---- limits: operating time (limits.md) -------------------------------------------------

  private operatingBuckets(method: string): OperatingBucket[] {
    const now = this.now();
    const buckets = (this.operating.get(method) ?? []).filter((b) => b.resetAt > now);
    this.operating.set(method, buckets);
    return buckets;
  }

  private operatingSeconds(method: string): number {
    return this.operatingBuckets(method).reduce((sum, b) => sum + b.seconds, 0);
  }

  /** limits.md: ten one-minute buckets; a bucket starts at its first call and leaves the sum 10 minutes later. */
  private recordOperating(method: string, seconds: number): void {
    const now = this.now();
    const windowMs = this.options.operatingWindowSeconds * 1000;
    const bucketMs = this.options.operatingBucketSeconds * 1000;
    const buckets = this.operatingBuckets(method);
    const current = buckets.find((b) => now < b.startedAt + bucketMs && b.resetAt === b.startedAt + windowMs);
    if (current) current.seconds += seconds;
    else buckets.push({ startedAt: now, resetAt: now + windowMs, seconds });
    const pending = this.faults.pendingOperating.get(method);
    if (pending) {
      pending.afterCalls--;
      if (pending.afterCalls <= 0) {
        this.faults.pendingOperating.delete(method);
        this.pushOperatingBlock(method, pending.resetInSeconds);
      }
    }
  }

  /**
   * The method is over its limit until resetInSeconds from now, the way the buckets of
   * limits.md can put it: its time sits in one bucket that is the oldest and leaves the sum
   * then (so operating_reset_at of later answers points at the block's end).
   */
  private pushOperatingBlock(method: string, resetInSeconds: number): void {
    const now = this.now();
    const resetAt = now + resetInSeconds * 1000;
    this.operating.set(method, [{ startedAt: resetAt - this.options.operatingWindowSeconds * 1000, resetAt, seconds: this.options.operatingLimitSeconds + 1 }]);
  }

  /** api-reference/data-types.md#time: the time block of every answer. */
  private timeBlock(started: number, processing: number, method?: string): TimeBlock {
    const finish = started + processing * 1000;
    const block: TimeBlock = {
      start: toNum((started / 1000).toFixed(6)),
      finish: toNum((finish / 1000).toFixed(6)),
      duration: processing,
      processing,
      date_start: this.isoAt(started),
      date_finish: this.isoAt(finish),
    };
    if (method) {
      const buckets = this.operatingBuckets(method);
      if (buckets.length > 0) block.operating_reset_at = Math.floor(Math.min(...buckets.map((b) => b.resetAt)) / 1000);
      block.operating = buckets.reduce((sum, b) => sum + b.seconds, 0);
      if (block.operating > this.statsData.maxOperatingSeconds) this.statsData.maxOperatingSeconds = block.operating;
    }
    return block;
  }

  // ---- batch (settings/how-to-call-rest-api/batch.md) -------------------------------------

  private runBatch(params: PMap, auth: AuthContext): { result: unknown; simulatedSeconds: number } {
    const halt = phpTruthy(pget(params, 'halt') ?? null);
    const cmdValue = pget(params, 'cmd');
    const commands: Array<[string, string]> = [];
    if (cmdValue instanceof Map) {
      for (const [key, value] of cmdValue) commands.push([key, scalarString(value) ?? '']);
    } else if (Array.isArray(cmdValue)) {
      cmdValue.forEach((value, index) => commands.push([toStr(index), scalarString(value) ?? '']));
    }
    // rest_provider.php batch(): every answer key goes to $arResult[key][cmd] — result, time,
    // total, next, and error for a failed command.
    const result: Map<string, unknown> = new Map();
    const resultError: Map<string, unknown> = new Map();
    const resultTotal: Map<string, unknown> = new Map();
    const resultNext: Map<string, unknown> = new Map();
    const resultTime: Map<string, unknown> = new Map();
    const sections: BatchSections = new Map([
      ['result', result],
      ['time', resultTime],
      ['total', resultTotal],
      ['next', resultNext],
      ['error', resultError],
    ]);
    let simulatedSeconds = 0;

    let index = 0;
    for (const [key, command] of commands) {
      index++;
      const started = this.now();
      const perfStart = performance.now();
      const question = command.indexOf('?');
      const method = (question < 0 ? command : command.slice(0, question)).trim().replace(/\.(json|xml)$/i, '').toLowerCase();
      let outcome: CallOk | CallFail;
      if (index > BATCH_MAX) {
        // batch.md: sub-requests beyond 50 end with ERROR_BATCH_LENGTH_EXCEEDED.
        const error = batchLengthExceeded();
        outcome = { ok: false, status: error.status, error: error.code, description: error.description };
      } else {
        this.countMethod(method);
        this.statsData.batchCommands++;
        if (method === 'batch') {
          const error = batchMethodNotAllowed();
          outcome = { ok: false, status: error.status, error: error.code, description: error.description };
        } else {
          const subParams = phpToP(parsePhpQuery(question < 0 ? '' : command.slice(question + 1)));
          this.substituteReferences(subParams, sections);
          outcome = this.call(method, subParams, auth, started, perfStart);
        }
      }
      if (outcome.ok) {
        simulatedSeconds += this.methodCost.get(method) ?? 0;
        result.set(key, outcome.result);
        if (outcome.total !== undefined) resultTotal.set(key, outcome.total);
        if (outcome.next !== undefined) resultNext.set(key, outcome.next);
        resultTime.set(key, outcome.time);
      } else {
        if (outcome.status === 429) this.statsData.sent429++;
        if (outcome.status === 500) this.statsData.sent500++;
        resultError.set(key, { error: outcome.error, error_description: outcome.description });
        if (halt) break;
      }
    }
    // PHP's json_encode: empty sections are [], keys 0..n-1 make a list.
    return {
      simulatedSeconds,
      result: {
        result: pToJson(new Map([...result].map(([k, v]) => [k, pToJson(v)]))),
        result_error: pToJson(resultError),
        result_total: pToJson(resultTotal),
        result_next: pToJson(resultNext),
        result_time: pToJson(resultTime),
      },
    };
  }

  /**
   * batch.md: `$result[cmd_key][field]…` in a sub-request's parameters takes data from an
   * earlier command. Played as rest/classes/general/rest_util.php processBatchElement() does
   * it: the names are the sections that exist so far (`$result`, `$time`, `$total`, `$next`,
   * `$error`; none before the first command has answered, so the text stays as it is); the
   * path is followed while each key is set, and **stops at the deepest node that exists** —
   * `$result[u1][49][ID]` after a page of 20 rows yields that whole page, after an empty page
   * the empty list, and after a failed command the whole result section. A parameter that is
   * exactly one reference takes that node, whatever it is; a reference inside longer text is
   * replaced only by a string or number.
   */
  private substituteReferences(params: PMap, sections: BatchSections): void {
    const names = [...sections].filter(([, section]) => section.size > 0).map(([name]) => name);
    if (!names.length) return;
    const pattern = new RegExp(`\\$(${names.join('|')})([^\\s]*)`, 'gi');
    const lookup = (name: string, path: string): unknown => {
      let node: unknown = sections.get(name.toLowerCase());
      for (const [, key] of path.matchAll(/\[([^\]]+)\]/g)) {
        const next = phpIndex(node, key);
        if (next === undefined || next === null) break; // isset() failed: keep the node reached
        node = next;
      }
      return node;
    };
    const visit = (map: PMap): void => {
      for (const [key, value] of map) {
        if (value instanceof Map) {
          visit(value);
          continue;
        }
        if (typeof value !== 'string' || !value.includes('$')) continue;
        let text = value;
        let whole = false;
        for (const match of value.matchAll(pattern)) {
          if (!/\[[^\]]+\]/.test(match[2])) continue;
          const found = lookup(match[1], match[2]);
          if (match[0] === value) {
            map.set(key, jsonToP(found));
            whole = true;
            break;
          }
          if (typeof found === 'number' || typeof found === 'string') text = text.split(match[0]).join(toStr(found));
        }
        if (!whole) map.set(key, text);
      }
    };
    visit(params);
  }

  // ---- users (api-reference/user/*) ------------------------------------------------------

  private userScopeLevel(scopes: string[]): 'full' | 'basic' | 'brief' | null {
    // user-scope.md: the widest version granted decides.
    if (scopes.includes('user')) return 'full';
    if (scopes.includes('user_basic')) return 'basic';
    if (scopes.includes('user_brief')) return 'brief';
    return null;
  }

  private fieldAllowed(field: string, level: 'full' | 'basic' | 'brief' | null): boolean {
    if (level === 'full') return true;
    if (level === 'basic') return FIELDS_BASIC.has(field);
    if (level === 'brief') return FIELDS_BRIEF.has(field);
    return false;
  }

  /** A user as the caller may see it: scope version (user-scope.md), select, legacy ACTIVE. */
  private projectUser(user: Bitrix24User, scopes: string[], select: string[] | null): Record<string, unknown> {
    const level = this.userScopeLevel(scopes);
    if (this.oldBox) return this.projectOldBoxUser(user, level, select);
    if (level === 'full' && !select && !this.options.legacyActiveYN) return user;
    if (level === 'full' && select && !this.options.legacyActiveYN && !select.some((s) => s === '*' || s === 'UF_*')) {
      // The export's path (a select of a dozen fields): walk the select, not the record.
      const picked: Record<string, unknown> = { ID: user.ID };
      for (const field of select) if (user[field] !== undefined) picked[field] = user[field];
      return picked;
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(user)) {
      if (!this.fieldAllowed(key, level)) continue;
      if (select && key !== 'ID' && !select.some((s) => s === '*' || s === key || (s === 'UF_*' && key.startsWith('UF_')))) continue;
      out[key] = key === 'ACTIVE' && this.options.legacyActiveYN ? (this.isActive(user) ? 'Y' : 'N') : value;
    }
    return out;
  }

  /**
   * An old on-premise box: rest/lib/api/user.php keeps the shape older versions sent in the
   * deprecated prepareUserData() — every selected column as the database holds it, so empty
   * ones arrive as null — and ACTIVE through prepareUserValue() as "Y"/"N"; USER_TYPE is
   * only appended by newer versions (getDefaultAllowedUserFields), so it is missing.
   */
  private projectOldBoxUser(user: Bitrix24User, level: 'full' | 'basic' | 'brief' | null, select: string[] | null): Record<string, unknown> {
    const out: Record<string, unknown> = { ID: user.ID };
    for (const field of this.userFieldList(level)) {
      if (field === 'ID' || (select && !select.some((s) => s === '*' || s === field || (s === 'UF_*' && field.startsWith('UF_'))))) continue;
      const value = user[field];
      if (field === 'ACTIVE') out[field] = this.isActive(user) ? 'Y' : 'N';
      else if (value === undefined || value === '' || value === false || (Array.isArray(value) && value.length === 0)) out[field] = null;
      else if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) out[field] = null;
      else out[field] = value;
    }
    return out;
  }

  /** The fields of a scope version (user-scope.md); an old box has no USER_TYPE. */
  private userFieldList(level: 'full' | 'basic' | 'brief' | null): string[] {
    const fields = level === 'full' ? FIELDS_FULL : level === 'basic' ? FIELDS_BASIC : FIELDS_BRIEF;
    return [...fields].filter((field) => !(this.oldBox && field === 'USER_TYPE'));
  }

  private userFields(auth: AuthContext): MethodOk {
    const level = this.userScopeLevel(auth.scopes);
    // user-fields.md: field code → title (codes without a title repeat the code).
    const result: Record<string, string> = {};
    for (const field of this.userFieldList(level)) result[field] = USER_FIELD_TITLES[field] ?? field;
    return { result };
  }

  /**
   * api-reference/user/user-get.md: FILTER (or the filter fields at the top level), prefixes
   * >= > <= < @ !@ % =% %= !% !=% !%= = != !; sort/order (default ID ascending); start
   * paging by 50 with total and next; start=-1 skips the count (performance/huge-data.md).
   * Bots, e-mail users, Open Lines users and partners are never returned.
   */
  private userGet(params: PMap, auth: AuthContext): MethodOk {
    const level = this.userScopeLevel(auth.scopes);
    let filterSource: PMap | null = null;
    const filterParam = pget(params, 'FILTER');
    if (filterParam instanceof Map) filterSource = filterParam;
    const conditions: Array<{ op: string; field: string; values: PV[] }> = [];
    let plainIdFilter = false;
    const source = filterSource ?? params;
    for (const [rawKey, value] of source) {
      if (!filterSource && USER_GET_RESERVED.has(rawKey.toUpperCase())) continue;
      const op = LIST_PREFIX_OPS.find((prefix) => rawKey.startsWith(prefix)) ?? '';
      const field = rawKey.slice(op.length).toUpperCase();
      if (!field) continue;
      // user-scope.md: a field the scope version does not allow is skipped in filters.
      if (!this.fieldAllowed(field, level) && field !== 'NAME_SEARCH') continue;
      let values = value instanceof Map ? [...value.values()] : Array.isArray(value) ? value : [value];
      if (field === 'ID' && ['>', '>=', '<', '<='].includes(op)) values = [toStr(idBound(value))];
      if (values.length === 1 && (values[0] === '' || values[0] === null) && field !== 'ACTIVE') continue;
      if (field === 'ID' && op === '') plainIdFilter = true;
      conditions.push({ op: op || '=', field, values });
    }
    const sortField = (scalarString(pget(params, 'SORT')) ?? 'ID').toUpperCase();
    const descending = (scalarString(pget(params, 'ORDER')) ?? 'ASC').toUpperCase() === 'DESC';
    const select = this.parseSelect(pget(params, 'SELECT'));
    const visibility = this.visibilityFor(auth, phpTruthy(pget(params, 'ADMIN_MODE') ?? null), plainIdFilter);
    if (visibility) conditions.push(visibility);

    const idRange: Array<{ op: string; value: number }> = [];
    const others = conditions.filter((c) => {
      if (c.field === 'ID' && sortField === 'ID' && ['>', '>=', '<', '<='].includes(c.op) && c.values.length === 1 && scalarString(c.values[0]) !== undefined) {
        idRange.push({ op: c.op, value: toNum(scalarString(c.values[0])) });
        return false;
      }
      return true;
    });
    const base = this.filteredUsers(others, sortField, descending);
    let from = 0;
    let to = base.length;
    if (idRange.length > 0) {
      // The list is sorted by ID: the range is two binary searches.
      let min = -Infinity;
      let minStrict = false;
      let max = Infinity;
      let maxStrict = false;
      for (const r of idRange) {
        if (r.op === '>' || r.op === '>=') {
          if (r.value > min || (r.value === min && r.op === '>')) {
            min = r.value;
            minStrict = r.op === '>';
          }
        } else if (r.value < max || (r.value === max && r.op === '<')) {
          max = r.value;
          maxStrict = r.op === '<';
        }
      }
      if (!descending) {
        from = Number.isFinite(min) ? lowerBound(base, min, minStrict) : 0;
        to = Number.isFinite(max) ? lowerBound(base, max, !maxStrict) : base.length;
      } else {
        // descending: reverse bounds over a descending list
        const ascIndex = (id: number, strict: boolean): number => {
          let lo = 0;
          let hi = base.length;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            const value = toNum(base[mid].ID);
            if (strict ? value >= id : value > id) lo = mid + 1;
            else hi = mid;
          }
          return lo;
        };
        from = Number.isFinite(max) ? ascIndex(max, maxStrict) : 0;
        to = Number.isFinite(min) ? ascIndex(min, !minStrict) : base.length;
      }
      if (to < from) to = from;
    }
    const count = to - from;
    const startRaw = scalarString(pget(params, 'start'));
    const start = startRaw === undefined || startRaw === '' ? 0 : Math.trunc(toNum(startRaw)) || 0;
    const size = this.options.pageSize;
    if (start === -1) {
      // huge-data.md, rest/lib/api/user.php: no COUNT; a non-empty page still carries
      // `total: 0` (setNavData with count 0), an empty one no total at all.
      const page = base.slice(from, Math.min(to, from + size)).map((u) => this.projectUser(u, auth.scopes, select));
      return page.length ? { result: page, total: 0 } : { result: page };
    }
    this.countList('user.get');
    const offset = Math.max(0, start);
    const page = base.slice(from + offset, Math.min(to, from + offset + size)).map((u) => this.projectUser(u, auth.scopes, select));
    const outcome: MethodOk = { result: page, total: count };
    if (offset + size < count) outcome.next = offset + size;
    return outcome;
  }

  /**
   * rest/lib/api/user.php userGet(): ADMIN_MODE counts only when the caller is a portal
   * administrator (the socialnetwork module's admin list). Otherwise, with the extranet
   * module installed, an intranet caller sees only users who have a department or share one
   * of its workgroups — in queries by ID too, unless the caller is an administrator — and an
   * extranet caller sees only its workgroups' users and itself. Returns the condition to add,
   * or null when the caller sees everyone.
   */
  private visibilityFor(auth: AuthContext, adminModeAsked: boolean, plainIdFilter: boolean): { op: string; field: string; values: PV[] } | null {
    const isAdmin = this.admins.has(auth.userId);
    if ((isAdmin && adminModeAsked) || this.options.extranet === false) return null;
    const caller = this.findUser(auth.userId);
    if (caller && toStr(caller.USER_TYPE ?? '').toLowerCase() === 'extranet') return { op: '=', field: VISIBLE_TO, values: [auth.userId, 'extranet'] };
    if (plainIdFilter && isAdmin) return null;
    return { op: '=', field: VISIBLE_TO, values: [auth.userId, 'intranet'] };
  }

  /** Users who share a workgroup with `userId` (CExtranet::getMyGroupsUsersSimple). */
  private workgroupMates(userId: number): Set<number> {
    const mates = new Set<number>();
    for (const group of this.workgroups) if (group.includes(userId)) for (const id of group) mates.add(id);
    return mates;
  }

  private countList(method: string): void {
    this.statsData.countedListCalls[method] = (this.statsData.countedListCalls[method] ?? 0) + 1;
  }

  private parseSelect(value: PV | undefined): string[] | null {
    if (value === undefined || value === null || value === '') return null;
    const list = asList(value instanceof Map ? [...value.values()] : value)
      .map((v) => toStr(v).toUpperCase())
      .filter(Boolean);
    return list.length > 0 && !list.includes('*') ? list : null;
  }

  private filteredUsers(conditions: Array<{ op: string; field: string; values: PV[] }>, sortField: string, descending: boolean): Bitrix24User[] {
    if (conditions.length === 0 && sortField === 'ID' && !descending) return this.people;
    const key = JSON.stringify([conditions.map((c) => [c.op, c.field, c.values.map((v) => (v instanceof Map ? [...v.values()] : v))]), sortField, descending]);
    const cached = this.listCache.get(key);
    if (cached && cached.version === this.dataVersion) return cached.list;
    const matchers = conditions.map((c) => this.userMatcher(c));
    let list = matchers.length === 0 ? [...this.people] : this.people.filter((user) => matchers.every((match) => match(user)));
    if (sortField !== 'ID') {
      list = [...list].sort((a, b) => {
        const x = a[sortField];
        const y = b[sortField];
        const sx = x === undefined || x === null ? '' : typeof x === 'object' ? JSON.stringify(x) : toStr(x);
        const sy = y === undefined || y === null ? '' : typeof y === 'object' ? JSON.stringify(y) : toStr(y);
        return sx < sy ? -1 : sx > sy ? 1 : toNum(a.ID) - toNum(b.ID);
      });
    }
    if (descending) list = sortField === 'ID' ? [...list].reverse() : list.reverse();
    if (this.listCache.size > 64) this.listCache.clear();
    this.listCache.set(key, { version: this.dataVersion, list });
    return list;
  }

  private userMatcher(condition: { op: string; field: string; values: PV[] }): (user: Bitrix24User) => boolean {
    const { op, field } = condition;
    const flat = condition.values.flatMap((v) => (v instanceof Map ? [...v.values()] : Array.isArray(v) ? v : [v]));
    const wanted = flat.map((v) => (v === null ? '' : typeof v === 'object' ? '' : toStr(v)));
    const negate = op.startsWith('!');
    const baseOp = negate ? op.slice(1) || '=' : op;

    if (field === VISIBLE_TO) {
      const callerId = toNum(condition.values[0]);
      const mates = this.workgroupMates(callerId);
      // '!UF_DEPARTMENT' => false: the user has a department.
      if (condition.values[1] === 'extranet') return (user) => toNum(user.ID) === callerId || mates.has(toNum(user.ID));
      return (user) => hasDepartment(user) || mates.has(toNum(user.ID));
    }
    if (field === 'NAME_SEARCH') {
      const needle = (wanted[0] ?? '').toLowerCase();
      return (user) => [user.NAME, user.LAST_NAME, user.SECOND_NAME, user.EMAIL, user.WORK_POSITION].some((v) => typeof v === 'string' && v.toLowerCase().includes(needle)) !== negate;
    }
    if (field === 'ACTIVE') {
      // ACTIVE is compared as Y/N; a boolean maps to Y/N; any other string by PHP truthiness.
      const want = new Set(
        flat.map((v) => {
          if (v === true) return 'Y';
          if (v === false) return 'N';
          const s = toStr(v ?? '');
          if (s.toUpperCase() === 'Y' || s.toUpperCase() === 'N') return s.toUpperCase();
          return phpTruthy(s) ? 'Y' : 'N';
        }),
      );
      return (user) => want.has(this.isActive(user) ? 'Y' : 'N') !== negate;
    }
    const getValues = (user: Bitrix24User): string[] => {
      const raw = user[field];
      if (raw === undefined || raw === null || raw === false) return [];
      if (Array.isArray(raw)) return raw.map((v) => toStr(v));
      if (typeof raw === 'object') return [];
      return [toStr(raw)];
    };
    const numeric = field === 'ID' || field === 'UF_DEPARTMENT';
    const compare = (have: string, want: string): number => {
      if (numeric) return toNum(have) - toNum(want);
      const a = have.toLowerCase();
      const b = want.toLowerCase();
      return a < b ? -1 : a > b ? 1 : 0;
    };
    let test: (have: string[]) => boolean;
    switch (baseOp) {
      case '>':
        test = (have) => have.some((h) => compare(h, wanted[0]) > 0);
        break;
      case '>=':
        test = (have) => have.some((h) => compare(h, wanted[0]) >= 0);
        break;
      case '<':
        test = (have) => have.some((h) => compare(h, wanted[0]) < 0);
        break;
      case '<=':
        test = (have) => have.some((h) => compare(h, wanted[0]) <= 0);
        break;
      case '%': {
        const needles = wanted.map((w) => w.toLowerCase());
        test = (have) => have.some((h) => needles.some((n) => h.toLowerCase().includes(n)));
        break;
      }
      case '=%':
      case '%=': {
        const patterns = wanted.map(likeToRegExp);
        test = (have) => have.some((h) => patterns.some((p) => p.test(h)));
        break;
      }
      default: {
        // '=', '@' and the negations: equality / IN (case-insensitive like MySQL).
        const set = new Set(wanted.map((w) => (numeric ? toStr(toNum(w)) : w.toLowerCase())));
        test = (have) => have.some((h) => set.has(numeric ? toStr(toNum(h)) : h.toLowerCase()));
      }
    }
    return (user) => test(getValues(user)) !== negate;
  }

  // ---- departments (api-reference/departments/department-get.md) -------------------------

  /**
   * department.get: exact filters ID, NAME, SORT, PARENT, UF_HEAD given as top-level
   * parameters (the docs list no FILTER wrapper and no prefixes, so `>ID` or FILTER[…] is
   * ignored); sort/order; START paging by 50 with total and next.
   */
  private departmentGet(params: PMap): MethodOk {
    let sortField = 'ID';
    let descending = false;
    const filters: Array<{ field: string; values: string[] }> = [];
    for (const [key, value] of params) {
      if (key === 'sort') sortField = (scalarString(value) ?? 'ID').toUpperCase();
      else if (key.toUpperCase() === 'ORDER') descending = (scalarString(value) ?? '').toUpperCase() === 'DESC';
      else if (['ID', 'NAME', 'SORT', 'PARENT', 'UF_HEAD'].includes(key)) {
        const values = asList(value instanceof Map ? [...value.values()] : value).map((v) => toStr(v));
        if (key === 'SORT' && values.length === 1 && !/^\d+$/.test(values[0])) {
          sortField = values[0].toUpperCase();
          continue;
        }
        if (values.length > 0 && !(values.length === 1 && values[0] === '')) filters.push({ field: key, values });
      }
    }
    let list = this.depts.filter((d) =>
      filters.every((f) => {
        const raw = d[f.field as keyof Bitrix24Department];
        if (raw === undefined || raw === null) return false;
        return f.values.some((v) => (f.field === 'NAME' ? toStr(raw) === v : toNum(raw) === toNum(v)));
      }),
    );
    if (sortField !== 'ID' || descending) {
      list = [...list].sort((a, b) => {
        const x = a[sortField as keyof Bitrix24Department];
        const y = b[sortField as keyof Bitrix24Department];
        const numeric = sortField !== 'NAME';
        const cmp = numeric ? toNum(x ?? 0) - toNum(y ?? 0) : toStr(x ?? '').localeCompare(toStr(y ?? ''));
        return cmp !== 0 ? cmp : toNum(a.ID) - toNum(b.ID);
      });
      if (descending) list.reverse();
    }
    this.countList('department.get');
    const startRaw = scalarString(pget(params, 'START'));
    const start = Math.max(0, Math.trunc(toNum(startRaw ?? 0)) || 0);
    const size = this.options.pageSize;
    const page = list.slice(start, start + size);
    const outcome: MethodOk = { result: page, total: list.length };
    if (start + size < list.length) outcome.next = start + size;
    return outcome;
  }

  // ---- events (api-reference/events/*) ---------------------------------------------------

  private eventBind(params: PMap, auth: AuthContext): MethodOk {
    // event-bind.md: "works only in the context of application authorization".
    if (auth.kind !== 'app') throw ERR.appContextRequired();
    const event = (scalarString(pget(params, 'event')) ?? '').toUpperCase();
    const handler = scalarString(pget(params, 'handler')) ?? '';
    const needed = KNOWN_EVENTS[event];
    if (!event || needed === undefined || (needed !== null && !needed.some((s) => auth.scopes.includes(s)))) {
      throw new RestError(400, 'ERROR_EVENT_NOT_FOUND', 'Event not found');
    }
    const offline = (scalarString(pget(params, 'event_type')) ?? 'online').toLowerCase() === 'offline';
    if (offline) {
      // rest/lib/api/event.php eventBind: offline handlers need an administrator, and take no handler URL or auth_type.
      if (!this.admins.has(auth.userId)) throw new RestError(403, 'ACCESS_DENIED', 'Access denied! Offline events binding requires administrator access rights');
      if (this.bindings.some((b) => b.event === event && b.offline)) throw new RestError(400, 'ERROR_HANDLER_ALREADY_EXIST', 'Handler already exists!');
      this.bindings.push({ id: this.nextBindingId++, event, handler: '', authType: 0, offline: true });
      return { result: true };
    }
    // error-codes.md: method validation errors may carry an empty `error`.
    if (!handler) throw new RestError(400, '', 'Handler URL is required');
    const authType = toNum(scalarString(pget(params, 'auth_type')) ?? 0) || 0;
    if (this.bindings.some((b) => b.event === event && b.handler === handler && b.authType === authType && b.offline === offline)) {
      // error-codes.md example: ERROR_HANDLER_ALREADY_EXIST "Handler already exists!".
      throw new RestError(400, 'ERROR_HANDLER_ALREADY_EXIST', 'Handler already exists!');
    }
    this.bindings.push({ id: this.nextBindingId++, event, handler, authType, offline });
    return { result: true };
  }

  private eventGet(auth: AuthContext): MethodOk {
    if (auth.kind !== 'app') throw ERR.appContextRequired();
    return {
      // rest/lib/api/event.php eventGet: an online handler shows handler and auth_type, an offline one connector_id.
      result: this.bindings.map((b) => (b.offline ? { event: b.event, connector_id: '', offline: 1 } : { event: b.event, handler: b.handler, auth_type: toStr(b.authType), offline: 0 })),
    };
  }

  private eventUnbind(params: PMap, auth: AuthContext): MethodOk {
    if (auth.kind !== 'app') throw ERR.appContextRequired();
    const event = scalarString(pget(params, 'event'))?.toUpperCase();
    const handler = scalarString(pget(params, 'handler'));
    const authTypeRaw = scalarString(pget(params, 'auth_type'));
    const offline = (scalarString(pget(params, 'event_type')) ?? 'online').toLowerCase() === 'offline';
    // event-unbind.md: parameters not given match every handler; auth_type 0 or '' means "no auth_type".
    const before = this.bindings.length;
    this.bindings = this.bindings.filter(
      (b) =>
        !(
          (event === undefined || b.event === event) &&
          (handler === undefined || b.handler === handler) &&
          (authTypeRaw === undefined || b.authType === (toNum(authTypeRaw) || 0)) &&
          b.offline === offline
        ),
    );
    return { result: { count: before - this.bindings.length } };
  }

  /**
   * event.offline.get / clear / error / list (api-reference/events/event-offline-*.md): app
   * context only (rest/lib/api/event.php: AuthTypeException, 403 WRONG_AUTH_TYPE), an
   * administrator only (403 ACCESS_DENIED "Access denied!"); the queue itself is offline-queue.ts.
   */
  private offlineMethod(method: string, params: PMap, auth: AuthContext): MethodOk {
    if (auth.kind !== 'app') throw new RestError(403, 'WRONG_AUTH_TYPE', 'Current authorization type is denied for this method');
    if (!this.admins.has(auth.userId)) throw new RestError(403, 'ACCESS_DENIED', 'Access denied!');
    const plain: Record<string, unknown> = {};
    for (const [key, value] of params) if (key.toLowerCase() !== 'auth') plain[key.toLowerCase()] = value;
    try {
      switch (method) {
        case 'event.offline.get':
          return { result: this.offlineQueue.get(plain) };
        case 'event.offline.clear':
          return { result: this.offlineQueue.clear(plain) };
        case 'event.offline.error':
          return { result: this.offlineQueue.error(plain) };
        default: {
          const page = this.offlineQueue.list(plain);
          return page.next === undefined ? { result: page.result, total: page.total } : { result: page.result, total: page.total, next: page.next };
        }
      }
    } catch (error) {
      if (error instanceof OfflineQueueError) throw new RestError(error.status, error.code, error.description);
      throw error;
    }
  }

  // ---- common methods ----------------------------------------------------------------------

  private profile(auth: AuthContext): MethodOk {
    const user = this.findUser(auth.userId);
    // profile.md
    return {
      result: {
        ID: toStr(auth.userId),
        ADMIN: this.admins.has(auth.userId),
        NAME: user?.NAME ?? '',
        LAST_NAME: user?.LAST_NAME ?? '',
        PERSONAL_GENDER: user?.PERSONAL_GENDER ?? '',
        TIME_ZONE: user?.TIME_ZONE ?? '',
      },
    };
  }

  private appInfo(auth: AuthContext): MethodOk {
    if (auth.kind !== 'app') throw ERR.appContextRequired();
    const license = this.options.license;
    const type = license.includes('_') ? license.slice(license.indexOf('_') + 1) : license;
    // app-info.md
    return {
      result: {
        ID: 5,
        // A local application's CODE is its client_id (rest/lib/app.php sets both at creation); a Marketplace one has its own (appCode).
        CODE: this.options.appCode ?? this.clientId,
        VERSION: this.appVersionValue,
        STATUS: this.options.appStatus,
        // installation-finish.md: false until an interface app's installer calls installFinish.
        INSTALLED: this.appInstalled,
        PAYMENT_EXPIRED: this.options.paymentExpired || this.faults.paymentRequired ? 'Y' : 'N',
        DAYS: this.options.days ?? null,
        LANGUAGE_ID: this.options.languageId,
        LICENSE: license,
        LICENSE_TYPE: type,
        LICENSE_FAMILY: PortalSimulator.licenseFamily(license),
      },
    };
  }

  // ---- outgoing event POSTs ------------------------------------------------------------------

  /** api-reference/events/index.md: POST, content-type application/x-www-form-urlencoded. */
  private postForm(event: string, target: string, body: string): Promise<number> {
    this.statsData.eventsPosted++;
    return new Promise((resolve) => {
      let settled = false;
      const done = (status: number): void => {
        if (settled) return;
        settled = true;
        this.deliveries.push({ event, url: target, status, body });
        resolve(status);
      };
      try {
        const url = new URL(target);
        const request = http.request(
          url,
          {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body), 'User-Agent': 'Bitrix24 Webhook Engine' },
            timeout: 10_000,
          },
          (response) => {
            response.resume();
            response.on('end', () => done(response.statusCode ?? 0));
            response.on('error', () => done(response.statusCode ?? 0));
          },
        );
        request.on('timeout', () => request.destroy(new Error('timeout')));
        request.on('error', () => done(0));
        request.end(body);
      } catch {
        done(0);
      }
    });
  }
}
