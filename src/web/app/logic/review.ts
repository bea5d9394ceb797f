import type { MessageKey, Vars } from '../i18n/i18n';
import type { RunItem, UserCheck } from '../types';

/** The one-person check's input: a Bitrix24 ID (digits) or an email; anything else is refused on the page. */
export function checkQuery(raw: string): { bitrix24UserId: number } | { email: string } | null {
  const value = raw.trim();
  if (/^\d{1,10}$/.test(value)) {
    const id = Number(value);
    return id >= 1 && id <= 2_147_483_647 ? { bitrix24UserId: id } : null;
  }
  if (value.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return { email: value };
  return null;
}

export interface StepLine {
  step: string;
  status: string;
  label: MessageKey;
  statusLabel: MessageKey;
  /** The explanation under a step, in the owner's words (a reason, the match, the plan). */
  note: { key: MessageKey; vars?: Vars } | { reason: string } | null;
}

const STEP_LABELS: Record<string, MessageKey> = {
  fetched: 'review.step_fetched',
  in_scope: 'review.step_in_scope',
  required_fields: 'review.step_required_fields',
  match: 'review.step_match',
  planned_action: 'review.step_planned_action',
};
const STATUS_LABELS: Record<string, MessageKey> = { passed: 'review.status_passed', failed: 'review.status_failed', not_reached: 'review.status_not_reached' };
const MATCH_NOTES: Record<string, MessageKey> = { create: 'review.match_create', link_by_email: 'review.match_link_by_email', linked: 'review.match_linked' };

/** The check's steps as the page lists them. */
export function stepLines(check: UserCheck, outcomeWord: (o: string) => string): StepLine[] {
  return check.steps.map((s) => {
    let note: StepLine['note'] = null;
    if (s.status === 'failed' && s.reason) {
      note = s.reason === 'not_found_on_portal' || s.reason === 'several_users_with_email' ? { key: `review.${s.reason}` as MessageKey } : { reason: s.reason };
    } else if (s.status === 'passed' && s.step === 'match') {
      const kind = String(s.details?.kind ?? '');
      if (MATCH_NOTES[kind]) note = { key: MATCH_NOTES[kind] };
    } else if (s.status === 'passed' && s.step === 'planned_action' && check.outcome) {
      note = s.details?.dismissal ? { key: 'review.will_be_dismissed' } : { key: 'review.planned', vars: { outcome: outcomeWord(check.outcome) } };
    }
    return { step: s.step, status: s.status, label: STEP_LABELS[s.step] ?? 'review.step_fetched', statusLabel: STATUS_LABELS[s.status] ?? 'review.status_not_reached', note };
  });
}

const MANAGER_REASONS = new Set(['sync_managers_off', 'no_department', 'not_imported', 'out_of_scope', 'not_active', 'link_deleted', 'managed_elsewhere']);

/** The manager the import gives the person, in the owner's words (null: the check shows none, the person is skipped). */
export function managerLine(manager: UserCheck['manager']): { who: { key: MessageKey; vars?: Vars }; change: MessageKey | null; reason: MessageKey | null } | null {
  if (!manager) return null;
  const who: { key: MessageKey; vars?: Vars } =
    manager.managerEmployeeId === null
      ? { key: 'review.manager_none' }
      : manager.managerBitrix24UserId === null
        ? { key: 'review.manager_employee', vars: { name: manager.managerName ?? manager.managerEmployeeId } }
        : { key: 'review.manager_is', vars: { name: manager.managerName ?? manager.managerEmployeeId, id: manager.managerBitrix24UserId } };
  const reason = manager.reason && MANAGER_REASONS.has(manager.reason) ? (`review.manager_reason_${manager.reason}` as MessageKey) : null;
  const decided = manager.reason !== 'link_deleted' && manager.reason !== 'managed_elsewhere';
  return { who, change: decided ? (manager.changed ? 'review.manager_changes' : 'review.manager_unchanged') : null, reason };
}

export const FIELD_LABELS: Record<string, MessageKey> = {
  firstName: 'review.field_first_name',
  lastName: 'review.field_last_name',
  middleName: 'review.field_middle_name',
  email: 'review.field_email',
  extension: 'review.field_extension',
  phones: 'review.field_phones',
};

/** Skipped people the owner can settle by linking them to an employee by hand. */
export const LINKABLE_REASONS = new Set(['ambiguous_email', 'email_linked_elsewhere']);

/** A standing problem (GET …/connections/{id}/problems) in the shape the skipped list shows. */
export interface Problem {
  bitrix24UserId: number;
  name: string | null;
  kind: string;
  reason: string | null;
  details: Record<string, unknown> | null;
  firstSeenAt: string;
  lastSeenAt: string;
}

/**
 * A real run itemizes a skipped person only when the problem is new or changed (issue 12), so
 * the last run's "skipped people" are read from the connection's current problems; a preview
 * still reports every one of them itself.
 */
export function problemAsItem(p: Problem): RunItem {
  return { id: `${p.bitrix24UserId}:${p.kind}`, bitrix24UserId: p.bitrix24UserId, employeeId: null, outcome: p.kind, reason: p.reason, name: p.name, details: p.details };
}
