import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '../access/principal';
import { RequirePermission } from '../access/require-permission.decorator';
import { ApiErrors } from '../common/api-errors.decorator';
import { UuidParam } from '../common/id-param';
import { ListProblemsQuery, SyncProblemPageDto } from './dto/sync-problem.dto';
import { SyncProblemsService } from './sync-problems.service';

@ApiTags('sync')
@ApiBearerAuth()
@ApiErrors(401, 403, 429)
@Controller('api/v1')
export class SyncProblemsController {
  constructor(private readonly problems: SyncProblemsService) {}

  @Get('bitrix24/connections/:id/problems')
  @RequirePermission('sync:read')
  @ApiOperation({ summary: 'Current problems of a connection: who is skipped (reason and offending value) or has rejected phones, with first and last seen; filterable by kind and reason' })
  @ApiOkResponse({ type: SyncProblemPageDto })
  @ApiErrors(400, 404)
  list(@CurrentPrincipal() me: Principal, @UuidParam() id: string, @Query() query: ListProblemsQuery): Promise<SyncProblemPageDto> {
    return this.problems.list(me.accountId, id, query);
  }
}
