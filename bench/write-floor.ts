/**
 * The write floor (issue 12): the rows a scenario wrote, written again by one plain
 * `INSERT … SELECT` per table, timed.
 *
 * Which rows: every row version whose xmin is a transaction of the scenario — between two
 * marks (`pg_current_xact_id()`) taken just before it started and after it finished. An
 * INSERT and an UPDATE both leave such a version (the bench database serves nobody else);
 * a row written several times counts once, a deleted one not at all.
 *
 * How: untimed, those rows are copied into temporary tables (so reading them is off the
 * clock) and every table written gets an empty scratch copy `bench_floor.<table>` (`LIKE …
 * INCLUDING ALL`: the same columns, defaults, generated columns, checks and indexes — no
 * foreign keys). Scratch copies are ordinary logged tables, not temporary ones: the import
 * writes WAL and commits durably, so the floor does too. Timed: BEGIN, one INSERT … SELECT
 * per table, COMMIT. Everything is dropped afterwards (the next scenario's database growth
 * starts from the same size).
 */
import type { Client } from 'pg';
import { WriteFloor, WriteFloorTable, writeFloorApplies } from './floors';

/** A point in the transaction sequence: 64-bit xid (`pg_current_xact_id()`), as text. */
export type XidMark = string;

/** The scenario's transactions: those after `from` and before `to`. */
export interface WriteWindow {
  fromXid: XidMark;
  toXid: XidMark;
}

const SCRATCH_SCHEMA = 'bench_floor';
const XID_SPACE = 2n ** 32n;

/** Takes a mark; the marking transaction writes nothing itself. */
export async function markXid(db: Client): Promise<XidMark> {
  const { rows } = await db.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
  return rows[0].xid;
}

/**
 * A row's xmin is the 32-bit part of the 64-bit xid. Offsets from `from`, modulo 2^32,
 * keep the window right across a wraparound: the row is inside when 0 < offset < span.
 */
export function xminWindow(window: WriteWindow): { from: string; span: string } {
  const from = BigInt(window.fromXid) % XID_SPACE;
  const span = BigInt(window.toXid) - BigInt(window.fromXid);
  if (span <= 0n || span >= XID_SPACE) throw new Error(`bad write window ${window.fromXid}..${window.toXid}`);
  return { from: from.toString(), span: span.toString() };
}

interface TableColumns {
  table: string;
  /** Quoted names of the columns a row carries (generated columns are computed again). */
  columns: string[];
}

async function publicTables(db: Client): Promise<TableColumns[]> {
  const { rows } = await db.query<{ table: string; columns: string[] }>(
    `SELECT c.relname AS table, array_agg(quote_ident(a.attname) ORDER BY a.attnum) AS columns
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      WHERE n.nspname = 'public' AND c.relkind = 'r'
      GROUP BY c.relname
      ORDER BY c.relname`,
  );
  return rows;
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Counts the scenario's rows per table and, when there are enough, times writing them again. */
export async function measureWriteFloor(db: Client, window: WriteWindow): Promise<WriteFloor> {
  const { from, span } = xminWindow(window);
  const staged: Array<TableColumns & { rows: number; source: string }> = [];
  try {
    for (const [i, t] of (await publicTables(db)).entries()) {
      const source = `floor_source_${i}`;
      const res = await db.query(
        `CREATE TEMP TABLE ${source} AS SELECT ${t.columns.join(', ')} FROM public.${quoted(t.table)}
          WHERE (xmin::text::bigint - $1::bigint + ${XID_SPACE}) % ${XID_SPACE} BETWEEN 1 AND $2::bigint - 1`,
        [from, span],
      );
      staged.push({ ...t, source, rows: res.rowCount ?? 0 });
    }
    const written = staged.filter((t) => t.rows > 0);
    const rows = written.reduce((sum, t) => sum + t.rows, 0);
    if (!writeFloorApplies(rows)) return { rows, wallMs: null, tables: written.map((t) => ({ table: t.table, rows: t.rows, ms: null })) };

    await db.query(`DROP SCHEMA IF EXISTS ${SCRATCH_SCHEMA} CASCADE`);
    await db.query(`CREATE SCHEMA ${SCRATCH_SCHEMA}`);
    for (const t of written) await db.query(`CREATE TABLE ${SCRATCH_SCHEMA}.${quoted(t.table)} (LIKE public.${quoted(t.table)} INCLUDING ALL)`);

    const tables: WriteFloorTable[] = [];
    const started = performance.now();
    await db.query('BEGIN');
    try {
      for (const t of written) {
        const t0 = performance.now();
        const columns = t.columns.join(', ');
        await db.query(`INSERT INTO ${SCRATCH_SCHEMA}.${quoted(t.table)} (${columns}) SELECT ${columns} FROM ${t.source}`);
        tables.push({ table: t.table, rows: t.rows, ms: Math.round((performance.now() - t0) * 10) / 10 });
      }
      await db.query('COMMIT');
    } catch (error) {
      await db.query('ROLLBACK');
      throw error;
    }
    return { rows, wallMs: Math.round(performance.now() - started), tables };
  } finally {
    await db.query(`DROP SCHEMA IF EXISTS ${SCRATCH_SCHEMA} CASCADE`);
    for (const t of staged) await db.query(`DROP TABLE IF EXISTS ${t.source}`);
  }
}
