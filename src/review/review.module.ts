import { Module } from '@nestjs/common';
import { Bitrix24Module } from '../bitrix24/bitrix24.module';
import { AuditEventsController } from './audit-events.controller';
import { AuditEventsRepository } from './audit-events.repository';
import { UserCheckController } from './user-check.controller';
import { UserCheckService } from './user-check.service';
import { UserLinksController } from './user-links.controller';
import { UserLinksRepository } from './user-links.repository';
import { UserLinksService } from './user-links.service';

/**
 * Review tools (issue 14): look before anything changes — one person checked against
 * the engine's own rules and imported on demand, the owner's manual links and
 * exclusions, and the audit trail of those decisions.
 */
@Module({
  imports: [Bitrix24Module],
  controllers: [UserCheckController, UserLinksController, AuditEventsController],
  providers: [UserCheckService, UserLinksService, UserLinksRepository, AuditEventsRepository],
  exports: [AuditEventsRepository],
})
export class ReviewModule {}
