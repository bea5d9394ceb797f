import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Role } from './permissions';

/** The authenticated caller: an API key of one account. Every query is scoped by accountId. */
export interface Principal {
  accountId: string;
  keyId: string;
  keyName: string;
  role: Role;
}

export type RequestWithPrincipal = { principal?: Principal };

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a public route');
  return principal;
});
