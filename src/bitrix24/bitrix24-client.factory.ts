import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TokenCipher } from '../common/crypto/token-cipher';
import { Bitrix24ConnectionEntity } from './bitrix24-connection.entity';
import { Bitrix24Token } from './bitrix24-token';
import { Bitrix24Client, Bitrix24ClientOptions, Bitrix24Session, CLOUD_OPERATING_LIMIT_SECONDS, ON_PREMISE_OPERATING_LIMIT_SECONDS } from './client/bitrix24-client';
import { Bitrix24Error } from './client/bitrix24-error';
import { LeakyBucket, LeakyBucketRegistry } from './client/leaky-bucket';
import { MethodTimingsRegistry } from './client/method-timings';
import { OutboundHttp } from './client/outbound-http';
import { UrlPolicy } from './client/url-policy';
import { Bitrix24TokenService } from './bitrix24-token.service';
import { Bitrix24ConnectionsRepository } from './bitrix24-connections.repository';

export type ClientTarget =
  | { kind: 'connection'; connectionId: string }
  | { kind: 'webhook'; webhookUrl: string; portalKey: string }
  | { kind: 'token'; clientEndpoint: string; accessToken: string; portalKey: string };

/**
 * Builds the REST client for a connection (or for a webhook/token being verified
 * before anything is stored). One leaky bucket and one record of method timings per
 * stored portal are shared by all clients in this process; a webhook or token being
 * verified gets its own, so caller-named keys never enter the registries.
 */
@Injectable()
export class Bitrix24ClientFactory {
  private readonly buckets = new LeakyBucketRegistry();
  private readonly timings = new MethodTimingsRegistry();
  /** Counts HTTP requests sent to Bitrix24 (benchmarks and diagnostics). */
  httpRequests = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cipher: TokenCipher,
    private readonly tokens: Bitrix24TokenService,
    private readonly connections: Bitrix24ConnectionsRepository,
    private readonly http: OutboundHttp,
  ) {}

  get policy(): UrlPolicy {
    return this.http.policy;
  }

  /**
   * The client of a stored connection. A sync run passes its deadline: until then the
   * client waits out rate limits, operating-time blocks and 503 storms.
   */
  async forConnection(connectionId: string, options: { deadlineAt?: number } = {}): Promise<Bitrix24Client> {
    const row = await this.connections.findById(connectionId);
    if (!row) throw new Bitrix24Error('auth_revoked', 'CONNECTION_NOT_FOUND', 'The connection no longer exists');
    return this.build(this.connectionSession(row), this.buckets.for(row.id, row.rateLimitPerSecond, row.rateLimitBurst), {
      timings: this.timings.for(row.id),
      deadlineAt: options.deadlineAt,
      operatingLimitSeconds: row.edition === 'on_premise' ? ON_PREMISE_OPERATING_LIMIT_SECONDS : CLOUD_OPERATING_LIMIT_SECONDS,
    });
  }

  /** A webhook being verified before it is stored (its own bucket; the key is no longer used). */
  forWebhook(webhookUrl: string, _portalKey?: string): Bitrix24Client {
    const base = webhookUrl.endsWith('/') ? webhookUrl : `${webhookUrl}/`;
    return this.build(staticSession(base, null), new LeakyBucket(2, 50));
  }

  /** A token being verified before it is stored (install, OAuth callback). */
  forToken(token: Bitrix24Token): Bitrix24Client {
    return this.build(staticSession(token.clientEndpoint, token.accessToken), new LeakyBucket(2, 50));
  }

  private build(session: Bitrix24Session, bucket: LeakyBucket, extra: Pick<Bitrix24ClientOptions, 'timings' | 'deadlineAt' | 'operatingLimitSeconds'> = {}): Bitrix24Client {
    return new Bitrix24Client(session, {
      policy: this.policy,
      fetch: this.http.fetch,
      bucket,
      timeoutMs: this.config.bitrix24.requestTimeoutMs,
      retryBaseMs: this.config.bitrix24.retryBaseMs,
      requestBudgetSeconds: this.config.bitrix24.requestBudgetSeconds,
      ...extra,
      onHttpRequest: () => {
        this.httpRequests++;
      },
    });
  }

  private connectionSession(row: Bitrix24ConnectionEntity): Bitrix24Session {
    let base = row.authType === 'webhook' ? this.cipher.open(row.webhookUrlEnc!) : row.clientEndpoint!;
    if (!base.endsWith('/')) base += '/';
    const id = row.id;
    return {
      baseUrl: () => base,
      accessToken: async () => (row.authType === 'webhook' ? null : this.tokens.accessToken(id)),
      refresh: (failed) => this.tokens.refresh(id, failed),
      // A webhook's new address comes only from the owner. For OAuth, the authorization
      // server is the trusted source: refresh once, and follow only if its answer's
      // client_endpoint (checked by the token service under the address policy) is there.
      confirmMove: async (newHost) => {
        if (row.authType !== 'oauth') return false;
        await this.tokens.refresh(id, await this.tokens.accessToken(id));
        const fresh = await this.connections.findById(id);
        if (!fresh?.clientEndpoint || new URL(fresh.clientEndpoint).host.toLowerCase() !== newHost.toLowerCase()) return false;
        base = fresh.clientEndpoint.endsWith('/') ? fresh.clientEndpoint : `${fresh.clientEndpoint}/`;
        return true;
      },
    };
  }
}

function staticSession(baseUrl: string, accessToken: string | null): Bitrix24Session {
  return {
    baseUrl: () => baseUrl,
    accessToken: async () => accessToken,
    refresh: async () => {
      throw new Bitrix24Error('auth_revoked', 'expired_token', 'The access token expired before it was stored');
    },
    confirmMove: async () => false,
  };
}
