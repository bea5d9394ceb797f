import type { FunctionComponent } from 'preact';
import type { MessageKey } from '../i18n/i18n';
import { ApiKeysTab } from './api-keys-tab';
import { AuditTab } from './audit-tab';
import { ConnectionTab } from './connection-tab';
import { DataAccessTab } from './data-access-tab';
import { DepartmentsTab } from './departments-tab';
import { EmployeesTab } from './employees-tab';
import { HistoryTab } from './history-tab';
import { ResponsibleTab } from './responsible-tab';

export interface TabProps {
  /** What follows the tab in the address (#history/<runId>), already checked by the tab's `sub` rule. */
  sub: string | null;
}

export interface TabDef {
  /** The URL hash and the data-testid suffix (tab-<id>, panel-<id>). */
  id: string;
  label: MessageKey;
  /** The permission that shows the tab (the API refuses the rest anyway). */
  permission: string;
  Component: FunctionComponent<TabProps>;
  /** Which `#<id>/<sub>` values the tab takes; anything else is dropped. */
  sub?: RegExp;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The console's tabs, in order. Adding a tab is one entry here, one component in tabs/,
 * and its texts in a new catalog group (en.json first).
 */
export const TABS: TabDef[] = [
  { id: 'connection', label: 'tabs.connection', permission: 'connections:read', Component: ConnectionTab },
  { id: 'data-access', label: 'tabs.data_access', permission: 'connections:read', Component: DataAccessTab },
  { id: 'employees', label: 'tabs.employees', permission: 'employees:read', Component: EmployeesTab },
  { id: 'departments', label: 'tabs.departments', permission: 'employees:read', Component: DepartmentsTab },
  { id: 'responsible', label: 'tabs.responsible', permission: 'responsible:read', Component: ResponsibleTab },
  { id: 'history', label: 'tabs.history', permission: 'sync:read', Component: HistoryTab, sub: UUID },
  { id: 'audit', label: 'tabs.audit', permission: 'sync:read', Component: AuditTab },
  { id: 'api-keys', label: 'tabs.api_keys', permission: 'keys:read', Component: ApiKeysTab },
];

export interface Route {
  tab: string;
  sub: string | null;
}

export function parseHash(hash: string): { tab: string | null; sub: string | null } {
  let raw = hash.replace(/^#/, '');
  try {
    raw = decodeURIComponent(raw);
  } catch {
    /* keep it as it is */
  }
  const [tab, sub] = raw.split('/');
  const def = TABS.find((t) => t.id === tab);
  if (!def) return { tab: null, sub: null };
  return { tab: def.id, sub: sub && def.sub?.test(sub) ? sub : null };
}
