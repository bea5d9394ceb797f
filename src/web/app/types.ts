/**
 * The API answers as the page reads them (the response DTOs of each module are the source of truth).
 * Fields other streams are adding are optional here, so the page renders with or without them.
 */
export type Permission = string;

export interface Me {
  accountId: string;
  accountName: string;
  keyId: string;
  keyName: string;
  role: string;
  permissions: Permission[];
  features?: { bitrix24OAuth: boolean; insecurePortals: boolean };
}

export interface ConnectionError {
  code: string;
  message: string;
  at: string;
}

export interface Connection {
  id: string;
  authType: 'oauth' | 'webhook' | string;
  domain: string;
  portalUrl?: string;
  memberId: string;
  edition: 'cloud' | 'on_premise' | string;
  state: string;
  stateReason: string | null;
  stateChangedAt: string;
  webhookUrl: string | null;
  eventsBound: boolean;
  eventsError: string | null;
  /** SEC (issue 10): whether Bitrix24 pushes events, and why not. */
  pushedEvents?: { enabled: boolean; reason?: string | null; hint?: string | null };
  settings: {
    includeExtranet: boolean;
    defaultCountry: string;
    schedule: { kind: 'interval' | 'daily'; intervalMinutes: number | null; dailyTimesUtc: string[] | null };
    removalGuardPercent: number | null;
    /** Issue 13: which departments are imported, and whether heads and managers are set. */
    departmentScope?: { mode: 'all' | 'selected' | string; bitrix24DepartmentIds: number[]; includeNewDepartments: boolean };
    syncManagers?: boolean;
  };
  sync: {
    nextSyncAt: string | null;
    lastSuccessAt: string | null;
    consecutiveFailures: number;
    lastError: ConnectionError | null;
    polling: boolean;
  };
  createdAt: string;
}

export type RunCounters = Record<string, number | undefined> & {
  skippedByReason?: Record<string, number>;
  exportUntrusted?: boolean;
};

export interface RunGuard {
  thresholdPercent?: number;
  sharePercent?: number;
  linkedActive?: number;
  dismissals?: number;
  deletions?: number;
  held?: boolean;
}

export interface SyncRun {
  id: string;
  connectionId: string;
  trigger: string;
  status: string;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: { processed: number; total: number | null };
  counters: RunCounters;
  bitrix24UserIds: number[] | null;
  exportComplete: boolean | null;
  guard: RunGuard | null;
  guardResolution: string | null;
  error: { code: string; message: string; kind?: string } | null;
  itemsPruned: boolean;
  /** Running, but its runner stopped renewing its lease at this moment (null otherwise). */
  stalledSince?: string | null;
  dryRun?: boolean;
  /** A preview of a department selection that is not saved yet: the selection it used. */
  proposedDepartmentScope?: { mode: 'all' | 'selected'; bitrix24DepartmentIds: number[]; includeNewDepartments: boolean } | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  total?: number;
}

export interface RunItem {
  id: string;
  bitrix24UserId: number | null;
  employeeId: string | null;
  outcome: string;
  reason: string | null;
  name: string | null;
  details: Record<string, unknown> | null;
}

export interface PendingRemoval {
  bitrix24UserId: number;
  kind: string;
  employeeId: string | null;
  name: string | null;
}

export interface EmployeeLink {
  connectionId: string;
  bitrix24UserId: number;
  state: string;
  stateSince: string;
  matchedBy: string;
  linkedAt: string;
}

export interface Employee {
  id: string;
  firstName: string;
  lastName: string;
  middleName: string | null;
  email: string | null;
  extension: string | null;
  source: string;
  active: boolean;
  responsible: boolean;
  phones: Array<{ number: string; source: string }>;
  bitrix24Links: EmployeeLink[];
  /** Issue 13: in Bitrix24 order per portal; the manager is the head of the first one. */
  departments?: Array<{ id: string | null; connectionId: string; bitrix24DepartmentId: number; name: string | null }>;
  managerId?: string | null;
  managerName?: string | null;
  createdAt: string;
  deactivatedAt: string | null;
}

/** GET /departments: the account's root, a node per portal, the portals' departments. */
export interface Department {
  id: string;
  name: string;
  parentId: string | null;
  kind: 'root' | 'portal' | 'bitrix24' | string;
  connectionId: string | null;
  bitrix24DepartmentId: number | null;
  headEmployeeId: string | null;
  supervisorEmployeeId: string | null;
  headName?: string | null;
  supervisorName?: string | null;
  headProblem: string | null;
  present: boolean;
  inScope: boolean;
  employeeCount: number;
}

export interface BulkAddResult {
  matched: number;
  added: number;
  eligible: number;
  alreadyOnList: number;
  skippedInactive: number;
  skippedDismissed: number;
  dryRun: boolean;
}

export interface ApiKey {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedReason: string | null;
}

export interface CreatedApiKey extends ApiKey {
  key: string;
  revokedKeyIds: string[];
}

/** POST /bitrix24/connections/{id}/check-user */
export interface UserCheck {
  bitrix24UserId: number | null;
  name: string | null;
  steps: Array<{ step: string; status: string; reason: string | null; details: Record<string, unknown> | null }>;
  outcome: string | null;
  reason: string | null;
  employeeId: string | null;
  changes: Array<{ field: string; from: string | null; to: string | null }>;
  /** The manager the import gives the person (null: skipped or not fetched). */
  manager: {
    bitrix24DepartmentId: number | null;
    managerEmployeeId: string | null;
    managerBitrix24UserId: number | null;
    managerName: string | null;
    previousManagerId: string | null;
    changed: boolean;
    reason: string | null;
  } | null;
  run: SyncRun | null;
}

/** GET /bitrix24/connections/{id}/user-exclusions: Bitrix24 users the owner unlinked ("not matched again"). */
export interface UserExclusion {
  bitrix24UserId: number;
  createdAt: string;
  createdByKeyId: string | null;
  createdByKeyName?: string | null;
  /** The employee the user was unlinked from (kept), if they were linked. */
  employeeId?: string | null;
  name?: string | null;
}

/** GET /audit-events: who (which API key) did what, when, newest first. */
export interface AuditEvent {
  id: string;
  at: string;
  action: 'user_link.set' | 'user_link.removed' | 'user_exclusion.removed' | 'user_check.applied' | string;
  keyId: string | null;
  keyName: string | null;
  keyRole: string | null;
  connectionId: string | null;
  bitrix24UserId: number | null;
  employeeId: string | null;
  employeeName?: string | null;
  details: Record<string, unknown> | null;
}
