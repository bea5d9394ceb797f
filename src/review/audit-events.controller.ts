import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '../access/principal';
import { RequirePermission } from '../access/require-permission.decorator';
import { ApiErrors } from '../common/api-errors.decorator';
import { DomainException } from '../common/errors/domain.exception';
import { AuditEventsRepository } from './audit-events.repository';
import { AuditEventPageDto, ListAuditEventsQuery } from './dto/user-link.dto';

@ApiTags('review')
@ApiBearerAuth()
@ApiErrors(401, 403, 429)
@Controller('api/v1/audit-events')
export class AuditEventsController {
  constructor(private readonly audit: AuditEventsRepository) {}

  @Get()
  @RequirePermission('sync:read')
  @ApiOperation({ summary: "The account's audit trail, newest first: who (which API key) linked, unlinked, lifted an exclusion or imported one person, and when" })
  @ApiOkResponse({ type: AuditEventPageDto })
  @ApiErrors(400)
  async list(@CurrentPrincipal() me: Principal, @Query() query: ListAuditEventsQuery): Promise<AuditEventPageDto> {
    if (query.cursor !== undefined && !/^\d{1,19}$/.test(query.cursor)) throw new DomainException('invalid', 'invalid_cursor', 'cursor is not a value returned as nextCursor');
    const limit = query.limit ?? 50;
    const rows = await this.audit.list(me.accountId, query, limit, query.cursor);
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => ({
        id: r.id,
        at: r.at.toISOString(),
        action: r.action,
        keyId: r.key_id,
        keyName: r.key_name,
        keyRole: r.key_role,
        connectionId: r.connection_id,
        bitrix24UserId: r.bitrix24_user_id,
        employeeId: r.employee_id,
        employeeName: r.employee_name,
        details: r.details,
      })),
      nextCursor: rows.length > limit ? page[page.length - 1].id : null,
    };
  }
}
