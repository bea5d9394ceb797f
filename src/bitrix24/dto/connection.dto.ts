import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { isSupportedCountry } from 'libphonenumber-js';

/**
 * An upper-case ISO 3166-1 alpha-2 code that libphonenumber has numbering metadata for
 * (`xx` and `ZZ` are refused, not saved and then failing every phone of the next import).
 */
export function IsPhoneCountry(): PropertyDecorator {
  return ValidateBy({
    name: 'isPhoneCountry',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && /^[A-Z]{2}$/.test(value) && isSupportedCountry(value),
      defaultMessage: () => '$property must be a country code with phone numbering, such as RU, KZ or US (two capital letters)',
    },
  });
}

export class StartOAuthDto {
  @ApiProperty({ example: 'acme.bitrix24.ru', description: 'The portal address: a domain or a URL' })
  @IsString()
  @MaxLength(300)
  portal: string;
}

export class StartOAuthResponseDto {
  @ApiProperty({ example: 'https://acme.bitrix24.ru/oauth/authorize/?client_id=app.123&state=…' })
  authorizeUrl: string;

  @ApiProperty({ format: 'date-time', description: 'The state expires then; start again after it' })
  expiresAt: string;
}

export class CreateWebhookConnectionDto {
  @ApiProperty({ example: 'https://portal.example.com/rest/1/abc123secret/', description: 'An incoming webhook of the portal' })
  @IsString()
  @MaxLength(500)
  webhookUrl: string;

  @ApiPropertyOptional({ enum: ['cloud', 'on_premise'], default: 'on_premise' })
  @IsOptional()
  @IsIn(['cloud', 'on_premise'])
  edition?: 'cloud' | 'on_premise';
}

export class ScheduleDto {
  @ApiProperty({ enum: ['interval', 'daily'] })
  @IsIn(['interval', 'daily'])
  kind: 'interval' | 'daily';

  @ApiPropertyOptional({ minimum: 5, maximum: 1440, description: 'kind=interval: minutes between runs (default SYNC_INTERVAL_MINUTES)' })
  @ValidateIf((o: ScheduleDto) => o.kind === 'interval' && o.intervalMinutes !== undefined)
  @IsInt()
  @Min(5)
  @Max(1440)
  intervalMinutes?: number;

  @ApiPropertyOptional({ type: [String], example: ['06:00', '18:00'], description: 'kind=daily: UTC times HH:MM' })
  @ValidateIf((o: ScheduleDto) => o.kind === 'daily')
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(24)
  @Matches(/^([01]\d|2[0-3]):[0-5]\d$/, { each: true, message: 'each daily time must be HH:MM (UTC)' })
  dailyTimesUtc?: string[];
}

export class RateLimitDto {
  @ApiProperty({ minimum: 0.5, maximum: 50, description: 'Requests per second the portal drains (2 by default, 5 on Enterprise)' })
  @IsNumber()
  @Min(0.5)
  @Max(50)
  perSecond: number;

  @ApiProperty({ minimum: 1, maximum: 1000, description: 'Burst size (50 by default, 250 on Enterprise)' })
  @IsInt()
  @Min(1)
  @Max(1000)
  burst: number;
}

export class DepartmentScopeDto {
  @ApiProperty({ enum: ['all', 'selected'], description: 'all: every department; selected: the listed departments and their subdepartments' })
  @IsIn(['all', 'selected'])
  mode: 'all' | 'selected';

  @ApiPropertyOptional({ type: [Number], example: [1, 15], description: 'mode=selected: Bitrix24 department IDs (department.get ID); each includes its subdepartments' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10000)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(2147483647, { each: true })
  bitrix24DepartmentIds?: number[];

  @ApiPropertyOptional({ default: true, description: 'mode=selected: departments that appear in Bitrix24 after the selection was saved are included automatically' })
  @IsOptional()
  @IsBoolean()
  includeNewDepartments?: boolean;
}

export class UpdateConnectionDto {
  @ApiPropertyOptional({ enum: ['cloud', 'on_premise'], description: 'on_premise makes the department a required field' })
  @IsOptional()
  @IsIn(['cloud', 'on_premise'])
  edition?: 'cloud' | 'on_premise';

  @ApiPropertyOptional({ description: 'Import extranet users too (off by default)' })
  @IsOptional()
  @IsBoolean()
  includeExtranet?: boolean;

  @ApiPropertyOptional({ example: 'RU', description: 'Country for phone numbers written without a country code: an ISO 3166-1 alpha-2 code libphonenumber knows' })
  @IsOptional()
  @IsString()
  @IsPhoneCountry()
  defaultCountry?: string;

  @ApiPropertyOptional({ type: ScheduleDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ScheduleDto)
  schedule?: ScheduleDto;

  @ApiPropertyOptional({ minimum: 0, maximum: 100, nullable: true, description: 'Hold removals above this share of linked employees (default SYNC_REMOVAL_GUARD_PERCENT); null resets' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsNumber()
  @Min(0)
  @Max(100)
  removalGuardPercent?: number | null;

  @ApiPropertyOptional({ type: RateLimitDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => RateLimitDto)
  rateLimit?: RateLimitDto;

  @ApiPropertyOptional({ type: DepartmentScopeDto, description: 'Which departments are imported; a change queues a full run' })
  @IsOptional()
  @ValidateNested()
  @Type(() => DepartmentScopeDto)
  departmentScope?: DepartmentScopeDto;

  @ApiPropertyOptional({ description: 'Set department heads, supervisors and employee managers from Bitrix24 (UF_HEAD); on by default' })
  @IsOptional()
  @IsBoolean()
  syncManagers?: boolean;
}

export class ConnectionErrorDto {
  @ApiProperty() code: string;
  @ApiProperty() message: string;
  @ApiProperty({ format: 'date-time' }) at: string;
}

export class ConnectionSettingsDto {
  @ApiProperty() includeExtranet: boolean;
  @ApiProperty() defaultCountry: string;
  @ApiProperty({ type: ScheduleDto }) schedule: { kind: 'interval' | 'daily'; intervalMinutes: number | null; dailyTimesUtc: string[] | null };
  @ApiProperty() removalGuardPercent: number;
  @ApiProperty({ type: RateLimitDto }) rateLimit: RateLimitDto;
  @ApiProperty({ type: DepartmentScopeDto }) departmentScope: { mode: 'all' | 'selected'; bitrix24DepartmentIds: number[]; includeNewDepartments: boolean };
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When the selection was last changed: departments first seen later count as new' }) departmentScopeSavedAt: string | null;
  @ApiProperty() syncManagers: boolean;
}

export class ConnectionSyncStateDto {
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) nextSyncAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastSuccessAt: string | null;
  @ApiProperty() consecutiveFailures: number;
  @ApiProperty({ type: ConnectionErrorDto, nullable: true }) lastError: ConnectionErrorDto | null;
  @ApiProperty({ description: 'false while the connection is not polled (needs re-authorization or an administrator, uninstalled, disconnected)' }) polling: boolean;
}

export class InstallationDto {
  @ApiProperty({
    nullable: true,
    type: Boolean,
    description: 'app.info INSTALLED when last checked: false until an administrator opens the application in Bitrix24 and its page finishes the installation (BX24.installFinish); null = never checked (webhooks, or Bitrix24 did not answer)',
  })
  installFinished: boolean | null;

  @ApiProperty({ nullable: true, type: [String], example: ['ONAPPUNINSTALL', 'ONAPPUPDATE', 'ONUSERADD'], description: 'Events event.get lists as bound to this service’s handler; null = never checked' })
  eventsBound: string[] | null;

  @ApiProperty({ description: 'ONUSERADD is bound as an offline event too (event.get), so new hires announced while the service was down are read from the portal’s queue' })
  offlineEvents: boolean;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When app.info and event.get were last asked' })
  checkedAt: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When the offline event queue was last read' })
  offlineCollectedAt: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'Why the last read of the offline event queue failed' })
  offlineError: string | null;
}

export class PushedEventsDto {
  @ApiProperty({ description: 'Bitrix24 pushes events (ONUSERADD, ONAPPUNINSTALL) that this service can authenticate, so new hires arrive within seconds' })
  enabled: boolean;

  @ApiProperty({
    enum: ['no_application_token', 'events_not_bound', 'installation_not_finished'],
    nullable: true,
    type: String,
    description: 'Why not: no application token was stored from a verified install (events cannot be authenticated), the handlers are not bound, or Bitrix24 says the installation is not finished (app.info INSTALLED false: it sends no events)',
  })
  reason: 'no_application_token' | 'events_not_bound' | 'installation_not_finished' | null;

  @ApiProperty({ nullable: true, type: String, description: 'What the owner can do about it' })
  hint: string | null;
}

export class ConnectionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['oauth', 'webhook'] }) authType: string;
  @ApiProperty({ example: 'acme.bitrix24.ru' }) domain: string;
  @ApiProperty({ example: 'https://acme.bitrix24.ru', description: 'The portal address; pass it to oauth/start to reconnect' }) portalUrl: string;
  @ApiProperty({ description: 'The portal’s stable identity' }) memberId: string;
  @ApiProperty({ enum: ['cloud', 'on_premise'] }) edition: string;
  @ApiProperty({
    enum: ['active', 'reauth_required', 'insufficient_rights', 'uninstalled', 'disconnected'],
    description: 'insufficient_rights: the connecting Bitrix24 user is not a portal administrator; not polled until an administrator connects again',
  })
  state: string;
  @ApiProperty({ nullable: true, type: String }) stateReason: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'For a connection that is not polled: what happened and who must do what' }) stateMessage: string | null;
  @ApiProperty({ format: 'date-time' }) stateChangedAt: string;
  @ApiProperty({ nullable: true, type: String }) scope: string | null;
  @ApiProperty({ nullable: true, type: String }) appStatus: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Webhook address with its secret hidden' }) webhookUrl: string | null;
  @ApiProperty({ description: 'ONUSERADD is bound, so new users are imported within seconds' }) eventsBound: boolean;
  @ApiProperty({ nullable: true, type: String }) eventsError: string | null;
  @ApiProperty({ type: PushedEventsDto }) pushedEvents: PushedEventsDto;
  @ApiProperty({ type: InstallationDto, description: 'The application’s installation as Bitrix24 reports it (app.info, event.get) and the offline event queue' })
  installation: InstallationDto;
  @ApiProperty({ type: ConnectionSettingsDto }) settings: ConnectionSettingsDto;
  @ApiProperty({ type: ConnectionSyncStateDto }) sync: ConnectionSyncStateDto;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}
