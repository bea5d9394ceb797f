/** Vocabulary of run reports (one outcome per Bitrix24 user, plus follow-up outcomes). */
export const OUTCOMES = [
  'created',
  'linked_by_email',
  'updated',
  'unchanged',
  'skipped',
  'dismissed',
  'deleted',
  'reactivated',
  'removed_from_responsible',
  'phone_rejected',
  // issue 13: people leaving and re-entering the department selection…
  'out_of_scope',
  'back_in_scope',
  // …and the tree itself (bitrix24UserId null, name = the department's).
  'department_created',
  'department_renamed',
  'department_moved',
  'department_absent',
  'department_returned',
  /** A head who is not imported: the department's head stays empty; reason = rules/heads.rule.ts HeadProblem. */
  'head_unresolved',
  /** An employee's manager (managerId) changed; details: managerId, managerBitrix24UserId, previousManagerId, bitrix24DepartmentId. */
  'manager_changed',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const SKIP_REASONS = [
  'missing_last_name',
  'missing_email',
  'invalid_email',
  'missing_department',
  'ambiguous_email',
  'email_linked_elsewhere',
  'out_of_scope',
  // The owner unlinked the user and said not to match them again (issue 14, manual links).
  'excluded_by_owner',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export const RUN_TRIGGERS = ['schedule', 'manual', 'event'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const RUN_STATUSES = ['queued', 'running', 'awaiting_confirmation', 'succeeded', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunItem {
  bitrix24UserId: number | null;
  employeeId: string | null;
  outcome: Outcome;
  reason: string | null;
  name: string | null;
  details: Record<string, unknown> | null;
}

export type RunCounters = Partial<Record<Outcome, number>> & {
  skippedByReason?: Partial<Record<string, number>>;
  /** The export came back empty while links exist: nobody was marked deleted. */
  exportUntrusted?: boolean;
};

export function countItems(counters: RunCounters, items: RunItem[]): RunCounters {
  for (const item of items) {
    counters[item.outcome] = (counters[item.outcome] ?? 0) + 1;
    if (item.outcome === 'skipped' && item.reason) {
      counters.skippedByReason = counters.skippedByReason ?? {};
      counters.skippedByReason[item.reason] = (counters.skippedByReason[item.reason] ?? 0) + 1;
    }
  }
  return counters;
}

/**
 * Where a run stands, committed in the same transaction as each chunk's writes and items
 * (issue 12, finding 4), so a resumed attempt continues after it with the committed counters:
 * - `export`: the keyset export's pages are committed up to `afterUserId`;
 * - `verified`: the export ended (complete or not) and its deletions were decided, or an
 *   event run's users were written;
 * - `removed`: the removals were applied (with `guard`, the verdict that allowed them).
 */
export interface RunCheckpoint {
  stage: 'export' | 'verified' | 'removed';
  afterUserId: number | null;
  /** Linked users missing from the ID ranges of the committed pages: "deleted" candidates once the export is complete. */
  unseen: number[];
  exportComplete?: boolean;
  guard?: Record<string, unknown> | null;
}

/** One attempt of a run (a run is resumed after a kill, a hand-back or a lost lease). */
export interface RunAttempt {
  attempt: number;
  runnerId: string;
  startedAt: string;
  endedAt?: string;
  /** succeeded, failed, awaiting_confirmation, handed_back (shutdown), abandoned (its runner stopped: killed or lease lost). */
  outcome?: string;
  resumedAfterUserId?: number | null;
  resumedAtStage?: RunCheckpoint['stage'] | null;
}
