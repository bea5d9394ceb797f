import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isUniqueViolation } from '../database/postgres-errors';
import type { RunAttempt, RunCheckpoint, RunCounters, RunStatus, RunTrigger } from './sync-run.types';
import { queryRows } from '../database/query-rows';

export interface SyncRunRow {
  id: string;
  account_id: string;
  connection_id: string;
  trigger: RunTrigger;
  status: RunStatus;
  target_user_ids: number[] | null;
  requested_by_key_id: string | null;
  queued_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  heartbeat_at: Date | null;
  runner_id: string | null;
  attempts: number;
  processed: number;
  total: number | null;
  counters: RunCounters;
  export_complete: boolean | null;
  guard: Record<string, unknown> | null;
  guard_resolution: string | null;
  guard_resolved_at: Date | null;
  error_code: string | null;
  error_message: string | null;
  items_pruned_at: Date | null;
  /** A preview: reads the portal and reports, writes no employee, link, phone or responsible row. */
  dry_run: boolean;
  /** A preview of a department selection that is not saved yet (readDepartmentScope shape); null otherwise. */
  proposed_department_scope: unknown;
  checkpoint: RunCheckpoint | null;
  attempt_log: RunAttempt[];
  /** Only on rows read through get/list: see STALLED_SINCE. */
  stalled_since?: Date | null;
}

export interface RunItemRow {
  id: string;
  bitrix24_user_id: number | null;
  employee_id: string | null;
  outcome: string;
  reason: string | null;
  name: string | null;
  details: Record<string, unknown> | null;
}

/** attempt_log with its last entry closed (an UPDATE's SET expression; `outcome` is SQL). */
const closeLastAttempt = (outcome: string) =>
  `CASE WHEN jsonb_array_length(attempt_log) = 0 THEN attempt_log
        ELSE jsonb_set(attempt_log, ARRAY[(jsonb_array_length(attempt_log) - 1)::text], (attempt_log -> -1) || jsonb_build_object('endedAt', now(), 'outcome', ${outcome})) END`;

/**
 * A running run whose runner no longer holds a live lease on the connection (it died, or
 * lost the database) is stalled from its last sign of life until another runner takes it
 * over (markRunning gives it a new runner and a fresh lease).
 */
const STALLED_SINCE = `CASE WHEN sync_run.status = 'running' AND NOT EXISTS (
    SELECT 1 FROM bitrix24_connection c WHERE c.id = sync_run.connection_id AND c.lease_owner = sync_run.runner_id AND c.lease_expires_at >= now())
  THEN coalesce(sync_run.heartbeat_at, sync_run.started_at, sync_run.queued_at) END AS stalled_since`;

const FULL_RUN_IN_FLIGHT = `(connection_id) WHERE status IN ('queued', 'running') AND trigger <> 'event'`;

/** sync_run and its items: the run queue, run state transitions (compare-and-set) and reports. */
@Injectable()
export class SyncRunsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Queues a full run unless one is already queued or running for the connection, in
   * which case that run is returned (pressing Synchronize twice starts one run).
   */
  async queueFullRun(
    accountId: string,
    connectionId: string,
    trigger: 'manual' | 'schedule',
    keyId: string | null,
    dryRun = false,
    proposedDepartmentScope: unknown = null,
  ): Promise<{ run: SyncRunRow; created: boolean }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted: SyncRunRow[] = await this.db.query(
        `INSERT INTO sync_run (account_id, connection_id, trigger, status, requested_by_key_id, dry_run, proposed_department_scope)
         VALUES ($1, $2, $3, 'queued', $4, $5, $6::jsonb)
         ON CONFLICT ${FULL_RUN_IN_FLIGHT} DO NOTHING
         RETURNING *`,
        [accountId, connectionId, trigger, keyId, dryRun, proposedDepartmentScope === null ? null : JSON.stringify(proposedDepartmentScope)],
      );
      if (inserted[0]) return { run: inserted[0], created: true };
      const [existing]: SyncRunRow[] = await this.db.query(
        `SELECT * FROM sync_run WHERE connection_id = $1 AND status IN ('queued', 'running') AND trigger <> 'event' LIMIT 1`,
        [connectionId],
      );
      if (existing) return { run: existing, created: false };
    }
    throw new Error('Could not queue a run');
  }

  async queueEventRun(accountId: string, connectionId: string, userIds: number[], keyId: string | null = null): Promise<SyncRunRow> {
    const [run]: SyncRunRow[] = await this.db.query(
      `INSERT INTO sync_run (account_id, connection_id, trigger, status, target_user_ids, requested_by_key_id) VALUES ($1, $2, 'event', 'queued', $3::int[], $4) RETURNING *`,
      [accountId, connectionId, userIds, keyId],
    );
    return run;
  }

  /** The next run to execute for a connection this process holds the lease of. */
  async nextRunFor(connectionId: string): Promise<SyncRunRow | null> {
    // An orphan first (its replica died mid-run and the lease expired), then the queue in order.
    const [run]: SyncRunRow[] = await this.db.query(
      `SELECT * FROM sync_run WHERE connection_id = $1 AND status IN ('running', 'queued')
        ORDER BY (status = 'running') DESC, queued_at, id LIMIT 1`,
      [connectionId],
    );
    return run ?? null;
  }

  /** How many users the portal had at its last complete full export (to size the first request). */
  async lastFullRunTotal(connectionId: string): Promise<number | null> {
    const [row]: Array<{ total: number | null }> = await this.db.query(
      `SELECT total FROM sync_run WHERE connection_id = $1 AND trigger <> 'event' AND export_complete AND total IS NOT NULL AND NOT dry_run
        ORDER BY finished_at DESC NULLS LAST LIMIT 1`,
      [connectionId],
    );
    return row?.total ?? null;
  }

  /** Creates a scheduled run already marked running by this runner; null if a full run is in flight. */
  async startScheduledRun(accountId: string, connectionId: string, runnerId: string): Promise<SyncRunRow | null> {
    try {
      const [run]: SyncRunRow[] = await this.db.query(
        `INSERT INTO sync_run (account_id, connection_id, trigger, status, started_at, heartbeat_at, runner_id, attempts, attempt_log)
         VALUES ($1, $2, 'schedule', 'running', now(), now(), $3, 1, jsonb_build_array(jsonb_build_object('attempt', 1, 'runnerId', $3::text, 'startedAt', now())))
         RETURNING *`,
        [accountId, connectionId, runnerId],
      );
      return run;
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  /**
   * queued|running → running by this runner: a new attempt. A run with a checkpoint keeps
   * its committed progress and counters (the new attempt continues after it); one without
   * committed nothing, so it starts from zero. An attempt that never ended (its process was
   * killed, or its lease was taken over) is closed as abandoned at its last heartbeat.
   * Only the holder of the connection's lease may start an attempt.
   */
  async markRunning(runId: string, runnerId: string): Promise<SyncRunRow | null> {
    const [run]: SyncRunRow[] = await queryRows(
      this.db,
      `UPDATE sync_run SET status = 'running', started_at = coalesce(started_at, now()), heartbeat_at = now(), runner_id = $2, attempts = attempts + 1,
              processed = CASE WHEN checkpoint IS NULL THEN 0 ELSE processed END,
              total = CASE WHEN checkpoint IS NULL THEN NULL ELSE total END,
              counters = CASE WHEN checkpoint IS NULL THEN '{}' ELSE counters END,
              error_code = NULL, error_message = NULL,
              attempt_log = (SELECT coalesce(jsonb_agg(CASE WHEN x.e ? 'endedAt' THEN x.e
                                                            ELSE x.e || jsonb_build_object('endedAt', coalesce(heartbeat_at, now()), 'outcome', 'abandoned') END ORDER BY x.n), '[]'::jsonb)
                               FROM jsonb_array_elements(attempt_log) WITH ORDINALITY AS x(e, n))
                            || jsonb_build_array(jsonb_build_object('attempt', attempts + 1, 'runnerId', $2::text, 'startedAt', now(),
                                                                    'resumedAfterUserId', checkpoint -> 'afterUserId', 'resumedAtStage', checkpoint -> 'stage'))
        WHERE id = $1 AND status IN ('queued', 'running')
          AND EXISTS (SELECT 1 FROM bitrix24_connection c WHERE c.id = sync_run.connection_id AND c.lease_owner = $2)
        RETURNING *`,
      [runId, runnerId],
    );
    return run ?? null;
  }

  /**
   * Commits a chunk's progress in the chunk's own transaction (compare-and-set on the
   * attempt): false when another attempt took the run over, and the caller rolls back, so a
   * superseded attempt's chunk never counts.
   */
  async checkpoint(
    manager: EntityManager,
    runId: string,
    runnerId: string,
    attempt: number,
    state: { processed: number; total: number | null; counters: RunCounters; checkpoint: RunCheckpoint },
  ): Promise<boolean> {
    const rows: unknown[] = await queryRows(
      manager,
      `UPDATE sync_run SET processed = $4, total = $5, counters = $6, checkpoint = $7, heartbeat_at = now()
        WHERE id = $1 AND status = 'running' AND runner_id = $2 AND attempts = $3 RETURNING id`,
      [runId, runnerId, attempt, state.processed, state.total, JSON.stringify(state.counters), JSON.stringify(state.checkpoint)],
    );
    return rows.length > 0;
  }

  /** running → queued (shutdown): the checkpoint, counters and items stay; the next attempt continues after them. */
  async handBack(runId: string, runnerId: string): Promise<boolean> {
    const rows: unknown[] = await queryRows(
      this.db,
      `UPDATE sync_run SET status = 'queued', runner_id = NULL, attempt_log = ${closeLastAttempt(`'handed_back'`)}
        WHERE id = $1 AND status = 'running' AND runner_id = $2 RETURNING id`,
      [runId, runnerId],
    );
    return rows.length > 0;
  }

  async finish(
    runId: string,
    runnerId: string,
    outcome: { status: 'succeeded' | 'awaiting_confirmation'; counters: RunCounters; processed: number; total: number | null; exportComplete: boolean | null; guard?: Record<string, unknown> | null },
    manager: EntityManager = this.db.manager,
  ): Promise<boolean> {
    const rows: unknown[] = await queryRows(
      manager,
      `UPDATE sync_run SET status = $3, counters = $4, processed = $5, total = $6, export_complete = $7, guard = $8,
              error_code = NULL, error_message = NULL, finished_at = now(), attempt_log = ${closeLastAttempt('$3::text')}
        WHERE id = $1 AND status = 'running' AND runner_id = $2 RETURNING id`,
      [runId, runnerId, outcome.status, JSON.stringify(outcome.counters), outcome.processed, outcome.total, outcome.exportComplete, outcome.guard ? JSON.stringify(outcome.guard) : null],
    );
    return rows.length > 0;
  }

  /** running → failed; the progress and counters committed so far stay, so the report shows how far it got. */
  async fail(runId: string, runnerId: string, errorCode: string, errorMessage: string): Promise<void> {
    await this.db.query(
      `UPDATE sync_run SET status = 'failed', finished_at = now(), export_complete = false, error_code = $3, error_message = $4,
              attempt_log = ${closeLastAttempt(`'failed'`)}
        WHERE id = $1 AND status = 'running' AND runner_id = $2`,
      [runId, runnerId, errorCode, errorMessage.slice(0, 1000)],
    );
  }

  async get(accountId: string, id: string, manager: EntityManager = this.db.manager): Promise<SyncRunRow | null> {
    const [row]: SyncRunRow[] = await manager.query(`SELECT *, ${STALLED_SINCE} FROM sync_run WHERE account_id = $1 AND id = $2`, [accountId, id]);
    return row ?? null;
  }

  async list(accountId: string, filter: { connectionId?: string; status?: string[]; trigger?: string[] }, limit: number, before?: { queuedAt: Date; id: string }): Promise<SyncRunRow[]> {
    const where = ['account_id = $1'];
    const params: unknown[] = [accountId];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.connectionId) add('connection_id = ?', filter.connectionId);
    if (filter.status?.length) add('status = ANY(?::text[])', filter.status);
    if (filter.trigger?.length) add('trigger = ANY(?::text[])', filter.trigger);
    if (before) {
      params.push(before.queuedAt, before.id);
      where.push(`(queued_at, id) < ($${params.length - 1}, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    return this.db.query(`SELECT *, ${STALLED_SINCE} FROM sync_run WHERE ${where.join(' AND ')} ORDER BY queued_at DESC, id DESC LIMIT $${params.length}`, params);
  }

  /** A page of a run's report, in the order it was written or by person name; `after` is the last row of the previous page. */
  async items(runId: string, filter: { outcome?: string; reason?: string }, limit: number, sort: 'report' | 'name', after?: { id: string; name?: string }): Promise<Array<RunItemRow & { sort_name: string }>> {
    const where = ['run_id = $1'];
    const params: unknown[] = [runId];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.outcome) where.push(`outcome = ${param(filter.outcome)}`);
    if (filter.reason) where.push(`reason = ${param(filter.reason)}`);
    const byName = sort === 'name';
    const nameKey = `lower(coalesce(name, ''))`;
    // i.id, not id: the output column `id` is text, and ORDER BY would sort by it ("10000" < "9999"),
    // so pages cut at a numeric cursor skipped items once ids crossed a power of ten.
    if (after && byName) where.push(`(${nameKey}, i.id) > (${param(after.name ?? '')}, ${param(after.id)}::bigint)`);
    else if (after) where.push(`i.id > ${param(after.id)}::bigint`);
    return this.db.query(
      `SELECT i.id::text AS id, bitrix24_user_id, employee_id, outcome, reason, name, details, ${nameKey} AS sort_name FROM sync_run_item i
        WHERE ${where.join(' AND ')} ORDER BY ${byName ? `${nameKey}, i.id` : 'i.id'} LIMIT ${param(limit + 1)}`,
      params,
    );
  }

  /** Queued work for connections that can no longer run (uninstalled, disconnected, …) fails with a reason. */
  async failQueuedForInactiveConnections(): Promise<number> {
    const rows: unknown[] = await queryRows(this.db, `UPDATE sync_run r SET status = 'failed', finished_at = now(), error_code = 'connection_not_active',
              error_message = 'The connection stopped (' || c.state || ') before this run could start'
         FROM bitrix24_connection c
        WHERE c.id = r.connection_id AND r.status = 'queued' AND c.state <> 'active'
        RETURNING r.id`,
    );
    return rows.length;
  }

  /** Retention: old runs keep their counters; their per-user items go. */
  async pruneItems(retentionDays: number): Promise<number> {
    const rows: unknown[] = await queryRows(this.db, `WITH old AS (
         SELECT id FROM sync_run
          WHERE finished_at < now() - make_interval(days => $1) AND items_pruned_at IS NULL AND status <> 'awaiting_confirmation'
          LIMIT 500
       ), gone AS (DELETE FROM sync_run_item i USING old WHERE i.run_id = old.id RETURNING i.run_id)
       UPDATE sync_run r SET items_pruned_at = now() FROM old WHERE r.id = old.id RETURNING r.id`,
      [retentionDays],
    );
    return rows.length;
  }
}
