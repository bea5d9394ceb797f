import { Body, Controller, Delete, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '../access/principal';
import { RequirePermission } from '../access/require-permission.decorator';
import { ApiErrors } from '../common/api-errors.decorator';
import { PositiveIntParam, UuidParam } from '../common/id-param';
import { SetUserLinkDto, UserExclusionDto, UserLinkDto } from './dto/user-link.dto';
import { UserLinksService } from './user-links.service';

@ApiTags('review')
@ApiBearerAuth()
@ApiErrors(401, 403, 429)
@Controller('api/v1/bitrix24/connections/:id')
export class UserLinksController {
  constructor(private readonly links: UserLinksService) {}

  @Put('user-links/:bitrix24UserId')
  @RequirePermission('employees:write')
  @ApiOperation({ summary: 'Link a Bitrix24 user to the chosen employee (settles ambiguous_email, email_linked_elsewhere); every later run keeps it' })
  @ApiOkResponse({ type: UserLinkDto })
  @ApiErrors(400, { status: 404, description: 'connection_not_found, employee_not_found' }, { status: 409, description: 'employee_linked_elsewhere: the employee stands for another user of this portal' })
  link(@CurrentPrincipal() me: Principal, @UuidParam() id: string, @PositiveIntParam('bitrix24UserId') bitrix24UserId: number, @Body() body: SetUserLinkDto): Promise<UserLinkDto> {
    return this.links.link(me, id, bitrix24UserId, body.employeeId);
  }

  @Delete('user-links/:bitrix24UserId')
  @RequirePermission('employees:write')
  @ApiOperation({ summary: 'Unlink a Bitrix24 user and exclude them from matching until the exclusion is removed; the employee stays' })
  @ApiOkResponse({ type: UserLinkDto })
  @ApiErrors(400, 404)
  unlink(@CurrentPrincipal() me: Principal, @UuidParam() id: string, @PositiveIntParam('bitrix24UserId') bitrix24UserId: number): Promise<UserLinkDto> {
    return this.links.unlink(me, id, bitrix24UserId);
  }

  @Get('user-exclusions')
  @RequirePermission('connections:read')
  @ApiOperation({ summary: 'Bitrix24 users the owner excluded from matching' })
  @ApiOkResponse({ type: [UserExclusionDto] })
  @ApiErrors(400, 404)
  exclusions(@CurrentPrincipal() me: Principal, @UuidParam() id: string): Promise<UserExclusionDto[]> {
    return this.links.exclusions(me.accountId, id);
  }

  @Delete('user-exclusions/:bitrix24UserId')
  @RequirePermission('employees:write')
  @ApiOperation({ summary: 'Remove an exclusion: the next run matches the user automatically again' })
  @ApiOkResponse({ type: UserLinkDto })
  @ApiErrors(400, { status: 404, description: 'connection_not_found, exclusion_not_found' })
  removeExclusion(@CurrentPrincipal() me: Principal, @UuidParam() id: string, @PositiveIntParam('bitrix24UserId') bitrix24UserId: number): Promise<UserLinkDto> {
    return this.links.removeExclusion(me, id, bitrix24UserId);
  }
}
