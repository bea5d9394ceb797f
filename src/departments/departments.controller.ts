import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { CurrentPrincipal, Principal } from '../access/principal';
import { RequirePermission } from '../access/require-permission.decorator';
import { UuidParam } from '../common/id-param';
import { EmployeePageDto } from '../employees/dto/employee.dto';
import { DepartmentDto, DepartmentEmployeesQuery, DepartmentPageDto, ListDepartmentsQuery } from './dto/department.dto';
import { DepartmentsService } from './departments.service';

@ApiTags('departments')
@ApiBearerAuth()
@ApiErrors(401, 403, 429)
@Controller('api/v1/departments')
export class DepartmentsController {
  constructor(private readonly departments: DepartmentsService) {}

  @Get()
  @RequirePermission('employees:read')
  @ApiOperation({ summary: 'The organization tree: the account’s root, a node per portal, the portals’ Bitrix24 departments (build the tree from parentId)' })
  @ApiErrors({ status: 400, description: 'A filter or the cursor is invalid' })
  @ApiOkResponse({ type: DepartmentPageDto })
  list(@CurrentPrincipal() me: Principal, @Query() query: ListDepartmentsQuery): Promise<DepartmentPageDto> {
    return this.departments.list(me.accountId, query);
  }

  @Get(':id')
  @RequirePermission('employees:read')
  @ApiOperation({ summary: 'One department with its head, supervisor and whether it is in the selection' })
  @ApiErrors({ status: 400, description: 'The id is not a UUID' }, { status: 404, description: 'No such department in this account' })
  @ApiOkResponse({ type: DepartmentDto })
  get(@CurrentPrincipal() me: Principal, @UuidParam() id: string): Promise<DepartmentDto> {
    return this.departments.get(me.accountId, id);
  }

  @Get(':id/employees')
  @RequirePermission('employees:read')
  @ApiOperation({ summary: 'The department’s people (the call group), optionally with its subdepartments and only active links; cursor-paginated' })
  @ApiErrors({ status: 400, description: 'The id, a filter or the cursor is invalid' }, { status: 404, description: 'No such department in this account' })
  @ApiOkResponse({ type: EmployeePageDto })
  employees(@CurrentPrincipal() me: Principal, @UuidParam() id: string, @Query() query: DepartmentEmployeesQuery): Promise<EmployeePageDto> {
    return this.departments.employeesOf(me.accountId, id, query);
  }
}
