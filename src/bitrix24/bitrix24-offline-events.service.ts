import { Inject, Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Bitrix24AppStateRepository } from './bitrix24-app-state.repository';
import { Bitrix24ClientFactory } from './bitrix24-client.factory';
import { BITRIX24_EVENT_SINK, Bitrix24EventSink } from './bitrix24-event-sink';
import { Bitrix24Client } from './client/bitrix24-client';
import { Bitrix24Error } from './client/bitrix24-error';
import { OfflineBatch, readOfflineBatch, reservedProcessIds } from './offline-events';

/** Longer than any collection can take (MAX_BATCHES reads and clears, each under the request timeout and its retries). */
const LEASE_SECONDS = 300;
/** event.offline.get `limit` (the documented default). */
const BATCH = 50;
/** At most 1,000 new hires per collection; the rest at the next one. */
const MAX_BATCHES = 20;
/** Connections whose queue the cadence reads per tick, and how many at once. */
const DUE_PER_TICK = 50;
const PARALLEL = 8;
const ONLY_NEW_HIRES = { EVENT_NAME: 'ONUSERADD' };
/**
 * Answers that say the connection itself no longer works (not just that the queue could not be
 * read): collect() passes them on so the run fails as it would have, with the same code.
 * _includes/system-errors.md, settings/oauth/error-codes.md; CONNECTION_NOT_ACTIVE is ours.
 */
const CONNECTION_DEAD = new Set(['invalid_grant', 'invalid_client', 'invalid_token', 'NO_AUTH_FOUND', 'PAYMENT_REQUIRED', 'PORTAL_DELETED', 'CONNECTION_NOT_ACTIVE', 'CONNECTION_NOT_FOUND']);

export interface OfflineCollection {
  /** New hires queued for import (event runs through the event sink). */
  users: number;
  /** Batches read and cleared. */
  batches: number;
  /** Why reading stopped early (recorded on the connection), or null. */
  error: string | null;
}

/**
 * Reads a connection's offline event queue (api-reference/events/offline-events.md) with its
 * own stored credentials, and queues the new hires it holds as event runs through the event
 * sink — the same path a pushed ONUSERADD takes. Bitrix24 does not retry a failed handler
 * call, so this is how a new hire announced while the service was down, or to a connection
 * that cannot authenticate pushed events, is imported at the next tick instead of the next
 * full sync.
 *
 * Exactly-once-ish, as "Retrieval with reservation" describes: event.offline.get with
 * clear=0 reserves a batch under a process_id, which is stored on the connection before
 * anything is imported; the users are queued (durably); then event.offline.clear removes the
 * batch and the stored process_id is dropped. A crash anywhere in between leaves the
 * process_id, and the next collection reads that batch again (event.offline.get with
 * process_id) before anything new. A crash between reserving and storing the process_id
 * leaves the collector's lease unreleased; the next collection then looks for reserved
 * batches with event.offline.list and finishes them. Re-queueing a user is harmless (an event
 * run of an imported, unchanged user writes nothing). On a plan without reservation
 * (403 WRONG_LICENSE on clear=0) it reads with clear=1, where a crash can lose one batch.
 * One collector per connection across replicas: a lease on the row (compare-and-set).
 */
@Injectable()
export class Bitrix24OfflineEventsCollector {
  private readonly logger = new Logger(Bitrix24OfflineEventsCollector.name);
  /** "The first tick after the service was down": every queue not read since this process started is due. */
  private readonly startedAt = new Date();
  private readonly running = new Set<Promise<unknown>>();
  private sinkRef: Bitrix24EventSink | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clients: Bitrix24ClientFactory,
    private readonly state: Bitrix24AppStateRepository,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** The sync module's queue, looked up when first needed: it depends on the worker, which depends on this collector. */
  private get sink(): Bitrix24EventSink {
    this.sinkRef ??= this.moduleRef.get<Bitrix24EventSink>(BITRIX24_EVENT_SINK, { strict: false });
    return this.sinkRef;
  }

  /**
   * Reads, queues and clears one connection's offline queue. Null when another collector
   * holds it or it is not an active OAuth connection of an account. A failure is logged and
   * recorded on the connection (installation.offlineError); only an answer that the
   * connection itself is dead (CONNECTION_DEAD) is thrown, after the lease is released.
   */
  async collect(connectionId: string): Promise<OfflineCollection | null> {
    const claim = await this.state.claimOffline(connectionId, LEASE_SECONDS);
    if (!claim) return null;
    const done: OfflineCollection = { users: 0, batches: 0, error: null };
    let dead: Bitrix24Error | null = null;
    try {
      const client = await this.clients.forConnection(connectionId);
      const batches = { client, connectionId, accountId: claim.accountId, done };
      if (claim.abandoned) {
        const page = await client.call<unknown>('event.offline.list', { filter: { ...ONLY_NEW_HIRES, ERROR: 0, '>PROCESS_ID': '' } });
        for (const processId of reservedProcessIds(page.result)) if (processId !== claim.processId) await this.finish(batches, processId);
      }
      if (claim.processId) await this.finish(batches, claim.processId);
      let clearOnRead = claim.clearOnRead;
      for (let round = 0; round < MAX_BATCHES; round++) {
        let batch: OfflineBatch;
        try {
          batch = readOfflineBatch((await client.call<unknown>('event.offline.get', { filter: ONLY_NEW_HIRES, limit: BATCH, clear: clearOnRead ? 1 : 0 })).result);
        } catch (error) {
          if (clearOnRead || !(error instanceof Bitrix24Error && error.code === 'WRONG_LICENSE')) throw error;
          // offline-events.md "Availability check": reservation is not in every plan.
          this.logger.warn({ msg: 'the portal’s plan has no offline-event reservation; reading with clear=1 (a crash can lose a batch)', connectionId });
          await this.state.setOfflineClearOnRead(connectionId);
          clearOnRead = true;
          round--;
          continue;
        }
        if (!batch.count) break;
        if (clearOnRead || !batch.processId) {
          await this.queue(batches, batch);
        } else {
          await this.state.setOfflineProcess(connectionId, batch.processId);
          await this.settle(batches, batch.processId, batch);
        }
        if (batch.count < BATCH) break;
      }
    } catch (error) {
      if (error instanceof Bitrix24Error && CONNECTION_DEAD.has(error.code)) dead = error;
      done.error = error instanceof Error ? error.message : String(error);
      this.logger.warn({ msg: 'reading the offline event queue failed; new hires arrive with the next read or full sync', connectionId, error: done.error, code: error instanceof Bitrix24Error ? error.code : undefined });
    } finally {
      await this.state.releaseOffline(connectionId, done.error);
    }
    if (dead) throw dead;
    if (done.users) this.logger.log({ msg: 'new hires from the offline event queue queued for import', connectionId, users: done.users, batches: done.batches });
    return done;
  }

  /**
   * The cadence of the tick: starts collecting the queues that are due (Bitrix24AppStateRepository
   * .dueForOffline), a few at a time, without holding the tick up. `idle()` waits for them.
   */
  startDue(): void {
    const run = (async () => {
      const due = await this.state.dueForOffline(this.startedAt, this.config.bitrix24.offlinePollMinutes, DUE_PER_TICK);
      // A dead connection was already marked by the token service; the next run reports it.
      for (let i = 0; i < due.length; i += PARALLEL) await Promise.all(due.slice(i, i + PARALLEL).map((id) => this.collect(id).catch(() => null)));
    })().catch((error: unknown) => this.logger.warn({ msg: 'offline event cadence failed', error: (error as Error).message }));
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** A collection started by startDue() is running. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Resolves when no collection started by startDue() is running. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }

  /** A reserved batch (after a crash, or found by event.offline.list): read it again by its process_id, queue, clear. */
  private async finish(ctx: BatchContext, processId: string): Promise<void> {
    const batch = readOfflineBatch((await ctx.client.call<unknown>('event.offline.get', { process_id: processId, clear: 0, limit: BATCH })).result);
    await this.settle(ctx, processId, batch);
  }

  /** Queue the users, report unreadable records (event.offline.error), clear the batch, forget its process_id. */
  private async settle(ctx: BatchContext, processId: string, batch: OfflineBatch): Promise<void> {
    await this.queue(ctx, batch);
    if (batch.unreadable.length) await ctx.client.call('event.offline.error', { process_id: processId, message_id: batch.unreadable });
    await ctx.client.call('event.offline.clear', { process_id: processId });
    await this.state.setOfflineProcess(ctx.connectionId, null);
  }

  private async queue(ctx: BatchContext, batch: OfflineBatch): Promise<void> {
    ctx.done.batches++;
    if (!batch.userIds.length) return;
    await this.sink.usersAdded(ctx.connectionId, ctx.accountId, batch.userIds);
    ctx.done.users += batch.userIds.length;
  }
}

interface BatchContext {
  client: Bitrix24Client;
  connectionId: string;
  accountId: string;
  done: OfflineCollection;
}
