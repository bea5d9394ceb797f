import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Bitrix24ConnectionsService } from '../bitrix24/bitrix24-connections.service';
import type { Bitrix24EventSink } from '../bitrix24/bitrix24-event-sink';
import { DomainException } from '../common/errors/domain.exception';
import { SyncRunRow, SyncRunsRepository } from './sync-runs.repository';
import { SyncWorker } from './sync-worker.service';

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
  async requestFullRun(accountId: string, connectionId: string, keyId: string): Promise<{ run: SyncRunRow; created: boolean }> {
    const connection = await this.connections.require(accountId, connectionId);
    if (connection.state !== 'active') {
      throw new DomainException('conflict', 'connection_not_active', `The connection is ${connection.state.replace('_', ' ')}; reconnect it before synchronizing`, {
        state: connection.state,
        reason: connection.stateReason,
      });
    }
    const result = await this.runs.queueFullRun(accountId, connectionId, 'manual', keyId);
    this.worker.wake(false);
    return result;
  }

  async usersAdded(connectionId: string, accountId: string, bitrix24UserIds: number[]): Promise<void> {
    const run = await this.runs.queueEventRun(accountId, connectionId, bitrix24UserIds);
    this.logger.log({ msg: 'new Bitrix24 users queued for import', connectionId, runId: run.id, users: bitrix24UserIds.length });
    this.worker.wake(false);
  }

  async fullRunNeeded(accountId: string, connectionId: string, keyId: string): Promise<void> {
    const { run } = await this.runs.queueFullRun(accountId, connectionId, 'manual', keyId);
    this.logger.log({ msg: 'full run queued after a settings change', connectionId, runId: run.id });
    this.worker.wake(false);
  }

  async connectionReady(connectionId: string): Promise<void> {
    await this.db.query(`UPDATE bitrix24_connection SET next_sync_at = now() WHERE id = $1 AND state = 'active'`, [connectionId]);
    this.worker.wake();
  }
}
