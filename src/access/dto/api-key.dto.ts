import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { IsOneLine } from '../../common/validation';
import { Role, ROLES } from '../permissions';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'CRM integration', maxLength: 100 })
  @IsString()
  @Length(1, 100)
  @IsOneLine()
  name: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;
}

export class UpdateApiKeyDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  @IsOneLine()
  name?: string;

  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({ description: 'Public part of the key, as in b24s_<prefix>_…' }) prefix: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastUsedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) revokedReason: string | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself. Shown only in this response; store it now.' })
  key: string;

  @ApiProperty({ type: [String], description: 'Integrator keys revoked because this one replaced them' })
  revokedKeyIds: string[];
}

export class MeFeaturesDto {
  @ApiProperty({ description: 'A Bitrix24 application is configured (BITRIX24_CLIENT_ID/SECRET): portals can connect by OAuth; otherwise only by incoming webhook' })
  bitrix24OAuth: boolean;
  @ApiProperty({ description: 'BITRIX24_ALLOW_INSECURE: http:// and loopback portal addresses are accepted (tests, the simulator)' })
  insecurePortals: boolean;
}

export class MeDto {
  @ApiProperty({ format: 'uuid' }) accountId: string;
  @ApiProperty() accountName: string;
  @ApiProperty({ format: 'uuid' }) keyId: string;
  @ApiProperty() keyName: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({ type: [String] }) permissions: string[];
  @ApiProperty({ type: MeFeaturesDto, description: 'What this service offers, so a client shows only what works' }) features: MeFeaturesDto;
}
