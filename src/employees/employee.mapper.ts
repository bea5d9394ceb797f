import type { EmployeeDto } from './dto/employee.dto';
import type { EmployeeDetails, EmployeeRow } from './employees.repository';

/** The one mapping from stored rows to the API's employee shape. */
export function toEmployeeDto(row: EmployeeRow, details: EmployeeDetails): EmployeeDto {
  return {
    id: row.id,
    firstName: row.first_name,
    lastName: row.last_name,
    middleName: row.middle_name,
    email: row.email,
    extension: row.extension,
    source: row.source,
    active: row.active,
    responsible: row.responsible,
    phones: (details.phones.get(row.id) ?? []).map((p) => ({ number: p.digits, source: p.source })),
    departments: (details.departments.get(row.id) ?? []).map((d) => ({
      id: d.id,
      connectionId: d.connection_id,
      bitrix24DepartmentId: d.bitrix24_id,
      name: d.name,
    })),
    managerId: row.manager_id ?? null,
    managerName: row.manager_name ?? null,
    bitrix24Links: (details.links.get(row.id) ?? []).map((l) => ({
      connectionId: l.connection_id,
      bitrix24UserId: l.bitrix24_user_id,
      state: l.state,
      stateSince: l.state_since.toISOString(),
      matchedBy: l.matched_by,
      linkedAt: l.linked_at.toISOString(),
    })),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    deactivatedAt: row.deactivated_at?.toISOString() ?? null,
  };
}
