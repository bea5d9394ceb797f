import { Module } from '@nestjs/common';
import { EmployeesModule } from '../employees/employees.module';
import { DepartmentsController } from './departments.controller';
import { DepartmentsRepository } from './departments.repository';
import { DepartmentsService } from './departments.service';

/** The organization structure's API (issue 13); the sync engine writes the tree (src/sync/department-*.ts). */
@Module({
  imports: [EmployeesModule],
  controllers: [DepartmentsController],
  providers: [DepartmentsRepository, DepartmentsService],
})
export class DepartmentsModule {}
