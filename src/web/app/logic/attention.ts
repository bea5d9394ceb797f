import type { MessageKey, Vars } from '../i18n/i18n';
import type { Connection, SyncRun } from '../types';
import { connectionHealth, type Tone } from './connections';

/** Something the owner should act on: a banner at the top of the page and a badge on its tab. */
export interface Attention {
  id: string;
  tone: Tone;
  tab: string;
  message: { key: MessageKey; vars: Vars };
  action: MessageKey;
  /** Where the button goes: a tab, and the connection or run to show there. */
  connectionId: string;
  runId?: string;
}

/**
 * Held removals (a run waiting for confirmation) and connections that need the owner
 * (failing runs, re-authorization, uninstalled, a state the page does not know), most
 * urgent first. Disconnected portals are the owner's own doing: no banner.
 */
export function attentionItems(connections: Connection[], heldRuns: SyncRun[]): Attention[] {
  const domain = (id: string) => connections.find((c) => c.id === id)?.domain ?? '';
  const items: Attention[] = [];
  for (const run of heldRuns) {
    if (run.status !== 'awaiting_confirmation') continue;
    const count = (run.guard?.dismissals ?? 0) + (run.guard?.deletions ?? 0);
    items.push({
      id: `guard-${run.id}`,
      tone: 'warn',
      tab: 'data-access',
      message: { key: 'attention.guard_held', vars: { count, domain: domain(run.connectionId) } },
      action: 'attention.guard_action',
      connectionId: run.connectionId,
      runId: run.id,
    });
  }
  for (const c of connections) {
    const health = connectionHealth(c);
    if (!health.needsAttention) continue;
    const failing = c.state === 'active';
    items.push({
      id: `connection-${c.id}`,
      tone: health.tone === 'error' ? 'error' : 'warn',
      tab: failing ? 'data-access' : 'connection',
      message: failing
        ? { key: 'attention.runs_failing', vars: { count: c.sync.consecutiveFailures, domain: c.domain } }
        : { key: 'attention.connection_needs_owner', vars: { domain: c.domain } },
      action: failing ? 'attention.runs_failing_action' : 'attention.connection_action',
      connectionId: c.id,
    });
  }
  return items;
}

/** How many attention items each tab has (its badge). */
export function tabBadges(items: Attention[]): Record<string, number> {
  const badges: Record<string, number> = {};
  for (const item of items) badges[item.tab] = (badges[item.tab] ?? 0) + 1;
  return badges;
}
