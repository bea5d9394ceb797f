import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TokenCipher } from '../common/crypto/token-cipher';
import { Bitrix24ConnectionEntity } from './bitrix24-connection.entity';
import { Bitrix24Token } from './bitrix24-token';
import { Bitrix24Client, Bitrix24ClientOptions, Bitrix24Session, CLOUD_OPERATING_LIMIT_SECONDS, ON_PREMISE_OPERATING_LIMIT_SECONDS } from './client/bitrix24-client';
import { Bitrix24Error } from './client/bitrix24-error';
import { LeakyBucketRegistry } from './client/leaky-bucket';
import { MethodTimingsRegistry } from './client/method-timings';
import { UrlPolicy } from './client/url-policy';
import { Bitrix24TokenService } from './bitrix24-token.service';
import { Bitrix24ConnectionsRepository } from './bitrix24-connections.repository';

export type ClientTarget =
  | { kind: 'connection'; connectionId: string }
  | { kind: 'webhook'; webhookUrl: string; portalKey: string }
  | { kind: 'token'; clientEndpoint: string; accessToken: string; portalKey: string };

/**
 * Builds the REST client for a connection (or for a webhook/token being verified
 * before anything is stored). One leaky bucket per portal is shared by all clients in
 * this process, and so is one record of method timings per stored connection.
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
  ) {}

  get policy(): UrlPolicy {
    return { allowInsecure: this.config.bitrix24.allowInsecure, production: this.config.env === 'production' };
  }

  /**
   * The client of a stored connection. A sync run passes its deadline: until then the
   * client waits out rate limits, operating-time blocks and 503 storms.
   */
  async forConnection(connectionId: string, options: { deadlineAt?: number } = {}): Promise<Bitrix24Client> {
    const row = await this.connections.findById(connectionId);
    if (!row) throw new Bitrix24Error('auth_revoked', 'CONNECTION_NOT_FOUND', 'The connection no longer exists');
    return this.build(this.connectionSession(row), row.memberId, row.rateLimitPerSecond, row.rateLimitBurst, {
      // Only stored connections enter the registry: a webhook or token being verified is named by its caller.
      timings: this.timings.for(row.id),
      deadlineAt: options.deadlineAt,
      operatingLimitSeconds: row.edition === 'on_premise' ? ON_PREMISE_OPERATING_LIMIT_SECONDS : CLOUD_OPERATING_LIMIT_SECONDS,
    });
  }

  forWebhook(webhookUrl: string, portalKey: string): Bitrix24Client {
    const base = webhookUrl.endsWith('/') ? webhookUrl : `${webhookUrl}/`;
    return this.build(staticSession(base, null), portalKey, 2, 50);
  }

  forToken(token: Bitrix24Token): Bitrix24Client {
    return this.build(staticSession(token.clientEndpoint, token.accessToken), token.portalKey, 2, 50);
  }

  private build(session: Bitrix24Session, portalKey: string, perSecond: number, burst: number, extra: Pick<Bitrix24ClientOptions, 'timings' | 'deadlineAt' | 'operatingLimitSeconds'> = {}): Bitrix24Client {
    return new Bitrix24Client(session, {
      policy: this.policy,
      bucket: this.buckets.for(portalKey, perSecond, burst),
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
      moved: async (newBase) => {
        base = newBase;
        const domain = new URL(newBase).host;
        if (row.authType === 'webhook') await this.connections.moveWebhookTo(id, this.cipher.seal(newBase), domain);
        else await this.connections.moveTo(id, newBase, domain);
      },
    };
  }
}

function staticSession(baseUrl: string, accessToken: string | null): Bitrix24Session {
  let base = baseUrl;
  return {
    baseUrl: () => base,
    accessToken: async () => accessToken,
    refresh: async () => {
      throw new Bitrix24Error('auth_revoked', 'expired_token', 'The access token expired before it was stored');
    },
    moved: async (newBase) => {
      base = newBase;
    },
  };
}
