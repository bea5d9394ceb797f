import { Client } from 'pg';
import request from 'supertest';
import { bearer, createAccount } from '../support/accounts';
import { connectPortal, startPortalAndApp } from '../support/bitrix24';
import { getRun, runPollerOnce, waitForRun } from '../support/sync';
import { startTestApp } from '../support/test-app';

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('graceful shutdown', () => {
  it('lets a running sync finish within the grace period', async () => {
    const env = await startPortalAndApp({ people: 3000, seed: 31, rateLimit: false });
    const account = await createAccount(env.t, 'Acme');
    const connectionId = await connectPortal(env.t, account, env.sim);
    env.sim.faults.slow(200);
    const { body } = await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(bearer(account.ownerKey)).expect(202);
    await waitFor(async () => (await getRun(env.t, account, body.id)).status === 'running');
    const observer = await startTestApp({ database: env.t.database });
    await env.t.app.close();
    const [run] = await observer.dataSource.query(`SELECT status FROM sync_run WHERE id = $1`, [body.id]);
    await observer.app.close();
    expect(run.status).toBe('succeeded');
    await env.t.database.drop();
    await env.sim.stop();
  });

  it('hands a run that outlives the grace period back to the queue, and another replica completes it', async () => {
    const env = await startPortalAndApp({ people: 5000, seed: 32, rateLimit: false }, { env: { SYNC_SHUTDOWN_GRACE_SECONDS: '0' } });
    const account = await createAccount(env.t, 'Acme');
    const connectionId = await connectPortal(env.t, account, env.sim);
    env.sim.faults.slow(400);
    const { body } = await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(bearer(account.ownerKey)).expect(202);
    await waitFor(async () => (await getRun(env.t, account, body.id)).status === 'running');
    await env.t.app.close();
    env.sim.faults.reset();
    // Read the hand-back before a replica starts: a booting replica claims queued work at once.
    const client = new Client({ connectionString: env.t.database.url });
    await client.connect();
    const { rows: [handedBack] } = await client.query(`SELECT r.status, c.lease_owner FROM sync_run r JOIN bitrix24_connection c ON c.id = r.connection_id WHERE r.id = $1`, [body.id]);
    await client.end();
    expect(handedBack).toMatchObject({ status: 'queued', lease_owner: null });
    const replica = await startTestApp({ database: env.t.database, env: { BITRIX24_OAUTH_SERVERS: env.sim.serverDomain } });
    try {
      await runPollerOnce(replica, false);
      const done = await waitForRun(replica, account, body.id);
      expect(done.status).toBe('succeeded');
      expect(done.counters.created).toBeGreaterThan(4000);
    } finally {
      await replica.close();
      await env.t.database.drop();
      await env.sim.stop();
    }
  });
});
