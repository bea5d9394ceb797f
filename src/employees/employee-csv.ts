import type { EmployeeDto } from './dto/employee.dto';

/**
 * The directory as CSV (RFC 4180: every cell quoted, quotes doubled, CRLF), safe to open in a
 * spreadsheet: a cell that starts with = + - @ or a tab/CR would be read as a formula
 * (OWASP "CSV injection"), so it gets a leading apostrophe. A UTF-8 byte-order mark makes
 * Excel read Cyrillic names correctly.
 */
export const CSV_BOM = '\uFEFF';

export const EMPLOYEE_CSV_COLUMNS = [
  'id',
  'last_name',
  'first_name',
  'middle_name',
  'email',
  'phones',
  'extension',
  'source',
  'active',
  'responsible',
  'bitrix24_links',
  'created_at',
] as const;

export function csvCell(value: string | number | boolean | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export const csvLine = (cells: Array<string | number | boolean | null | undefined>): string => `${cells.map(csvCell).join(',')}\r\n`;

export const employeeCsvHeader = (): string => CSV_BOM + csvLine([...EMPLOYEE_CSV_COLUMNS]);

export function employeeCsvLine(e: EmployeeDto): string {
  return csvLine([
    e.id,
    e.lastName,
    e.firstName,
    e.middleName,
    e.email,
    e.phones.map((p) => p.number).join(' '),
    e.extension,
    e.source,
    e.active,
    e.responsible,
    e.bitrix24Links.map((l) => `${l.bitrix24UserId}:${l.state}`).join(' '),
    e.createdAt,
  ]);
}
