import { Body, Controller, Delete, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '../access/principal';
import { RequirePermission } from '../access/require-permission.decorator';
import { ApiErrors } from '../common/api-errors.decorator';
import { UuidParam } from '../common/id-param';
import { BulkAddResponsibleDto, BulkAddResponsibleResultDto, ReplaceResponsibleDto, ResponsibleListDto } from './dto/responsible.dto';
import { ResponsibleEmployeesService } from './responsible-employees.service';

@ApiTags('responsible-employees')
@ApiBearerAuth()
@ApiErrors(401, 403, 429)
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
  @ApiErrors(400, { status: 422, description: 'unknown_employees, inactive_employees: some ids cannot be on the list' })
  replace(@CurrentPrincipal() me: Principal, @Body() body: ReplaceResponsibleDto): Promise<ResponsibleListDto> {
    return this.responsible.replace(me.accountId, body.employeeIds);
  }

  // Before ':employeeId', which would take "bulk" for an id.
  @Post('bulk')
  @HttpCode(200)
  @RequirePermission('responsible:write')
  @ApiOperation({ summary: 'Add everyone the employee filters match (one statement); dismissed/deleted and deactivated people are left out and counted. dryRun only counts.' })
  @ApiOkResponse({ type: BulkAddResponsibleResultDto })
  @ApiErrors({ status: 400, description: 'A filter is invalid' })
  bulk(@CurrentPrincipal() me: Principal, @Body() body: BulkAddResponsibleDto): Promise<BulkAddResponsibleResultDto> {
    return this.responsible.addMatching(me.accountId, body);
  }

  @Post(':employeeId')
  @HttpCode(200)
  @RequirePermission('responsible:write')
  @ApiOperation({ summary: 'Add one employee to the list' })
  @ApiOkResponse({ type: ResponsibleListDto })
  @ApiErrors(400, 404, { status: 422, description: 'inactive_employees: a deactivated or dismissed employee cannot be responsible' })
  add(@CurrentPrincipal() me: Principal, @UuidParam('employeeId') employeeId: string): Promise<ResponsibleListDto> {
    return this.responsible.add(me.accountId, employeeId);
  }

  @Delete(':employeeId')
  @HttpCode(200)
  @RequirePermission('responsible:write')
  @ApiOperation({ summary: 'Remove one employee from the list' })
  @ApiOkResponse({ type: ResponsibleListDto })
  @ApiErrors(400, 404)
  remove(@CurrentPrincipal() me: Principal, @UuidParam('employeeId') employeeId: string): Promise<ResponsibleListDto> {
    return this.responsible.remove(me.accountId, employeeId);
  }
}
