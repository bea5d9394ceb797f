import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsOptional, IsUUID } from 'class-validator';
import { EmployeeDto, EmployeeFilterDto } from './employee.dto';

export class ReplaceResponsibleDto {
  @ApiProperty({ type: [String], format: 'uuid' })
  @IsArray()
  @ArrayMaxSize(10000)
  @IsUUID('all', { each: true })
  employeeIds: string[];
}

export class ResponsibleListDto {
  @ApiProperty({ type: [EmployeeDto] }) items: EmployeeDto[];
}

export class BulkAddResponsibleDto extends EmployeeFilterDto {
  @ApiPropertyOptional({ default: false, description: 'Only count: nothing is added (the page asks for confirmation with these numbers)' })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

export class BulkAddResponsibleResultDto {
  @ApiProperty({ description: 'Employees the filters match' }) matched: number;
  @ApiProperty({ description: 'Added now (0 on a dry run)' }) added: number;
  @ApiProperty({ description: 'Would be added / were eligible: active, not on the list, not dismissed or deleted in Bitrix24' }) eligible: number;
  @ApiProperty({ description: 'Already on the list' }) alreadyOnList: number;
  @ApiProperty({ description: 'Left out: deactivated employees cannot be responsible' }) skippedInactive: number;
  @ApiProperty({ description: 'Left out: every Bitrix24 link of theirs is dismissed or deleted (add them one by one if that is really meant)' })
  skippedDismissed: number;
  @ApiProperty() dryRun: boolean;
}
