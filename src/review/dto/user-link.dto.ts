import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { PageCursor, PageLimit } from '../../common/pagination';

export class SetUserLinkDto {
  @ApiProperty({ format: 'uuid', description: 'The employee this Bitrix24 user is (from this account)' })
  @IsUUID()
  employeeId: string;
}

export class UserLinkDto {
  @ApiProperty({ format: 'uuid' }) connectionId: string;
  @ApiProperty() bitrix24UserId: number;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'null once unlinked' }) employeeId: string | null;
  @ApiProperty({ nullable: true, type: String, enum: ['active', 'dismissed', 'deleted'] }) state: string | null;
  @ApiProperty({ nullable: true, type: String, enum: ['created', 'email', 'manual'] }) matchedBy: string | null;
  @ApiProperty({ description: 'Runs skip the user (excluded_by_owner) until the exclusion is removed or the user is linked by hand' }) excluded: boolean;
}

export class UserExclusionDto {
  @ApiProperty() bitrix24UserId: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) createdByKeyId: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The name of the API key that excluded the user' }) createdByKeyName: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The employee the user was unlinked from (kept), if they were linked' }) employeeId: string | null;
  @ApiProperty({ nullable: true, type: String, description: "The person's name as last known: the employee they were unlinked from, else as the last run read it from Bitrix24" }) name: string | null;
}

export class AuditEventDto {
  @ApiProperty() id: string;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ enum: ['user_link.set', 'user_link.removed', 'user_exclusion.removed', 'user_check.applied'] }) action: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The API key that did it' }) keyId: string | null;
  @ApiProperty({ nullable: true, type: String }) keyName: string | null;
  @ApiProperty({ nullable: true, type: String }) keyRole: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) connectionId: string | null;
  @ApiProperty({ nullable: true, type: Number }) bitrix24UserId: number | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) employeeId: string | null;
  @ApiProperty({ nullable: true, type: String, description: "The employee's name now (last, first, middle)" }) employeeName: string | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) details: Record<string, unknown> | null;
}

export class AuditEventPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items: AuditEventDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class ListAuditEventsQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  connectionId?: string;

  @ApiPropertyOptional({ minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  bitrix24UserId?: number;

  @PageLimit(200, 50)
  limit?: number;

  @PageCursor('nextCursor of the previous page', 20)
  cursor?: string;
}
