import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '../access/principal';
import { RequirePermission } from '../access/require-permission.decorator';
import { ApiErrors } from '../common/api-errors.decorator';
import { UuidParam } from '../common/id-param';
import { CheckUserDto, UserCheckDto } from './dto/user-check.dto';
import { UserCheckService } from './user-check.service';

@ApiTags('review')
@ApiBearerAuth()
@ApiErrors(401, 403, 429)
@Controller('api/v1/bitrix24/connections')
export class UserCheckController {
  constructor(private readonly checks: UserCheckService) {}

  @Post(':id/check-user')
  @HttpCode(200)
  @RequirePermission('sync:run')
  @ApiOperation({ summary: 'Check one person: fetched, in scope, required fields, match and the planned action with field changes; apply imports them now' })
  @ApiOkResponse({ type: UserCheckDto })
  @ApiErrors(
    { status: 400, description: 'Neither or both of bitrix24UserId and email, or an invalid value' },
    404,
    { status: 409, description: 'connection_not_active: the connection needs reconnecting first' },
    { status: 502, description: 'Bitrix24 answered with an error' },
  )
  check(@CurrentPrincipal() me: Principal, @UuidParam() id: string, @Body() body: CheckUserDto): Promise<UserCheckDto> {
    return this.checks.check(me.accountId, id, body, me.keyId);
  }
}
