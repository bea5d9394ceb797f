import { Body, Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { PublicRateLimits } from '../access/public-rate-limits.service';
import { CurrentPrincipal, Principal } from '../access/principal';
import { Public } from '../access/public.decorator';
import { RequirePermission } from '../access/require-permission.decorator';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ApiErrors } from '../common/api-errors.decorator';
import { DomainException } from '../common/errors/domain.exception';
import { toErrorEnvelope } from '../common/errors/api-exception.filter';
import { Bitrix24OAuthService, OAuthCallbackQuery } from './bitrix24-oauth.service';
import { StartOAuthDto, StartOAuthResponseDto } from './dto/connection.dto';
import { MESSAGE_PAGE_CSP, messagePage } from './html-page';

@ApiTags('bitrix24')
@Controller()
export class Bitrix24OAuthController {
  constructor(
    private readonly oauth: Bitrix24OAuthService,
    private readonly limits: PublicRateLimits,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('api/v1/bitrix24/oauth/start')
  @ApiBearerAuth()
  @RequirePermission('connections:manage')
  @ApiOperation({ summary: 'Start connecting a portal: returns the Bitrix24 authorization URL to open in the browser' })
  @ApiOkResponse({ type: StartOAuthResponseDto })
  @ApiErrors(
    { status: 400, description: 'invalid_portal, insecure_url, private_address (the host is on a refused network)' },
    401,
    403,
    { status: 409, description: 'portal_connected_elsewhere: another account holds this portal' },
    { status: 422, description: 'host_not_found (the host does not resolve), portal_unreachable (nothing answers there)' },
    429,
    { status: 503, description: 'oauth_not_configured: no Bitrix24 application is configured on this service' },
  )
  start(@CurrentPrincipal() me: Principal, @Body() body: StartOAuthDto): Promise<StartOAuthResponseDto> {
    return this.oauth.start(me.accountId, me.keyId, body.portal);
  }

  /** Bitrix24 sends the browser here; it never carries an API key. */
  @Get('bitrix24/oauth/callback')
  @Public()
  @SkipThrottle()
  @ApiExcludeEndpoint()
  async callback(@Req() req: Request, @Query() query: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const params: OAuthCallbackQuery = {
      code: text(query.code),
      state: text(query.state),
      domain: text(query.domain),
      member_id: text(query.member_id),
      scope: text(query.scope),
      server_domain: text(query.server_domain),
    };
    try {
      this.limits.consumeClient('oauth_callback', req.ip);
      const connectionId = await this.oauth.callback(params);
      res.redirect(302, `${this.config.publicUrl}/?connected=${encodeURIComponent(connectionId)}#connection`);
    } catch (error) {
      const { status, body, headers } = toErrorEnvelope(error instanceof DomainException ? error : new DomainException('upstream', 'oauth_failed', 'Connecting the portal failed. Start again from the settings page.'));
      for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
      res
        .status(status)
        .setHeader('Content-Security-Policy', MESSAGE_PAGE_CSP)
        .type('html')
        .send(messagePage('Bitrix24 was not connected', body.error.message, { href: `${this.config.publicUrl}/#connection`, label: 'Back to the settings page' }));
    }
  }
}
