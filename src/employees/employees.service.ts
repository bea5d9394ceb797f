import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { notFound } from '../common/errors/domain.exception';
import { validationFailed } from '../common/validation';
import { CreateEmployeeDto, EmployeeDto, EmployeePageDto, EmployeeSortDto, ListEmployeesQuery, UpdateEmployeeDto } from './dto/employee.dto';
import { toEmployeeDto } from './employee.mapper';
import { EmployeesRepository } from './employees.repository';
import { ResponsibleEmployeesRepository } from './responsible-employees.repository';

/** Rows per keyset page of the CSV export. */
const EXPORT_PAGE = 1000;

/** Phones typed by a person: digits only, duplicates dropped, order kept (seeds/002: "only digits are retained"). */
export function manualPhoneDigits(phones: string[]): string[] {
  const digits = phones.map((p) => p.replace(/\D/g, ''));
  const bad = digits.find((d) => d.length < 3 || d.length > 20);
  if (bad !== undefined) {
    throw validationFailed([{ field: 'phones', problems: ['must each have 3 to 20 digits'] }]);
  }
  return [...new Set(digits)];
}

const emptyToNull = (value: string | undefined) => (value === undefined ? undefined : value.trim() === '' ? null : value.trim());

@Injectable()
export class EmployeesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly employees: EmployeesRepository,
    private readonly responsible: ResponsibleEmployeesRepository,
  ) {}

  async list(accountId: string, query: ListEmployeesQuery): Promise<EmployeePageDto> {
    const { cursor, limit, sort, ...filter } = query;
    const [{ rows, nextCursor }, total] = await Promise.all([
      this.employees.list(accountId, filter, limit ?? 50, cursor, sort),
      this.employees.count(accountId, filter),
    ]);
    const details = await this.employees.details(accountId, rows.map((r) => r.id));
    return { items: rows.map((row) => toEmployeeDto(row, details)), nextCursor, total };
  }

  /**
   * Every employee the filters match, in the chosen order, one keyset page at a time: the
   * export never holds more than a page in memory and `write` may apply back-pressure.
   */
  async exportPages(accountId: string, query: EmployeeSortDto, write: (employees: EmployeeDto[]) => Promise<void>): Promise<void> {
    const { sort, ...filter } = query;
    let cursor: string | undefined;
    do {
      const page = await this.employees.list(accountId, filter, EXPORT_PAGE, cursor, sort);
      const details = await this.employees.details(accountId, page.rows.map((r) => r.id));
      await write(page.rows.map((row) => toEmployeeDto(row, details)));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  async get(accountId: string, id: string): Promise<EmployeeDto> {
    const row = await this.employees.findOne(accountId, id);
    if (!row) throw notFound('Employee');
    return toEmployeeDto(row, await this.employees.details(accountId, [id]));
  }

  async create(accountId: string, input: CreateEmployeeDto): Promise<EmployeeDto> {
    const phones = manualPhoneDigits(input.phones ?? []);
    const id = await this.db.transaction(async (manager) => {
      const newId = await this.employees.insertManual(manager, accountId, {
        firstName: input.firstName.trim(),
        lastName: input.lastName.trim(),
        middleName: emptyToNull(input.middleName) ?? null,
        email: emptyToNull(input.email) ?? null,
        extension: emptyToNull(input.extension) ?? null,
      });
      await this.employees.replacePhones(manager, accountId, newId, phones, 'manual');
      return newId;
    });
    return this.get(accountId, id);
  }

  async update(accountId: string, id: string, input: UpdateEmployeeDto): Promise<EmployeeDto> {
    const phones = input.phones ? manualPhoneDigits(input.phones) : undefined;
    await this.db.transaction(async (manager) => {
      if (!(await this.employees.findOne(accountId, id, manager))) throw notFound('Employee');
      await this.employees.update(manager, accountId, id, {
        first_name: input.firstName?.trim(),
        last_name: input.lastName?.trim(),
        middle_name: emptyToNull(input.middleName),
        email: emptyToNull(input.email),
        extension: emptyToNull(input.extension),
      });
      if (phones) await this.employees.replacePhones(manager, accountId, id, phones, 'manual');
    });
    return this.get(accountId, id);
  }

  /** Soft deactivation; a deactivated employee also leaves the responsible list. */
  async setActive(accountId: string, id: string, active: boolean): Promise<EmployeeDto> {
    await this.db.transaction(async (manager) => {
      if (!(await this.employees.setActive(manager, accountId, id, active))) throw notFound('Employee');
      if (!active) await this.responsible.remove(accountId, [id], manager);
    });
    return this.get(accountId, id);
  }
}
