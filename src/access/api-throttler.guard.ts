import { Injectable } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { ExecutionContext } from '@nestjs/common';
import { clientKey } from './bounded-rate-limiter';
import type { RequestWithPrincipal } from './principal';

/**
 * Rate limits per API key (per client address on public routes), so one noisy
 * integration cannot starve the others sharing an address.
 */
@Injectable()
export class ApiThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const principal = (req as RequestWithPrincipal).principal;
    // Per client address on public routes, an IPv6 subscriber counted by its /64.
    return principal ? `key:${principal.keyId}` : `ip:${clientKey(req.ip as string | undefined)}`;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new ThrottlerException(`Too many requests: at most ${detail.limit} per ${Math.round(detail.ttl / 1000)} s; retry in ${detail.timeToBlockExpire} s`);
  }
}
