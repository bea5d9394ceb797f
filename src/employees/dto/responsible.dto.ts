import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsUUID } from 'class-validator';
import { EmployeeDto } from './employee.dto';

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
