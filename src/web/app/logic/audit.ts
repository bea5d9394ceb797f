import type { MessageKey, Vars } from '../i18n/i18n';
import type { AuditEvent } from '../types';
import { BITRIX_TAG } from './format';

/** The audit trail's filters as the page holds them (the Bitrix24 user ID as typed). */
export interface AuditFilters {
  connectionId: string;
  bitrix24UserId: string;
}

export const NO_AUDIT_FILTERS: AuditFilters = { connectionId: '', bitrix24UserId: '' };

/** The largest Bitrix24 user ID the API takes (a PostgreSQL integer). */
const MAX_USER_ID = 2_147_483_647;

/**
 * The filters as GET /audit-events parameters, or null when the typed Bitrix24 user ID is
 * not one (the page says so instead of sending it).
 */
export function auditQuery(filters: AuditFilters): { connectionId?: string; bitrix24UserId?: number } | null {
  const query: { connectionId?: string; bitrix24UserId?: number } = {};
  if (filters.connectionId) query.connectionId = filters.connectionId;
  const typed = filters.bitrix24UserId.trim();
  if (typed) {
    if (!/^\d{1,10}$/.test(typed)) return null;
    const id = Number(typed);
    if (id < 1 || id > MAX_USER_ID) return null;
    query.bitrix24UserId = id;
  }
  return query;
}

const ACTIONS: Record<string, MessageKey> = {
  'user_link.set': 'audit.action_user_link_set',
  'user_link.removed': 'audit.action_user_link_removed',
  'user_exclusion.removed': 'audit.action_user_exclusion_removed',
  'user_check.applied': 'audit.action_user_check_applied',
};

/** What happened, in a few words; an action this page does not know yet shows its code. */
export function actionLabel(event: Pick<AuditEvent, 'action'>): { key: MessageKey; vars?: Vars } {
  const key = ACTIONS[event.action];
  return key ? { key } : { key: 'audit.action_other', vars: { action: event.action } };
}

/** What the decision meant for the person, from the event's details (each action records its own). */
export function actionDetail(event: Pick<AuditEvent, 'action' | 'employeeId' | 'details'>, outcome: (code: string) => string): { key: MessageKey; vars?: Vars } | null {
  const d = event.details ?? {};
  switch (event.action) {
    case 'user_link.set':
      if (!d.previousEmployeeId) return { key: 'audit.detail_link_new' };
      return d.previousEmployeeId === event.employeeId ? { key: 'audit.detail_link_kept' } : { key: 'audit.detail_link_replaced' };
    case 'user_link.removed':
      return event.employeeId ? { key: 'audit.detail_unlinked' } : { key: 'audit.detail_excluded' };
    case 'user_exclusion.removed':
      return { key: 'audit.detail_included' };
    case 'user_check.applied':
      return typeof d.plannedOutcome === 'string' ? { key: 'audit.detail_applied', vars: { outcome: outcome(d.plannedOutcome) } } : null;
    default:
      return null;
  }
}

/** The run an on-demand import queued, when the event names one. */
export function eventRunId(event: Pick<AuditEvent, 'details'>): string | null {
  const runId = event.details?.runId;
  return typeof runId === 'string' && /^[0-9a-f-]{36}$/i.test(runId) ? runId : null;
}

/** A stored name as the console shows people: without the import's "(bitrix24)" tag (a badge elsewhere). */
export function displayName(stored: string | null | undefined): string | null {
  const name = (stored ?? '').replace(BITRIX_TAG, '').trim();
  return name || null;
}
