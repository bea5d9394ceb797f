import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainException, notFound } from '../common/errors/domain.exception';
import { ListRunItemsQuery, ListRunsQuery, PendingRemovalDto, RunItemPageDto, SyncRunDto, SyncRunPageDto } from './dto/sync-run.dto';
import { Removal, SyncEngine } from './sync-engine.service';
import { OUTCOMES, RunCounters } from './sync-run.types';
import { SyncRunRow, SyncRunsRepository } from './sync-runs.repository';
import { untaggedNameSql } from '../employees/employee-sql';
import { decodeKeysetCursor, encodeKeysetCursor } from '../common/keyset-cursor';
import { queryRows } from '../database/query-rows';
import { readDepartmentScope } from './rules/department-scope.rule';
import { Bitrix24ConnectionsService } from '../bitrix24/bitrix24-connections.service';

export function toRunDto(row: SyncRunRow): SyncRunDto {
  const counters: Record<string, unknown> = Object.fromEntries(OUTCOMES.map((o) => [o, row.counters?.[o] ?? 0]));
  counters.skippedByReason = row.counters?.skippedByReason ?? {};
  if (row.counters?.exportUntrusted) counters.exportUntrusted = true;
  return {
    id: row.id,
    connectionId: row.connection_id,
    trigger: row.trigger,
    status: row.status,
    queuedAt: row.queued_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    progress: { processed: row.processed, total: row.total },
    counters,
    bitrix24UserIds: row.target_user_ids,
    exportComplete: row.export_complete,
    guard: row.guard,
    guardResolution: row.guard_resolution,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    itemsPruned: Boolean(row.items_pruned_at),
    dryRun: row.dry_run === true,
    proposedDepartmentScope: row.proposed_department_scope ? readDepartmentScope(row.proposed_department_scope) : null,
    attempt: row.attempts,
    attempts: (row.attempt_log ?? []).map((a) => ({
      attempt: a.attempt,
      runnerId: a.runnerId,
      startedAt: new Date(a.startedAt).toISOString(),
      endedAt: a.endedAt ? new Date(a.endedAt).toISOString() : null,
      outcome: a.outcome ?? null,
      resumedAfterUserId: a.resumedAfterUserId ?? null,
    })),
    stalledSince: row.stalled_since?.toISOString() ?? null,
  };
}

function decodeRunCursor(raw: string): { queuedAt: Date; id: string } {
  const { sortValue, id } = decodeKeysetCursor(raw);
  const queuedAt = new Date(sortValue);
  if (Number.isNaN(queuedAt.getTime())) throw new DomainException('invalid', 'invalid_cursor', 'cursor is not a value returned as nextCursor');
  return { queuedAt, id };
}

/**
 * Report cursors: the item id for the written order (digits, as before), a base64url
 * [name, id] pair for the name order. Anything else is a 400, never a database error.
 */
function decodeItemCursor(raw: string, sort: 'report' | 'name'): { id: string; name?: string } {
  if (sort === 'report' && /^\d{1,19}$/.test(raw)) return { id: raw };
  if (sort === 'name') {
    try {
      const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
      if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && /^\d{1,19}$/.test(value[1])) {
        return { name: value[0], id: value[1] };
      }
    } catch {
      /* fall through */
    }
  }
  throw new DomainException('invalid', 'invalid_cursor', 'cursor is not a value returned as nextCursor for this sort');
}

@Injectable()
export class SyncRunsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly runs: SyncRunsRepository,
    private readonly engine: SyncEngine,
    private readonly connections: Bitrix24ConnectionsService,
  ) {}

  async list(accountId: string, query: ListRunsQuery): Promise<SyncRunPageDto> {
    const limit = query.limit ?? 20;
    const rows = await this.runs.list(accountId, query, limit, query.cursor ? decodeRunCursor(query.cursor) : undefined);
    const page = rows.slice(0, limit);
    return { items: page.map(toRunDto), nextCursor: rows.length > limit ? encodeKeysetCursor(page[page.length - 1].queued_at.toISOString(), page[page.length - 1].id) : null };
  }

  async get(accountId: string, id: string): Promise<SyncRunDto> {
    return toRunDto(await this.require(accountId, id));
  }

  async items(accountId: string, id: string, query: ListRunItemsQuery): Promise<RunItemPageDto> {
    await this.require(accountId, id);
    const limit = query.limit ?? 100;
    const sort = query.sort ?? 'report';
    const rows = await this.runs.items(id, query, limit, sort, query.cursor ? decodeItemCursor(query.cursor, sort) : undefined);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({ id: r.id, bitrix24UserId: r.bitrix24_user_id, employeeId: r.employee_id, outcome: r.outcome, reason: r.reason, name: r.name, details: r.details })),
      nextCursor: rows.length > limit && last ? (sort === 'name' ? Buffer.from(JSON.stringify([last.sort_name, last.id])).toString('base64url') : last.id) : null,
    };
  }

  async pendingRemovals(accountId: string, id: string): Promise<PendingRemovalDto[]> {
    await this.require(accountId, id);
    const rows: Array<{ bitrix24_user_id: number; kind: string; employee_id: string | null; name: string | null }> = await this.db.query(
      `SELECT p.bitrix24_user_id, p.kind, l.employee_id,
              ${untaggedNameSql('e')} AS name
         FROM sync_pending_removal p
         LEFT JOIN bitrix24_user_link l ON l.connection_id = p.connection_id AND l.bitrix24_user_id = p.bitrix24_user_id
         LEFT JOIN employee e ON e.id = l.employee_id
        WHERE p.run_id = $1 ORDER BY p.bitrix24_user_id`,
      [id],
    );
    return rows.map((r) => ({ bitrix24UserId: r.bitrix24_user_id, kind: r.kind, employeeId: r.employee_id, name: r.name }));
  }

  /**
   * Applies removals the mass-removal guard held. Each is re-checked against the link's
   * current state, so someone re-hired since the held run is not dismissed now.
   */
  async confirmRemovals(accountId: string, id: string, keyId: string): Promise<SyncRunDto> {
    const run = await this.requireHeld(accountId, id);
    const pending: Array<{ bitrix24_user_id: number; kind: Removal['kind']; employee_id: string; state: string }> = await this.db.query(
      `SELECT p.bitrix24_user_id, p.kind, l.employee_id, l.state
         FROM sync_pending_removal p JOIN bitrix24_user_link l ON l.connection_id = p.connection_id AND l.bitrix24_user_id = p.bitrix24_user_id
        WHERE p.run_id = $1 AND l.state <> p.kind AND (p.kind = 'deleted' OR l.state = 'active')`,
      [id],
    );
    const claimed: unknown[] = await queryRows(this.db, `UPDATE sync_run SET status = 'succeeded', guard_resolution = 'confirmed', guard_resolved_by_key_id = $3, guard_resolved_at = now()
        WHERE account_id = $1 AND id = $2 AND status = 'awaiting_confirmation' RETURNING id`,
      [accountId, id, keyId],
    );
    if (!claimed.length) throw new DomainException('conflict', 'run_not_awaiting_confirmation', 'This run is not waiting for a confirmation any more');
    const removals: Removal[] = pending.map((p) => ({ bitrix24UserId: p.bitrix24_user_id, employeeId: p.employee_id, kind: p.kind, fromState: p.state }));
    const connection = await this.connections.require(accountId, run.connection_id);
    // The counters, the items and the removals in one transaction: applied and reported once;
    // then the heads and managers follow the dismissals, reported on this run like a run's own.
    await this.engine.applyConfirmedRemovals(id, accountId, connection, removals, run.counters, async (manager, counters: RunCounters) => {
      await manager.query(`UPDATE sync_run SET counters = $2 WHERE id = $1`, [id, JSON.stringify(counters)]);
      await manager.query(`DELETE FROM sync_pending_removal WHERE run_id = $1`, [id]);
    });
    return this.get(accountId, id);
  }

  async discardRemovals(accountId: string, id: string, keyId: string): Promise<SyncRunDto> {
    await this.requireHeld(accountId, id);
    const claimed: unknown[] = await queryRows(this.db, `UPDATE sync_run SET status = 'succeeded', guard_resolution = 'discarded', guard_resolved_by_key_id = $3, guard_resolved_at = now()
        WHERE account_id = $1 AND id = $2 AND status = 'awaiting_confirmation' RETURNING id`,
      [accountId, id, keyId],
    );
    if (!claimed.length) throw new DomainException('conflict', 'run_not_awaiting_confirmation', 'This run is not waiting for a confirmation any more');
    await this.db.query(`DELETE FROM sync_pending_removal WHERE run_id = $1`, [id]);
    return this.get(accountId, id);
  }

  private async require(accountId: string, id: string): Promise<SyncRunRow> {
    const row = await this.runs.get(accountId, id);
    if (!row) throw notFound('Sync run');
    return row;
  }

  private async requireHeld(accountId: string, id: string): Promise<SyncRunRow> {
    const run = await this.require(accountId, id);
    if (run.status !== 'awaiting_confirmation') {
      throw new DomainException('conflict', 'run_not_awaiting_confirmation', `This run is ${run.status}; only a run held by the mass-removal guard can be confirmed or discarded`);
    }
    return run;
  }
}
