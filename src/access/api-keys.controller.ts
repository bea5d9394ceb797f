import { Body, Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { UuidParam } from '../common/id-param';
import { ApiKeyService } from './api-key.service';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto, UpdateApiKeyDto } from './dto/api-key.dto';
import { CurrentPrincipal, Principal } from './principal';
import { RequirePermission } from './require-permission.decorator';

@ApiTags('api-keys')
@ApiBearerAuth()
@ApiErrors(401, 403, 429)
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyService) {}

  @Get()
  @RequirePermission('keys:read')
  @ApiOperation({ summary: "List the account's API keys (never the secrets)" })
  @ApiOkResponse({ type: [ApiKeyDto] })
  list(@CurrentPrincipal() me: Principal): Promise<ApiKeyDto[]> {
    return this.keys.list(me.accountId);
  }

  @Post()
  @ApiOperation({ summary: 'Create a key; the secret is in this response only. A new integrator key revokes the previous one.' })
  @ApiOkResponse({ type: CreatedApiKeyDto })
  @ApiErrors(400)
  create(@CurrentPrincipal() me: Principal, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.keys.create(me.accountId, body, me);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename a key or change its role (owners and admins only for admin/owner roles)' })
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiErrors(400, 404, { status: 409, description: 'api_key_revoked, last_owner_key: the change would leave the account without an owner key' })
  update(@CurrentPrincipal() me: Principal, @UuidParam() id: string, @Body() body: UpdateApiKeyDto): Promise<ApiKeyDto> {
    return this.keys.update(me.accountId, id, body, me);
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a key (it stays listed, marked revoked)' })
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiErrors(400, 404, { status: 409, description: 'last_owner_key: the account keeps at least one owner key' })
  revoke(@CurrentPrincipal() me: Principal, @UuidParam() id: string): Promise<ApiKeyDto> {
    return this.keys.revoke(me.accountId, id, me);
  }
}
