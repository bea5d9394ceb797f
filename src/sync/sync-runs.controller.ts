import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '../access/principal';
import { RequirePermission } from '../access/require-permission.decorator';
import { ApiErrors } from '../common/api-errors.decorator';
import { UuidParam } from '../common/id-param';
import { ListRunItemsQuery, ListRunsQuery, PendingRemovalDto, RunItemPageDto, SynchronizeDto, SyncRunDto, SyncRunPageDto } from './dto/sync-run.dto';
import { SyncQueueService } from './sync-queue.service';
import { SyncRunsService, toRunDto } from './sync-runs.service';
import { readDepartmentScope } from './rules/department-scope.rule';

@ApiTags('sync')
@ApiBearerAuth()
@ApiErrors(401, 403, 429)
@Controller('api/v1')
export class SyncRunsController {
  constructor(
    private readonly queue: SyncQueueService,
    private readonly runs: SyncRunsService,
  ) {}

  @Post('bitrix24/connections/:id/sync')
  @HttpCode(202)
  @RequirePermission('sync:run')
  @ApiOperation({
    summary:
      'Synchronize now (the Data Access tab button), or preview with dryRun: the run reports every outcome and field change and writes nothing (with departmentScope: as if that selection were saved). Returns the run; while one is queued or running, that run.',
  })
  @ApiResponse({ status: 202, type: SyncRunDto })
  @ApiErrors({ status: 400, description: 'validation_failed, department_scope_needs_preview (departmentScope without dryRun)' }, 404, {
    status: 409,
    description: 'connection_not_active (reconnect first), run_in_flight (a run of the other kind, real or preview — or a preview of another selection — is queued or running)',
  })
  async synchronize(@CurrentPrincipal() me: Principal, @UuidParam() id: string, @Body() body: SynchronizeDto): Promise<SyncRunDto> {
    const proposed = body?.departmentScope ? readDepartmentScope({ includeNewDepartments: true, bitrix24DepartmentIds: [], ...body.departmentScope }) : null;
    const { run } = await this.queue.requestFullRun(me.accountId, id, me.keyId, body?.dryRun === true, proposed);
    return toRunDto(run);
  }

  @Get('sync-runs')
  @RequirePermission('sync:read')
  @ApiOperation({ summary: 'Runs, newest first' })
  @ApiOkResponse({ type: SyncRunPageDto })
  @ApiErrors(400)
  list(@CurrentPrincipal() me: Principal, @Query() query: ListRunsQuery): Promise<SyncRunPageDto> {
    return this.runs.list(me.accountId, query);
  }

  @Get('sync-runs/:id')
  @RequirePermission('sync:read')
  @ApiOperation({ summary: 'One run: status, counters, guard verdict, progress' })
  @ApiOkResponse({ type: SyncRunDto })
  @ApiErrors(400, 404)
  get(@CurrentPrincipal() me: Principal, @UuidParam() id: string): Promise<SyncRunDto> {
    return this.runs.get(me.accountId, id);
  }

  @Get('sync-runs/:id/items')
  @RequirePermission('sync:read')
  @ApiOperation({ summary: 'The per-user report of a run, filterable by outcome and reason' })
  @ApiOkResponse({ type: RunItemPageDto })
  @ApiErrors(400, 404)
  items(@CurrentPrincipal() me: Principal, @UuidParam() id: string, @Query() query: ListRunItemsQuery): Promise<RunItemPageDto> {
    return this.runs.items(me.accountId, id, query);
  }

  @Get('sync-runs/:id/pending-removals')
  @RequirePermission('sync:read')
  @ApiOperation({ summary: 'Removals held by the mass-removal guard, waiting for confirmation' })
  @ApiOkResponse({ type: [PendingRemovalDto] })
  @ApiErrors(400, 404)
  pending(@CurrentPrincipal() me: Principal, @UuidParam() id: string): Promise<PendingRemovalDto[]> {
    return this.runs.pendingRemovals(me.accountId, id);
  }

  @Post('sync-runs/:id/confirm-removals')
  @HttpCode(200)
  @RequirePermission('sync:confirm_removals')
  @ApiOperation({ summary: 'Apply the dismissals/deletions the mass-removal guard held' })
  @ApiOkResponse({ type: SyncRunDto })
  @ApiErrors(400, 404, { status: 409, description: 'run_not_awaiting_confirmation: nothing is held on this run (any more)' })
  confirm(@CurrentPrincipal() me: Principal, @UuidParam() id: string): Promise<SyncRunDto> {
    return this.runs.confirmRemovals(me.accountId, id, me.keyId);
  }

  @Post('sync-runs/:id/discard-removals')
  @HttpCode(200)
  @RequirePermission('sync:confirm_removals')
  @ApiOperation({ summary: 'Do not apply the held removals (the next run will evaluate them again)' })
  @ApiOkResponse({ type: SyncRunDto })
  @ApiErrors(400, 404, { status: 409, description: 'run_not_awaiting_confirmation: nothing is held on this run (any more)' })
  discard(@CurrentPrincipal() me: Principal, @UuidParam() id: string): Promise<SyncRunDto> {
    return this.runs.discardRemovals(me.accountId, id, me.keyId);
  }
}
