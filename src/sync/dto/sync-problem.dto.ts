import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { ReportPageQuery } from './sync-run.dto';
import { PROBLEM_KINDS } from '../sync-store';
import { SKIP_REASONS } from '../sync-run.types';

export class SyncProblemDto {
  @ApiProperty() bitrix24UserId: number;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
  @ApiProperty({ enum: PROBLEM_KINDS }) kind: string;
  @ApiProperty({ nullable: true, type: String, description: `For skipped: ${SKIP_REASONS.join(', ')}; not_a_phone_number for phone_rejected` }) reason: string | null;
  @ApiProperty({ nullable: true, description: 'The latest details: as the skipped item carries them; for phone_rejected, rejected: [{ field, value }]' }) details: Record<string, unknown> | null;
  @ApiProperty({ format: 'date-time', description: 'When a run first reported it' }) firstSeenAt: string;
  @ApiProperty({ format: 'date-time', description: 'When it was last reported: the start of the latest run that read the whole portal and still found it, or when its reason, name or details last changed, whichever is later' }) lastSeenAt: string;
}

export class SyncProblemPageDto {
  @ApiProperty({ type: [SyncProblemDto] }) items: SyncProblemDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class ListProblemsQuery extends ReportPageQuery {
  @ApiPropertyOptional({ enum: PROBLEM_KINDS })
  @IsOptional()
  @IsIn(PROBLEM_KINDS)
  kind?: string;

  @ApiPropertyOptional({ enum: [...SKIP_REASONS, 'not_a_phone_number'] })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z_]{1,40}$/, { message: 'reason must be a reason code such as missing_email' })
  reason?: string;
}
