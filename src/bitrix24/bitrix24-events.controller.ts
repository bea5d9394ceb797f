import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../access/public.decorator';
import { Bitrix24EventPayload, Bitrix24EventsService } from './bitrix24-events.service';

/**
 * Public endpoints Bitrix24 posts to (form-encoded, `auth[...]` keys). They answer as
 * soon as the work is durably queued; the import itself runs afterwards.
 */
@ApiExcludeController()
@Public()
@SkipThrottle()
@Controller('bitrix24')
export class Bitrix24EventsController {
  constructor(private readonly events: Bitrix24EventsService) {}

  @Post('install')
  @HttpCode(200)
  async install(@Body() body: Bitrix24EventPayload): Promise<{ ok: true; bound: boolean }> {
    const result = await this.events.install(body ?? {});
    return { ok: true, bound: result.bound };
  }

  @Post('events')
  @HttpCode(200)
  async receive(@Body() body: Bitrix24EventPayload): Promise<{ ok: true; accepted: boolean }> {
    const result = await this.events.handle(body ?? {});
    return { ok: true, accepted: result.accepted };
  }
}
