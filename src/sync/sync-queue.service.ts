import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Bitrix24ConnectionsService } from '../bitrix24/bitrix24-connections.service';
import type { Bitrix24ConnectionEntity } from '../bitrix24/bitrix24-connection.entity';
import type { Bitrix24EventSink } from '../bitrix24/bitrix24-event-sink';
import { DomainException } from '../common/errors/domain.exception';
import { SyncRunRow, SyncRunsRepository } from './sync-runs.repository';
import { SyncWorker } from './sync-worker.service';
import { DepartmentScope, readDepartmentScope, sameDepartmentScope } from './rules/department-scope.rule';

/** Whether a run in flight previews the same proposed selection (or none) as the request. */
function sameProposal(stored: unknown, requested: DepartmentScope | null): boolean {
  if (!stored || !requested) return !stored && !requested;
  return sameDepartmentScope(readDepartmentScope(stored), requested);
}

/**
 * Puts work on the durable queue (sync_run rows) and wakes this process's worker.
 * Whatever replica has capacity picks it up; a crash after the insert loses nothing.
 */
@Injectable()
export class SyncQueueService implements Bitrix24EventSink {
  private readonly logger = new Logger(SyncQueueService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly runs: SyncRunsRepository,
    private readonly worker: SyncWorker,
    private readonly connections: Bitrix24ConnectionsService,
  ) {}

  /** The Synchronize button: a full run now, or the one already queued or running. */
  async requestFullRun(accountId: string, connectionId: string, keyId: string, dryRun = false, proposedScope: DepartmentScope | null = null): Promise<{ run: SyncRunRow; created: boolean }> {
    if (proposedScope && !dryRun) {
      throw new DomainException('invalid', 'department_scope_needs_preview', 'departmentScope may only be sent with dryRun: true (to apply a selection, save it on the connection)');
    }
    await this.requireActiveConnection(accountId, connectionId);
    // One full run at a time per portal, previews included: pressing twice returns the run in flight.
    const result = await this.runs.queueFullRun(accountId, connectionId, 'manual', keyId, dryRun, proposedScope);
    if (!result.created && (result.run.dry_run !== dryRun || !sameProposal(result.run.proposed_department_scope, proposedScope))) {
      const message = !dryRun
        ? 'A preview is running; synchronize when it has finished'
        : result.run.dry_run
          ? 'A preview of another department selection is running; preview this one when it has finished'
          : 'A synchronization is running; preview when it has finished';
      throw new DomainException('conflict', 'run_in_flight', message, {
        runId: result.run.id,
        dryRun: result.run.dry_run,
      });
    }
    this.worker.wake(false);
    return result;
  }

  /** "Import this person now" (check-user with apply): an event-style run for one user, requested by the key. */
  async requestUserRun(accountId: string, connectionId: string, bitrix24UserId: number, keyId: string): Promise<SyncRunRow> {
    await this.requireActiveConnection(accountId, connectionId);
    const run = await this.runs.queueEventRun(accountId, connectionId, [bitrix24UserId], keyId);
    this.worker.wake(false);
    return run;
  }

  /** The caller's connection, when it can talk to Bitrix24 now (else 404 / 409 connection_not_active). */
  async requireActiveConnection(accountId: string, connectionId: string): Promise<Bitrix24ConnectionEntity> {
    const connection = await this.connections.require(accountId, connectionId);
    if (connection.state !== 'active') {
      throw new DomainException('conflict', 'connection_not_active', `The connection is ${connection.state.replace('_', ' ')}; reconnect it before synchronizing`, {
        state: connection.state,
        reason: connection.stateReason,
      });
    }
    return connection;
  }

  async usersAdded(connectionId: string, accountId: string, bitrix24UserIds: number[]): Promise<void> {
    const run = await this.runs.queueEventRun(accountId, connectionId, bitrix24UserIds);
    this.logger.log({ msg: 'new Bitrix24 users queued for import', connectionId, runId: run.id, users: bitrix24UserIds.length });
    this.worker.wake(false);
  }

  async fullRunNeeded(accountId: string, connectionId: string, keyId: string): Promise<void> {
    const { run } = await this.runs.queueFullRun(accountId, connectionId, 'manual', keyId);
    if (run.dry_run) {
      // A preview holds the one full-run slot and applies nothing: the connection is due the
      // moment it ends, so the new settings are applied by the next tick's run.
      await this.db.query(`UPDATE bitrix24_connection SET next_sync_at = now() WHERE id = $1 AND account_id = $2`, [connectionId, accountId]);
      this.logger.log({ msg: 'settings changed while a preview runs; a full run follows it', connectionId, previewRunId: run.id });
    } else {
      this.logger.log({ msg: 'full run queued after a settings change', connectionId, runId: run.id });
    }
    this.worker.wake(false);
  }

  async connectionReady(connectionId: string): Promise<void> {
    await this.db.query(`UPDATE bitrix24_connection SET next_sync_at = now() WHERE id = $1 AND state = 'active'`, [connectionId]);
    this.worker.wake();
  }
}
