/**
 * The targets of issue 7, checked against the results, and the printed table.
 */
import type { ScenarioResult } from './harness';
import { formatExportFloor, formatRatio, formatWriteFloor } from './floors';

export interface TargetCheck {
  target: string;
  size: number;
  scenario: string;
  limit: string;
  actual: string;
  met: boolean;
}

const FULL_SYNCS = new Set(['initial', 'initial_half_manual', 'resync_unchanged', 'resync_changed']);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export function checkTargets(results: ScenarioResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const add = (r: ScenarioResult, target: string, limit: string, actual: string, met: boolean) =>
    checks.push({ target, size: r.size, scenario: r.scenario, limit, actual, met });
  const ok = (r: ScenarioResult) => r.runStatus === 'succeeded';
  for (const r of results) {
    if (r.size === 10_000 && (r.scenario === 'initial' || r.scenario === 'initial_half_manual')) {
      add(r, '10,000 initial import ≤ 3 s', '≤ 3.00 s', `${s(r.wallMs)}${ok(r) ? '' : ` (${r.runStatus})`}`, ok(r) && r.wallMs <= 3000);
    }
    if (r.size === 10_000 && r.scenario === 'resync_unchanged') {
      add(r, 'unchanged 10,000 re-sync ≤ 1 s with 0 employee rows written', '≤ 1.00 s, 0 rows', `${s(r.wallMs)}, ${r.employeeRowsWritten} rows`, ok(r) && r.wallMs <= 1000 && r.employeeRowsWritten === 0);
    }
    if (r.size === 100_000 && r.scenario === 'resync_unchanged') {
      // Issue 12, finding 7: work in proportion to change.
      add(r, 'unchanged 100,000 re-sync ≤ 3 s with 0 item rows', '≤ 3.00 s, 0 rows', `${s(r.wallMs)}, ${r.itemRowsWritten} item rows`, ok(r) && r.wallMs <= 3000 && r.itemRowsWritten === 0);
    }
    if (r.scenario === 'resync_unchanged') {
      add(r, 'database growth per unchanged re-sync < 10 kB', '< 10 kB', `${(r.databaseGrowthBytes / 1024).toFixed(1)} kB`, r.databaseGrowthBytes < 10 * 1024);
    }
    if (r.size === 100_000 && (r.scenario === 'initial' || r.scenario === 'initial_half_manual')) {
      add(r, '100,000 initial import ≤ 30 s', '≤ 30.00 s', `${s(r.wallMs)}${ok(r) ? '' : ` (${r.runStatus})`}`, ok(r) && r.wallMs <= 30_000);
      add(r, '100,000 initial import peak RSS ≤ 300 MB', '≤ 300 MB', `${r.peakRssMb} MB`, r.peakRssMb <= 300);
    }
    if (FULL_SYNCS.has(r.scenario)) {
      // Issue 7's ceil(people / 2,500) + 3 is the users' floor (50 rows a command, 50 commands a
      // request). Since issue 13 a full sync also reads every department, paged the same way
      // (department.get, 50 a page) in the same batches: they count like people. Results
      // written before `departments` was recorded count none.
      const limit = Math.ceil((r.people + (r.departments ?? 0)) / 2500) + 3;
      const counted = Math.max(r.bitrix24RequestsSimulator, r.bitrix24RequestsService ?? 0);
      add(r, 'Bitrix24 HTTP requests per full sync ≤ ceil((people + departments) / 2,500) + 3', `≤ ${limit}`, `${r.bitrix24RequestsSimulator} (service: ${r.bitrix24RequestsService ?? '?'})`, counted <= limit);
      add(r, 'no QUERY_LIMIT_EXCEEDED', '0', String(r.queryLimitExceeded), r.queryLimitExceeded === 0);
      // huge-data.md: the export counts nothing; one counted call gives the total for progress.
      const countedUsers = r.countedListCalls['user.get'] ?? 0;
      add(r, 'counted user lists per full sync ≤ 1', '≤ 1', String(countedUsers), countedUsers <= 1);
    }
    if (r.scenario === 'event_new_user') {
      add(r, 'ONUSERADD → employee readable ≤ 5 s', '≤ 5.00 s', s(r.wallMs), r.wallMs <= 5000);
      add(r, 'no QUERY_LIMIT_EXCEEDED', '0', String(r.queryLimitExceeded), r.queryLimitExceeded === 0);
    }
  }
  return checks;
}

function table(headers: string[], rows: string[][], alignRight: boolean[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => (alignRight[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ') + ' |';
  const sep = '|' + widths.map((w, i) => (alignRight[i] ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|';
  return [line(headers), sep, ...rows.map(line)].join('\n');
}

export function resultsTable(results: ScenarioResult[]): string {
  const headers = ['people', '#', 'scenario', 'wall', 'people/s', 'B24 HTTP (sim/svc)', 'counted lists (user/dept)', 'max operating / request', 'employee rows written', 'SQL stmts', 'peak RSS', 'QUERY_LIMIT_EXCEEDED', 'status'];
  const rows = results.map((r) => [
    r.size.toLocaleString('en-US'),
    String(r.n),
    r.scenario,
    `${(r.wallMs / 1000).toFixed(3)} s`,
    r.peoplePerSecond.toLocaleString('en-US'),
    `${r.bitrix24RequestsSimulator} / ${r.bitrix24RequestsService ?? '?'}`,
    `${r.countedListCalls['user.get'] ?? 0} / ${r.countedListCalls['department.get'] ?? 0}`,
    `${r.maxOperatingSeconds.toFixed(2)} s / ${r.maxRequestProcessingSeconds.toFixed(2)} s`,
    `${r.employeeRowsWritten.toLocaleString('en-US')} (${r.employeeRowsInserted.toLocaleString('en-US')} new)`,
    String(r.sqlStatements ?? '?'),
    `${r.peakRssMb} MB`,
    String(r.queryLimitExceeded),
    r.runStatus ?? '?',
  ]);
  return table(headers, rows, [true, true, false, true, true, true, true, true, true, true, true, true, false]);
}

export function detailsTable(results: ScenarioResult[]): string {
  const headers = ['people', 'scenario', 'run (log durationMs)', 'CPU service', 'CPU bench+simulator', 'CPU bench-db backends', 'CPU postgres (all)', 'CPU other processes', 'I/O wait (machine)', 'link rows', 'phone rows', 'item rows', 'database growth', 'counters'];
  const rows = results.map((r) => {
    const c = (r.counters ?? {}) as Record<string, unknown>;
    const keys = ['created', 'linked_by_email', 'updated', 'unchanged', 'dismissed', 'deleted', 'skipped', 'phone_rejected', 'removed_from_responsible'];
    const counters = keys.filter((k) => typeof c[k] === 'number' && (c[k] as number) > 0).map((k) => `${k} ${String(c[k])}`).join(', ');
    return [
      r.size.toLocaleString('en-US'),
      r.scenario,
      r.runDurationMs === null ? '?' : `${r.runDurationMs} ms`,
      `${r.cpuMs.service} ms`,
      `${r.cpuMs.benchProcess} ms`,
      `${r.cpuMs.benchDatabaseBackends} ms`,
      `${r.cpuMs.postgresAll} ms`,
      `${r.cpuMs.otherProcesses} ms`,
      `${r.cpuMs.machineIoWait} ms`,
      String(r.linkRowsWritten),
      String(r.phoneRowsInserted),
      r.itemRowsWritten.toLocaleString('en-US'),
      `${(r.databaseGrowthBytes / 1024).toFixed(1)} kB`,
      counters,
    ];
  });
  return table(headers, rows, [true, false, true, true, true, true, true, true, true, true, true, true, true, false]);
}

/** Issue 12: each scenario's import against its floors (bench/floors.ts). */
export function floorsTable(results: Array<Pick<ScenarioResult, 'size' | 'n' | 'scenario' | 'wallMs' | 'floors'>>): string {
  const headers = ['people', '#', 'scenario', 'import', 'export floor', 'write floor', 'import ÷ export', 'import ÷ (export + write)'];
  const rows = results.map((r) => [
    r.size.toLocaleString('en-US'),
    String(r.n),
    r.scenario,
    `${(r.wallMs / 1000).toFixed(3)} s`,
    r.floors ? formatExportFloor(r.floors.export) : 'not measured',
    r.floors ? formatWriteFloor(r.floors.write) : 'not measured',
    formatRatio(r.floors?.ratios.importToExport ?? null),
    formatRatio(r.floors?.ratios.importToExportPlusWrite ?? null),
  ]);
  return table(headers, rows, [true, true, false, true, true, true, true, true]);
}

export function targetsTable(checks: TargetCheck[]): string {
  const headers = ['', 'target', 'people', 'scenario', 'limit', 'actual'];
  const rows = checks.map((c) => [c.met ? 'MET' : 'MISSED', c.target, c.size.toLocaleString('en-US'), c.scenario, c.limit, c.actual]);
  return table(headers, rows, [false, false, true, false, false, false]);
}
