import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageCursor, PageLimit, toQueryBoolean } from '../../common/pagination';
import { IsOneLine } from '../../common/validation';

export class DepartmentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'Sales' }) name: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'null only for the account’s root' }) parentId: string | null;
  @ApiProperty({ enum: ['root', 'portal', 'bitrix24'], description: 'root: the account; portal: one connected Bitrix24 portal; bitrix24: a department of that portal' })
  kind: 'root' | 'portal' | 'bitrix24';
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) connectionId: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'department.get ID (kind bitrix24)' }) bitrix24DepartmentId: number | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The employee linked to UF_HEAD; null when none, not imported, or sync managers is off' })
  headEmployeeId: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The head of the nearest department above that has a head' }) supervisorEmployeeId: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Ivanov Ivan', description: 'The head’s name, without the (bitrix24) tag' }) headName: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The supervisor’s name, without the (bitrix24) tag' }) supervisorName: string | null;
  @ApiProperty({
    enum: ['not_imported', 'out_of_scope', 'not_active'],
    nullable: true,
    type: String,
    description: 'Why headEmployeeId is empty although Bitrix24 names a head: not imported (skipped), outside the department selection, or dismissed/deleted',
  })
  headProblem: string | null;
  @ApiProperty({ description: 'false: a complete export no longer returned it (kept, never deleted)' }) present: boolean;
  @ApiProperty({ description: 'Inside the connection’s department selection' }) inScope: boolean;
  @ApiProperty({ description: 'People directly in this department whose link to its portal is active' }) employeeCount: number;
}

export class DepartmentPageDto {
  @ApiProperty({ type: [DepartmentDto] }) items: DepartmentDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last page' }) nextCursor: string | null;
}

export class ListDepartmentsQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this portal’s node and departments' })
  @IsOptional()
  @IsUUID()
  connectionId?: string;

  @ApiPropertyOptional({ maxLength: 100, description: 'Part of the name' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @IsOneLine()
  q?: string;

  @PageLimit(1000, 200)
  limit?: number;

  @PageCursor()
  cursor?: string;
}

export class DepartmentEmployeesQuery {
  @ApiPropertyOptional({ default: false, description: 'Members of every department beneath too (the call group of a whole branch)' })
  @IsOptional()
  @Transform(toQueryBoolean)
  @IsBoolean()
  includeSubdepartments?: boolean;

  @ApiPropertyOptional({ enum: ['active', 'dismissed', 'deleted', 'out_of_scope'], description: 'Only members whose link to the department’s portal is in this state (active: who can take calls)' })
  @IsOptional()
  @IsIn(['active', 'dismissed', 'deleted', 'out_of_scope'])
  state?: 'active' | 'dismissed' | 'deleted' | 'out_of_scope';

  @PageLimit(500, 50)
  limit?: number;

  @PageCursor()
  cursor?: string;
}
