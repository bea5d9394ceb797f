import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsInt, IsOptional, Max, MaxLength, Min } from 'class-validator';
import { SyncRunDto } from '../../sync/dto/sync-run.dto';

export class CheckUserDto {
  @ApiPropertyOptional({ description: 'The Bitrix24 user ID (give this or email)', example: 42 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  bitrix24UserId?: number;

  @ApiPropertyOptional({ description: 'The person’s email in Bitrix24 (give this or bitrix24UserId)', example: 'ivan@example.com' })
  @IsOptional()
  @MaxLength(254)
  @IsEmail()
  email?: string;

  @ApiPropertyOptional({ description: 'Also import the person now: an event-style run for them, listed in the history', default: false })
  @IsOptional()
  @IsBoolean()
  apply?: boolean;
}

export class CheckStepDto {
  @ApiProperty({ enum: ['fetched', 'in_scope', 'required_fields', 'match', 'planned_action'] }) step: string;
  @ApiProperty({ enum: ['passed', 'failed', 'not_reached'] }) status: string;
  @ApiProperty({ nullable: true, type: String, description: 'Why the step failed: the run-report reason (out_of_scope, missing_email, ambiguous_email …), not_found_on_portal, several_users_with_email' })
  reason: string | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true, description: 'What the step looked at (values behind a reason, the match, the planned outcome)' })
  details: Record<string, unknown> | null;
}

export class FieldChangeDto {
  @ApiProperty({ enum: ['firstName', 'lastName', 'middleName', 'email', 'extension', 'phones'] }) field: string;
  @ApiProperty({ nullable: true, type: String }) from: string | null;
  @ApiProperty({ nullable: true, type: String }) to: string | null;
}

export class PlannedManagerDto {
  @ApiProperty({ nullable: true, type: Number, description: 'The department that decides the manager: the person’s first department in UF_DEPARTMENT (null: none)' })
  bitrix24DepartmentId: number | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The manager the import gives the person: the head of that department, or its supervisor when the person is its head; null: nobody (see reason)' })
  managerEmployeeId: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'The manager’s Bitrix24 user (the department’s UF_HEAD, or the head above it)' })
  managerBitrix24UserId: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'The manager’s name (last, first, middle)' })
  managerName: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The employee’s manager now (null for a person not imported yet)' })
  previousManagerId: string | null;
  @ApiProperty({ description: 'The import writes a different manager than the employee has now (a run reports it as manager_changed)' })
  changed: boolean;
  @ApiProperty({
    nullable: true,
    type: String,
    enum: ['sync_managers_off', 'no_department', 'not_imported', 'out_of_scope', 'not_active', 'link_deleted', 'managed_elsewhere'],
    description:
      'Why there is no manager, or why this portal leaves it alone: sync managers is off; no department; the department head is not imported (not_imported, out_of_scope, not_active — as head_unresolved gives it); the link is deleted in Bitrix24; an older link on another portal sets the manager. null: the manager above applies (or the person heads the top of the tree)',
  })
  reason: string | null;
}

export class UserCheckDto {
  @ApiProperty({ nullable: true, type: Number }) bitrix24UserId: number | null;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
  @ApiProperty({ type: [CheckStepDto] }) steps: CheckStepDto[];
  @ApiProperty({ nullable: true, type: String, description: 'What a run would report for the person: created, linked_by_email, updated, unchanged, skipped; null when Bitrix24 did not return them' })
  outcome: string | null;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The employee the person is (or would be linked to); null for a new one' }) employeeId: string | null;
  @ApiProperty({ type: [FieldChangeDto], description: 'Field by field, what an update would write' }) changes: FieldChangeDto[];
  @ApiProperty({ type: PlannedManagerDto, nullable: true, description: 'The manager the import gives the person (also in the planned_action step’s details); null when the person is skipped or not fetched' })
  manager: PlannedManagerDto | null;
  @ApiProperty({ type: SyncRunDto, nullable: true, description: 'With apply: the queued run importing the person' }) run: SyncRunDto | null;
}
