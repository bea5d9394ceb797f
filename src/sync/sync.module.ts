import { Global, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Bitrix24Module } from '../bitrix24/bitrix24.module';
import { BITRIX24_EVENT_SINK } from '../bitrix24/bitrix24-event-sink';
import { EmployeesModule } from '../employees/employees.module';
import { SyncEngine } from './sync-engine.service';
import { SyncLeasesRepository } from './sync-leases.repository';
import { SyncQueueService } from './sync-queue.service';
import { SyncRunsController } from './sync-runs.controller';
import { SyncRunsRepository } from './sync-runs.repository';
import { SyncRunsService } from './sync-runs.service';
import { SyncStore } from './sync-store';
import { DepartmentStore } from './department-store';
import { DepartmentSync } from './department-sync.service';
import { SyncWorker } from './sync-worker.service';

/**
 * The employee import: the engine, the run queue and its worker (poller), the
 * Synchronize action and the run reports. Global only so the Bitrix24 module can hand
 * it events through BITRIX24_EVENT_SINK without importing it back.
 */
@Global()
@Module({
  imports: [ScheduleModule.forRoot(), Bitrix24Module, EmployeesModule],
  controllers: [SyncRunsController],
  providers: [
    SyncStore,
    DepartmentStore,
    DepartmentSync,
    SyncRunsRepository,
    SyncLeasesRepository,
    SyncEngine,
    SyncWorker,
    SyncQueueService,
    SyncRunsService,
    { provide: BITRIX24_EVENT_SINK, useExisting: SyncQueueService },
  ],
  exports: [BITRIX24_EVENT_SINK, SyncWorker, SyncStore],
})
export class SyncModule {}
