import request from 'supertest';
import { SyncWorker } from '../../src/sync/sync-worker.service';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, startPortalAndApp, PortalAndApp } from '../support/bitrix24';
import { DatabaseProxy } from '../support/database-proxy';
import { getRun, waitForRun } from '../support/sync';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/**
 * Issue 12, findings 2 and 5, reproduced against the real PostgreSQL server and the simulator:
 * the queue must not depend on SYNC_SCHEDULER_ENABLED, a run whose runner is gone must say so,
 * and a database outage must answer 503, not 500.
 */
describe('reliability: the queue without the scheduler, stalled runs', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;

  beforeAll(async () => {
    // The observer never ticks on its own after boot: what happens is the replica's doing.
    env = await startPortalAndApp({ people: 120, seed: 121, rateLimit: false }, { env: { SYNC_TICK_SECONDS: '3600' } });
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
  });

  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  /** A run marked running by a replica that is gone, its lease ending `leaseEndsIn` seconds from now. */
  async function orphanRun(leaseEndsIn: number): Promise<string> {
    const [{ id }] = await env.t.dataSource.query(
      `INSERT INTO sync_run (account_id, connection_id, trigger, status, started_at, heartbeat_at, runner_id, attempts)
       VALUES ($1, $2, 'manual', 'running', now() - interval '3 minutes', now() - interval '2 minutes', 'dead-replica', 1) RETURNING id`,
      [acme.id, connectionId],
    );
    await env.t.dataSource.query(`UPDATE bitrix24_connection SET lease_owner = 'dead-replica', lease_expires_at = now() + make_interval(secs => $2) WHERE id = $1`, [connectionId, leaseEndsIn]);
    return id;
  }

  it('a run whose runner stopped renewing its lease shows stalled, since its last sign of life', async () => {
    const runId = await orphanRun(3600);
    // The lease is still live: as far as anyone can tell its runner is working.
    expect((await getRun(env.t, acme, runId)).stalledSince).toBeNull();
    await env.t.dataSource.query(`UPDATE bitrix24_connection SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [connectionId]);
    const [{ heartbeat_at }] = await env.t.dataSource.query(`SELECT heartbeat_at FROM sync_run WHERE id = $1`, [runId]);
    const stalled = await getRun(env.t, acme, runId);
    expect(stalled.status).toBe('running');
    expect(stalled.stalledSince).toBe(new Date(heartbeat_at).toISOString());
    const listed = await request(env.t.url).get(`/api/v1/sync-runs?status=running`).set(bearer(acme.ownerKey)).expect(200);
    expect(listed.body.items.find((r: { id: string }) => r.id === runId)?.stalledSince).toBe(stalled.stalledSince);
    await env.t.dataSource.query(`UPDATE sync_run SET status = 'failed', finished_at = now() WHERE id = $1`, [runId]);
  });

  it('with SYNC_SCHEDULER_ENABLED=false a replica still reclaims an expired lease and finishes the orphaned run by itself', async () => {
    const replica = await startTestApp({ database: env.t.database, env: { BITRIX24_OAUTH_SERVERS: env.sim.serverDomain, SYNC_SCHEDULER_ENABLED: 'false', SYNC_TICK_SECONDS: '1' } });
    try {
      // The lease ends after the replica booted: only its periodic tick can pick the run up.
      const runId = await orphanRun(2);
      const run = await waitForRun(env.t, acme, runId);
      expect(run.status).toBe('succeeded');
      expect(run.counters.created).toBeGreaterThan(0);
      expect(run.stalledSince).toBeNull();
      const [row] = await env.t.dataSource.query(`SELECT attempts, runner_id FROM sync_run WHERE id = $1`, [runId]);
      expect(row.attempts).toBe(2);
      expect(row.runner_id).toBe(replica.app.get(SyncWorker).runnerId);
      // Schedule-due work stays off: the connection is due, and no scheduled run was started.
      await env.t.dataSource.query(`UPDATE bitrix24_connection SET next_sync_at = now() - interval '1 minute' WHERE id = $1`, [connectionId]);
      await new Promise((r) => setTimeout(r, 2500));
      const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM sync_run WHERE connection_id = $1 AND trigger = 'schedule'`, [connectionId]);
      expect(n).toBe(0);
    } finally {
      await replica.close();
    }
  });
});

describe('reliability: database outage', () => {
  let database: TestDatabase;
  let proxy: DatabaseProxy;
  let t: TestApp;
  let acme: TestAccount;

  beforeAll(async () => {
    database = await createTestDatabase();
    proxy = await DatabaseProxy.start(database.url!);
    t = await startTestApp({ database: { ...database, url: proxy.through(database.url!) } });
    acme = await createAccount(t, 'Acme');
  });

  afterAll(async () => {
    proxy.restore();
    await t.close();
    await proxy.stop();
    await database.drop();
  });

  it('answers 503 database_unavailable with the error envelope while PostgreSQL is unreachable, and recovers after', async () => {
    await request(t.url).get('/api/v1/sync-runs').set(bearer(acme.ownerKey)).expect(200);
    proxy.cut();
    for (const path of ['/api/v1/sync-runs', '/api/v1/bitrix24/connections', '/api/v1/employees']) {
      const res = await request(t.url).get(path).set(bearer(acme.ownerKey));
      expect({ path, status: res.status }).toEqual({ path, status: 503 });
      expect(res.body).toEqual({ error: { code: 'database_unavailable', message: expect.any(String) } });
      expect(res.headers['retry-after']).toBe('5');
    }
    expect(t.logs.some((l) => l.msg === 'request refused: database unavailable')).toBe(true);
    proxy.restore();
    await request(t.url).get('/api/v1/sync-runs').set(bearer(acme.ownerKey)).expect(200);
  });
});
