import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { toList } from '../../common/validation';
import { PageCursor, PageLimit } from '../../common/pagination';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { DepartmentScopeDto } from '../../bitrix24/dto/connection.dto';
import { OUTCOMES, RUN_STATUSES, RUN_TRIGGERS, SKIP_REASONS } from '../sync-run.types';

export class RunProgressDto {
  @ApiProperty() processed: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Users in the portal; null until the first page arrived' }) total: number | null;
}

export class RunErrorDto {
  @ApiProperty() code: string;
  @ApiProperty() message: string;
}

export class RunAttemptDto {
  @ApiProperty({ description: '1 for the first attempt; a run is resumed after a kill, a shutdown hand-back or a lost lease' }) attempt: number;
  @ApiProperty({ description: 'The service process that ran it (host:pid:id)' }) runnerId: string;
  @ApiProperty({ format: 'date-time' }) startedAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) endedAt: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    enum: ['succeeded', 'failed', 'awaiting_confirmation', 'handed_back', 'abandoned'],
    description: 'null while it runs; abandoned: its process stopped (killed, or its lease was taken over), ended at its last heartbeat',
  })
  outcome: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'It continued the export after this Bitrix24 user ID (the committed checkpoint); null when it started from the beginning' })
  resumedAfterUserId: number | null;
}

export class SyncRunDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) connectionId: string;
  @ApiProperty({ enum: RUN_TRIGGERS }) trigger: string;
  @ApiProperty({ enum: RUN_STATUSES }) status: string;
  @ApiProperty({ format: 'date-time' }) queuedAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) startedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt: string | null;
  @ApiProperty({ type: RunProgressDto }) progress: RunProgressDto;
  @ApiProperty({
    description:
      'One count per outcome (created, linked_by_email, updated, unchanged, skipped, dismissed, deleted, reactivated, removed_from_responsible, phone_rejected, out_of_scope, back_in_scope, department_created/renamed/moved/absent/returned, head_unresolved, manager_changed) and skippedByReason',
    example: { created: 10, skipped: 2, skippedByReason: { missing_email: 2 } },
  })
  counters: Record<string, unknown>;
  @ApiPropertyOptional({ type: [Number], nullable: true, description: 'Event runs: the Bitrix24 users announced' }) bitrix24UserIds: number[] | null;
  @ApiProperty({ nullable: true, type: Boolean, description: 'The export reached its end (only then can anyone be marked deleted)' }) exportComplete: boolean | null;
  @ApiProperty({ nullable: true, description: 'Mass-removal guard: share, threshold, and whether removals were held' }) guard: Record<string, unknown> | null;
  @ApiProperty({ nullable: true, type: String, enum: ['confirmed', 'discarded', 'superseded'] }) guardResolution: string | null;
  @ApiProperty({ type: RunErrorDto, nullable: true }) error: RunErrorDto | null;
  @ApiProperty({ description: 'Per-user items were removed by the retention setting; counters remain' }) itemsPruned: boolean;
  @ApiProperty({ description: 'A preview: every outcome and field change reported as a real run would, nothing written' }) dryRun: boolean;
  @ApiPropertyOptional({ type: DepartmentScopeDto, nullable: true, description: 'A preview of a department selection that was not saved: the selection it used' })
  proposedDepartmentScope: DepartmentScopeDto | null;
  @ApiProperty({ description: 'The current (or last) attempt; counters and items are those of the committed chunks of all attempts, as a clean run would report them' }) attempt: number;
  @ApiProperty({ type: [RunAttemptDto] }) attempts: RunAttemptDto[];
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'A running run whose runner stopped renewing its lease (replica gone, database lost): its last sign of life. Null once another runner takes it over',
  })
  stalledSince: string | null;
}

export class SyncRunPageDto {
  @ApiProperty({ type: [SyncRunDto] }) items: SyncRunDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class RunItemDto {
  @ApiProperty() id: string;
  @ApiProperty({ nullable: true, type: Number }) bitrix24UserId: number | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) employeeId: string | null;
  @ApiProperty({ enum: OUTCOMES }) outcome: string;
  @ApiProperty({ nullable: true, type: String, description: `For skipped: ${SKIP_REASONS.join(', ')}` }) reason: string | null;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
  @ApiProperty({
    nullable: true,
    description:
      'e.g. changedFields for updated, field and value for phone_rejected; for manager_changed: managerId (null in a preview when the manager would be a new employee), managerBitrix24UserId, previousManagerId, bitrix24DepartmentId (the first department, which decides); for head_unresolved: bitrix24DepartmentId, headBitrix24UserId',
  })
  details: Record<string, unknown> | null;
}

export class RunItemPageDto {
  @ApiProperty({ type: [RunItemDto] }) items: RunItemDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class PendingRemovalDto {
  @ApiProperty() bitrix24UserId: number;
  @ApiProperty({ enum: ['dismissed', 'deleted'] }) kind: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) employeeId: string | null;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
}

export class ListRunsQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  connectionId?: string;

  @ApiPropertyOptional({ description: `One or more of ${RUN_STATUSES.join(', ')}, comma-separated` })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(5)
  @IsIn(RUN_STATUSES, { each: true })
  status?: string[];

  @ApiPropertyOptional({ description: `One or more of ${RUN_TRIGGERS.join(', ')}, comma-separated (e.g. "manual,schedule" for full runs)` })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(3)
  @IsIn(RUN_TRIGGERS, { each: true })
  trigger?: string[];

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

/** A page of a report list: how many, and where the previous page ended. */
export class ReportPageQuery {
  @PageLimit(1000, 100)
  limit?: number;

  @PageCursor('nextCursor from the previous page (for run items: of the same sort)', 600)
  cursor?: string;
}

export class ListRunItemsQuery extends ReportPageQuery {
  @ApiPropertyOptional({ enum: OUTCOMES })
  @IsOptional()
  @IsIn(OUTCOMES)
  outcome?: string;

  @ApiPropertyOptional({ enum: [...SKIP_REASONS, 'not_a_phone_number', 'dismissed', 'deleted'] })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z_]{1,40}$/, { message: 'reason must be a reason code such as missing_email' })
  reason?: string;

  @ApiPropertyOptional({ enum: ['report', 'name'], default: 'report', description: 'report: in the order the run wrote them; name: by person name (then Bitrix24 ID), as the page lists them' })
  @IsOptional()
  @IsIn(['report', 'name'])
  sort?: 'report' | 'name';
}

export class SynchronizeDto {
  @ApiPropertyOptional({ description: 'Preview: read the portal and report every outcome, write no employee, link, phone or responsible-list row', default: false })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({
    type: DepartmentScopeDto,
    description: 'With dryRun only: preview this department selection instead of the saved one (nothing is saved; PATCH the connection to apply it)',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => DepartmentScopeDto)
  departmentScope?: DepartmentScopeDto;
}
