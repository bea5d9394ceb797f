import { Injectable } from '@nestjs/common';
import { Bitrix24ConnectionsService } from '../bitrix24/bitrix24-connections.service';
import { DomainException } from '../common/errors/domain.exception';
import { ListProblemsQuery, SyncProblemPageDto } from './dto/sync-problem.dto';
import { SyncProblemsRepository } from './sync-problems.repository';
import { PROBLEM_KINDS } from './sync-store';

/** Cursor "<bitrix24 user id>:<kind>", the last row of the previous page; anything else is a 400. */
function decodeProblemCursor(raw: string): { uid: number; kind: string } {
  const match = /^(\d{1,10}):([a-z_]{1,40})$/.exec(raw);
  const uid = match ? Number(match[1]) : NaN;
  if (!match || !Number.isSafeInteger(uid) || uid > 2147483647 || !(PROBLEM_KINDS as readonly string[]).includes(match[2])) {
    throw new DomainException('invalid', 'invalid_cursor', 'cursor is not a value returned as nextCursor');
  }
  return { uid, kind: match[2] };
}

@Injectable()
export class SyncProblemsService {
  constructor(
    private readonly connections: Bitrix24ConnectionsService,
    private readonly problems: SyncProblemsRepository,
  ) {}

  async list(accountId: string, connectionId: string, query: ListProblemsQuery): Promise<SyncProblemPageDto> {
    await this.connections.require(accountId, connectionId);
    const limit = query.limit ?? 100;
    const rows = await this.problems.list(accountId, connectionId, query, limit, query.cursor ? decodeProblemCursor(query.cursor) : undefined);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({
        bitrix24UserId: r.bitrix24_user_id,
        name: r.name,
        kind: r.kind,
        reason: r.reason,
        details: r.details,
        firstSeenAt: r.first_seen_at.toISOString(),
        lastSeenAt: r.last_seen_at.toISOString(),
      })),
      nextCursor: rows.length > limit && last ? `${last.bitrix24_user_id}:${last.kind}` : null,
    };
  }
}
