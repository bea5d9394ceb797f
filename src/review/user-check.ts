import { bitrix24UserId, Bitrix24User, isBitrix24Active } from '../bitrix24/bitrix24-user';
import { ChunkPlan, ChunkSettings, ChunkState, displayName, planChunk } from '../sync/chunk-plan';
import type { PersonManager } from '../sync/department-sync.service';
import { computeEmployeeChanges, EmployeeField } from '../sync/rules';
import type { RunItem } from '../sync/sync-run.types';

/**
 * "Check one person" (issue 14): what the next import would do with one Bitrix24 user,
 * step by step. Nothing here decides anything of its own: the plan comes from planChunk,
 * the very function a run uses (so the scope, required-field, matching, phone and
 * link-state rules are the engine's, whatever they become), and the steps only read it.
 */
export type StepName = 'fetched' | 'in_scope' | 'required_fields' | 'match' | 'planned_action';
export type StepStatus = 'passed' | 'failed' | 'not_reached';

export interface CheckStep {
  step: StepName;
  status: StepStatus;
  /** The run-report reason when the step failed (out_of_scope, missing_email, ambiguous_email …). */
  reason: string | null;
  details: Record<string, unknown> | null;
}

export interface FieldChange {
  field: EmployeeField | 'phones';
  from: string | null;
  to: string | null;
}

export interface UserCheck {
  bitrix24UserId: number | null;
  name: string | null;
  steps: CheckStep[];
  /** The outcome a run would report for the user (created, updated, unchanged, skipped …); null when not fetched. */
  outcome: string | null;
  reason: string | null;
  employeeId: string | null;
  changes: FieldChange[];
  /**
   * The manager the import gives the person (the department phase's rule,
   * DepartmentSync.personManager); null when the person is skipped or not fetched.
   */
  manager: PersonManager | null;
}

/** Skip reasons that come from the scope rule (org's department scope adds its own). */
const SCOPE_REASONS = new Set(['out_of_scope']);
const REQUIRED_FIELD_REASONS = new Set(['missing_last_name', 'missing_email', 'invalid_email', 'missing_department']);
const MATCH_REASONS = new Set(['ambiguous_email', 'email_linked_elsewhere']);
const STEP_ORDER: StepName[] = ['fetched', 'in_scope', 'required_fields', 'match', 'planned_action'];

function stepsUntil(failedAt: StepName | null, fill: Partial<Record<StepName, Partial<Pick<CheckStep, 'reason' | 'details'>>>>): CheckStep[] {
  const failedIndex = failedAt ? STEP_ORDER.indexOf(failedAt) : STEP_ORDER.length;
  return STEP_ORDER.map((step, index) => ({
    step,
    status: index < failedIndex ? 'passed' : index === failedIndex ? 'failed' : 'not_reached',
    reason: fill[step]?.reason ?? null,
    details: index <= failedIndex ? (fill[step]?.details ?? null) : null,
  }));
}

/** The user was not returned by Bitrix24 (no such ID, or the email matched nobody / several people). */
export function notFetched(query: { bitrix24UserId?: number; email?: string }, found: number[]): UserCheck {
  const reason = found.length > 1 ? 'several_users_with_email' : 'not_found_on_portal';
  return {
    bitrix24UserId: query.bitrix24UserId ?? null,
    name: null,
    steps: stepsUntil('fetched', { fetched: { reason, details: { ...query, ...(found.length > 1 ? { bitrix24UserIds: found } : {}) } } }),
    outcome: null,
    reason,
    employeeId: null,
    changes: [],
    manager: null,
  };
}

/** The run's plan for just this user (a new employee's id is 'new'). */
export function planCheck(user: Bitrix24User, state: ChunkState, settings: ChunkSettings): ChunkPlan {
  return planChunk([user], state, settings, () => 'new');
}

/**
 * The steps for one fetched user, given what the database holds about them (the same
 * ChunkState a run loads) and the connection's settings; `manager` is what the department
 * phase would give them after `plan` (the caller works it out from the stored tree).
 */
export function checkUser(user: Bitrix24User, state: ChunkState, settings: ChunkSettings, known: { plan?: ChunkPlan; manager?: PersonManager | null } = {}): UserCheck {
  const id = bitrix24UserId(user);
  const plan = known.plan ?? planCheck(user, state, settings);
  const manager = known.manager ?? null;
  // The user's own item (others are follow-ups: phone_rejected, reactivated).
  const main: RunItem | undefined = plan.items.find((i) => !['phone_rejected', 'reactivated'].includes(i.outcome));
  const link = state.links.get(id) ?? null;
  const fetched = { details: { active: isBitrix24Active(user), userType: typeof user.USER_TYPE === 'string' ? user.USER_TYPE : null, email: typeof user.EMAIL === 'string' ? user.EMAIL : null } };
  const base = { bitrix24UserId: id, name: displayName(user) };
  const reason = main?.outcome === 'skipped' ? main.reason : null;
  const dismissal = plan.pendingDismissals.some((d) => d.bitrix24UserId === id);
  const reactivated = plan.items.some((i) => i.outcome === 'reactivated');
  const linkState = link ? { linkState: link.state } : {};

  if (main?.outcome === 'skipped' && reason && !MATCH_REASONS.has(reason)) {
    const failedAt: StepName = SCOPE_REASONS.has(reason) ? 'in_scope' : REQUIRED_FIELD_REASONS.has(reason) ? 'required_fields' : 'match';
    return {
      ...base,
      steps: stepsUntil(failedAt, { fetched, [failedAt]: { reason, details: { ...(main.details ?? {}), ...linkState, ...(dismissal ? { linkWillBeDismissed: true } : {}) } } }),
      outcome: 'skipped',
      reason,
      employeeId: link?.employeeId ?? null,
      changes: [],
      manager: null,
    };
  }
  if (main?.outcome === 'skipped') {
    return { ...base, steps: stepsUntil('match', { fetched, match: { reason, details: main.details } }), outcome: 'skipped', reason, employeeId: null, changes: [], manager: null };
  }

  const employeeId = main?.employeeId ?? null;
  const current = employeeId ? (state.employees.get(employeeId) ?? null) : null;
  const match = link
    ? { kind: 'linked', employeeId: link.employeeId, ...linkState }
    : main?.outcome === 'linked_by_email'
      ? { kind: 'link_by_email', employeeId }
      : { kind: 'create' };
  const changes: FieldChange[] = [];
  if (main && main.outcome !== 'created') {
    const { next, changedFields } = computeEmployeeChanges(current, user);
    for (const field of changedFields) changes.push({ field, from: current?.[field] ?? null, to: next[field] });
    const phones = plan.phoneInserts.filter((p) => p.employeeId === employeeId).map((p) => p.digits);
    if (phones.length) changes.push({ field: 'phones', from: null, to: phones.join(', ') });
  }
  const created = plan.newEmployees[0]?.fields ?? null;
  const planned = {
    outcome: main?.outcome ?? null,
    ...(created ? { employee: created, phones: plan.phoneInserts.map((p) => p.digits) } : {}),
    ...(dismissal ? { dismissal: true } : {}),
    ...(reactivated ? { reactivated: true } : {}),
    manager,
    rejectedPhones: plan.items.filter((i) => i.outcome === 'phone_rejected').map((i) => i.details),
  };
  return {
    ...base,
    steps: stepsUntil(null, { fetched, match: { reason: null, details: match }, planned_action: { reason: null, details: planned } }),
    outcome: main?.outcome ?? null,
    reason: null,
    employeeId: main?.outcome === 'created' ? null : employeeId,
    changes,
    manager,
  };
}
