import { plainToInstance, Transform } from 'class-transformer';
import { Cidr, classifyAddress, OPT_IN_CLASSES, parseCidr } from '../bitrix24/client/ip-address';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  validateSync,
  ValidationError,
} from 'class-validator';

const toBoolean = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  return value; // left as a string so validation names it
};

const toInteger = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  const text = String(value).trim();
  return /^-?\d+$/.test(text) ? Number(text) : value;
};

const toNumber = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  const text = String(value).trim();
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : value;
};

const emptyToUndefined = ({ value }: { value: unknown }) =>
  value === undefined || (typeof value === 'string' && value.trim() === '') ? undefined : value;

/**
 * Every environment variable the service reads, validated once at boot.
 * `.env.example` documents each one; keep the two in step.
 * Names listed in SECRET_VARIABLES are never printed, not even in validation errors.
 */
export class EnvironmentVariables {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /** The address to listen on: 0.0.0.0 (every interface), 127.0.0.1 behind a local proxy, :: for IPv6. */
  @Matches(/^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*|[A-Za-z0-9.-]+)$/, { message: 'must be an IP address or host name to listen on, such as 0.0.0.0 or 127.0.0.1' })
  HOST = '0.0.0.0';

  /**
   * Which proxies' X-Forwarded-For is believed for the client address (rate limits): Express's
   * `trust proxy` — `loopback` (default), a comma-separated list of addresses/CIDRs or
   * `loopback, linklocal, uniquelocal`, or a hop count.
   */
  @Matches(/^(\d{1,2}|[A-Za-z0-9.:\/, ]{1,500})$/, { message: 'must be a hop count, or addresses/CIDR blocks/loopback|linklocal|uniquelocal, comma-separated' })
  TRUST_PROXY = 'loopback';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'verbose'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' = 'info';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  @Transform(toBoolean)
  @IsBoolean()
  DATABASE_MIGRATE_ON_START = true;

  @IsString()
  DATA_DIR = './.data';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+(\/\S*)?$/, { message: 'must be an http(s) URL such as https://sync.example.com' })
  PUBLIC_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^([A-Za-z0-9+/]{43}=|[0-9a-fA-F]{64})$/, {
    message: 'must be 32 random bytes, base64 (44 characters) or hex (64 characters); generate one with: openssl rand -base64 32',
  })
  TOKEN_ENCRYPTION_KEY?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^(([A-Za-z0-9+/]{43}=|[0-9a-fA-F]{64})(,|$))+$/, {
    message: 'must be a comma-separated list of retired 32-byte keys (base64 or hex)',
  })
  TOKEN_ENCRYPTION_PREVIOUS_KEYS?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  BITRIX24_CLIENT_ID?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  BITRIX24_CLIENT_SECRET?: string;

  @Matches(/^[a-z0-9.-]+(:\d+)?(,[a-z0-9.-]+(:\d+)?)*$/i, {
    message: 'must be a comma-separated list of host names (host or host:port)',
  })
  BITRIX24_OAUTH_SERVERS = 'oauth.bitrix.info,oauth.bitrix24.tech';

  @Transform(toBoolean)
  @IsBoolean()
  BITRIX24_ALLOW_INSECURE = false;

  /**
   * On-premise portals on a LAN: comma-separated CIDR blocks of private (RFC 1918),
   * shared (100.64/10) or unique-local (fc00::/7) addresses the service may contact.
   * Loopback, link-local (cloud metadata) and other special ranges can never be allowed.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  BITRIX24_ALLOWED_PRIVATE_NETWORKS?: string;

  /**
   * The application's code as app.info reports it (api-reference/common/system/app-info.md,
   * CODE). A local application's code is its client id (rest/lib/app.php), the default;
   * a Marketplace application has a code of its own.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.:-]{1,128}$/, { message: 'must be the application code shown by app.info, such as vendor.appname' })
  BITRIX24_APP_CODE?: string;

  @Transform(toInteger)
  @IsInt()
  @Min(1000)
  @Max(300000)
  BITRIX24_REQUEST_TIMEOUT_MS = 30000;

  /**
   * How long a token refresh may take. Longer than the ordinary request timeout on purpose:
   * Bitrix24 rotates the refresh token when it answers, so a refresh cut short may have spent
   * the only token we had (issue 12, finding 1).
   */
  @Transform(toInteger)
  @IsInt()
  @Min(1000)
  @Max(600000)
  BITRIX24_REFRESH_TIMEOUT_MS = 120000;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(60000)
  BITRIX24_RETRY_BASE_MS = 1000;

  /**
   * How often the offline event queue (event.offline.get) of a connection that cannot get
   * pushed events (no application token from a proven install, handlers not bound, or the
   * installation not finished) is read. Connections with pushed events are read at every run
   * and at the first tick after a restart. One request per read.
   */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1440)
  BITRIX24_OFFLINE_EVENTS_POLL_MINUTES = 5;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(55)
  BITRIX24_REQUEST_BUDGET_SECONDS = 20;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1440)
  SYNC_INTERVAL_MINUTES = 30;

  @Transform(toBoolean)
  @IsBoolean()
  SYNC_SCHEDULER_ENABLED = true;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(3600)
  SYNC_TICK_SECONDS = 10;

  @Transform(toInteger)
  @IsInt()
  @Min(5)
  @Max(3600)
  SYNC_LEASE_SECONDS = 60;

  /**
   * Connections one replica syncs at once. A run mostly waits on Bitrix24 (its rate limit and
   * its answers), so this is sized by the database's and the process's share of the cores,
   * not by the number of portals: the default suits 2 cores shared with PostgreSQL (bench/README.md,
   * "Fleet"). Each job needs a database connection at times: keep it below DATABASE_POOL_SIZE.
   */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(64)
  SYNC_CONCURRENCY = 8;

  @Transform(toNumber)
  @IsNumber()
  @Min(0)
  @Max(100)
  SYNC_REMOVAL_GUARD_PERCENT = 20;

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(600)
  SYNC_SHUTDOWN_GRACE_SECONDS = 20;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(3650)
  SYNC_RUN_ITEMS_RETENTION_DAYS = 30;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(86400)
  SYNC_RUN_DEADLINE_SECONDS = 3600;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(100000)
  API_RATE_LIMIT_PER_MINUTE = 600;

  /** Per client address and endpoint: /bitrix24/events, /bitrix24/install, /bitrix24/oauth/callback. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(100000)
  PUBLIC_RATE_LIMIT_PER_MINUTE = 300;

  /** Per stored portal (member_id): events and install posts naming it. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(100000)
  PORTAL_RATE_LIMIT_PER_MINUTE = 120;

  /** Failed API-key attempts per client address before it gets 429 without a database query. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(100000)
  API_KEY_FAILURES_PER_MINUTE = 30;
}

/** Variables whose values must never be echoed (logs, errors, health output). */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'DATABASE_URL',
  'TOKEN_ENCRYPTION_KEY',
  'TOKEN_ENCRYPTION_PREVIOUS_KEYS',
  'BITRIX24_CLIENT_SECRET',
]);

/**
 * BITRIX24_ALLOWED_PRIVATE_NETWORKS → CIDR blocks, or a message naming what is wrong.
 * Only blocks inside the opt-in classes are accepted, so no setting can open loopback or
 * the metadata address.
 */
export function parseAllowedNetworks(raw: string | undefined): Cidr[] | string {
  const blocks: Cidr[] = [];
  for (const text of (raw ?? '').split(',').map((t) => t.trim()).filter(Boolean)) {
    const cidr = parseCidr(text);
    if (!cidr) return `"${text}" is not a CIDR block such as 10.0.0.0/8 or fd00::/8`;
    const minimum = cidr.version === 4 ? 8 : 7;
    const base = cidr.version === 4 ? [...cidr.bytes].join('.') : Buffer.from(cidr.bytes).toString('hex').replace(/(.{4})(?!$)/g, '$1:');
    if (cidr.bits < minimum || !OPT_IN_CLASSES.has(classifyAddress(base))) {
      return `"${text}" is not inside a private (10/8, 172.16/12, 192.168/16), shared (100.64/10) or unique-local (fc00::/7) range`;
    }
    blocks.push(cidr);
  }
  return blocks;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

function describe(error: ValidationError, raw: Record<string, unknown>): string {
  const name = error.property;
  const expected = Object.values(error.constraints ?? {}).map((c) => c.replace(new RegExp(`^${name}\\s*`), ''));
  const shown = SECRET_VARIABLES.has(name) ? '(hidden)' : JSON.stringify(raw[name]);
  return `${name}=${shown}: ${expected.join('; ')}`;
}

/** Parses and validates the environment; throws ConfigValidationError naming every bad variable. */
export function validateEnvironment(raw: Record<string, string | undefined>): EnvironmentVariables {
  // Empty strings count as unset, so `FOO=` in a .env file falls back to the default.
  const known = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined && value !== ''));
  const env = plainToInstance(EnvironmentVariables, known, { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: true, forbidUnknownValues: false });
  const problems = errors.map((e) => describe(e, known));
  if (env.NODE_ENV === 'production') {
    if (env.BITRIX24_ALLOW_INSECURE) {
      problems.push('BITRIX24_ALLOW_INSECURE=true: plain http:// and loopback Bitrix24 addresses are refused when NODE_ENV=production');
    }
    if (!env.TOKEN_ENCRYPTION_KEY) {
      problems.push('TOKEN_ENCRYPTION_KEY: required when NODE_ENV=production (32 random bytes, base64 or hex)');
    }
    if (!env.PUBLIC_URL) {
      problems.push('PUBLIC_URL: required when NODE_ENV=production (the https:// address Bitrix24 calls back)');
    }
  }
  const networks = parseAllowedNetworks(env.BITRIX24_ALLOWED_PRIVATE_NETWORKS);
  if (typeof networks === 'string') problems.push(`BITRIX24_ALLOWED_PRIVATE_NETWORKS=${JSON.stringify(env.BITRIX24_ALLOWED_PRIVATE_NETWORKS)}: ${networks}`);
  if (problems.length) throw new ConfigValidationError(problems);
  return env;
}
