import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request } from 'express';
import { Public } from '../access/public.decorator';
import { PublicRateLimits } from '../access/public-rate-limits.service';
import { Bitrix24EventsService } from './bitrix24-events.service';

/**
 * Public endpoints Bitrix24 posts to (form-encoded, `auth[...]` keys). Anyone can post,
 * so each is rate limited per client address before it costs anything, and the body
 * is checked field by field in the service. They answer as soon as the work is
 * durably queued; the import itself runs afterwards.
 */
@ApiExcludeController()
@Public()
@SkipThrottle()
@Controller('bitrix24')
export class Bitrix24EventsController {
  constructor(
    private readonly events: Bitrix24EventsService,
    private readonly limits: PublicRateLimits,
  ) {}

  @Post('install')
  @HttpCode(200)
  async install(@Req() req: Request, @Body() body: unknown): Promise<{ ok: true; bound: boolean }> {
    this.limits.consumeClient('install', req.ip);
    const result = await this.events.install(body ?? {});
    return { ok: true, bound: result.bound };
  }

  @Post('events')
  @HttpCode(200)
  async receive(@Req() req: Request, @Body() body: unknown): Promise<{ ok: true; accepted: boolean }> {
    this.limits.consumeClient('events', req.ip);
    const result = await this.events.handle(body ?? {});
    return { ok: true, accepted: result.accepted };
  }
}
