import { Injectable } from '@nestjs/common';
import { notFound } from '../common/errors/domain.exception';
import type { EmployeePageDto } from '../employees/dto/employee.dto';
import { EmployeesService } from '../employees/employees.service';
import { DepartmentDto, DepartmentEmployeesQuery, DepartmentPageDto, ListDepartmentsQuery } from './dto/department.dto';
import { DepartmentRow, DepartmentsRepository } from './departments.repository';

function toDepartmentDto(row: DepartmentRow): DepartmentDto {
  return {
    id: row.id,
    name: row.name,
    parentId: row.parent_id,
    kind: row.kind,
    connectionId: row.connection_id,
    bitrix24DepartmentId: row.bitrix24_id,
    headEmployeeId: row.head_employee_id,
    supervisorEmployeeId: row.supervisor_employee_id,
    headName: row.head_name,
    supervisorName: row.supervisor_name,
    headProblem: row.head_problem,
    present: row.present,
    inScope: row.in_scope,
    employeeCount: row.employee_count,
  };
}

@Injectable()
export class DepartmentsService {
  constructor(
    private readonly departments: DepartmentsRepository,
    private readonly employees: EmployeesService,
  ) {}

  async list(accountId: string, query: ListDepartmentsQuery): Promise<DepartmentPageDto> {
    const { rows, nextCursor } = await this.departments.list(accountId, { connectionId: query.connectionId, q: query.q }, query.limit ?? 200, query.cursor);
    return { items: rows.map(toDepartmentDto), nextCursor };
  }

  async get(accountId: string, id: string): Promise<DepartmentDto> {
    const row = await this.departments.findOne(accountId, id);
    if (!row) throw notFound('Department');
    return toDepartmentDto(row);
  }

  /** The call group: the department's people (and its branch's), through the employee directory. */
  async employeesOf(accountId: string, id: string, query: DepartmentEmployeesQuery): Promise<EmployeePageDto> {
    await this.get(accountId, id);
    return this.employees.list(accountId, {
      departmentId: id,
      includeSubdepartments: query.includeSubdepartments,
      bitrix24State: query.state ? [query.state] : undefined,
      limit: query.limit,
      cursor: query.cursor,
    });
  }
}
