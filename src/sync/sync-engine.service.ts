import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Bitrix24ClientFactory } from '../bitrix24/bitrix24-client.factory';
import type { Bitrix24ConnectionEntity } from '../bitrix24/bitrix24-connection.entity';
import { bitrix24UserId, Bitrix24Department, Bitrix24User } from '../bitrix24/bitrix24-user';
import { insufficientRightsMessage } from '../bitrix24/admin-rights';
import type { Bitrix24Client } from '../bitrix24/client/bitrix24-client';
import { Bitrix24Error } from '../bitrix24/client/bitrix24-error';
import { ChunkPlan, ChunkSettings, ChunkState, planChunk } from './chunk-plan';
import { CountryCode, evaluateRemovalGuard, isExportTrustworthy } from './rules';
import { countItems, RunCounters, RunItem } from './sync-run.types';
import { SyncRunRow, SyncRunsRepository } from './sync-runs.repository';
import { SyncStore } from './sync-store';
import { DepartmentSync } from './department-sync.service';
import { untaggedNameSql } from '../employees/employee-sql';

export class RunAborted extends Error {
  constructor(readonly reason: 'lease_lost' | 'shutdown') {
    super(reason === 'lease_lost' ? 'Another replica took over this connection' : 'The service is shutting down');
  }
}

/** Lets the engine notice, between chunks, that it must stop (lease lost, shutdown). */
export interface RunControl {
  throwIfAborted(): void;
}

export interface RunResult {
  status: 'succeeded' | 'awaiting_confirmation';
  counters: RunCounters;
  processed: number;
  total: number | null;
  exportComplete: boolean;
  guard: Record<string, unknown> | null;
}

export type Removal = { bitrix24UserId: number; employeeId: string; kind: 'dismissed' | 'deleted' | 'out_of_scope'; fromState: string };

/**
 * Executes one run: a full import of the portal's users, or the users named by an
 * ONUSERADD event. Set-based: users arrive as pages of up to 2,500, each page is planned
 * in memory (planChunk) and written in one transaction, so a crash leaves every
 * employee whole and a re-run converges. Removals (dismissed, deleted) are applied at
 * the end, after the export proved complete and the mass-removal guard agreed.
 */
@Injectable()
export class SyncEngine {
  private readonly logger = new Logger(SyncEngine.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly clients: Bitrix24ClientFactory,
    private readonly store: SyncStore,
    private readonly runs: SyncRunsRepository,
    private readonly departments: DepartmentSync,
  ) {}

  async execute(run: SyncRunRow, connection: Bitrix24ConnectionEntity, control: RunControl): Promise<RunResult> {
    // The run may wait out rate limits, operating-time blocks and 503 storms until its deadline.
    const client = await this.clients.forConnection(connection.id, { deadlineAt: Date.now() + this.config.sync.runDeadlineSeconds * 1000 });
    const ctx = new RunContext(run, connection, control);
    if (run.trigger === 'event' || !this.departments.needsTreeFirst(connection)) ctx.settings.inDepartmentScope = (await this.departments.runScope(connection)).check;
    if (run.trigger === 'event' && run.target_user_ids?.length) return this.executeEvent(ctx, client, run.target_user_ids);
    return this.executeFull(ctx, client);
  }

  private async executeFull(ctx: RunContext, client: Bitrix24Client): Promise<RunResult> {
    const departments: Bitrix24Department[] = [];
    // A department selection must be known before the first user is planned: the tree is
    // read first (a few requests) and the export then skips department pages.
    const treeFirst = this.departments.needsTreeFirst(ctx.connection);
    if (treeFirst) {
      // A preview reports the tree's changes and reads the selection against the tree as stored.
      const tree = await client.departments();
      await this.recordItems(ctx, ctx.dryRun ? await this.departments.previewTree(ctx.connection, tree) : await this.departments.syncTree(ctx.accountId, ctx.connection, tree));
      ctx.settings.inDepartmentScope = (await this.departments.runScope(ctx.connection)).check;
    }
    // Strictly one page at a time: fetching the next page ahead saved little on two cores
    // and cost ~30 MB of peak RSS at 100,000 users (bench/README.md).
    // requireAdmin: the first request checks user.admin; a user who is not a portal
    // administrator sees only part of the portal (admin-rights.ts), so the run stops there.
    try {
      for await (const page of client.fullExport({ expectedUsers: await this.runs.lastFullRunTotal(ctx.connectionId), requireAdmin: true, departments: !treeFirst })) {
        ctx.control.throwIfAborted();
        ctx.total = page.totalUsers;
        departments.push(...page.departments);
        if (page.users.length) await this.processChunk(ctx, page.users);
      }
    } catch (error) {
      if (error instanceof Bitrix24Error && error.kind === 'insufficient_rights') {
        throw new Bitrix24Error(error.kind, error.code, insufficientRightsMessage(ctx.connection.authType, ctx.connection.bitrix24UserId));
      }
      throw error;
    }
    // A preview reports the tree's changes and writes no department row.
    if (!treeFirst) await this.recordItems(ctx, ctx.dryRun ? await this.departments.previewTree(ctx.connection, departments) : await this.departments.syncTree(ctx.accountId, ctx.connection, departments));
    // The export reached its end without an error: only now may absence mean "deleted".
    const links = await this.store.countLinks(ctx.connectionId);
    const removals = [...ctx.pendingDismissals];
    const trusted = isExportTrustworthy({ complete: true, readByAdministrator: true, returnedCount: ctx.seen.size, linkedCount: links.total });
    if (trusted) {
      const unseen = await this.store.unseenLinks(ctx.connectionId, [...ctx.seen]);
      if (unseen.length) {
        // Offset paging can skip a user when the list shifts under it; ask for the
        // missing ones by ID before calling anyone deleted.
        const found = await client.usersById(unseen.map((l) => l.bitrix24UserId));
        if (found.length) await this.processChunk(ctx, found);
        const stillThere = new Set(found.map((u) => bitrix24UserId(u)));
        for (const link of unseen) {
          if (!stillThere.has(link.bitrix24UserId)) removals.push({ bitrix24UserId: link.bitrix24UserId, employeeId: link.employeeId, kind: 'deleted', fromState: link.state });
        }
      }
    } else {
      ctx.counters.exportUntrusted = true;
      this.logger.warn({ msg: 'export came back empty while links exist; nobody is marked deleted', connectionId: ctx.connectionId });
    }
    return this.withPeople(ctx, await this.finish(ctx, removals, links.active, trusted));
  }

  /** Memberships, heads and managers follow the people this run imported (and removed). */
  private async withPeople(ctx: RunContext, result: RunResult): Promise<RunResult> {
    // Memberships, heads and managers are derived from what real runs wrote: not previewed.
    if (ctx.dryRun) return result;
    await this.recordItems(ctx, await this.departments.syncPeople(ctx.accountId, ctx.connection));
    return result;
  }

  private async recordItems(ctx: RunContext, items: RunItem[]): Promise<void> {
    if (!items.length) return;
    await this.db.transaction(async (manager) => {
      await this.store.insertItems(manager, ctx.runId, items);
      countItems(ctx.counters, items);
      await this.runs.progress(ctx.runId, ctx.processed, ctx.total, ctx.counters, manager);
    });
  }

  private async executeEvent(ctx: RunContext, client: Bitrix24Client, userIds: number[]): Promise<RunResult> {
    ctx.total = userIds.length;
    const users = await client.usersById(userIds);
    await this.processChunk(ctx, users);
    const returned = new Set(users.map((u) => bitrix24UserId(u)));
    const missing: RunItem[] = userIds
      .filter((id) => !returned.has(id))
      .map((id) => ({ bitrix24UserId: id, employeeId: null, outcome: 'skipped', reason: 'out_of_scope', name: `Bitrix24 user #${id}`, details: { notReturnedByBitrix24: true } }));
    if (missing.length) {
      await this.store.insertItems(this.db.manager, ctx.runId, missing);
      countItems(ctx.counters, missing);
    }
    const links = await this.store.countLinks(ctx.connectionId);
    return this.withPeople(ctx, await this.finish(ctx, [...ctx.pendingDismissals], links.active, false));
  }

  private async processChunk(ctx: RunContext, users: Bitrix24User[]): Promise<void> {
    const state = await this.store.loadChunkState(ctx.accountId, ctx.connectionId, users);
    if (ctx.dryRun) ctx.preview.seeEarlierChunks(state);
    const plan = planChunk(users, state, ctx.settings, randomUUID);
    if (ctx.dryRun) ctx.preview.remember(plan);
    for (const id of plan.seenIds) ctx.seen.add(id);
    ctx.pendingDismissals.push(...plan.pendingDismissals);
    ctx.processed += users.length;
    countItems(ctx.counters, plan.items);
    await this.db.transaction(async (manager) => {
      // A preview writes the same report and nothing else (a new person has no employee id yet).
      if (ctx.dryRun) await this.store.insertItems(manager, ctx.runId, previewItems(plan));
      else await this.store.applyPlan(manager, ctx.accountId, ctx.connectionId, ctx.runId, plan);
      await this.runs.progress(ctx.runId, ctx.processed, ctx.total, ctx.counters, manager);
    });
  }

  /** Applies removals, or holds them for confirmation when they exceed the guard's share. */
  private async finish(ctx: RunContext, removals: Removal[], linkedActive: number, exportComplete: boolean): Promise<RunResult> {
    const base = { counters: ctx.counters, processed: ctx.processed, total: ctx.total, exportComplete };
    if (exportComplete && !ctx.dryRun) {
      // This complete export re-evaluated every removal: older held lists are stale now.
      await this.db.query(
        `UPDATE sync_run SET status = 'succeeded', guard_resolution = 'superseded', guard_resolved_at = now()
          WHERE connection_id = $1 AND status = 'awaiting_confirmation' AND id <> $2`,
        [ctx.connectionId, ctx.runId],
      );
      await this.db.query(`DELETE FROM sync_pending_removal p USING sync_run r WHERE r.id = p.run_id AND r.connection_id = $1 AND r.guard_resolution = 'superseded'`, [ctx.connectionId]);
    }
    if (!removals.length) return { status: 'succeeded', guard: null, ...base };
    const thresholdPercent = ctx.connection.removalGuardPercent ?? this.config.sync.removalGuardPercent;
    const fromActive = removals.filter((r) => r.fromState === 'active').length;
    const verdict = evaluateRemovalGuard({ linkedActiveCount: linkedActive, pendingRemovals: fromActive, thresholdPercent });
    const guard = {
      thresholdPercent,
      sharePercent: verdict.sharePercent,
      linkedActive,
      dismissals: removals.filter((r) => r.kind === 'dismissed').length,
      deletions: removals.filter((r) => r.kind === 'deleted').length,
      outOfScope: removals.filter((r) => r.kind === 'out_of_scope').length,
      held: verdict.hold,
    };
    if (verdict.hold) {
      await this.db.transaction(async (manager) => {
        await manager.query(
          `INSERT INTO sync_pending_removal (run_id, connection_id, bitrix24_user_id, kind)
           SELECT $1, $2, t.uid, t.kind FROM unnest($3::int[], $4::text[]) AS t(uid, kind) ON CONFLICT DO NOTHING`,
          [ctx.runId, ctx.connectionId, removals.map((r) => r.bitrix24UserId), removals.map((r) => r.kind)],
        );
      });
      this.logger.warn({ msg: 'mass removal held for confirmation', connectionId: ctx.connectionId, dryRun: ctx.dryRun, ...guard });
      // A preview lists who would be held (GET pending-removals) and has nothing to confirm.
      return { status: ctx.dryRun ? 'succeeded' : 'awaiting_confirmation', guard, ...base };
    }
    if (ctx.dryRun) {
      // Reported as the real run applies them; nothing changes.
      await this.reportRemovals(ctx.runId, ctx.accountId, removals, ctx.counters, { dryRun: true });
      return { status: 'succeeded', guard, ...base };
    }
    await this.applyRemovals(ctx.runId, ctx.accountId, ctx.connectionId, removals, ctx.counters);
    return { status: 'succeeded', guard, ...base };
  }

  /** Marks links dismissed/deleted, takes those employees off the responsible list, and reports both. */
  async applyRemovals(runId: string, accountId: string, connectionId: string, removals: Removal[], counters: RunCounters): Promise<void> {
    await this.db.transaction(async (manager) => {
      const removedFromResponsible = new Set(await this.store.applyRemovals(manager, accountId, connectionId, removals));
      await this.writeRemovalItems(manager, runId, accountId, removals, removedFromResponsible, counters, null);
    });
  }

  /** A preview's removals: the same items, read-only (who is on the responsible list now). */
  private async reportRemovals(runId: string, accountId: string, removals: Removal[], counters: RunCounters, extra: Record<string, unknown>): Promise<void> {
    await this.db.transaction(async (manager) => {
      const responsible = new Set(await this.store.responsibleAmong(manager, accountId, removals.map((r) => r.employeeId)));
      await this.writeRemovalItems(manager, runId, accountId, removals, responsible, counters, extra);
    });
  }

  private async writeRemovalItems(
    manager: EntityManager,
    runId: string,
    accountId: string,
    removals: Removal[],
    removedFromResponsible: Set<string>,
    counters: RunCounters,
    extra: Record<string, unknown> | null,
  ): Promise<void> {
    const names: Array<{ employee_id: string; name: string }> = await manager.query(
      `SELECT e.id AS employee_id, ${untaggedNameSql('e')} AS name FROM employee e WHERE e.account_id = $1 AND e.id = ANY($2::uuid[])`,
      [accountId, removals.map((r) => r.employeeId)],
    );
    const nameOf = new Map(names.map((n) => [n.employee_id, n.name]));
    const items: RunItem[] = [];
    for (const r of removals) {
      const name = nameOf.get(r.employeeId) ?? null;
      items.push({ bitrix24UserId: r.bitrix24UserId, employeeId: r.employeeId, outcome: r.kind, reason: null, name, details: { previousState: r.fromState, ...extra } });
      if (removedFromResponsible.has(r.employeeId)) {
        items.push({ bitrix24UserId: r.bitrix24UserId, employeeId: r.employeeId, outcome: 'removed_from_responsible', reason: r.kind, name, details: null });
        removedFromResponsible.delete(r.employeeId);
      }
    }
    await this.store.insertItems(manager, runId, items);
    countItems(counters, items);
  }
}

/**
 * A real run writes each chunk before planning the next, so a later chunk sees the
 * employees and links of earlier ones. A preview writes nothing: it remembers them here
 * and shows them to later chunks the way the database would have.
 */
class PreviewMemory {
  private readonly createdByEmail = new Map<string, string>();
  private readonly linkedEmployees = new Set<string>();

  remember(plan: ChunkPlan): void {
    for (const e of plan.newEmployees) if (e.fields.email) this.createdByEmail.set(e.fields.email, e.id);
    for (const l of plan.newLinks) this.linkedEmployees.add(l.employeeId);
  }

  seeEarlierChunks(state: ChunkState): void {
    for (const [email, list] of state.candidatesByEmail) state.candidatesByEmail.set(email, list.map((c) => (this.linkedEmployees.has(c.employeeId) ? { ...c, linkedOnThisPortal: true } : c)));
    for (const [email, employeeId] of this.createdByEmail) {
      const list = state.candidatesByEmail.get(email) ?? [];
      if (!list.some((c) => c.employeeId === employeeId)) state.candidatesByEmail.set(email, [...list, { employeeId, linkedOnThisPortal: true }]);
    }
  }
}

/** A preview's report: the plan's items, with no id for employees that do not exist. */
function previewItems(plan: ChunkPlan): RunItem[] {
  const created = new Set(plan.newEmployees.map((e) => e.id));
  return plan.items.map((i) => (i.employeeId && created.has(i.employeeId) ? { ...i, employeeId: null } : i));
}

class RunContext {
  readonly runId: string;
  readonly accountId: string;
  readonly connectionId: string;
  settings: ChunkSettings;
  readonly counters: RunCounters = {};
  readonly seen = new Set<number>();
  readonly pendingDismissals: Removal[] = [];
  processed = 0;
  total: number | null = null;
  readonly dryRun: boolean;
  readonly preview = new PreviewMemory();

  constructor(
    run: SyncRunRow,
    readonly connection: Bitrix24ConnectionEntity,
    readonly control: RunControl,
  ) {
    this.runId = run.id;
    this.accountId = run.account_id;
    this.connectionId = run.connection_id;
    this.dryRun = run.dry_run === true;
    this.settings = {
      edition: connection.edition,
      includeExtranet: connection.includeExtranet,
      defaultCountry: connection.defaultCountry as CountryCode,
    };
  }
}
