import request from 'supertest';
import { bearer, createAccount, createKey } from '../support/accounts';
import { expectEnvelope } from '../support/security';
import { startTestApp, TestApp } from '../support/test-app';
import { PortalAndApp, startPortalAndApp } from '../support/bitrix24';

const activeOwners = async (t: TestApp, accountId: string): Promise<number> => {
  const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM api_key WHERE account_id = $1 AND role = 'owner' AND revoked_at IS NULL`, [accountId]);
  return n;
};

/** Issue 10, finding 5: the last active owner key survives any concurrency. */
describe('security: atomic role invariants', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('two owner keys revoking each other at the same moment: exactly one succeeds, an owner key remains (20 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      const account = await createAccount(t, `Race ${round}`);
      const [first] = (await request(t.url).get('/api/v1/api-keys').set(bearer(account.ownerKey)).expect(200)).body;
      const second = await createKey(t, account, 'owner');
      const results = await Promise.all([
        request(t.url).delete(`/api/v1/api-keys/${second.id}`).set(bearer(account.ownerKey)),
        request(t.url).delete(`/api/v1/api-keys/${first.id}`).set(bearer(second.key)),
      ]);
      const statuses = results.map((r) => r.status).sort();
      // One revocation wins; the other is refused as the last owner key — or, when the winner
      // revoked the other's own key first, that key is no longer accepted at all.
      expect(statuses[0]).toBe(200);
      expect([401, 409]).toContain(statuses[1]);
      expect(await activeOwners(t, account.id)).toBe(1);
    }
  });

  it('a demotion racing a revocation cannot leave the account without an owner either', async () => {
    for (let round = 0; round < 10; round++) {
      const account = await createAccount(t, `Demote ${round}`);
      const [first] = (await request(t.url).get('/api/v1/api-keys').set(bearer(account.ownerKey)).expect(200)).body;
      const second = await createKey(t, account, 'owner');
      await Promise.all([
        request(t.url).patch(`/api/v1/api-keys/${second.id}`).set(bearer(account.ownerKey)).send({ role: 'admin' }),
        request(t.url).delete(`/api/v1/api-keys/${first.id}`).set(bearer(second.key)),
        request(t.url).patch(`/api/v1/api-keys/${first.id}`).set(bearer(second.key)).send({ role: 'viewer' }),
      ]);
      expect(await activeOwners(t, account.id)).toBeGreaterThanOrEqual(1);
    }
  });

  it('the last owner key can still not be revoked or demoted on its own', async () => {
    const account = await createAccount(t, 'Alone');
    const [key] = (await request(t.url).get('/api/v1/api-keys').set(bearer(account.ownerKey)).expect(200)).body;
    expectEnvelope((await request(t.url).delete(`/api/v1/api-keys/${key.id}`).set(bearer(account.ownerKey)).expect(409)).body, 'last_owner_key');
    expectEnvelope((await request(t.url).patch(`/api/v1/api-keys/${key.id}`).set(bearer(account.ownerKey)).send({ role: 'admin' }).expect(409)).body, 'last_owner_key');
    expect(await activeOwners(t, account.id)).toBe(1);
  });
});

/** Issue 10, finding 9: raising the removal guard is confirming removals in advance. */
describe('security: the mass-removal guard', () => {
  let env: PortalAndApp;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 3 });
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('an integrator cannot raise removalGuardPercent above the service default; it may lower it; an admin may raise it', async () => {
    const account = await createAccount(env.t, 'Guarded');
    const webhook = env.sim.createWebhook({ scope: ['user', 'department'] });
    const { body: connection } = await request(env.t.url).post('/api/v1/bitrix24/connections').set(bearer(account.ownerKey)).send({ webhookUrl: webhook }).expect(201);
    const integrator = await createKey(env.t, account, 'integrator');
    const path = `/api/v1/bitrix24/connections/${connection.id}`;
    for (const value of [100, 20.5, 50]) {
      const refused = await request(env.t.url).patch(path).set(bearer(integrator.key)).send({ removalGuardPercent: value }).expect(403);
      expectEnvelope(refused.body, 'forbidden');
      expect(refused.body.error.details.missingPermission).toBe('sync:confirm_removals');
    }
    const [row] = await env.t.dataSource.query(`SELECT removal_guard_percent FROM bitrix24_connection WHERE id = $1`, [connection.id]);
    expect(row.removal_guard_percent).toBeNull();
    await request(env.t.url).patch(path).set(bearer(integrator.key)).send({ removalGuardPercent: 10 }).expect(200);
    await request(env.t.url).patch(path).set(bearer(integrator.key)).send({ removalGuardPercent: 20 }).expect(200);
    const admin = await createKey(env.t, account, 'admin');
    const raised = await request(env.t.url).patch(path).set(bearer(admin.key)).send({ removalGuardPercent: 100 }).expect(200);
    expect(raised.body.settings.removalGuardPercent).toBe(100);
  });
});
