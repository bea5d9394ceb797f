import request from 'supertest';
import type { Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { SyncWorker } from '../../src/sync/sync-worker.service';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { employeeByBitrix24Id, getRun, runItems, runPollerOnce, synchronize, waitForRun } from '../support/sync';
import { startTestApp, TestApp } from '../support/test-app';

function person(id: number, fields: Partial<Bitrix24User> = {}): Bitrix24User {
  return { ID: String(id), ACTIVE: true, NAME: `N${id}`, LAST_NAME: `L${id}`, EMAIL: `p${id}@example.com`, UF_DEPARTMENT: [1], USER_TYPE: 'employee', WORK_PHONE: '', PERSONAL_MOBILE: '', PERSONAL_PHONE: '', ...fields };
}
const people = (n: number, from = 1) => Array.from({ length: n }, (_, i) => person(from + i));

describe('dismissals, deletions, re-hires and the safety guards', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;
  const key = () => bearer(acme.ownerKey);

  const makeResponsible = async (ids: number[]) => {
    const employeeIds = [];
    for (const id of ids) employeeIds.push((await employeeByBitrix24Id(env.t, connectionId, id))!.id);
    await request(env.t.url).put('/api/v1/responsible-employees').set(key()).send({ employeeIds }).expect(200);
  };

  beforeAll(async () => {
    env = await startPortalAndApp({ people: people(20) });
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters.created).toBe(20);
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('an unchanged re-sync writes no item rows, and its counters still add up to the people processed', async () => {
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters.unchanged).toBe(20);
    expect(run.progress.processed).toBe(20);
    const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM sync_run_item WHERE run_id = $1`, [run.id]);
    expect(n).toBe(0);
  });

  it('a dismissal keeps the employee, records it on the link and takes them off the responsible list after the run', async () => {
    await makeResponsible([1, 2, 3]);
    env.sim.dismissUser(2);
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters).toMatchObject({ dismissed: 1, removed_from_responsible: 1, deleted: 0 });
    const employee = await employeeByBitrix24Id(env.t, connectionId, 2);
    expect(employee).toMatchObject({ link_state: 'dismissed', responsible: false, active: true });
    expect((await employeeByBitrix24Id(env.t, connectionId, 1))!.responsible).toBe(true);
    const items = await runItems(env.t, acme, run.id);
    expect(items.filter((i) => i.bitrix24UserId === 2).map((i) => i.outcome).sort()).toEqual(['dismissed', 'removed_from_responsible']);
    const api = await request(env.t.url).get('/api/v1/employees?bitrix24State=dismissed').set(key()).expect(200);
    expect(api.body.items.map((e: { id: string }) => e.id)).toEqual([employee!.id]);
    // Stays dismissed, and is not reported again.
    const again = await synchronize(env.t, acme, connectionId);
    expect(again.counters.dismissed).toBe(0);
  });

  it('a deletion (no longer returned by a complete export) keeps the employee and removes them from the list', async () => {
    const before = await employeeByBitrix24Id(env.t, connectionId, 3);
    env.sim.deleteUser(3);
    const run = await synchronize(env.t, acme, connectionId);
    expect(run).toMatchObject({ status: 'succeeded', exportComplete: true });
    expect(run.counters).toMatchObject({ deleted: 1, removed_from_responsible: 1 });
    expect(await employeeByBitrix24Id(env.t, connectionId, 3)).toMatchObject({ id: before!.id, link_state: 'deleted', responsible: false });
    const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM employee WHERE id = $1`, [before!.id]);
    expect(n).toBe(1);
  });

  it('a re-hire relinks the same employee, reported as reactivated, and is not put back on the responsible list', async () => {
    const before = await employeeByBitrix24Id(env.t, connectionId, 2);
    env.sim.updateUser(2, { ACTIVE: true });
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters).toMatchObject({ reactivated: 1, created: 0 });
    expect(await employeeByBitrix24Id(env.t, connectionId, 2)).toMatchObject({ id: before!.id, link_state: 'active', responsible: false });
    const [item] = await runItems(env.t, acme, run.id, 'outcome=reactivated');
    expect(item.details).toMatchObject({ previousState: 'dismissed', responsibleRestored: false });
  });

  it('an empty export never marks anyone deleted', async () => {
    const saved = env.sim.users;
    env.sim.setUsers([]);
    try {
      const run = await synchronize(env.t, acme, connectionId);
      expect(run.status).toBe('succeeded');
      expect(run.counters.deleted).toBe(0);
      const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM bitrix24_user_link WHERE connection_id = $1 AND state = 'deleted'`, [connectionId]);
      expect(n).toBe(1);
    } finally {
      env.sim.setUsers(saved);
    }
  });

  it('an export that fails mid-way marks nobody deleted or dismissed, leaves every employee whole, and the next run converges', async () => {
    const extra = people(300, 1000);
    env.sim.setUsers([...env.sim.users, ...extra]);
    env.sim.dismissUser(4);
    // The first page arrives, then every later user.get fails: an export broken mid-way.
    env.sim.faults.failMethodAfter('user.get', 1, 1000);
    const failed = await synchronize(env.t, acme, connectionId);
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBeDefined();
    const [{ deleted }] = await env.t.dataSource.query(`SELECT count(*) FILTER (WHERE state <> 'active')::int AS deleted FROM bitrix24_user_link WHERE connection_id = $1 AND bitrix24_user_id <> ALL($2::int[])`, [connectionId, [2, 3]]);
    expect(deleted).toBe(0);
    const broken = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM employee WHERE last_name IS NULL OR last_name = ''`);
    expect(broken[0].n).toBe(0);
    env.sim.faults.reset();
    const clean = await synchronize(env.t, acme, connectionId);
    expect(clean.status).toBe('succeeded');
    expect(clean.counters.dismissed).toBe(1);
    const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM bitrix24_user_link WHERE connection_id = $1`, [connectionId]);
    expect(n).toBe(320);
    const third = await synchronize(env.t, acme, connectionId);
    expect(third.counters.created + third.counters.updated + third.counters.dismissed).toBe(0);
  });

  it('holds a mass dismissal above the guard share until it is confirmed through the API', async () => {
    // 320 linked, 316 active; dismiss 80 (25 % > 20 %).
    const targets = Array.from({ length: 80 }, (_, i) => 1000 + i);
    await makeResponsible(targets.slice(0, 5));
    for (const id of targets) env.sim.dismissUser(id);
    const held = await synchronize(env.t, acme, connectionId);
    expect(held.status).toBe('awaiting_confirmation');
    expect(held.guard).toMatchObject({ held: true, thresholdPercent: 20, dismissals: 80 });
    expect((await employeeByBitrix24Id(env.t, connectionId, 1000))).toMatchObject({ link_state: 'active', responsible: true });
    const pending = await request(env.t.url).get(`/api/v1/sync-runs/${held.id}/pending-removals`).set(key()).expect(200);
    expect(pending.body).toHaveLength(80);

    const integrator = (await request(env.t.url).post('/api/v1/api-keys').set(key()).send({ name: 'partner', role: 'integrator' }).expect(201)).body.key;
    const refused = await request(env.t.url).post(`/api/v1/sync-runs/${held.id}/confirm-removals`).set(bearer(integrator)).expect(403);
    expect(refused.body.error.details.missingPermission).toBe('sync:confirm_removals');

    const confirmed = await request(env.t.url).post(`/api/v1/sync-runs/${held.id}/confirm-removals`).set(key()).expect(200);
    expect(confirmed.body).toMatchObject({ status: 'succeeded', guardResolution: 'confirmed' });
    expect(confirmed.body.counters).toMatchObject({ dismissed: 80, removed_from_responsible: 5 });
    expect(await employeeByBitrix24Id(env.t, connectionId, 1000)).toMatchObject({ link_state: 'dismissed', responsible: false });
    await request(env.t.url).post(`/api/v1/sync-runs/${held.id}/confirm-removals`).set(key()).expect(409);
  });

  it('a discarded hold applies nothing, and the next run asks again', async () => {
    const targets = Array.from({ length: 70 }, (_, i) => 1100 + i);
    for (const id of targets) env.sim.deleteUser(id);
    const held = await synchronize(env.t, acme, connectionId);
    expect(held.status).toBe('awaiting_confirmation');
    expect(held.guard).toMatchObject({ deletions: 70 });
    await request(env.t.url).post(`/api/v1/sync-runs/${held.id}/discard-removals`).set(key()).expect(200);
    expect(await employeeByBitrix24Id(env.t, connectionId, 1100)).toMatchObject({ link_state: 'active' });
    const again = await synchronize(env.t, acme, connectionId);
    expect(again.status).toBe('awaiting_confirmation');
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(key()).send({ removalGuardPercent: 100 }).expect(200);
    const through = await synchronize(env.t, acme, connectionId);
    expect(through.status).toBe('succeeded');
    expect(through.counters.deleted).toBe(70);
    expect((await getRun(env.t, acme, again.id)).status).toBe('succeeded');
  });
});

describe('the poller across replicas', () => {
  let env: PortalAndApp;
  let replica: TestApp;
  let acme: TestAccount;
  let connectionId: string;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 3000, seed: 21, rateLimit: false });
    replica = await startTestApp({ database: env.t.database, env: { BITRIX24_OAUTH_SERVERS: env.sim.serverDomain, BITRIX24_RETRY_BASE_MS: '20' } });
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
  }, 60_000);
  afterAll(async () => {
    await replica.close();
    await env.t.close();
    await env.sim.stop();
  });

  it('two replicas racing for the same due connection run it once', async () => {
    env.sim.faults.slow(150);
    // The offline-event queue was just read: neither tick's collector takes the row's lock while
    // the claims run (a claim skips a row locked at that instant and leaves it to the next tick).
    await env.t.dataSource.query(`UPDATE bitrix24_connection SET next_sync_at = now() - interval '1 minute', offline_collected_at = now() WHERE id = $1`, [connectionId]);
    env.sim.resetStats();
    await Promise.all([runPollerOnce(env.t, true), runPollerOnce(replica, true)]);
    env.sim.faults.reset();
    const runs = await env.t.dataSource.query(`SELECT status, runner_id FROM sync_run WHERE connection_id = $1`, [connectionId]);
    expect(runs).toHaveLength(1);
    expect(runs[0].status).toBe('succeeded');
    // Ran once: the one counted call, then keyset pages up to the first short (or empty) one.
    expect(env.sim.stats.perMethod['user.get']).toBe(1 + Math.floor(env.sim.users.length / 50) + 1);
    expect(env.sim.stats.countedListCalls['user.get']).toBe(1);
    const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM bitrix24_user_link WHERE connection_id = $1`, [connectionId]);
    expect(n).toBeGreaterThan(2500);
    const [connection] = await env.t.dataSource.query(`SELECT next_sync_at, lease_owner FROM bitrix24_connection WHERE id = $1`, [connectionId]);
    expect(connection.lease_owner).toBeNull();
    expect(new Date(connection.next_sync_at).getTime()).toBeGreaterThan(Date.now() + 25 * 60_000);
  }, 120_000); // a whole portal at 150 ms a request, twice the default on busy shared cores

  it('a run whose replica died is picked up after its lease expires', async () => {
    // Simulate a crashed replica: a run marked running, a lease held by a process that is gone.
    const [{ id: runId }] = await env.t.dataSource.query(
      `INSERT INTO sync_run (account_id, connection_id, trigger, status, started_at, runner_id, attempts) VALUES ($1, $2, 'manual', 'running', now(), 'dead-replica', 1) RETURNING id`,
      [acme.id, connectionId],
    );
    await env.t.dataSource.query(`UPDATE bitrix24_connection SET lease_owner = 'dead-replica', lease_expires_at = now() + interval '1 hour' WHERE id = $1`, [connectionId]);
    await runPollerOnce(replica, false);
    expect((await getRun(env.t, acme, runId)).status).toBe('running');
    await env.t.dataSource.query(`UPDATE bitrix24_connection SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [connectionId]);
    await runPollerOnce(replica, false);
    const run = await waitForRun(env.t, acme, runId);
    expect(run.status).toBe('succeeded');
    const [{ attempts }] = await env.t.dataSource.query(`SELECT attempts FROM sync_run WHERE id = $1`, [runId]);
    expect(attempts).toBe(2);
  });

  it('repeated failures back off and are visible on the connection', async () => {
    env.sim.faults.error500(1000);
    try {
      const first = await synchronize(env.t, acme, connectionId);
      expect(first.status).toBe('failed');
      const second = await synchronize(env.t, acme, connectionId);
      expect(second.status).toBe('failed');
      const res = await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(acme.ownerKey)).expect(200);
      expect(res.body.state).toBe('active');
      expect(res.body.sync.consecutiveFailures).toBe(2);
      expect(res.body.sync.lastError.code).toBe('INTERNAL_SERVER_ERROR');
      expect(new Date(res.body.sync.nextSyncAt).getTime()).toBeGreaterThan(Date.now() + 60_000);
    } finally {
      env.sim.faults.reset();
    }
    const ok = await synchronize(env.t, acme, connectionId);
    expect(ok.status).toBe('succeeded');
    const res = await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(acme.ownerKey)).expect(200);
    expect(res.body.sync).toMatchObject({ consecutiveFailures: 0, lastError: null });
  });

  it('a new user announced by ONUSERADD is readable within seconds, through the other replica too', async () => {
    await env.sim.postInstall(`${env.t.url}/bitrix24/install`);
    const user = env.sim.addUser({ NAME: 'Fast', LAST_NAME: 'Hire', EMAIL: 'fast.hire@example.com', ACTIVE: true, UF_DEPARTMENT: [1], USER_TYPE: 'employee' });
    const started = Date.now();
    expect(await env.sim.fireOnUserAdd(user.ID)).toEqual([200]);
    let found = 0;
    while (Date.now() - started < 10_000) {
      const res = await request(replica.url).get('/api/v1/employees?q=fast.hire').set(bearer(acme.ownerKey)).expect(200);
      found = res.body.items.length;
      if (found) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(found).toBe(1);
    await env.t.app.get(SyncWorker).idle();
  });
});
