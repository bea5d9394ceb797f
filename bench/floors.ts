/**
 * Floors (issue 12): next to each scenario the bench measures, in the same run, the two
 * limits an import cannot beat on this machine — the export alone (our Bitrix24 client
 * reading the simulator, no database: bench/export-floor.ts) and the same rows written by
 * one plain `INSERT … SELECT` per table (bench/write-floor.ts) — and reports the import's
 * ratio to them. A ratio of 1.0 would be an import that costs nothing beyond reading the
 * portal and writing its rows. The pure pieces live here.
 */

/** The export floor: what the client read and how long it took, in its own process. */
export interface ExportFloor {
  /** `full_export`: the engine's fullExport (keyset pages, count, admin check, departments); `users_by_id`: the event's read. */
  kind: 'full_export' | 'users_by_id';
  wallMs: number;
  /** HTTP requests the client sent (a batch is one). */
  requests: number;
  users: number;
  departments: number;
  /** CPU of the floor process during the read. */
  cpuMs: number;
}

export interface WriteFloorTable {
  table: string;
  rows: number;
  /** The table's INSERT … SELECT (null when the floor was not timed). */
  ms: number | null;
}

/** The write floor: every row version the scenario wrote, written again by one INSERT … SELECT per table. */
export interface WriteFloor {
  /** Rows (inserted or updated) the scenario left, by table: their xmin is one of its transactions. */
  rows: number;
  /** BEGIN → every INSERT … SELECT → COMMIT; null when the scenario wrote (almost) nothing. */
  wallMs: number | null;
  tables: WriteFloorTable[];
}

export interface FloorRatios {
  /** Import wall ÷ export floor. */
  importToExport: number | null;
  /** Import wall ÷ (export floor + write floor); null when the write floor is ≈ 0. */
  importToExportPlusWrite: number | null;
}

export interface Floors {
  export: ExportFloor;
  write: WriteFloor;
  ratios: FloorRatios;
}

/** Below this many rows a scenario "writes nothing" (the run's own row, the connection): no write floor. */
export const WRITE_FLOOR_MIN_ROWS = 100;

/** Whether the rows a scenario wrote are worth a timed write floor. */
export function writeFloorApplies(rows: number): boolean {
  return rows >= WRITE_FLOOR_MIN_ROWS;
}

const ratio = (numerator: number, denominator: number): number | null =>
  Number.isFinite(numerator) && Number.isFinite(denominator) && denominator > 0 && numerator >= 0 ? Math.round((numerator / denominator) * 100) / 100 : null;

export function floorRatios(importMs: number, exportMs: number, writeMs: number | null): FloorRatios {
  return {
    importToExport: ratio(importMs, exportMs),
    importToExportPlusWrite: writeMs === null ? null : ratio(importMs, exportMs + writeMs),
  };
}

/** `2.45×`, or `n/a`. */
export function formatRatio(value: number | null): string {
  return value === null ? 'n/a' : `${value.toFixed(2)}×`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

/** `8.100 s (43 req)` / `0.012 s (1 req)`. */
export function formatExportFloor(floor: ExportFloor): string {
  return `${seconds(floor.wallMs)} (${floor.requests.toLocaleString('en-US')} req)`;
}

/** `4.200 s (412,000 rows)`, or `≈ 0 (12 rows)` when the scenario wrote almost nothing. */
export function formatWriteFloor(floor: WriteFloor): string {
  const rows = `${floor.rows.toLocaleString('en-US')} rows`;
  return floor.wallMs === null ? `≈ 0 (${rows})` : `${seconds(floor.wallMs)} (${rows})`;
}
