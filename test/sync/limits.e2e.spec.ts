import request from 'supertest';
import { PortalSimulator } from '../simulator/portal-simulator';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { synchronize } from '../support/sync';

// Issue 11 item 5 (limits.md): blocks and storms must not end runs early; the run deadline
// (SYNC_RUN_DEADLINE_SECONDS) is what bounds the waiting.
describe('rate limits, operating-time blocks and 503 storms, up to the run deadline', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;
  const connection = async () => (await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(acme.ownerKey)).expect(200)).body;
  const users = async () => (await env.t.dataSource.query(`SELECT count(*)::int AS n FROM bitrix24_user_link WHERE connection_id = $1`, [connectionId]))[0].n;
  const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const started = Date.now();
    const result = await work();
    return [result, Date.now() - started];
  };

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 300, seed: 41, rateLimit: false }, { env: { BITRIX24_RETRY_BASE_MS: '5', SYNC_RUN_DEADLINE_SECONDS: '6' } });
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
    // The simulator's leaky bucket is off; a wide one here keeps 503 retries from waiting on it.
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(acme.ownerKey)).send({ rateLimit: { perSecond: 50, burst: 250 } }).expect(200);
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });
  beforeEach(async () => {
    env.sim.faults.reset();
    env.sim.resetStats();
    // Each test starts from a clean connection (a previous failure backs it off).
    await env.t.dataSource.query(`UPDATE bitrix24_connection SET consecutive_failures = 0, last_error_code = NULL, last_error_at = NULL WHERE id = $1`, [connectionId]);
  });

  it('rides out a storm of 503 QUERY_LIMIT_EXCEEDED longer than the old seven-retry limit', async () => {
    env.sim.faults.storm503(15);
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.status).toBe('succeeded');
    expect(env.sim.stats.sent503).toBe(15);
    expect(await users()).toBeGreaterThan(250);
  });

  it('a storm that outlasts the run deadline fails the run as rate-limited; the connection stays active and is retried later', async () => {
    env.sim.faults.storm503(1_000_000);
    const [run, ms] = await timed(() => synchronize(env.t, acme, connectionId));
    expect(run).toMatchObject({ status: 'failed', error: { code: 'QUERY_LIMIT_EXCEEDED' } });
    expect(ms).toBeGreaterThanOrEqual(5000);
    expect(env.sim.stats.sent503).toBeGreaterThan(15);
    const row = await connection();
    expect(row).toMatchObject({ state: 'active', sync: { polling: true, consecutiveFailures: 1, lastError: { code: 'QUERY_LIMIT_EXCEEDED' } } });
  });

  /**
   * A portal whose block has an end this service cannot know: a 429 carries no reset time,
   * and the reset the last successful answer announced (limits.md) has passed. (The
   * simulator's window is shrunk to 1 s so the webhook check's answer is stale at once.)
   */
  const freshPortal = async (): Promise<{ sim: PortalSimulator; id: string }> => {
    const sim = await PortalSimulator.start({ people: 120, seed: 43, rateLimit: false, operatingWindowSeconds: 1, operatingBucketSeconds: 0.1 });
    const created = await request(env.t.url)
      .post('/api/v1/bitrix24/connections')
      .set(bearer(acme.ownerKey))
      .send({ webhookUrl: sim.createWebhook({ scope: ['user', 'department'] }), edition: 'cloud' })
      .expect(201);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    return { sim, id: created.body.id };
  };

  it('an OPERATION_TIME_LIMIT block already in force, with no reset time known, is waited out by probing', async () => {
    const { sim, id } = await freshPortal();
    try {
      sim.faults.operatingLimit('user.get', 4);
      const [run, ms] = await timed(() => synchronize(env.t, acme, id));
      expect(run.status).toBe('succeeded');
      expect(run.progress.processed).toBe(120);
      expect(sim.stats.sent429).toBeGreaterThanOrEqual(2);
      expect(ms).toBeGreaterThanOrEqual(1500);
    } finally {
      await sim.stop();
    }
  });

  it('a block with no known end that outlasts the deadline fails the run as rate-limited, not revoked', async () => {
    const { sim, id } = await freshPortal();
    try {
      sim.faults.operatingLimit('user.get', 600);
      const [run, ms] = await timed(() => synchronize(env.t, acme, id));
      expect(run).toMatchObject({ status: 'failed', error: { code: 'OPERATION_TIME_LIMIT' } });
      expect(ms).toBeGreaterThanOrEqual(5000);
      const row = (await request(env.t.url).get(`/api/v1/bitrix24/connections/${id}`).set(bearer(acme.ownerKey)).expect(200)).body;
      expect(row).toMatchObject({ state: 'active', sync: { polling: true, lastError: { code: 'OPERATION_TIME_LIMIT' } } });
    } finally {
      await sim.stop();
    }
  });

  it('a block whose announced reset lies past the deadline fails at once, and the next run is not before the reset', async () => {
    // The first user.get of the run crosses the limit and announces operating_reset_at (limits.md).
    env.sim.faults.operatingLimit('user.get', 300, { afterCalls: 1 });
    const [run, ms] = await timed(() => synchronize(env.t, acme, connectionId));
    expect(run).toMatchObject({ status: 'failed', error: { code: 'OPERATION_TIME_LIMIT' } });
    expect(ms).toBeLessThan(4000);
    const row = await connection();
    expect(row.state).toBe('active');
    expect(new Date(row.sync.nextSyncAt).getTime()).toBeGreaterThan(Date.now() + 250_000);
  });
});

describe('the per-method time budget (limits.md: 480 s per method per 10 minutes)', () => {
  let env: PortalAndApp;

  beforeAll(async () => {
    // user.get "costs" 40 s a call and the 10-minute window is shrunk to 3 s of real time,
    // so an export of 600 users (13 calls, 520 s) cannot fit one window.
    env = await startPortalAndApp({ people: 600, seed: 42, rateLimit: false, methodCost: { 'user.get': 40 }, operatingWindowSeconds: 3, operatingBucketSeconds: 0.3 }, { env: { BITRIX24_RETRY_BASE_MS: '5' } });
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('paces the export so the method never reaches its limit: no OPERATION_TIME_LIMIT at all', async () => {
    const acme = await createAccount(env.t, 'Acme');
    const connectionId = await connectPortal(env.t, acme, env.sim);
    env.sim.resetStats();
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.status).toBe('succeeded');
    expect(run.progress).toMatchObject({ processed: 600, total: 600 });
    expect(env.sim.stats.sent429).toBe(0);
    expect(env.sim.stats.maxOperatingSeconds).toBeLessThanOrEqual(480);
    expect(env.sim.stats.perMethod['user.get']).toBeGreaterThanOrEqual(13);
  });
});
