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
import { ChunkPlan, ChunkSettings, ChunkState, ExistingLink, planChunk, PLAN_RULES_VERSION } from './chunk-plan';
import { isSettled, settingsFingerprint } from './user-fingerprint';
import { CountryCode, evaluateRemovalGuard, isExportTrustworthy, LinkState, PlannedLink } from './rules';
import { countItems, RunCheckpoint, RunCounters, RunItem } from './sync-run.types';
import { SyncRunRow, SyncRunsRepository } from './sync-runs.repository';
import { IdRange, Removal, SyncStore } from './sync-store';
import { DepartmentRunScope, DepartmentSync, PlannedPeopleChanges, plannedLinksOf } from './department-sync.service';
import { untaggedNameSql } from '../employees/employee-sql';

/** How long pages that change nothing may go without writing the run's progress. */
const QUIET_CHECKPOINT_MS = 2_000;

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
export type { Removal };

/** What a chunk's transaction commits besides its plan: the end of the export, or of an event run. */
interface ChunkEnd {
  stage: 'verified';
  exportComplete: boolean;
  removals: Removal[];
  items: RunItem[];
}

/**
 * Executes one run: a full import of the portal's users, or the users named by an
 * ONUSERADD event. Set-based: users arrive as pages of up to 2,500, each page is planned
 * in memory (planChunk) and written in one transaction together with its report items and
 * the run's checkpoint (counters, keyset position), so a crash leaves every employee whole
 * and a resumed attempt continues after the last committed page with the committed
 * counters: its report equals a clean run's (issue 12, finding 4). Removals (dismissed,
 * deleted) are applied at the end, after the export proved complete and the mass-removal
 * guard agreed, in one transaction with the stage that says they are done.
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

  async execute(run: SyncRunRow, stored: Bitrix24ConnectionEntity, control: RunControl): Promise<RunResult> {
    const connection = withPreviewedScope(run, stored);
    const ctx = new RunContext(run, connection, control);
    if (ctx.dryRun && run.checkpoint) await this.restartPreview(ctx);
    // A run resumed after its export (or its event chunk) was committed only has its end left.
    if (ctx.checkpoint.stage !== 'export') return this.withPeople(ctx, await this.finish(ctx));
    // The run may wait out rate limits, operating-time blocks and 503 storms until its deadline.
    const client = await this.clients.forConnection(connection.id, { deadlineAt: Date.now() + this.config.sync.runDeadlineSeconds * 1000 });
    if (run.trigger === 'event' || !this.departments.needsTreeFirst(connection)) ctx.useScope(await this.departments.runScope(connection, { fromRules: ctx.dryRun }));
    if (run.trigger === 'event' && run.target_user_ids?.length) return this.executeEvent(ctx, client, run.target_user_ids);
    return this.executeFull(ctx, client);
  }

  /**
   * A preview resumed after a kill or a hand-back starts over, in one transaction: what its
   * committed chunks would have written lived only in the stopped process (PreviewMemory:
   * later chunks' matching and the department phase need it), and a preview writes nothing
   * else to resume from. Its report then is a clean preview's.
   */
  private async restartPreview(ctx: RunContext): Promise<void> {
    const fresh: RunCheckpoint = { stage: 'export', afterUserId: null, unseen: [] };
    await this.db.transaction(async (manager) => {
      await this.commitCheckpoint(manager, ctx, { processed: 0, total: null, counters: {}, checkpoint: fresh });
      await this.store.clearRunReport(manager, ctx.runId);
    });
    ctx.commit(0, {}, fresh);
    ctx.total = null;
  }

  private async executeFull(ctx: RunContext, client: Bitrix24Client): Promise<RunResult> {
    const departments: Bitrix24Department[] = [];
    // A department selection must be known before the first user is planned: the tree is
    // read first (a few requests) and the export then skips department pages.
    const treeFirst = this.departments.needsTreeFirst(ctx.connection);
    if (treeFirst) {
      // A preview reports the tree's changes and reads the selection against the tree as stored.
      const tree = await client.departments();
      if (ctx.dryRun) {
        ctx.preview.tree = tree;
        await this.recordItems(ctx, await this.departments.previewTree(ctx.connection, tree));
      } else await this.departments.syncTree(ctx.accountId, ctx.connection, tree, (manager, items) => this.recordItems(ctx, items, manager));
      ctx.useScope(await this.departments.runScope(ctx.connection, { fromRules: ctx.dryRun }));
    }
    // A resumed attempt reads only the users after the checkpoint (keyset `>ID`,
    // api-reference/common/performance/huge-data.md); departments are read whole again
    // (department.get has no `>ID` filter).
    const resumedFrom = ctx.checkpoint.afterUserId;
    const processedBefore = ctx.processed;
    let after = resumedFrom ?? 0;
    // Strictly one page at a time: fetching the next page ahead saved little on two cores
    // and cost ~30 MB of peak RSS at 100,000 users (bench/README.md).
    // requireAdmin: the first request checks user.admin; a user who is not a portal
    // administrator sees only part of the portal (admin-rights.ts), so the run stops there.
    try {
      const expectedUsers = resumedFrom === null ? await this.runs.lastFullRunTotal(ctx.connectionId) : null;
      for await (const page of client.fullExport({ expectedUsers, afterUserId: resumedFrom, requireAdmin: true, departments: !treeFirst })) {
        ctx.control.throwIfAborted();
        // On a resume the portal counts only the users after the checkpoint.
        ctx.total = processedBefore + page.totalUsers;
        departments.push(...page.departments);
        if (page.users.length && page.lastUserId !== null) {
          await this.processChunk(ctx, page.users, { after, upTo: page.lastUserId });
          after = page.lastUserId;
        }
      }
    } catch (error) {
      if (error instanceof Bitrix24Error && error.kind === 'insufficient_rights') {
        throw new Bitrix24Error(error.kind, error.code, insufficientRightsMessage(ctx.connection.authType, ctx.connection.bitrix24UserId));
      }
      throw error;
    }
    // A preview reports the tree's changes and writes no department row.
    if (!treeFirst && ctx.dryRun) {
      ctx.preview.tree = departments;
      await this.recordItems(ctx, await this.departments.previewTree(ctx.connection, departments));
    } else if (!treeFirst) await this.departments.syncTree(ctx.accountId, ctx.connection, departments, (manager, items) => this.recordItems(ctx, items, manager));
    // The export reached its end without an error: only now may absence mean "deleted".
    const links = await this.store.countLinks(ctx.connectionId);
    const trusted = isExportTrustworthy({ complete: true, readByAdministrator: true, returnedCount: ctx.processed, linkedCount: links.total });
    const deletions: Removal[] = [];
    let found: Bitrix24User[] = [];
    if (trusted) {
      const unseen = await this.store.unseenLinks(ctx.connectionId, ctx.checkpoint.unseen, after);
      if (unseen.length) {
        // A user can be missed when the list shifts under the export; ask for the
        // missing ones by ID before calling anyone deleted.
        found = await client.usersById(unseen.map((l) => l.bitrix24UserId));
        const stillThere = new Set(found.map((u) => bitrix24UserId(u)));
        for (const link of unseen) {
          if (!stillThere.has(link.bitrix24UserId)) deletions.push({ bitrix24UserId: link.bitrix24UserId, employeeId: link.employeeId, kind: 'deleted', fromState: link.state });
        }
      }
    } else {
      ctx.counters.exportUntrusted = true;
      this.logger.warn({ msg: 'export came back empty while links exist; nobody is marked deleted', connectionId: ctx.connectionId });
    }
    await this.processChunk(ctx, found, null, { stage: 'verified', exportComplete: trusted, removals: deletions, items: [] });
    return this.withPeople(ctx, await this.finish(ctx));
  }

  /** Memberships, heads and managers follow the people this run imported (and removed). */
  private async withPeople(ctx: RunContext, result: RunResult): Promise<RunResult> {
    // A preview plans them from what it would have written (PreviewMemory), the same way.
    if (ctx.dryRun) await this.recordItems(ctx, await this.departments.previewPeople(ctx.accountId, ctx.connection, ctx.preview.plannedPeople(result.guard?.held !== true)));
    else await this.departments.syncPeople(ctx.accountId, ctx.connection, ctx.runId, (manager, items) => this.recordItems(ctx, items, manager));
    return { ...result, counters: ctx.counters };
  }

  /**
   * Items of the department phase with the run's counters, compare-and-set like a chunk
   * (in the caller's transaction when it gives one, so they commit with what they report).
   */
  private async recordItems(ctx: RunContext, items: RunItem[], manager?: EntityManager): Promise<void> {
    if (!items.length) return;
    const counters = countItems(structuredClone(ctx.counters), items);
    const write = async (m: EntityManager) => {
      await this.commitCheckpoint(m, ctx, { processed: ctx.processed, total: ctx.total, counters, checkpoint: ctx.checkpoint });
      await this.store.insertItems(m, ctx.runId, items);
    };
    if (manager) await write(manager);
    else await this.db.transaction(write);
    ctx.commit(ctx.processed, counters, ctx.checkpoint);
  }

  private async executeEvent(ctx: RunContext, client: Bitrix24Client, userIds: number[]): Promise<RunResult> {
    ctx.total = userIds.length;
    const users = await client.usersById(userIds);
    const returned = new Set(users.map((u) => bitrix24UserId(u)));
    const missing: RunItem[] = userIds
      .filter((id) => !returned.has(id))
      .map((id) => ({ bitrix24UserId: id, employeeId: null, outcome: 'skipped', reason: 'out_of_scope', name: `Bitrix24 user #${id}`, details: { notReturnedByBitrix24: true } }));
    await this.processChunk(ctx, users, null, { stage: 'verified', exportComplete: false, removals: [], items: missing });
    return this.withPeople(ctx, await this.finish(ctx));
  }

  /**
   * Plans one chunk and commits it in one transaction: its writes, its report items, the
   * removals it found and the run's checkpoint (compare-and-set on the attempt, so a chunk
   * of an attempt that was taken over rolls back and never counts). `end` closes the export.
   */
  private async processChunk(ctx: RunContext, users: Bitrix24User[], range: IdRange | null, end?: ChunkEnd): Promise<void> {
    const fingerprints = ctx.settings.fingerprintSettings;
    const settled = fingerprints === undefined ? undefined : (user: Bitrix24User, link: ExistingLink) => isSettled(fingerprints, user, link);
    const state = users.length ? await this.store.loadChunkState(ctx.accountId, ctx.connectionId, users, range, settled) : null;
    if (ctx.dryRun && state) ctx.preview.seeEarlierChunks(state);
    const plan = state ? planChunk(users, state, ctx.settings, randomUUID) : null;
    if (ctx.dryRun && plan) ctx.preview.remember(plan);
    const removals: Removal[] = [...(plan?.pendingDismissals ?? []), ...(end?.removals ?? [])];
    if (ctx.dryRun) ctx.preview.rememberRemovals(removals);
    const counters = countItems(structuredClone(ctx.counters), [...(plan?.items ?? []), ...(end?.items ?? [])]);
    const processed = ctx.processed + users.length;
    const unseenInRange = state?.unseenInRange ?? [];
    const checkpoint: RunCheckpoint = {
      ...ctx.checkpoint,
      afterUserId: range ? range.upTo : ctx.checkpoint.afterUserId,
      unseen: unseenInRange.length ? [...ctx.checkpoint.unseen, ...unseenInRange] : ctx.checkpoint.unseen,
      ...(end ? { stage: end.stage, exportComplete: end.exportComplete } : {}),
    };
    // Work in proportion to change (issue 12): a page that changes nothing commits nothing. Its
    // counts and position ride with the next commit (a resumed attempt reads it again, so the
    // report stays a clean run's), and at least every few seconds for the progress shown.
    if (plan && !end && !ctx.dryRun && Date.now() - ctx.checkpointedAt < QUIET_CHECKPOINT_MS && !(await this.store.planWrites(ctx.connectionId, plan, range ?? plan.seenIds))) {
      ctx.commit(processed, counters, checkpoint);
      return;
    }
    await this.db.transaction(async (manager) => {
      // First: it locks the run row, so a replica taking the run over waits for this chunk and resumes after it.
      await this.commitCheckpoint(manager, ctx, { processed, total: ctx.total, counters, checkpoint });
      // A preview writes the same report and nothing else (a new person has no employee id yet).
      if (plan && ctx.dryRun) await this.store.insertItems(manager, ctx.runId, previewItems(plan));
      else if (plan) await this.store.applyPlan(manager, ctx.accountId, ctx.connectionId, ctx.runId, plan, range);
      if (end?.items.length) await this.store.insertItems(manager, ctx.runId, end.items);
      // Every user was read again by this complete, trusted export: the pages cleared their ranges' fixed problems, this clears the rest.
      if (end?.exportComplete && !ctx.dryRun) await this.store.clearProblemsAfter(manager, ctx.connectionId, checkpoint.afterUserId ?? 0, plan?.seenIds ?? []);
      await this.store.addPendingRemovals(manager, ctx.runId, ctx.connectionId, removals);
    });
    ctx.commit(processed, counters, checkpoint);
  }

  private async commitCheckpoint(manager: EntityManager, ctx: RunContext, state: Parameters<SyncRunsRepository['checkpoint']>[4]): Promise<void> {
    if (!(await this.runs.checkpoint(manager, ctx.runId, ctx.runnerId, ctx.attempt, state))) throw new RunAborted('lease_lost');
    ctx.checkpointedAt = Date.now();
  }

  /** Applies the run's removals, or holds them for confirmation when they exceed the guard's share. */
  private async finish(ctx: RunContext): Promise<RunResult> {
    const exportComplete = ctx.checkpoint.exportComplete === true;
    const result = (status: RunResult['status'], guard: Record<string, unknown> | null): RunResult => ({ status, guard, counters: ctx.counters, processed: ctx.processed, total: ctx.total, exportComplete });
    if (exportComplete && !ctx.dryRun) {
      // This complete export re-evaluated every removal: older held lists are stale now.
      await this.db.query(
        `UPDATE sync_run SET status = 'succeeded', guard_resolution = 'superseded', guard_resolved_at = now()
          WHERE connection_id = $1 AND status = 'awaiting_confirmation' AND id <> $2`,
        [ctx.connectionId, ctx.runId],
      );
      await this.db.query(`DELETE FROM sync_pending_removal p USING sync_run r WHERE r.id = p.run_id AND r.connection_id = $1 AND r.guard_resolution = 'superseded'`, [ctx.connectionId]);
    }
    if (ctx.checkpoint.stage === 'removed') return result('succeeded', ctx.checkpoint.guard ?? null);
    const removals = await this.store.pendingRemovals(ctx.runId, ctx.connectionId);
    if (!removals.length) return result('succeeded', null);
    const links = await this.store.countLinks(ctx.connectionId);
    const thresholdPercent = ctx.connection.removalGuardPercent ?? this.config.sync.removalGuardPercent;
    const fromActive = removals.filter((r) => r.fromState === 'active').length;
    const verdict = evaluateRemovalGuard({ linkedActiveCount: links.active, pendingRemovals: fromActive, thresholdPercent });
    const guard = {
      thresholdPercent,
      sharePercent: verdict.sharePercent,
      linkedActive: links.active,
      dismissals: removals.filter((r) => r.kind === 'dismissed').length,
      deletions: removals.filter((r) => r.kind === 'deleted').length,
      outOfScope: removals.filter((r) => r.kind === 'out_of_scope').length,
      held: verdict.hold,
    };
    if (verdict.hold) {
      // The removals stay in sync_pending_removal (written with the chunks that found them) until someone decides.
      this.logger.warn({ msg: 'mass removal held for confirmation', connectionId: ctx.connectionId, dryRun: ctx.dryRun, ...guard });
      // A preview lists who would be held (GET pending-removals) and has nothing to confirm.
      return result(ctx.dryRun ? 'succeeded' : 'awaiting_confirmation', guard);
    }
    const checkpoint: RunCheckpoint = { ...ctx.checkpoint, stage: 'removed', guard };
    const counters = await this.applyRemovals(
      ctx.runId,
      ctx.accountId,
      ctx.connectionId,
      removals,
      ctx.counters,
      async (manager, next) => {
        await this.commitCheckpoint(manager, ctx, { processed: ctx.processed, total: ctx.total, counters: next, checkpoint });
        await this.store.clearPendingRemovals(manager, ctx.runId);
      },
      ctx.dryRun,
    );
    ctx.commit(ctx.processed, counters, checkpoint);
    return result('succeeded', guard);
  }

  /**
   * Removals the owner confirmed on a held run (SyncRunsService.confirmRemovals): applied as
   * a run applies them, then the run's department phase again (a dismissed head is nobody's
   * manager from now on, not from the next run). `within` writes the counters it is given;
   * the department phase's items go to the held run's report with their writes.
   */
  async applyConfirmedRemovals(
    runId: string,
    accountId: string,
    connection: Bitrix24ConnectionEntity,
    removals: Removal[],
    counters: RunCounters,
    within: (manager: EntityManager, counters: RunCounters) => Promise<void>,
  ): Promise<RunCounters> {
    let current = await this.applyRemovals(runId, accountId, connection.id, removals, counters, within);
    await this.departments.syncPeople(accountId, connection, runId, async (manager, items) => {
      if (!items.length) return;
      const next = countItems(structuredClone(current), items);
      await within(manager, next);
      await this.store.insertItems(manager, runId, items);
      current = next;
    });
    return current;
  }

  /**
   * Marks links dismissed/deleted, takes those employees off the responsible list, and
   * reports both, in one transaction; `within` adds the caller's writes to it (the run's
   * checkpoint), so removals are applied and reported exactly once. Returns the new counters.
   */
  async applyRemovals(
    runId: string,
    accountId: string,
    connectionId: string,
    removals: Removal[],
    counters: RunCounters,
    within?: (manager: EntityManager, counters: RunCounters) => Promise<void>,
    /** A preview: the same items, nothing applied (who is on the responsible list is only read). */
    dryRun = false,
  ): Promise<RunCounters> {
    const next = structuredClone(counters);
    await this.db.transaction(async (manager) => {
      const employeeIds = removals.map((r) => r.employeeId);
      const removedFromResponsible = new Set(dryRun ? await this.store.responsibleAmong(manager, accountId, employeeIds) : await this.store.applyRemovals(manager, accountId, connectionId, removals));
      const names: Array<{ employee_id: string; name: string }> = await manager.query(
        `SELECT e.id AS employee_id, ${untaggedNameSql('e')} AS name FROM employee e WHERE e.account_id = $1 AND e.id = ANY($2::uuid[])`,
        [accountId, removals.map((r) => r.employeeId)],
      );
      const nameOf = new Map(names.map((n) => [n.employee_id, n.name]));
      const items: RunItem[] = [];
      for (const r of removals) {
        const name = nameOf.get(r.employeeId) ?? null;
        items.push({ bitrix24UserId: r.bitrix24UserId, employeeId: r.employeeId, outcome: r.kind, reason: null, name, details: { previousState: r.fromState, ...(dryRun ? { dryRun: true } : {}) } });
        if (removedFromResponsible.has(r.employeeId)) {
          items.push({ bitrix24UserId: r.bitrix24UserId, employeeId: r.employeeId, outcome: 'removed_from_responsible', reason: r.kind, name, details: null });
          removedFromResponsible.delete(r.employeeId);
        }
      }
      countItems(next, items);
      if (within) await within(manager, next);
      await this.store.insertItems(manager, runId, items);
    });
    return next;
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
  private readonly newLinks: PlannedLink[] = [];
  private readonly linkUpdates = new Map<number, { state: LinkState; departmentIds: number[] }>();
  private readonly removals = new Map<number, Removal['kind']>();
  /** The department tree the preview read. */
  tree: Bitrix24Department[] | null = null;

  remember(plan: ChunkPlan): void {
    for (const e of plan.newEmployees) if (e.fields.email) this.createdByEmail.set(e.fields.email, e.id);
    for (const l of plannedLinksOf(plan)) {
      this.linkedEmployees.add(l.employeeId);
      this.newLinks.push(l);
    }
    for (const u of plan.linkUpdates) this.linkUpdates.set(u.bitrix24UserId, { state: u.state, departmentIds: u.departmentIds });
  }

  rememberRemovals(removals: Removal[]): void {
    for (const r of removals) this.removals.set(r.bitrix24UserId, r.kind);
  }

  /** What the real run's department phase would find (removals applied unless the guard would hold them). */
  plannedPeople(removalsApplied: boolean): PlannedPeopleChanges {
    return { tree: this.tree, newLinks: this.newLinks, linkUpdates: this.linkUpdates, removals: this.removals, removalsApplied };
  }

  seeEarlierChunks(state: ChunkState): void {
    for (const [email, list] of state.candidatesByEmail) state.candidatesByEmail.set(email, list.map((c) => (this.linkedEmployees.has(c.employeeId) ? { ...c, linkedOnThisPortal: true } : c)));
    for (const [email, employeeId] of this.createdByEmail) {
      const list = state.candidatesByEmail.get(email) ?? [];
      if (!list.some((c) => c.employeeId === employeeId)) state.candidatesByEmail.set(email, [...list, { employeeId, linkedOnThisPortal: true }]);
    }
  }
}

/** A preview's report: the items applyPlan writes ("unchanged" only counted), with no id for employees that do not exist. */
function previewItems(plan: ChunkPlan): RunItem[] {
  const created = new Set(plan.newEmployees.map((e) => e.id));
  return plan.items.filter((i) => i.outcome !== 'unchanged').map((i) => (i.employeeId && created.has(i.employeeId) ? { ...i, employeeId: null } : i));
}

/**
 * A preview of a selection that is not saved (issue 14: "before applying a scope change")
 * runs as if it were: the proposed scope, saved when the preview was asked for, so a
 * department the portal has now is not "new" to it. The connection row is not touched.
 */
function withPreviewedScope(run: SyncRunRow, connection: Bitrix24ConnectionEntity): Bitrix24ConnectionEntity {
  if (!run.dry_run || !run.proposed_department_scope) return connection;
  return { ...connection, departmentScope: run.proposed_department_scope, departmentScopeSavedAt: run.queued_at };
}

class RunContext {
  readonly runId: string;
  readonly runnerId: string;
  readonly attempt: number;
  readonly accountId: string;
  readonly connectionId: string;
  settings: ChunkSettings;
  counters: RunCounters;
  checkpoint: RunCheckpoint;
  processed: number;
  total: number | null;
  /** A preview (issue 14): reads and reports like a real run, writes no employee, link, phone or responsible row. */
  readonly dryRun: boolean;
  readonly preview = new PreviewMemory();
  /** When the run's state was last written (a page that changes nothing skips it for a while). */
  checkpointedAt = Date.now();

  constructor(
    run: SyncRunRow,
    readonly connection: Bitrix24ConnectionEntity,
    readonly control: RunControl,
  ) {
    this.runId = run.id;
    this.runnerId = run.runner_id ?? '';
    this.attempt = run.attempts;
    this.accountId = run.account_id;
    this.connectionId = run.connection_id;
    this.dryRun = run.dry_run === true;
    // A resumed attempt starts from what its run's last committed transaction recorded.
    this.checkpoint = run.checkpoint ?? { stage: 'export', afterUserId: null, unseen: [] };
    this.counters = run.checkpoint ? { ...run.counters } : {};
    this.processed = run.checkpoint ? run.processed : 0;
    this.total = run.checkpoint ? run.total : null;
    this.settings = {
      edition: connection.edition,
      includeExtranet: connection.includeExtranet,
      defaultCountry: connection.defaultCountry as CountryCode,
    };
  }

  /**
   * The department selection the run plans with. A real run also fingerprints what it
   * plans from (user-fingerprint.ts), so the next one skips whoever is unchanged; a
   * preview writes no fingerprint and skips nobody.
   */
  useScope(scope: DepartmentRunScope): void {
    this.settings.inDepartmentScope = scope.check;
    if (this.dryRun) return;
    const { edition, includeExtranet, defaultCountry } = this.settings;
    this.settings.fingerprintSettings = settingsFingerprint({ rules: PLAN_RULES_VERSION, edition, includeExtranet, defaultCountry, departmentScope: scope.version });
  }

  /** What a committed transaction recorded becomes the run's state. */
  commit(processed: number, counters: RunCounters, checkpoint: RunCheckpoint): void {
    this.processed = processed;
    this.counters = counters;
    this.checkpoint = checkpoint;
  }
}
