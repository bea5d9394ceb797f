import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AccountsService } from './accounts.service';
import { MeDto, MeFeaturesDto } from './dto/api-key.dto';
import { CurrentPrincipal, Principal } from './principal';
import { RequirePermission } from './require-permission.decorator';

/** What the settings page needs to know about the service to offer only what works. */
export function featuresOf(config: AppConfig): MeFeaturesDto {
  return {
    bitrix24OAuth: Boolean(config.bitrix24.clientId && config.bitrix24.clientSecret),
    insecurePortals: config.bitrix24.allowInsecure,
  };
}

@ApiTags('access')
@ApiBearerAuth()
@Controller('api/v1/me')
export class MeController {
  constructor(
    private readonly accounts: AccountsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @RequirePermission('account:read')
  @ApiOperation({ summary: 'Who this API key is: account, key, role, permissions, and the features the service offers' })
  @ApiOkResponse({ type: MeDto })
  @ApiErrors(401, 403, 429)
  async me(@CurrentPrincipal() me: Principal): Promise<MeDto> {
    return { ...(await this.accounts.describe(me)), features: featuresOf(this.config) };
  }
}
