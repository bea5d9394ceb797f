import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { withLogContext } from '../common/logging/log-context';
import { Bitrix24ConnectionEntity } from '../bitrix24/bitrix24-connection.entity';
import { connectionSchedule } from '../bitrix24/bitrix24-connections.service';
import { stateAfterFailure } from '../bitrix24/admin-rights';
import { Bitrix24Error, type Bitrix24ErrorKind } from '../bitrix24/client/bitrix24-error';
import { isEmbedded } from '../database/data-source-options';
import { backoffDelaySeconds, nextDueAt } from './rules';
import { RunAborted, RunControl, SyncEngine } from './sync-engine.service';
import { SyncLeasesRepository } from './sync-leases.repository';
import { SyncRunRow, SyncRunsRepository } from './sync-runs.repository';
import { SyncStore } from './sync-store';
import { Bitrix24ClientFactory } from '../bitrix24/bitrix24-client.factory';
import { Bitrix24OfflineEventsCollector } from '../bitrix24/bitrix24-offline-events.service';

const HOUSEKEEPING_EVERY_MS = 10 * 60_000;

class JobControl implements RunControl {
  reason: RunAborted['reason'] | null = null;
  abort(reason: RunAborted['reason']): void {
    this.reason = this.reason ?? reason;
  }
  throwIfAborted(): void {
    if (this.reason) throw new RunAborted(this.reason);
  }
}

/**
 * Runs the import queue. The tick only claims: connections that are due (schedule) or
 * have queued runs (Synchronize, ONUSERADD) are leased in PostgreSQL with
 * `FOR UPDATE SKIP LOCKED`, so any number of replicas never run one portal twice at
 * once. The lease is renewed while a job runs; a replica that dies simply stops renewing
 * and another one picks the connection (and its unfinished run) up after expiry.
 */
@Injectable()
export class SyncWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SyncWorker.name);
  readonly runnerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly jobs = new Map<string, { promise: Promise<void>; control: JobControl }>();
  private stopping = false;
  private ticking: Promise<void> | null = null;
  private again: 'due' | 'queued' | null = null;
  private lastHousekeeping = 0;
  private readonly maxJobs: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly engine: SyncEngine,
    private readonly runs: SyncRunsRepository,
    private readonly leases: SyncLeasesRepository,
    private readonly scheduler: SchedulerRegistry,
    private readonly store: SyncStore,
    private readonly clients: Bitrix24ClientFactory,
    private readonly offline: Bitrix24OfflineEventsCollector,
  ) {
    // The embedded engine has one connection: one job at a time. A server: SYNC_CONCURRENCY.
    this.maxJobs = isEmbedded(config) ? 1 : config.sync.concurrency;
  }

  /**
   * The tick runs on every replica whatever SYNC_SCHEDULER_ENABLED says: it is what reclaims
   * expired leases (a dead replica's run) and starts queued runs. The flag only decides
   * whether schedule-due connections are claimed too (issue 12, finding 2).
   */
  onApplicationBootstrap(): void {
    this.scheduler.addInterval('sync-tick', setInterval(() => this.wake(), this.config.sync.tickSeconds * 1000));
    this.wake();
  }

  /** Asks for a tick now (queued work); never throws, never blocks the caller. */
  wake(includeDue = this.config.sync.schedulerEnabled): void {
    if (this.stopping) return;
    if (this.ticking) {
      // Remember the widest request: a queued-only wake must not swallow a due one.
      this.again = this.again === 'due' || includeDue ? 'due' : 'queued';
      return;
    }
    this.ticking = this.tick(includeDue)
      .catch((error: unknown) => this.logger.error({ msg: 'sync tick failed', error: (error as Error).message }))
      .finally(() => {
        this.ticking = null;
        const again = this.again;
        this.again = null;
        if (again) this.wake(again === 'due');
      });
  }

  /** One tick, then waits for every job it started (tests and `runPollerOnce`). */
  async runOnce(includeDue = true): Promise<void> {
    if (this.ticking) await this.ticking;
    await this.tick(includeDue);
    await this.idle();
  }

  /** Resolves when no job of this process is running. */
  async idle(): Promise<void> {
    while (this.jobs.size || this.ticking || this.offline.busy) {
      await Promise.all([...this.jobs.values()].map((j) => j.promise));
      if (this.ticking) await this.ticking;
      await this.offline.idle();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.scheduler.doesExist('interval', 'sync-tick')) this.scheduler.deleteInterval('sync-tick');
    if (this.ticking) await this.ticking.catch(() => undefined);
    await this.offline.idle();
    if (!this.jobs.size) return;
    this.logger.log({ msg: 'shutting down: letting running syncs finish', jobs: this.jobs.size });
    const all = Promise.all([...this.jobs.values()].map((j) => j.promise));
    const finished = await Promise.race([all.then(() => true), sleep(this.config.sync.shutdownGraceSeconds * 1000).then(() => false)]);
    if (!finished) {
      // Hand the work back: the run goes back to the queue at the next chunk boundary.
      for (const job of this.jobs.values()) job.control.abort('shutdown');
      await Promise.race([all, sleep(15_000)]);
    }
  }

  private async tick(includeDue: boolean): Promise<void> {
    if (this.stopping) return;
    await this.housekeeping();
    // Offline event queues that are due (Bitrix24OfflineEventsCollector: cadence, first tick after a restart).
    // One pass at a time: ticks now also follow every finished job.
    if (includeDue && !this.offline.busy) this.offline.startDue();
    const capacity = this.maxJobs - this.jobs.size;
    if (capacity <= 0) return;
    const claimed = await this.leases.claim(this.runnerId, includeDue, capacity, [...this.jobs.keys()], this.config.sync.leaseSeconds);
    for (const id of claimed) {
      const control = new JobControl();
      const promise = this.job(id, control, includeDue).then(
        // A finished job frees a slot: claim the next connection now, not at the next tick (issue 12, finding 3).
        () => {
          this.jobs.delete(id);
          this.wake();
        },
        // A crashed one waits for the tick, so a job that crashes at once cannot spin.
        (error: unknown) => {
          this.jobs.delete(id);
          this.logger.error({ msg: 'sync job crashed', connectionId: id, error: (error as Error).message });
        },
      );
      this.jobs.set(id, { promise, control });
    }
  }

  private async job(connectionId: string, control: JobControl, includeDue: boolean): Promise<void> {
    const heartbeat = setInterval(() => {
      this.renewLease(connectionId)
        .then((held) => held || control.abort('lease_lost'))
        .catch(() => undefined);
    }, Math.max(1000, (this.config.sync.leaseSeconds * 1000) / 3));
    try {
      for (;;) {
        if (this.stopping || control.reason) return;
        const connection = await this.db.getRepository(Bitrix24ConnectionEntity).findOneBy({ id: connectionId });
        if (!connection || connection.state !== 'active' || !connection.accountId) return;
        let run: SyncRunRow | null = await this.runs.nextRunFor(connectionId);
        if (run) {
          run = await this.runs.markRunning(run.id, this.runnerId);
          if (!run) {
            // Refused: the run moved on, or this process no longer holds the connection.
            if (!(await this.renewLease(connectionId))) return control.abort('lease_lost');
            continue;
          }
        } else if (includeDue && connection.nextSyncAt && connection.nextSyncAt.getTime() <= Date.now()) {
          run = await this.runs.startScheduledRun(connection.accountId, connectionId, this.runnerId);
          if (!run) continue;
        } else if (await this.releaseLease(connectionId)) {
          return;
        } else {
          continue; // something was queued while we were finishing: keep the lease and go on
        }
        await this.execute(run, connection, control);
      }
    } finally {
      clearInterval(heartbeat);
      if (control.reason !== 'lease_lost') await this.releaseLease(connectionId, true).catch(() => undefined);
    }
  }

  private async execute(run: SyncRunRow, connection: Bitrix24ConnectionEntity, control: JobControl): Promise<void> {
    await withLogContext({ runId: run.id, connectionId: connection.id, accountId: run.account_id }, async () => {
      const started = Date.now();
      const statementsBefore = this.store.statements;
      const requestsBefore = this.clients.httpRequests;
      this.logger.log({ msg: 'sync run started', trigger: run.trigger, attempt: run.attempts });
      const full = run.trigger !== 'event';
      try {
        // New hires Bitrix24 queued while we were down or could not push; throws only when the connection is dead.
        await this.offline.collect(connection.id);
        const result = await this.engine.execute(run, connection, control);
        await this.runs.finish(run.id, this.runnerId, { ...result });
        if (full) await this.recordSuccess(connection, result.counters.exportUntrusted === true);
        this.logger.log({
          msg: 'sync run finished',
          status: result.status,
          durationMs: Date.now() - started,
          counters: result.counters,
          // Figures for capacity planning and the benchmark (approximate when runs overlap).
          sqlStatements: this.store.statements - statementsBefore,
          bitrix24Requests: this.clients.httpRequests - requestsBefore,
        });
      } catch (error) {
        if (error instanceof RunAborted) {
          if (error.reason === 'shutdown') {
            // The checkpoint stays: the next attempt continues after the last committed chunk.
            await this.runs.handBack(run.id, this.runnerId);
            this.logger.warn({ msg: 'sync run handed back to the queue (shutdown)' });
          } else {
            // Also when the engine found out (its checkpoint was refused): this job stops, it must not take the run back.
            control.abort('lease_lost');
            this.logger.warn({ msg: 'sync run stopped: another replica holds the connection now' });
          }
          return;
        }
        const kind = error instanceof Bitrix24Error ? error.kind : 'internal';
        const code = error instanceof Bitrix24Error ? error.code : 'internal_error';
        const message = error instanceof Error ? error.message : String(error);
        await this.runs.fail(run.id, this.runnerId, code, message);
        await this.recordFailure(connection, kind, code, message, full, error instanceof Bitrix24Error ? error.retryAt : undefined);
        this.logger.warn({ msg: 'sync run failed', kind, code, error: message, durationMs: Date.now() - started });
      }
    });
  }

  private async recordSuccess(connection: Bitrix24ConnectionEntity, exportUntrusted: boolean): Promise<void> {
    const next = nextDueAt(connectionSchedule(connection, this.config.sync.intervalMinutes), new Date());
    if (exportUntrusted) {
      // An empty export while people are linked is not a success (issue 12, finding 6): the
      // connection shows it as its last error, and the failure count and backoff stay as they were.
      await this.db.query(
        `UPDATE bitrix24_connection SET next_sync_at = greatest($2, next_sync_at), last_error_code = 'export_untrusted',
                last_error_message = 'Bitrix24 returned no users while people are linked: nobody was marked deleted', last_error_at = now(), updated_at = now()
          WHERE id = $1`,
        [connection.id, next],
      );
      return;
    }
    await this.db.query(
      `UPDATE bitrix24_connection SET next_sync_at = $2, last_success_at = now(), consecutive_failures = 0,
              last_error_code = NULL, last_error_message = NULL, last_error_at = NULL, updated_at = now()
        WHERE id = $1`,
      [connection.id, next],
    );
  }

  private async recordFailure(connection: Bitrix24ConnectionEntity, kind: Bitrix24ErrorKind | 'internal', code: string, message: string, full: boolean, notBefore?: number): Promise<void> {
    // Failures only the owner (or a portal administrator) can fix stop the polling (admin-rights.ts).
    const ownerState = stateAfterFailure(kind);
    if (ownerState) {
      await this.db.query(
        `UPDATE bitrix24_connection SET state = $4, state_reason = $2, state_changed_at = now(),
                last_error_code = $2, last_error_message = $3, last_error_at = now(), updated_at = now()
          WHERE id = $1 AND state = 'active'`,
        [connection.id, code, message.slice(0, 1000), ownerState],
      );
      return;
    }
    const failures = connection.consecutiveFailures + 1;
    // Back off exponentially, and never before the time Bitrix24 said a block lifts.
    const retryAt = new Date(Math.max(Date.now() + backoffDelaySeconds(failures) * 1000, notBefore ?? 0));
    await this.db.query(
      `UPDATE bitrix24_connection SET consecutive_failures = consecutive_failures + 1, last_error_code = $2, last_error_message = $3,
              last_error_at = now(), next_sync_at = CASE WHEN $5 THEN $4 ELSE next_sync_at END, updated_at = now()
        WHERE id = $1`,
      [connection.id, code, message.slice(0, 1000), retryAt, full],
    );
  }

  private renewLease(connectionId: string): Promise<boolean> {
    return this.leases.renew(connectionId, this.runnerId, this.config.sync.leaseSeconds);
  }

  private releaseLease(connectionId: string, force = false): Promise<boolean> {
    return this.leases.release(connectionId, this.runnerId, force);
  }

  private async housekeeping(): Promise<void> {
    if (Date.now() - this.lastHousekeeping < HOUSEKEEPING_EVERY_MS) return;
    await this.runHousekeeping();
  }

  /** Fails queued work of stopped connections, prunes old report items, drops stale OAuth states. */
  async runHousekeeping(): Promise<void> {
    this.lastHousekeeping = Date.now();
    const failed = await this.runs.failQueuedForInactiveConnections();
    const pruned = await this.runs.pruneItems(this.config.sync.runItemsRetentionDays);
    await this.db.query(`DELETE FROM bitrix24_oauth_state WHERE expires_at < now() - interval '1 day'`);
    if (failed || pruned) this.logger.log({ msg: 'housekeeping', queuedRunsFailed: failed, runsPruned: pruned });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
