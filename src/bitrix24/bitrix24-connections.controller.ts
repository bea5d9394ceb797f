import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, Principal } from '../access/principal';
import { RequirePermission } from '../access/require-permission.decorator';
import { ApiErrors } from '../common/api-errors.decorator';
import { UuidParam } from '../common/id-param';
import { Bitrix24ConnectionsService } from './bitrix24-connections.service';
import { ConnectionDto, CreateWebhookConnectionDto, UpdateConnectionDto } from './dto/connection.dto';

@ApiTags('bitrix24')
@ApiBearerAuth()
@ApiErrors(401, 403, 429)
@Controller('api/v1/bitrix24/connections')
export class Bitrix24ConnectionsController {
  constructor(private readonly connections: Bitrix24ConnectionsService) {}

  @Get()
  @RequirePermission('connections:read')
  @ApiOperation({ summary: "The account's Bitrix24 connections" })
  @ApiOkResponse({ type: [ConnectionDto] })
  list(@CurrentPrincipal() me: Principal): Promise<ConnectionDto[]> {
    return this.connections.list(me.accountId);
  }

  @Post()
  @RequirePermission('connections:manage')
  @ApiOperation({ summary: 'Connect a portal with an incoming webhook (checked with a real call before saving)' })
  @ApiResponse({ status: 201, type: ConnectionDto, description: 'Connected' })
  @ApiResponse({ status: 200, type: ConnectionDto, description: 'The same webhook again: updated' })
  @ApiErrors(
    { status: 400, description: 'invalid_webhook_url, private_address (the host is on a refused network), or an invalid field' },
    { status: 409, description: 'portal_connected_elsewhere: another account holds this portal' },
    { status: 422, description: 'portal_unreachable, portal_moved, webhook_scope_insufficient, webhook_user_not_admin' },
  )
  async createWebhook(@CurrentPrincipal() me: Principal, @Body() body: CreateWebhookConnectionDto, @Res({ passthrough: true }) res: Response): Promise<ConnectionDto> {
    const { connection, created } = await this.connections.createWebhook(me.accountId, body);
    res.status(created ? 201 : 200);
    return connection;
  }

  @Get(':id')
  @RequirePermission('connections:read')
  @ApiOperation({ summary: 'One connection: portal, state, settings, last runs and next sync' })
  @ApiOkResponse({ type: ConnectionDto })
  @ApiErrors(400, 404)
  get(@CurrentPrincipal() me: Principal, @UuidParam() id: string): Promise<ConnectionDto> {
    return this.connections.get(me.accountId, id);
  }

  @Patch(':id')
  @RequirePermission('connections:manage')
  @ApiOperation({ summary: 'Change sync settings: edition, extranet, default country, schedule, removal guard, rate limit, department selection, sync managers (a new selection queues a full run)' })
  @ApiOkResponse({ type: ConnectionDto })
  @ApiErrors(400, 404, { status: 403, description: "The role lacks 'connections:manage', or raising removalGuardPercent above the service default without 'sync:confirm_removals'" })
  update(@CurrentPrincipal() me: Principal, @UuidParam() id: string, @Body() body: UpdateConnectionDto): Promise<ConnectionDto> {
    return this.connections.update(me.accountId, id, body, me);
  }

  @Delete(':id')
  @HttpCode(200)
  @RequirePermission('connections:manage')
  @ApiOperation({ summary: 'Disconnect: stop syncing and forget the credentials; every imported employee stays' })
  @ApiOkResponse({ type: ConnectionDto })
  @ApiErrors(400, 404)
  disconnect(@CurrentPrincipal() me: Principal, @UuidParam() id: string): Promise<ConnectionDto> {
    return this.connections.disconnect(me.accountId, id);
  }
}
