import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface SyncProblemRow {
  bitrix24_user_id: number;
  kind: string;
  reason: string | null;
  name: string | null;
  details: Record<string, unknown> | null;
  first_seen_at: Date;
  last_seen_at: Date;
}

/** Reads of the standing-problems list (the engine writes it through SyncStore, with its chunks, only where it changed). */
@Injectable()
export class SyncProblemsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** A page in (Bitrix24 user, kind) order; `after` is the last row of the previous page. */
  list(accountId: string, connectionId: string, filter: { kind?: string; reason?: string }, limit: number, after?: { uid: number; kind: string }): Promise<SyncProblemRow[]> {
    const where = ['account_id = $1', 'connection_id = $2'];
    const params: unknown[] = [accountId, connectionId];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.kind) where.push(`kind = ${param(filter.kind)}`);
    if (filter.reason) where.push(`reason = ${param(filter.reason)}`);
    if (after) where.push(`(bitrix24_user_id, kind) > (${param(after.uid)}::int, ${param(after.kind)}::text)`);
    // A run that read the whole portal saw every problem still listed (the others it deleted):
    // a standing problem is not rewritten per run, its last sighting is that run's start.
    return this.db.query(
      `SELECT bitrix24_user_id, kind, reason, name, details, first_seen_at,
              greatest(last_seen_at, (SELECT r.started_at FROM sync_run r
                                       WHERE r.connection_id = $2 AND r.account_id = $1 AND r.trigger <> 'event' AND r.export_complete AND NOT r.dry_run
                                       ORDER BY r.queued_at DESC LIMIT 1)) AS last_seen_at
         FROM sync_problem
        WHERE ${where.join(' AND ')} ORDER BY bitrix24_user_id, kind LIMIT ${param(limit + 1)}`,
      params,
    );
  }
}
