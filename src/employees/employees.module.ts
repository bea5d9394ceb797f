import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EmployeeEntity } from './employee.entity';
import { EmployeesController } from './employees.controller';
import { EmployeesRepository } from './employees.repository';
import { EmployeesService } from './employees.service';
import { ResponsibleEmployeesController } from './responsible-employees.controller';
import { ResponsibleEmployeesRepository } from './responsible-employees.repository';
import { ResponsibleEmployeesService } from './responsible-employees.service';

@Module({
  imports: [TypeOrmModule.forFeature([EmployeeEntity])],
  controllers: [EmployeesController, ResponsibleEmployeesController],
  providers: [EmployeesRepository, EmployeesService, ResponsibleEmployeesRepository, ResponsibleEmployeesService],
  exports: [EmployeesRepository, EmployeesService, ResponsibleEmployeesRepository],
})
export class EmployeesModule {}
