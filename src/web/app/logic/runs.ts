import { knownKey, type MessageKey, type Vars } from '../i18n/i18n';
import type { Connection, RunCounters, SyncRun } from '../types';
import type { Tone } from './connections';
import { errorKey } from './errors';
import type { Formatters } from './format';

/**
 * Every Bitrix24 user a run reads ends in exactly one of these: they add up to "processed"
 * (src/sync/chunk-plan.ts writes one primary outcome per user).
 */
export const PRIMARY_OUTCOMES = ['created', 'linked_by_email', 'updated', 'unchanged', 'skipped'] as const;
/** What else happened to some of them: shown beside the sum, never added into it. */
export const FOLLOW_UP_OUTCOMES = ['dismissed', 'deleted', 'reactivated', 'out_of_scope', 'back_in_scope', 'removed_from_responsible', 'phone_rejected'] as const;
/** The tree's changes (issue 13), heads that cannot be set and managers that changed: counted apart. */
export const DEPARTMENT_OUTCOMES = ['department_created', 'department_renamed', 'department_moved', 'department_absent', 'department_returned', 'head_unresolved', 'manager_changed'] as const;
export const ALL_OUTCOMES = [...PRIMARY_OUTCOMES, ...FOLLOW_UP_OUTCOMES, ...DEPARTMENT_OUTCOMES];

export const ACTIVE_STATUSES = new Set(['queued', 'running']);
export const isActive = (run: Pick<SyncRun, 'status'>): boolean => ACTIVE_STATUSES.has(run.status);

export const count = (counters: RunCounters | null | undefined, key: string): number => Number(counters?.[key]) || 0;

/** The sum the summary shows as "processed": created + linked + updated + unchanged + skipped. */
export function processedTotal(counters: RunCounters | null | undefined): number {
  return PRIMARY_OUTCOMES.reduce((sum, key) => sum + count(counters, key), 0);
}

export interface Line {
  key: MessageKey;
  vars?: Vars;
}

export interface RunStory {
  tone: Tone;
  /** One sentence: what happened. */
  headline: Line;
  /** How far it got, for a run that stopped early. */
  progress?: Line;
  /** Why, in plain words (for a failed run). */
  cause?: Line;
}

/**
 * A run in plain words. A failed run says it failed and why (the error code mapped to a
 * catalog text), how far it got, and that what it imported before stays; it never reads as
 * "Finished: failed — 2,000 of 2,000 processed".
 */
export function runStory(run: SyncRun): RunStory {
  const processed = run.progress?.processed ?? 0;
  const total = run.progress?.total ?? null;
  switch (run.status) {
    case 'queued':
      return { tone: 'info', headline: { key: 'run.story_queued' } };
    case 'running':
      return {
        tone: 'info',
        headline: total !== null ? { key: 'run.story_running', vars: { processed, total } } : { key: 'run.story_reading' },
      };
    case 'awaiting_confirmation':
      return { tone: 'warn', headline: { key: 'run.story_held', vars: { count: (run.guard?.dismissals ?? 0) + (run.guard?.deletions ?? 0) } } };
    case 'failed': {
      const cause: Line = { key: run.error ? errorKey(run.error) : 'errors.unknown' };
      const progress: Line =
        processed === 0
          ? { key: 'run.failed_before_reading' }
          : total !== null && processed >= total
            ? { key: 'run.failed_after_reading', vars: { processed } }
            : { key: 'run.failed_partway', vars: { processed, total: total ?? '?' } };
      return { tone: 'error', headline: { key: 'run.story_failed' }, cause, progress };
    }
    case 'succeeded':
      if (run.counters?.exportUntrusted) return { tone: 'warn', headline: { key: 'run.story_untrusted' } };
      return { tone: 'ok', headline: { key: 'run.story_succeeded', vars: { count: processedTotal(run.counters) } } };
    default:
      return { tone: 'neutral', headline: { key: 'run.story_unknown', vars: { status: run.status } } };
  }
}

/**
 * When the next try comes, for a connection whose runs are failing (sync.nextSyncAt is the
 * back-off the worker chose; consecutiveFailures how many failed in a row).
 */
export function retryLine(c: Pick<Connection, 'state' | 'sync'> | null | undefined, fmt: Pick<Formatters, 'dateTime' | 'relative'>, now = Date.now()): Line | undefined {
  if (!c || c.state !== 'active') return undefined;
  const failures = c.sync?.consecutiveFailures ?? 0;
  if (failures <= 0) return undefined;
  const at = c.sync.nextSyncAt;
  return at ? { key: 'run.retry_at', vars: { count: failures, at: fmt.dateTime(at), in: fmt.relative(at, now) } } : { key: 'run.retry_unknown', vars: { count: failures } };
}

/**
 * A running run whose runner stopped renewing its lease (the replica died or lost the
 * database): it shows since when, until another replica takes it over.
 */
export function stalledLine(run: Pick<SyncRun, 'status' | 'stalledSince'>, fmt: Pick<Formatters, 'dateTime' | 'relative'>, now = Date.now()): Line | undefined {
  if (run.status !== 'running' || !run.stalledSince) return undefined;
  return { key: 'run.stalled', vars: { at: fmt.dateTime(run.stalledSince), ago: fmt.relative(run.stalledSince, now) } };
}

/**
 * The run "Last run" shows: a full run still going first, else the full run that finished
 * last (a run re-queued after a restart keeps its old queuedAt, so queue order alone is
 * not "latest"). Event runs (one new hire each) never replace it.
 */
export function pickLastRun(runs: SyncRun[]): SyncRun | null {
  const full = runs.filter((r) => r.trigger !== 'event');
  const active = full.find(isActive);
  if (active) return active;
  const time = (r: SyncRun) => new Date(r.finishedAt ?? r.startedAt ?? r.queuedAt).getTime();
  return full.reduce<SyncRun | null>((best, r) => (!best || time(r) > time(best) ? r : best), null);
}

export const outcomeKey = (outcome: string): MessageKey | undefined => knownKey('outcomes', outcome);
export const reasonKey = (reason: string | null | undefined): MessageKey | undefined => knownKey('reasons', reason);
export const triggerKey = (trigger: string): MessageKey | undefined => knownKey('triggers', trigger);
export const statusKey = (status: string): MessageKey | undefined => knownKey('statuses', status);

export function statusTone(status: string): Tone {
  return ({ succeeded: 'ok', failed: 'error', awaiting_confirmation: 'warn', running: 'info', queued: 'info' } as Record<string, Tone>)[status] ?? 'neutral';
}

/** The value behind a report line (which email is invalid, which phone was rejected), when the run recorded it. */
export function itemValue(item: { outcome: string; details: Record<string, unknown> | null }): string | null {
  const d = item.details ?? {};
  for (const field of ['value', 'email', 'phone']) {
    const v = d[field];
    if (typeof v === 'string' && v.trim()) return v;
  }
  return null;
}

/**
 * What the run recorded behind a skip, in words: the offending value, who holds the email
 * address, how many employees share it, the account type that is out of scope; who the new
 * manager is, and which Bitrix24 user is the head that cannot be set.
 */
export function itemFacts(item: { outcome: string; reason: string | null; details: Record<string, unknown> | null }): Line[] {
  const d = item.details ?? {};
  const facts: Line[] = [];
  const value = itemValue(item);
  if (value) facts.push({ key: 'run.value', vars: { value } });
  if (item.reason === 'email_linked_elsewhere' && typeof d.bitrix24UserId === 'number') facts.push({ key: 'run.held_by', vars: { id: d.bitrix24UserId } });
  if (item.reason === 'ambiguous_email' && typeof d.candidates === 'number') facts.push({ key: 'run.candidates', vars: { count: d.candidates } });
  if (item.reason === 'out_of_scope' && typeof d.userType === 'string' && d.userType) facts.push({ key: 'run.user_type', vars: { type: d.userType } });
  // A manager is a department head, named by their Bitrix24 user (a preview has no employee id for a new one).
  if (item.outcome === 'manager_changed') facts.push(typeof d.managerBitrix24UserId === 'number' ? { key: 'run.new_manager', vars: { id: d.managerBitrix24UserId } } : { key: 'run.no_manager' });
  if (item.outcome === 'head_unresolved' && typeof d.headBitrix24UserId === 'number') facts.push({ key: 'run.head_user', vars: { id: d.headBitrix24UserId } });
  return facts;
}

/** The progress bar's numbers: indeterminate until the first page tells the total. */
export function progressBar(run: SyncRun): { known: boolean; now: number; max: number; percent: number } {
  const processed = run.progress?.processed ?? 0;
  const total = run.progress?.total;
  if (total === null || total === undefined) return { known: false, now: 0, max: 100, percent: 0 };
  const max = Math.max(total, processed, 0);
  const now = Math.min(processed, max);
  return { known: true, now, max, percent: max ? Math.round((now / max) * 1000) / 10 : 100 };
}

export const RUN_STATUS_FILTERS = ['awaiting_confirmation', 'running', 'queued', 'succeeded', 'failed'] as const;
export const RUN_TRIGGER_FILTERS = ['manual', 'schedule', 'event'] as const;
