import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { PageCursor, PageLimit, toQueryBoolean } from '../../common/pagination';
import { IsOneLine, toList } from '../../common/validation';
import { EMPLOYEE_SORTS, type EmployeeSort } from '../employees.repository';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';

const PHONE_INPUT = /^\+?[0-9()\-.\s]{3,40}$/;


export class PhoneDto {
  @ApiProperty({ example: '74951234567', description: 'Digits only' }) number: string;
  @ApiProperty({ enum: ['work', 'mobile', 'personal', 'manual'] }) source: string;
}

export class EmployeeLinkDto {
  @ApiProperty({ format: 'uuid' }) connectionId: string;
  @ApiProperty() bitrix24UserId: number;
  @ApiProperty({ enum: ['active', 'dismissed', 'deleted', 'out_of_scope'], description: 'out_of_scope: the user is outside the connection’s department selection' }) state: string;
  @ApiProperty({ format: 'date-time' }) stateSince: string;
  @ApiProperty({ enum: ['created', 'email'], description: 'How the employee was matched: created by the import, or linked by email' })
  matchedBy: string;
  @ApiProperty({ format: 'date-time' }) linkedAt: string;
}

export class EmployeeDepartmentDto {
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'GET /api/v1/departments/{id}; null while the department has not been imported yet' }) id: string | null;
  @ApiProperty({ format: 'uuid' }) connectionId: string;
  @ApiProperty() bitrix24DepartmentId: number;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
}

export class EmployeeDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() firstName: string;
  @ApiProperty({ example: '(bitrix24) Ivanov' }) lastName: string;
  @ApiProperty({ nullable: true, type: String }) middleName: string | null;
  @ApiProperty({ nullable: true, type: String }) email: string | null;
  @ApiProperty({ nullable: true, type: String }) extension: string | null;
  @ApiProperty({ enum: ['bitrix24', 'manual'] }) source: string;
  @ApiProperty() active: boolean;
  @ApiProperty({ description: 'On the account’s responsible-employees list' }) responsible: boolean;
  @ApiProperty({ type: [PhoneDto] }) phones: PhoneDto[];
  @ApiProperty({ type: [EmployeeDepartmentDto], description: 'Per linked portal, in Bitrix24’s UF_DEPARTMENT order (the first decides the manager)' }) departments: EmployeeDepartmentDto[];
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The head of the first department (its supervisor for the head); null when none, or sync managers is off' })
  managerId: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The manager’s name, without the (bitrix24) tag' }) managerName: string | null;
  @ApiProperty({ type: [EmployeeLinkDto] }) bitrix24Links: EmployeeLinkDto[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) deactivatedAt: string | null;
}

export class EmployeePageDto {
  @ApiProperty({ type: [EmployeeDto] }) items: EmployeeDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
  @ApiProperty({ description: 'How many employees the filters match (all pages)' })
  total: number;
}

/** The directory's filters: the list, its CSV export and the bulk "add to responsible" take the same ones. */
export class EmployeeFilterDto {
  @ApiPropertyOptional({ enum: ['bitrix24', 'manual'] })
  @IsOptional()
  @IsIn(['bitrix24', 'manual'])
  source?: 'bitrix24' | 'manual';

  @ApiPropertyOptional({
    description: 'One or more of active, dismissed, deleted, out_of_scope, unlinked, comma-separated (e.g. "unlinked,active" hides dismissed people)',
    example: ['unlinked', 'active'],
  })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(5)
  @IsIn(['active', 'dismissed', 'deleted', 'out_of_scope', 'unlinked'], { each: true })
  bitrix24State?: Array<'active' | 'dismissed' | 'deleted' | 'out_of_scope' | 'unlinked'>;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  connectionId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(toQueryBoolean)
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(toQueryBoolean)
  @IsBoolean()
  responsible?: boolean;

  @ApiPropertyOptional({ description: 'Name, email or phone digits', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @IsOneLine()
  q?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Members of this department (GET /api/v1/departments)' })
  @IsOptional()
  @IsUUID()
  departmentId?: string;

  @ApiPropertyOptional({ description: 'With departmentId: members of its subdepartments too', default: false })
  @IsOptional()
  @Transform(toQueryBoolean)
  @IsBoolean()
  includeSubdepartments?: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: 'People whose manager is this employee' })
  @IsOptional()
  @IsUUID()
  managerId?: string;
}

export class EmployeeSortDto extends EmployeeFilterDto {
  @ApiPropertyOptional({ enum: EMPLOYEE_SORTS, default: 'name', description: 'name (last name, first name), email or created; a leading "-" sorts descending' })
  @IsOptional()
  @IsIn(EMPLOYEE_SORTS)
  sort?: EmployeeSort;
}

export class ListEmployeesQuery extends EmployeeSortDto {
  @PageLimit(500, 50)
  limit?: number;

  @PageCursor('nextCursor from the previous page (of the same sort)')
  cursor?: string;
}

export class CreateEmployeeDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @IsOneLine()
  firstName: string;

  @ApiProperty({ maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @IsOneLine()
  lastName: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @IsOneLine()
  middleName?: string;

  @ApiPropertyOptional({ maxLength: 254 })
  @IsOptional()
  @IsEmail({ allow_utf8_local_part: true, require_tld: true }, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ type: [String], example: ['+7 (495) 123-45-67'], description: 'Stored as digits only, in this order' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @Matches(PHONE_INPUT, { each: true, message: '$property must each be a phone number (digits, spaces, + ( ) - .)' })
  phones?: string[];

  @ApiPropertyOptional({ example: '123', description: 'Internal extension, digits only' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{1,10}$/, { message: 'extension must be 1 to 10 digits' })
  extension?: string;
}

/** Every field of CreateEmployeeDto, optional; an empty extension clears it. */
export class UpdateEmployeeDto extends PartialType(OmitType(CreateEmployeeDto, ['extension'] as const)) {
  @ApiPropertyOptional({ description: 'Digits only; an empty string clears it' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{0,10}$/, { message: 'extension must be up to 10 digits (empty clears it)' })
  extension?: string;
}
