import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainException, notFound } from '../common/errors/domain.exception';
import { BulkAddResponsibleDto, BulkAddResponsibleResultDto, ResponsibleListDto } from './dto/responsible.dto';
import { toEmployeeDto } from './employee.mapper';
import { EmployeesRepository } from './employees.repository';
import { ResponsibleEmployeesRepository } from './responsible-employees.repository';

@Injectable()
export class ResponsibleEmployeesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly responsible: ResponsibleEmployeesRepository,
    private readonly employees: EmployeesRepository,
  ) {}

  async list(accountId: string): Promise<ResponsibleListDto> {
    const rows = await this.employees.listResponsible(accountId);
    const details = await this.employees.details(accountId, rows.map((r) => r.id));
    return { items: rows.map((row) => toEmployeeDto(row, details)) };
  }

  async replace(accountId: string, employeeIds: string[]): Promise<ResponsibleListDto> {
    const unique = [...new Set(employeeIds.map((id) => id.toLowerCase()))];
    await this.db.transaction(async (manager) => {
      const unknown = await this.responsible.unknownIds(accountId, unique, manager);
      if (unknown.length) {
        throw new DomainException('unprocessable', 'unknown_employees', 'Some ids are not employees of this account', { employeeIds: unknown });
      }
      await this.assertActive(accountId, unique, manager);
      await this.responsible.replace(accountId, unique, manager);
    });
    return this.list(accountId);
  }

  async addMatching(accountId: string, input: BulkAddResponsibleDto): Promise<BulkAddResponsibleResultDto> {
    const { dryRun, ...filter } = input;
    const r = await this.responsible.addMatching(accountId, filter, Boolean(dryRun));
    return { matched: r.matched, added: r.added, eligible: r.eligible, alreadyOnList: r.already, skippedInactive: r.inactive, skippedDismissed: r.left, dryRun: Boolean(dryRun) };
  }

  async add(accountId: string, employeeId: string): Promise<ResponsibleListDto> {
    await this.db.transaction(async (manager) => {
      if (!(await this.employees.findOne(accountId, employeeId, manager))) throw notFound('Employee');
      await this.assertActive(accountId, [employeeId], manager);
      await this.responsible.add(accountId, [employeeId], manager);
    });
    return this.list(accountId);
  }

  async remove(accountId: string, employeeId: string): Promise<ResponsibleListDto> {
    if (!(await this.employees.findOne(accountId, employeeId))) throw notFound('Employee');
    await this.responsible.remove(accountId, [employeeId]);
    return this.list(accountId);
  }

  /** A deactivated employee cannot take calls, so it cannot be responsible for them. */
  private async assertActive(accountId: string, ids: string[], manager: import('typeorm').EntityManager): Promise<void> {
    if (!ids.length) return;
    const rows: Array<{ id: string }> = await manager.query(
      `SELECT id FROM employee WHERE account_id = $1 AND id = ANY($2::uuid[]) AND NOT active`,
      [accountId, ids],
    );
    if (rows.length) {
      throw new DomainException('unprocessable', 'inactive_employees', 'Deactivated employees cannot be responsible; activate them first', {
        employeeIds: rows.map((r) => r.id),
      });
    }
  }
}
