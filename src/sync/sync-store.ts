import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { normalizeEmail } from './rules';
import type { ChunkPlan, ChunkState, EmailCandidate, ExistingEmployee, ExistingLink } from './chunk-plan';
import type { RunItem } from './sync-run.types';
import type { Bitrix24User } from '../bitrix24/bitrix24-user';

/** The IDs an export page covers: every user in (after, upTo] that the portal has was in it. */
export interface IdRange {
  after: number;
  upTo: number;
}

/** Outcomes kept on the standing-problems list (kind = the outcome). */
export const PROBLEM_KINDS = ['skipped', 'phone_rejected'] as const;

/** `uid:kind` of an item that is a standing problem, else null. */
function problemKey(item: RunItem): string | null {
  return item.bitrix24UserId !== null && (PROBLEM_KINDS as readonly string[]).includes(item.outcome) ? `${item.bitrix24UserId}:${item.outcome}` : null;
}

/**
 * One problem per (user, kind): a person with several rejected phones has one row whose
 * details list them all (`rejected`), so a change to any of them is a change of the problem.
 */
function currentProblems(items: RunItem[]): Array<{ uid: number; kind: string; reason: string | null; name: string | null; details: Record<string, unknown> | null }> {
  const byKey = new Map<string, { uid: number; kind: string; reason: string | null; name: string | null; details: Record<string, unknown> | null }>();
  for (const item of items) {
    const key = problemKey(item);
    if (key === null) continue;
    if (item.outcome === 'phone_rejected') {
      const row = byKey.get(key) ?? { uid: item.bitrix24UserId as number, kind: item.outcome, reason: item.reason, name: item.name, details: { rejected: [] as unknown[] } };
      (row.details?.rejected as unknown[]).push(item.details);
      byKey.set(key, row);
    } else byKey.set(key, { uid: item.bitrix24UserId as number, kind: item.outcome, reason: item.reason, name: item.name, details: item.details });
  }
  return [...byKey.values()];
}

/**
 * The reads of recordProblems: `t` the chunk's current problems, `w` those new or changed
 * (itemize: new, or reason/details changed), `fixed` the stored problems of the users read
 * (`read`: an export page's whole ID range, which also covers users the portal no longer
 * has, or the IDs of an event's users) that were not reported again. Null: nothing to do.
 */
function problemsQuery(connectionId: string, read: IdRange | number[], items: RunItem[]): { with: string; fixed: string; params: unknown[] } | null {
  const problems = currentProblems(items);
  if (!problems.length && Array.isArray(read) && !read.length) return null;
  const params: unknown[] = [
    connectionId,
    problems.map((p) => p.uid),
    problems.map((p) => p.kind),
    problems.map((p) => p.reason),
    problems.map((p) => p.name),
    problems.map((p) => (p.details ? JSON.stringify(p.details) : null)),
    ...(Array.isArray(read) ? [read] : [read.after, read.upTo]),
  ];
  return {
    with: `WITH t AS (SELECT * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::jsonb[]) AS t(uid, kind, reason, name, details)),
            w AS (SELECT t.*, (o.kind IS NULL OR o.reason IS DISTINCT FROM t.reason OR o.details IS DISTINCT FROM t.details) AS itemize
                    FROM t LEFT JOIN LATERAL (SELECT p.kind, p.reason, p.name, p.details FROM sync_problem p
                                               WHERE p.connection_id = $1 AND p.bitrix24_user_id = t.uid AND p.kind = t.kind LIMIT 1) o ON true
                   WHERE o.kind IS NULL OR (o.reason, o.name, o.details) IS DISTINCT FROM (t.reason, t.name, t.details))`,
    // NOT IN (never NULL here) is a hashed lookup; NOT EXISTS over the CTE was planned as a scan of it per row.
    fixed: `p.connection_id = $1 AND ${Array.isArray(read) ? `p.bitrix24_user_id = ANY($7::int[])` : `p.bitrix24_user_id > $7::int AND p.bitrix24_user_id <= $8::int`}
              AND (p.bitrix24_user_id, p.kind) NOT IN (SELECT t.uid, t.kind FROM t)`,
    params,
  };
}

export type Removal = { bitrix24UserId: number; employeeId: string; kind: 'dismissed' | 'deleted' | 'out_of_scope'; fromState: string };
import { queryRows } from '../database/query-rows';

/**
 * The import's set-based SQL: bulk reads of what a chunk of users touches, and bulk
 * writes of a chunk's plan (unnest-ed arrays, a handful of statements per chunk,
 * whatever its size). Every statement is scoped by account and connection.
 */
@Injectable()
export class SyncStore {
  /** Statements issued (benchmarks). */
  statements = 0;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private q<T = unknown>(manager: EntityManager, sql: string, params: unknown[]): Promise<T> {
    this.statements++;
    return queryRows(manager, sql, params) as Promise<T>;
  }

  /**
   * What a chunk of users touches, in three statements. Each lookup is written as an
   * index probe per key (unnest … LATERAL … LIMIT 1), so its cost follows the chunk,
   * not the size of the account, whatever the planner's statistics say. Email
   * candidates are looked up only for users without a link: once linked, the Bitrix24 ID
   * alone decides (seeds/002 item 3). Users `isSettled` says are unchanged since the last
   * run (their link's fingerprint) need no employee: an unchanged re-sync loads none.
   */
  async loadChunkState(accountId: string, connectionId: string, users: Bitrix24User[], range: IdRange | null = null, isSettled?: (user: Bitrix24User, link: ExistingLink) => boolean): Promise<ChunkState> {
    const m = this.db.manager;
    const userIds = [...new Set(users.map((u) => Number(u.ID)).filter((id) => Number.isSafeInteger(id) && id > 0))];
    // An export page covers a whole ID range (keyset order): one index range scan reads the
    // links of its users and also those of linked users the portal no longer returned.
    const linkRows = await this.q<Array<{ bitrix24_user_id: number; employee_id: string; state: ExistingLink['state']; department_ids: number[]; user_type: string | null; matched_by: string; fingerprint: string | null }>>(
      m,
      range
        ? `SELECT k.bitrix24_user_id, k.employee_id, k.state, k.department_ids, k.user_type, k.matched_by, k.fingerprint FROM bitrix24_user_link k
            WHERE k.connection_id = $1 AND k.bitrix24_user_id > $2 AND k.bitrix24_user_id <= $3`
        : `SELECT k.bitrix24_user_id, k.employee_id, k.state, k.department_ids, k.user_type, k.matched_by, k.fingerprint
             FROM unnest($2::int[]) AS t(uid)
             CROSS JOIN LATERAL (SELECT * FROM bitrix24_user_link l WHERE l.connection_id = $1 AND l.bitrix24_user_id = t.uid LIMIT 1) AS k`,
      range ? [connectionId, range.after, range.upTo] : [connectionId, userIds],
    );
    const inChunk = new Set(userIds);
    const unseenInRange: number[] = [];
    for (const r of linkRows) if (!inChunk.has(r.bitrix24_user_id) && r.state !== 'deleted') unseenInRange.push(r.bitrix24_user_id);
    const links = new Map<number, ExistingLink>(
      linkRows
        .filter((r) => inChunk.has(r.bitrix24_user_id))
        .map((r) => [r.bitrix24_user_id, { bitrix24UserId: r.bitrix24_user_id, employeeId: r.employee_id, state: r.state, departmentIds: [...(r.department_ids ?? [])], userType: r.user_type, matchedBy: r.matched_by, fingerprint: r.fingerprint }]),
    );
    const settled = new Set<number>();
    if (isSettled) {
      for (const user of users) {
        const link = links.get(Number(user.ID));
        if (link && isSettled(user, link)) settled.add(link.bitrix24UserId);
      }
    }
    const emails = [...new Set(users.filter((u) => !links.has(Number(u.ID))).map((u) => normalizeEmail(u.EMAIL)).filter((e): e is string => Boolean(e)))];
    const candidateRows = emails.length
      ? await this.q<Array<{ id: string; email_normalized: string; linked: boolean; linked_user: number | null }>>(
          m,
          `SELECT e.id, e.email_normalized, (l.employee_id IS NOT NULL) AS linked, l.bitrix24_user_id AS linked_user
             FROM unnest($3::text[]) AS t(email)
             CROSS JOIN LATERAL (SELECT x.id, x.email_normalized FROM employee x WHERE x.account_id = $1 AND x.email_normalized = t.email OFFSET 0) AS e
             LEFT JOIN LATERAL (SELECT y.employee_id, y.bitrix24_user_id FROM bitrix24_user_link y WHERE y.connection_id = $2 AND y.employee_id = e.id LIMIT 1) AS l ON true`,
          [accountId, connectionId, emails],
        )
      : [];
    const candidatesByEmail = new Map<string, EmailCandidate[]>();
    for (const row of candidateRows) {
      const list = candidatesByEmail.get(row.email_normalized) ?? [];
      list.push({ employeeId: row.id, linkedOnThisPortal: row.linked, linkedBitrix24UserId: row.linked_user });
      candidatesByEmail.set(row.email_normalized, list);
    }
    const employeeIds = [...new Set([...[...links.values()].filter((l) => !settled.has(l.bitrix24UserId)).map((l) => l.employeeId), ...candidateRows.map((c) => c.id)])];
    const employeeRows = employeeIds.length
      ? await this.q<Array<{ id: string; first_name: string; last_name: string; middle_name: string | null; email: string | null; extension: string | null; has_phones: boolean }>>(
          m,
          `SELECT e.id, e.first_name, e.last_name, e.middle_name, e.email, e.extension, (p.employee_id IS NOT NULL) AS has_phones
             FROM unnest($2::uuid[]) AS t(id)
             CROSS JOIN LATERAL (SELECT * FROM employee x WHERE x.id = t.id AND x.account_id = $1) AS e
             LEFT JOIN LATERAL (SELECT y.employee_id FROM employee_phone y WHERE y.employee_id = e.id LIMIT 1) AS p ON true`,
          [accountId, employeeIds],
        )
      : [];
    const employees = new Map<string, ExistingEmployee>(
      employeeRows.map((r) => [r.id, { id: r.id, firstName: r.first_name, lastName: r.last_name, middleName: r.middle_name, email: r.email, extension: r.extension, hasPhones: r.has_phones }]),
    );
    const unlinked = userIds.filter((id) => !links.has(id));
    const excludedRows = unlinked.length
      ? await this.q<Array<{ bitrix24_user_id: number }>>(m, `SELECT bitrix24_user_id FROM bitrix24_user_exclusion WHERE connection_id = $1 AND bitrix24_user_id = ANY($2::int[])`, [connectionId, unlinked])
      : [];
    return { links, employees, candidatesByEmail, unseenInRange, excluded: new Set(excludedRows.map((r) => r.bitrix24_user_id)), settled };
  }

  /**
   * The users whose employee changed since the plan read it (ChunkPlan.plannedFrom): names,
   * e-mail, extension, or whether it has a phone. The employees are locked (and their phones
   * share-locked) for the rest of the caller's transaction, so an edit either landed before
   * this read and is seen here, or waits for the commit and then clears the fingerprint
   * (migration 1795308600000's triggers). Without this, an owner's edit committed between a
   * chunk's read and its write was covered by a fingerprint of the old values, and no later
   * run put Bitrix24's values back.
   */
  private async changedSincePlanned(manager: EntityManager, accountId: string, plannedFrom: ChunkPlan['plannedFrom']): Promise<Set<number>> {
    if (!plannedFrom.length) return new Set();
    const ids = [...new Set(plannedFrom.map((p) => p.employee.id))];
    // In id order: two chunks locking the same employees (two portals) queue instead of deadlocking.
    const rows = await this.q<Array<{ id: string; first_name: string; last_name: string; middle_name: string | null; email: string | null; extension: string | null }>>(
      manager,
      `SELECT e.id, e.first_name, e.last_name, e.middle_name, e.email, e.extension FROM employee e
        WHERE e.account_id = $1 AND e.id = ANY($2::uuid[]) ORDER BY e.id FOR NO KEY UPDATE`,
      [accountId, ids],
    );
    const phoned = await this.q<Array<{ employee_id: string }>>(
      manager,
      `SELECT DISTINCT p.employee_id FROM (SELECT employee_id FROM employee_phone WHERE employee_id = ANY($1::uuid[]) ORDER BY employee_id, position FOR SHARE) p`,
      [ids],
    );
    const now = new Map(rows.map((r) => [r.id, r]));
    const withPhones = new Set(phoned.map((r) => r.employee_id));
    const changed = new Set<number>();
    for (const { bitrix24UserId, employee: was } of plannedFrom) {
      const is = now.get(was.id);
      const same =
        is !== undefined &&
        is.first_name === was.firstName &&
        is.last_name === was.lastName &&
        is.middle_name === was.middleName &&
        is.email === was.email &&
        is.extension === was.extension &&
        withPhones.has(was.id) === was.hasPhones;
      if (!same) changed.add(bitrix24UserId);
    }
    return changed;
  }

  /** Writes one chunk's plan in the caller's transaction. Writes nothing for an unchanged chunk. */
  async applyPlan(manager: EntityManager, accountId: string, connectionId: string, runId: string, plan: ChunkPlan, range: IdRange | null): Promise<void> {
    // First, before this plan's own employee writes: a fingerprint stands for the employee as the plan read it.
    const changed = await this.changedSincePlanned(manager, accountId, plan.plannedFrom);
    const fingerprintOf = (x: { bitrix24UserId: number; fingerprint?: string | null }) => (changed.has(x.bitrix24UserId) ? null : (x.fingerprint ?? null));
    if (plan.newEmployees.length) {
      const f = plan.newEmployees;
      await this.q(
        manager,
        `INSERT INTO employee (id, account_id, first_name, last_name, middle_name, email, extension, source)
         SELECT t.id, $1, t.first_name, t.last_name, t.middle_name, t.email, t.extension, 'bitrix24'
           FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                AS t(id, first_name, last_name, middle_name, email, extension)`,
        [accountId, f.map((e) => e.id), f.map((e) => e.fields.firstName), f.map((e) => e.fields.lastName), f.map((e) => e.fields.middleName), f.map((e) => e.fields.email), f.map((e) => e.fields.extension)],
      );
    }
    if (plan.employeeUpdates.length) {
      const u = plan.employeeUpdates;
      // Linking by email turns a manual employee into one managed by Bitrix24.
      await this.q(
        manager,
        `UPDATE employee e SET first_name = t.first_name, last_name = t.last_name, middle_name = t.middle_name,
                email = t.email, extension = t.extension, source = 'bitrix24', updated_at = now()
           FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                AS t(id, first_name, last_name, middle_name, email, extension)
          WHERE e.id = t.id AND e.account_id = $1`,
        [accountId, u.map((e) => e.id), u.map((e) => e.fields.firstName), u.map((e) => e.fields.lastName), u.map((e) => e.fields.middleName), u.map((e) => e.fields.email), u.map((e) => e.fields.extension)],
      );
    }
    if (plan.phoneInserts.length) {
      const p = plan.phoneInserts;
      // Only employees that still have no number at all (seeds/002 item 4), re-checked at write time.
      await this.q(
        manager,
        `INSERT INTO employee_phone (employee_id, position, digits, source)
         SELECT t.employee_id, t.position, t.digits, t.source
           FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[]) AS t(employee_id, position, digits, source)
          WHERE NOT EXISTS (SELECT 1 FROM employee_phone x WHERE x.employee_id = t.employee_id)
         ON CONFLICT DO NOTHING`,
        [p.map((x) => x.employeeId), p.map((x) => x.position), p.map((x) => x.digits), p.map((x) => x.source)],
      );
    }
    const linkedByEmail = new Set(plan.items.filter((i) => i.outcome === 'linked_by_email').map((i) => i.employeeId));
    if (linkedByEmail.size) {
      await this.q(manager, `UPDATE employee SET source = 'bitrix24', updated_at = now() WHERE account_id = $1 AND id = ANY($2::uuid[]) AND source <> 'bitrix24'`, [accountId, [...linkedByEmail]]);
    }
    if (plan.newLinks.length) {
      const l = plan.newLinks;
      await this.q(
        manager,
        `INSERT INTO bitrix24_user_link (connection_id, bitrix24_user_id, account_id, employee_id, state, matched_by, department_ids, user_type, fingerprint)
         SELECT $1, t.uid, $2, t.employee_id, t.state, t.matched_by,
                coalesce((SELECT array_agg(x::int) FROM jsonb_array_elements_text(t.departments) AS x), '{}'), t.user_type, t.fingerprint
           FROM unnest($3::int[], $4::uuid[], $5::text[], $6::text[], $7::jsonb[], $8::text[], $9::text[])
                AS t(uid, employee_id, state, matched_by, departments, user_type, fingerprint)`,
        [
          connectionId,
          accountId,
          l.map((x) => x.bitrix24UserId),
          l.map((x) => x.employeeId),
          l.map((x) => x.state),
          l.map((x) => x.matchedBy),
          l.map((x) => JSON.stringify(x.departmentIds)),
          l.map((x) => x.userType),
          l.map(fingerprintOf),
        ],
      );
    }
    if (plan.linkUpdates.length) {
      const l = plan.linkUpdates;
      await this.q(
        manager,
        `UPDATE bitrix24_user_link k
            SET state = t.state, state_since = CASE WHEN t.state_changed THEN now() ELSE k.state_since END,
                department_ids = coalesce((SELECT array_agg(x::int) FROM jsonb_array_elements_text(t.departments) AS x), '{}'),
                user_type = t.user_type, fingerprint = t.fingerprint, updated_at = now()
           FROM unnest($2::int[], $3::text[], $4::boolean[], $5::jsonb[], $6::text[], $7::text[]) AS t(uid, state, state_changed, departments, user_type, fingerprint)
          WHERE k.connection_id = $1 AND k.bitrix24_user_id = t.uid`,
        [connectionId, l.map((x) => x.bitrix24UserId), l.map((x) => x.state), l.map((x) => x.stateChanged), l.map((x) => JSON.stringify(x.departmentIds)), l.map((x) => x.userType), l.map(fingerprintOf)],
      );
    }
    // After the employee writes above: their trigger clears the fingerprints of the links of edited employees.
    if (plan.fingerprints.length) {
      const f = plan.fingerprints;
      await this.q(
        manager,
        `UPDATE bitrix24_user_link k SET fingerprint = t.fingerprint
           FROM unnest($2::int[], $3::text[]) AS t(uid, fingerprint)
          WHERE k.connection_id = $1 AND k.bitrix24_user_id = t.uid AND k.fingerprint IS DISTINCT FROM t.fingerprint`,
        [connectionId, f.map((x) => x.bitrix24UserId), f.map(fingerprintOf)],
      );
    }
    // Work in proportion to change (issue 12, finding 7): "unchanged" is only counted (the
    // run's counters); a re-sync of a portal where nothing changed writes no item rows. A
    // standing problem is itemized only when it is new or its details changed.
    const fresh = await this.recordProblems(manager, accountId, connectionId, runId, range ?? plan.seenIds, plan.items);
    await this.insertItems(manager, runId, plan.items.filter((i) => i.outcome !== 'unchanged' && (problemKey(i) === null || fresh.has(problemKey(i) as string))));
  }

  /**
   * The standing-problems list for the users this chunk read, in one statement, writing only
   * what changed: problems new or changed (reason, name, details) are upserted, problems of
   * the users read (`read`: an export page's whole ID range, which also covers users the
   * portal no longer has, or the IDs of an event's users) that were not reported again are
   * deleted (fixed). A standing problem seen again is not rewritten: its last sighting is
   * the last complete run's (SyncProblemsRepository). Returns the keys of problems that are
   * new or whose reason/details changed, as read before the write (all CTEs see the same
   * snapshot).
   */
  async recordProblems(manager: EntityManager, accountId: string, connectionId: string, runId: string, read: IdRange | number[], items: RunItem[]): Promise<Set<string>> {
    const q = problemsQuery(connectionId, read, items);
    if (!q) return new Set();
    const rows = await this.q<Array<{ uid: number; kind: string }>>(
      manager,
      `${q.with},
            fixed AS (DELETE FROM sync_problem p WHERE ${q.fixed}),
            up AS (INSERT INTO sync_problem (connection_id, bitrix24_user_id, kind, account_id, reason, name, details, last_run_id)
                   SELECT $1, w.uid, w.kind, $${q.params.length + 1}, w.reason, w.name, w.details, $${q.params.length + 2} FROM w
                   ON CONFLICT (connection_id, bitrix24_user_id, kind) DO UPDATE
                     SET reason = excluded.reason, name = excluded.name, details = excluded.details, last_seen_at = now(), last_run_id = excluded.last_run_id)
       SELECT w.uid, w.kind FROM w WHERE w.itemize`,
      [...q.params, accountId, runId],
    );
    return new Set(rows.map((r) => `${r.uid}:${r.kind}`));
  }

  /**
   * Whether applyPlan would write anything for this plan: a row, a report item, or a problem
   * new, changed or fixed (recordProblems' reads, without its writes).
   */
  async planWrites(connectionId: string, plan: ChunkPlan, read: IdRange | number[]): Promise<boolean> {
    const { newEmployees, employeeUpdates, phoneInserts, newLinks, linkUpdates, fingerprints, pendingDismissals } = plan;
    if ([newEmployees, employeeUpdates, phoneInserts, newLinks, linkUpdates, fingerprints, pendingDismissals].some((list) => list.length)) return true;
    if (plan.items.some((i) => i.outcome !== 'unchanged' && problemKey(i) === null)) return true;
    const q = problemsQuery(connectionId, read, plan.items);
    if (!q) return false;
    const [row] = await this.q<Array<{ changes: boolean }>>(this.db.manager, `${q.with} SELECT EXISTS (SELECT 1 FROM w) OR EXISTS (SELECT 1 FROM sync_problem p WHERE ${q.fixed}) AS changes`, q.params);
    return row.changes;
  }

  /**
   * A complete trusted export ended at `lastUserId`: problems of users above it are fixed
   * (gone from the portal), except those of users read by ID since (`readById`).
   */
  async clearProblemsAfter(manager: EntityManager, connectionId: string, lastUserId: number, readById: number[]): Promise<void> {
    await this.q(manager, `DELETE FROM sync_problem WHERE connection_id = $1 AND bitrix24_user_id > $2 AND bitrix24_user_id <> ALL($3::int[])`, [connectionId, lastUserId, readById]);
  }

  async insertItems(manager: EntityManager, runId: string, items: RunItem[]): Promise<void> {
    if (!items.length) return;
    await this.q(
      manager,
      `INSERT INTO sync_run_item (run_id, bitrix24_user_id, employee_id, outcome, reason, name, details)
       SELECT $1, t.uid, t.employee_id, t.outcome, t.reason, t.name, t.details
         FROM unnest($2::int[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::jsonb[]) AS t(uid, employee_id, outcome, reason, name, details)`,
      [runId, items.map((i) => i.bitrix24UserId), items.map((i) => i.employeeId), items.map((i) => i.outcome), items.map((i) => i.reason), items.map((i) => i.name), items.map((i) => (i.details ? JSON.stringify(i.details) : null))],
    );
  }

  /**
   * Links of this portal a complete export did not return: those missing from the ranges of
   * the committed pages (`unseen`), and every link above the last exported ID.
   */
  async unseenLinks(connectionId: string, unseen: number[], afterUserId: number): Promise<ExistingLink[]> {
    const rows = await this.q<Array<{ bitrix24_user_id: number; employee_id: string; state: ExistingLink['state'] }>>(
      this.db.manager,
      `SELECT bitrix24_user_id, employee_id, state FROM bitrix24_user_link
        WHERE connection_id = $1 AND state <> 'deleted' AND (bitrix24_user_id = ANY($2::int[]) OR bitrix24_user_id > $3)`,
      [connectionId, unseen, afterUserId],
    );
    return rows.map((r) => ({ bitrix24UserId: r.bitrix24_user_id, employeeId: r.employee_id, state: r.state, departmentIds: [], userType: null }));
  }

  /** Removals a run found, written with the chunk that found them, so they survive a resume. */
  async addPendingRemovals(manager: EntityManager, runId: string, connectionId: string, removals: Removal[]): Promise<void> {
    if (!removals.length) return;
    await this.q(
      manager,
      `INSERT INTO sync_pending_removal (run_id, connection_id, bitrix24_user_id, kind, from_state)
       SELECT $1, $2, t.uid, t.kind, t.from_state FROM unnest($3::int[], $4::text[], $5::text[]) AS t(uid, kind, from_state)
       ON CONFLICT (run_id, bitrix24_user_id) DO NOTHING`,
      [runId, connectionId, removals.map((r) => r.bitrix24UserId), removals.map((r) => r.kind), removals.map((r) => r.fromState)],
    );
  }

  async pendingRemovals(runId: string, connectionId: string): Promise<Removal[]> {
    const rows = await this.q<Array<{ bitrix24_user_id: number; employee_id: string; kind: Removal['kind']; from_state: string }>>(
      this.db.manager,
      `SELECT p.bitrix24_user_id, l.employee_id, p.kind, p.from_state FROM sync_pending_removal p
         JOIN bitrix24_user_link l ON l.connection_id = p.connection_id AND l.bitrix24_user_id = p.bitrix24_user_id
        WHERE p.run_id = $1 AND p.connection_id = $2 ORDER BY p.bitrix24_user_id`,
      [runId, connectionId],
    );
    return rows.map((r) => ({ bitrix24UserId: r.bitrix24_user_id, employeeId: r.employee_id, kind: r.kind, fromState: r.from_state }));
  }

  /** A run's items and held removals (a preview that starts over). */
  async clearRunReport(manager: EntityManager, runId: string): Promise<void> {
    await this.q(manager, `DELETE FROM sync_run_item WHERE run_id = $1`, [runId]);
    await this.q(manager, `DELETE FROM sync_pending_removal WHERE run_id = $1`, [runId]);
  }

  async clearPendingRemovals(manager: EntityManager, runId: string): Promise<void> {
    await this.q(manager, `DELETE FROM sync_pending_removal WHERE run_id = $1`, [runId]);
  }

  async countLinks(connectionId: string): Promise<{ active: number; total: number }> {
    const [row] = await this.q<Array<{ active: number; total: number }>>(
      this.db.manager,
      `SELECT count(*) FILTER (WHERE state = 'active')::int AS active, count(*)::int AS total FROM bitrix24_user_link WHERE connection_id = $1`,
      [connectionId],
    );
    return row;
  }

  /** Which of these employees are on the responsible list (a preview's removals, read-only). */
  async responsibleAmong(manager: EntityManager, accountId: string, employeeIds: string[]): Promise<string[]> {
    if (!employeeIds.length) return [];
    const rows = await this.q<Array<{ employee_id: string }>>(manager, `SELECT employee_id FROM responsible_employee WHERE account_id = $1 AND employee_id = ANY($2::uuid[])`, [accountId, employeeIds]);
    return rows.map((r) => r.employee_id);
  }

  /** Applies removals (dismissed/deleted) and takes those employees off the responsible list. Returns who was removed from it. */
  async applyRemovals(manager: EntityManager, accountId: string, connectionId: string, removals: Array<{ bitrix24UserId: number; employeeId: string; kind: 'dismissed' | 'deleted' | 'out_of_scope' }>): Promise<string[]> {
    if (!removals.length) return [];
    await this.q(
      manager,
      `UPDATE bitrix24_user_link k SET state = t.kind, state_since = now(), updated_at = now()
         FROM unnest($2::int[], $3::text[]) AS t(uid, kind)
        WHERE k.connection_id = $1 AND k.bitrix24_user_id = t.uid AND k.state <> t.kind`,
      [connectionId, removals.map((r) => r.bitrix24UserId), removals.map((r) => r.kind)],
    );
    const removed = await this.q<Array<{ employee_id: string }>>(
      manager,
      `DELETE FROM responsible_employee WHERE account_id = $1 AND employee_id = ANY($2::uuid[]) RETURNING employee_id`,
      [accountId, removals.map((r) => r.employeeId)],
    );
    return removed.map((r) => r.employee_id);
  }

}
