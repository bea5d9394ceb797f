import { once } from 'node:events';
import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '../access/principal';
import { RequirePermission } from '../access/require-permission.decorator';
import { DomainException } from '../common/errors/domain.exception';
import { ApiErrors } from '../common/api-errors.decorator';
import { UuidParam } from '../common/id-param';
import { CreateEmployeeDto, EmployeeDto, EmployeePageDto, EmployeeSortDto, ListEmployeesQuery, UpdateEmployeeDto } from './dto/employee.dto';
import { employeeCsvHeader, employeeCsvLine } from './employee-csv';
import { EmployeesService } from './employees.service';

@ApiTags('employees')
@ApiBearerAuth()
@ApiErrors(401, 403, 429)
@Controller('api/v1/employees')
export class EmployeesController {
  constructor(private readonly employees: EmployeesService) {}

  @Get()
  @RequirePermission('employees:read')
  @ApiOperation({ summary: 'List employees with filters and a total; cursor pagination in the chosen sort (last name by default)' })
  @ApiErrors({ status: 400, description: 'A filter, the sort or the cursor is invalid' })
  @ApiOkResponse({ type: EmployeePageDto })
  list(@CurrentPrincipal() me: Principal, @Query() query: ListEmployeesQuery): Promise<EmployeePageDto> {
    return this.employees.list(me.accountId, query);
  }

  // Before ':id', which would take "export.csv" for an id.
  @Get('export.csv')
  @RequirePermission('employees:read')
  @ApiOperation({ summary: 'The employees the filters match, as CSV (streamed; cells that a spreadsheet would run as formulas are neutralized)' })
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'text/csv; charset=utf-8, with a byte-order mark', schema: { type: 'string' } })
  @ApiErrors({ status: 400, description: 'A filter is invalid' })
  async exportCsv(@CurrentPrincipal() me: Principal, @Query() query: EmployeeSortDto, @Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="employees-${new Date().toISOString().slice(0, 10)}.csv"`);
    res.setHeader('Cache-Control', 'no-store');
    res.write(employeeCsvHeader());
    try {
      await this.employees.exportPages(me.accountId, query, async (employees) => {
        if (!employees.length) return;
        const more = res.write(employees.map(employeeCsvLine).join(''));
        if (!more) await once(res, 'drain');
      });
    } catch (error) {
      // The status line is gone already: cut the body short so the file is visibly incomplete.
      res.destroy(error as Error);
      return;
    }
    res.end();
  }

  @Get(':id')
  @RequirePermission('employees:read')
  @ApiOperation({ summary: 'One employee with phones, extension, departments, Bitrix24 links and responsible flag' })
  @ApiOkResponse({ type: EmployeeDto })
  @ApiErrors(400, 404)
  get(@CurrentPrincipal() me: Principal, @UuidParam() id: string): Promise<EmployeeDto> {
    return this.employees.get(me.accountId, id);
  }

  @Post()
  @RequirePermission('employees:write')
  @ApiOperation({ summary: 'Create a manual employee' })
  @ApiResponse({ status: 201, type: EmployeeDto })
  @ApiErrors(400)
  create(@CurrentPrincipal() me: Principal, @Body() body: CreateEmployeeDto): Promise<EmployeeDto> {
    return this.employees.create(me.accountId, body);
  }

  @Patch(':id')
  @RequirePermission('employees:write')
  @ApiOperation({ summary: 'Edit an employee (fields synced from Bitrix24 are overwritten by the next import)' })
  @ApiOkResponse({ type: EmployeeDto })
  @ApiErrors(400, 404)
  update(@CurrentPrincipal() me: Principal, @UuidParam() id: string, @Body() body: UpdateEmployeeDto): Promise<EmployeeDto> {
    return this.employees.update(me.accountId, id, body);
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @RequirePermission('employees:deactivate')
  @ApiOperation({ summary: 'Deactivate (soft); also removes the employee from the responsible list' })
  @ApiOkResponse({ type: EmployeeDto })
  @ApiErrors(400, 404)
  deactivate(@CurrentPrincipal() me: Principal, @UuidParam() id: string): Promise<EmployeeDto> {
    return this.employees.setActive(me.accountId, id, false);
  }

  @Post(':id/activate')
  @HttpCode(200)
  @RequirePermission('employees:write')
  @ApiOperation({ summary: 'Activate a deactivated employee' })
  @ApiOkResponse({ type: EmployeeDto })
  @ApiErrors(400, 404)
  activate(@CurrentPrincipal() me: Principal, @UuidParam() id: string): Promise<EmployeeDto> {
    return this.employees.setActive(me.accountId, id, true);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Not allowed: employees are never deleted (deactivate instead)' })
  @ApiParam({ name: 'id', type: String, format: 'uuid', description: 'The employee (who stays, whatever the id)' })
  @ApiErrors({ status: 405, description: 'employees_are_never_deleted: employees are never deleted' })
  delete(): never {
    throw new DomainException('not_allowed', 'employees_are_never_deleted', 'Employees are never deleted; use POST /api/v1/employees/{id}/deactivate');
  }
}
