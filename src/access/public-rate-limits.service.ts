import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DomainException } from '../common/errors/domain.exception';
import { BoundedRateLimiter, clientKey } from './bounded-rate-limiter';

export type PublicEndpoint = 'events' | 'install' | 'oauth_callback' | 'app';

/**
 * Limits for what anyone can call without an API key, so each request stays cheap:
 * per client address and endpoint (Bitrix24 callbacks, the OAuth return), per stored
 * portal (events and installs naming it), and failed API-key attempts per client
 * address (checked before the key costs a database query). Over a limit: 429 with
 * Retry-After and the error envelope. Every map is bounded (BoundedRateLimiter).
 */
@Injectable()
export class PublicRateLimits {
  private readonly logger = new Logger(PublicRateLimits.name);
  private readonly perClient: BoundedRateLimiter;
  private readonly perPortal: BoundedRateLimiter;
  private readonly keyFailures: BoundedRateLimiter;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.perClient = new BoundedRateLimiter(config.api.publicRateLimitPerMinute);
    this.perPortal = new BoundedRateLimiter(config.api.portalRateLimitPerMinute);
    this.keyFailures = new BoundedRateLimiter(config.api.keyFailuresPerMinute);
  }

  /** One request to a public endpoint from `ip`. */
  consumeClient(endpoint: PublicEndpoint, ip: string | undefined): void {
    this.refuseIfWaiting(this.perClient.hit(`${endpoint}|${clientKey(ip)}`), `Too many requests to this endpoint from your address`, { endpoint });
  }

  /** One event or install naming a stored portal (by its connection id, never caller input). */
  consumePortal(connectionId: string): void {
    this.refuseIfWaiting(this.perPortal.hit(connectionId), 'Too many requests for this portal', { connectionId });
  }

  /** Before an API key is looked up: refuse an address that failed too often. */
  assertKeyAttemptsAllowed(ip: string | undefined): void {
    this.refuseIfWaiting(this.keyFailures.blocked(clientKey(ip)), 'Too many failed API-key attempts from your address', {});
  }

  recordKeyFailure(ip: string | undefined): void {
    this.keyFailures.hit(clientKey(ip));
  }

  private refuseIfWaiting(seconds: number, message: string, context: Record<string, unknown>): void {
    if (!seconds) return;
    this.logger.warn({ msg: 'rate limited', ...context });
    throw new DomainException('rate_limited', 'rate_limited', `${message}; retry in ${seconds} s`, { retryAfterSeconds: seconds });
  }
}
