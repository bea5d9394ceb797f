import { Body, Controller, Delete, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '../access/principal';
import { RequirePermission } from '../access/require-permission.decorator';
import { UuidParam } from '../common/id-param';
import { ReplaceResponsibleDto, ResponsibleListDto } from './dto/responsible.dto';
import { ResponsibleEmployeesService } from './responsible-employees.service';

@ApiTags('responsible-employees')
@ApiBearerAuth()
@Controller('api/v1/responsible-employees')
export class ResponsibleEmployeesController {
  constructor(private readonly responsible: ResponsibleEmployeesService) {}

  @Get()
  @RequirePermission('responsible:read')
  @ApiOperation({ summary: 'Employees that calls and CRM records can be assigned to' })
  @ApiOkResponse({ type: ResponsibleListDto })
  list(@CurrentPrincipal() me: Principal): Promise<ResponsibleListDto> {
    return this.responsible.list(me.accountId);
  }

  @Put()
  @RequirePermission('responsible:write')
  @ApiOperation({ summary: 'Replace the whole list' })
  @ApiOkResponse({ type: ResponsibleListDto })
  replace(@CurrentPrincipal() me: Principal, @Body() body: ReplaceResponsibleDto): Promise<ResponsibleListDto> {
    return this.responsible.replace(me.accountId, body.employeeIds);
  }

  @Post(':employeeId')
  @HttpCode(200)
  @RequirePermission('responsible:write')
  @ApiOperation({ summary: 'Add one employee to the list' })
  @ApiOkResponse({ type: ResponsibleListDto })
  add(@CurrentPrincipal() me: Principal, @UuidParam('employeeId') employeeId: string): Promise<ResponsibleListDto> {
    return this.responsible.add(me.accountId, employeeId);
  }

  @Delete(':employeeId')
  @HttpCode(200)
  @RequirePermission('responsible:write')
  @ApiOperation({ summary: 'Remove one employee from the list' })
  @ApiOkResponse({ type: ResponsibleListDto })
  remove(@CurrentPrincipal() me: Principal, @UuidParam('employeeId') employeeId: string): Promise<ResponsibleListDto> {
    return this.responsible.remove(me.accountId, employeeId);
  }
}
