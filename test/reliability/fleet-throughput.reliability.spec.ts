import request from 'supertest';
import { SyncLeasesRepository } from '../../src/sync/sync-leases.repository';
import { PortalSimulator } from '../simulator/portal-simulator';
import { bearer, createAccount } from '../support/accounts';
import { connectPortal, TEST_CLIENT_ID, TEST_CLIENT_SECRET } from '../support/bitrix24';
import { freePort, startTestApp } from '../support/test-app';
import { waitForRun } from '../support/sync';

/**
 * Issue 12, finding 3: one replica claimed at most 4 connections per tick and a finished job
 * did not claim the next, so a fleet of small portals waited on the tick; and claiming in due
 * order alone let one big account's portals starve everybody else's.
 */
describe('reliability: throughput of one replica', () => {
  let t: Awaited<ReturnType<typeof startTestApp>>;
  let sims: PortalSimulator[];

  beforeAll(async () => {
    const port = await freePort();
    const portal = (people: number, seed: number) =>
      PortalSimulator.start({ clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET, redirectUri: `http://127.0.0.1:${port}/bitrix24/oauth/callback`, people, seed, rateLimit: false });
    sims = [await portal(80, 131), await portal(70, 132)];
    // One job at a time, and a tick that never comes again after boot: only a finished job can start the next.
    t = await startTestApp({
      port,
      env: { BITRIX24_OAUTH_SERVERS: sims.map((s) => s.serverDomain).join(','), BITRIX24_RETRY_BASE_MS: '20', SYNC_CONCURRENCY: '1', SYNC_TICK_SECONDS: '3600' },
    });
  });

  afterAll(async () => {
    await t.close();
    await Promise.all(sims.map((s) => s.stop()));
  });

  it('a finished job claims the next queued connection at once, without waiting for the tick', async () => {
    const acme = await createAccount(t, 'Acme');
    const [first, other] = [await connectPortal(t, acme, sims[0]), await connectPortal(t, acme, sims[1])];
    sims[0].faults.slow(30); // long enough that the second press finds the only slot taken
    const a = await request(t.url).post(`/api/v1/bitrix24/connections/${first}/sync`).set(bearer(acme.ownerKey)).expect(202);
    const b = await request(t.url).post(`/api/v1/bitrix24/connections/${other}/sync`).set(bearer(acme.ownerKey)).expect(202);
    const [runA, runB] = await Promise.all([waitForRun(t, acme, a.body.id), waitForRun(t, acme, b.body.id)]);
    sims[0].faults.reset();
    expect([runA.status, runB.status]).toEqual(['succeeded', 'succeeded']);
    const rows = await t.dataSource.query(`SELECT id, started_at, finished_at FROM sync_run WHERE id = ANY($1::uuid[])`, [[a.body.id, b.body.id]]);
    const byId = Object.fromEntries(rows.map((r: { id: string }) => [r.id, r]));
    // One slot: the second started only after the first finished — and without a tick.
    expect(new Date(byId[b.body.id].started_at).getTime()).toBeGreaterThanOrEqual(new Date(byId[a.body.id].finished_at).getTime());
  });

  it('claims fairly across accounts: a small account is not queued behind a big one', async () => {
    const big = await createAccount(t, 'Big');
    const small = await createAccount(t, 'Small');
    const insert = (accountId: string, n: number, dueMinutesAgo: number) =>
      t.dataSource.query(
        `INSERT INTO bitrix24_connection (account_id, member_id, auth_type, domain, state, next_sync_at)
         SELECT $1::uuid, 'fair-' || $1::text || '-' || g, 'oauth', 'fair' || g || '.example', 'active', now() - make_interval(mins => $3::int + g)
           FROM generate_series(1, $2::int) g RETURNING id`,
        [accountId, n, dueMinutesAgo],
      );
    const bigIds: Array<{ id: string }> = await insert(big.id, 6, 60); // due for an hour and more
    const [{ id: smallId }]: Array<{ id: string }> = await insert(small.id, 1, 0); // due just now
    const leases = t.app.get(SyncLeasesRepository);
    try {
      const firstClaim = await leases.claim('fairness-probe', true, 2, [], 60);
      expect(firstClaim).toHaveLength(2);
      expect(firstClaim).toContain(smallId);
      // The big account's next turn comes after what it already holds: the oldest of its portals first.
      const oldestBig = (await t.dataSource.query(`SELECT id FROM bitrix24_connection WHERE account_id = $1 ORDER BY next_sync_at LIMIT 1`, [big.id]))[0].id;
      expect(firstClaim).toContain(oldestBig);
      const rest = await leases.claim('fairness-probe', true, 10, [], 60);
      expect(rest.sort()).toEqual(bigIds.map((r) => r.id).filter((id) => id !== oldestBig).sort());
    } finally {
      await t.dataSource.query(`DELETE FROM bitrix24_connection WHERE account_id = ANY($1::uuid[])`, [[big.id, small.id]]);
    }
  });
});
