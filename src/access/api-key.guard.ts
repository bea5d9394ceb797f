import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainException } from '../common/errors/domain.exception';
import { addToLogContext } from '../common/logging/log-context';
import { ApiKeyService } from './api-key.service';
import { Permission, roleHas } from './permissions';
import type { RequestWithPrincipal } from './principal';
import { IS_PUBLIC } from './public.decorator';
import { PublicRateLimits } from './public-rate-limits.service';
import { REQUIRED_PERMISSION } from './require-permission.decorator';

/**
 * Every route needs `Authorization: Bearer <key>` unless marked @Public(). The key
 * decides the account (every query is scoped by it) and the role; a route's
 * @RequirePermission is checked here, and a refusal names the missing permission.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
    private readonly limits: PublicRateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<Request & RequestWithPrincipal>();
    const header = req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      throw new DomainException('unauthenticated', 'unauthenticated', 'Send an API key as "Authorization: Bearer <key>"');
    }
    // Guessing keys is throttled per address before a guess costs a database query.
    this.limits.assertKeyAttemptsAllowed(req.ip);
    const principal = await this.keys.authenticate(match[1]);
    if (!principal) {
      this.limits.recordKeyFailure(req.ip);
      throw new DomainException('unauthenticated', 'invalid_api_key', 'The API key is unknown or revoked');
    }
    req.principal = principal;
    const needed = this.reflector.getAllAndOverride<Permission | undefined>(REQUIRED_PERMISSION, targets);
    if (needed && !roleHas(principal.role, needed)) {
      throw new DomainException('forbidden', 'forbidden', `Your key's role (${principal.role}) lacks the permission '${needed}'`, {
        missingPermission: needed,
      });
    }
    addToLogContext({ accountId: principal.accountId });
    return true;
  }
}
