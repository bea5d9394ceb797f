import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AccountsService } from './accounts.service';
import { MeDto } from './dto/api-key.dto';
import { CurrentPrincipal, Principal } from './principal';
import { RequirePermission } from './require-permission.decorator';

@ApiTags('access')
@ApiBearerAuth()
@Controller('api/v1/me')
export class MeController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @RequirePermission('account:read')
  @ApiOperation({ summary: 'Who this API key is: account, key, role and permissions' })
  @ApiOkResponse({ type: MeDto })
  me(@CurrentPrincipal() me: Principal): Promise<MeDto> {
    return this.accounts.describe(me);
  }
}
