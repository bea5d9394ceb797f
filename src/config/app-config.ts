import type { Cidr } from '../bitrix24/client/ip-address';
import { EnvironmentVariables, parseAllowedNetworks } from './environment';

/** The validated configuration, grouped by capability. Built once at boot from the environment. */
export interface AppConfig {
  env: 'development' | 'test' | 'production';
  port: number;
  /** Listen address (HOST). */
  host: string;
  /** Express `trust proxy` (TRUST_PROXY): a hop count or a list of trusted proxy addresses. */
  trustProxy: number | string;
  publicUrl: string;
  logLevel: EnvironmentVariables['LOG_LEVEL'];
  db: {
    /** Absent: the embedded PGlite engine persisted under dataDir. */
    url?: string;
    poolSize: number;
    migrateOnStart: boolean;
    dataDir: string;
  };
  crypto: {
    /** Raw key material; never logged. Absent only outside production (a local key file is used). */
    tokenKey?: string;
    previousKeys: string[];
  };
  bitrix24: {
    clientId?: string;
    clientSecret?: string;
    oauthServers: string[];
    allowInsecure: boolean;
    /** LAN blocks on-premise portals may live in (BITRIX24_ALLOWED_PRIVATE_NETWORKS). */
    allowedPrivateNetworks: Cidr[];
    /** What app.info must answer as CODE: BITRIX24_APP_CODE, else the client id. */
    appCode?: string;
    requestTimeoutMs: number;
    /** BITRIX24_REFRESH_TIMEOUT_MS: the token refresh's own, longer deadline. */
    refreshTimeoutMs: number;
    retryBaseMs: number;
    /** Estimated processing seconds one request may carry (limits.md: a request must end within 60 s). */
    requestBudgetSeconds: number;
    /** BITRIX24_OFFLINE_EVENTS_POLL_MINUTES: cadence of the offline queue for connections without pushed events. */
    offlinePollMinutes: number;
  };
  sync: {
    intervalMinutes: number;
    schedulerEnabled: boolean;
    tickSeconds: number;
    leaseSeconds: number;
    /** SYNC_CONCURRENCY: connections synced at once by this replica (1 on the embedded engine). */
    concurrency: number;
    removalGuardPercent: number;
    runItemsRetentionDays: number;
    shutdownGraceSeconds: number;
    /** How long a full run may wait out rate limits, operating-time blocks and 503 storms. */
    runDeadlineSeconds: number;
  };
  api: {
    rateLimitPerMinute: number;
    /** Unauthenticated endpoints, per client address and endpoint. */
    publicRateLimitPerMinute: number;
    /** Events and install posts per stored portal. */
    portalRateLimitPerMinute: number;
    /** Failed API-key attempts per client address. */
    keyFailuresPerMinute: number;
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export function toAppConfig(env: EnvironmentVariables): AppConfig {
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    trustProxy: /^\d+$/.test(env.TRUST_PROXY) ? Number(env.TRUST_PROXY) : env.TRUST_PROXY,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    logLevel: env.LOG_LEVEL,
    db: {
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      migrateOnStart: env.DATABASE_MIGRATE_ON_START,
      dataDir: env.DATA_DIR,
    },
    crypto: {
      tokenKey: env.TOKEN_ENCRYPTION_KEY,
      previousKeys: (env.TOKEN_ENCRYPTION_PREVIOUS_KEYS ?? '').split(',').filter(Boolean),
    },
    bitrix24: {
      clientId: env.BITRIX24_CLIENT_ID,
      clientSecret: env.BITRIX24_CLIENT_SECRET,
      oauthServers: env.BITRIX24_OAUTH_SERVERS.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean),
      allowInsecure: env.BITRIX24_ALLOW_INSECURE,
      allowedPrivateNetworks: parseAllowedNetworks(env.BITRIX24_ALLOWED_PRIVATE_NETWORKS) as Cidr[],
      appCode: env.BITRIX24_APP_CODE ?? env.BITRIX24_CLIENT_ID,
      requestTimeoutMs: env.BITRIX24_REQUEST_TIMEOUT_MS,
      refreshTimeoutMs: env.BITRIX24_REFRESH_TIMEOUT_MS,
      retryBaseMs: env.BITRIX24_RETRY_BASE_MS,
      requestBudgetSeconds: env.BITRIX24_REQUEST_BUDGET_SECONDS,
      offlinePollMinutes: env.BITRIX24_OFFLINE_EVENTS_POLL_MINUTES,
    },
    sync: {
      intervalMinutes: env.SYNC_INTERVAL_MINUTES,
      schedulerEnabled: env.SYNC_SCHEDULER_ENABLED,
      tickSeconds: env.SYNC_TICK_SECONDS,
      leaseSeconds: env.SYNC_LEASE_SECONDS,
      concurrency: env.SYNC_CONCURRENCY,
      removalGuardPercent: env.SYNC_REMOVAL_GUARD_PERCENT,
      runItemsRetentionDays: env.SYNC_RUN_ITEMS_RETENTION_DAYS,
      shutdownGraceSeconds: env.SYNC_SHUTDOWN_GRACE_SECONDS,
      runDeadlineSeconds: env.SYNC_RUN_DEADLINE_SECONDS,
    },
    api: {
      rateLimitPerMinute: env.API_RATE_LIMIT_PER_MINUTE,
      publicRateLimitPerMinute: env.PUBLIC_RATE_LIMIT_PER_MINUTE,
      portalRateLimitPerMinute: env.PORTAL_RATE_LIMIT_PER_MINUTE,
      keyFailuresPerMinute: env.API_KEY_FAILURES_PER_MINUTE,
    },
  };
}
