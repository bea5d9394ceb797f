import request from 'supertest';
import { Bitrix24ClientFactory } from '../../src/bitrix24/bitrix24-client.factory';
import { SyncWorker } from '../../src/sync/sync-worker.service';
import { TokenCipher } from '../../src/common/crypto/token-cipher';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { startTestApp, TestApp } from '../support/test-app';

describe('Bitrix24 token lifecycle', () => {
  let env: PortalAndApp;
  let replica: TestApp;
  let acme: TestAccount;
  let connectionId: string;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 30, seed: 7 });
    replica = await startTestApp({ database: env.t.database, env: { BITRIX24_OAUTH_SERVERS: env.sim.serverDomain, BITRIX24_RETRY_BASE_MS: '20' } });
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
  });
  afterAll(async () => {
    await replica.close();
    await env.t.close();
    await env.sim.stop();
  });

  it('uses the stored token until Bitrix24 says it expired: no refresh on a healthy token', async () => {
    const before = env.sim.stats.refreshes.ok;
    const client = await env.t.app.get(Bitrix24ClientFactory).forConnection(connectionId);
    await client.call('profile');
    await client.call('profile');
    expect(env.sim.stats.refreshes.ok).toBe(before);
  });

  it('two replicas hitting expired_token at once refresh exactly once and both continue', async () => {
    env.sim.expireAccessTokens();
    const before = { ...env.sim.stats.refreshes };
    const [a, b] = await Promise.all([env.t, replica].map(async (t) => (await t.app.get(Bitrix24ClientFactory).forConnection(connectionId)).call<{ ID: string }>('profile')));
    expect(a.result.ID).toBeDefined();
    expect(b.result.ID).toBeDefined();
    expect(env.sim.stats.refreshes.ok - before.ok).toBe(1);
    expect(env.sim.stats.refreshes.failed - before.failed).toBe(0);
    // Both keep working on the new token: no further refresh.
    await Promise.all([env.t, replica].map(async (t) => (await t.app.get(Bitrix24ClientFactory).forConnection(connectionId)).call('profile')));
    expect(env.sim.stats.refreshes.ok - before.ok).toBe(1);
  });

  it('never writes a token to the logs or to the database in clear text', async () => {
    const cipher = env.t.app.get(TokenCipher);
    const [row] = await env.t.dataSource.query(`SELECT * FROM bitrix24_connection WHERE id = $1`, [connectionId]);
    const tokens = [row.access_token_enc, row.refresh_token_enc].map((sealed: string) => cipher.open(sealed));
    expect(tokens.every((tok) => tok.length >= 16)).toBe(true);
    const everything = JSON.stringify(env.t.logs) + JSON.stringify(replica.logs) + JSON.stringify(row);
    for (const tok of tokens) expect(everything).not.toContain(tok);
  });

  it('many concurrent calls on one replica refresh once too', async () => {
    env.sim.expireAccessTokens();
    const before = env.sim.stats.refreshes.ok;
    const factory = env.t.app.get(Bitrix24ClientFactory);
    await Promise.all(Array.from({ length: 6 }, async () => (await factory.forConnection(connectionId)).call('profile')));
    expect(env.sim.stats.refreshes.ok - before).toBe(1);
  });

  it('a revoked refresh token makes the connection reauth_required, visible through the API, and stops polling', async () => {
    env.sim.revokeRefreshTokens();
    env.sim.expireAccessTokens();
    const run = await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(bearer(acme.ownerKey)).expect(202);
    const worker = env.t.app.get(SyncWorker);
    await worker.idle();
    await worker.runOnce(false);
    const failed = await request(env.t.url).get(`/api/v1/sync-runs/${run.body.id}`).set(bearer(acme.ownerKey)).expect(200);
    expect(failed.body.status).toBe('failed');
    expect(failed.body.error.code).toBe('invalid_grant');
    const connection = await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(acme.ownerKey)).expect(200);
    expect(connection.body).toMatchObject({ state: 'reauth_required', stateReason: 'invalid_grant' });
    expect(connection.body.sync).toMatchObject({ polling: false, nextSyncAt: null });
    expect(connection.body.sync.lastError.code).toBe('invalid_grant');

    // No further calls: the poller skips it, even when due.
    await env.t.dataSource.query(`UPDATE bitrix24_connection SET next_sync_at = now() - interval '1 hour' WHERE id = $1`, [connectionId]);
    const requests = env.sim.stats.restRequests;
    const refreshes = env.sim.stats.refreshes.failed;
    await worker.runOnce(true);
    await replica.app.get(SyncWorker).runOnce(true);
    expect(env.sim.stats.restRequests).toBe(requests);
    expect(env.sim.stats.refreshes.failed).toBe(refreshes);
    await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(bearer(acme.ownerKey)).expect(409);

    // Reconnecting through OAuth restores it.
    expect(await connectPortal(env.t, acme, env.sim)).toBe(connectionId);
    const restored = await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(acme.ownerKey)).expect(200);
    expect(restored.body).toMatchObject({ state: 'active', stateReason: null });
    expect(restored.body.sync.lastError).toBeNull();
  });

  it('PAYMENT_REQUIRED also asks the owner to re-authorize', async () => {
    env.sim.paymentRequired(true);
    try {
      const run = await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(bearer(acme.ownerKey)).expect(202);
      const worker = env.t.app.get(SyncWorker);
      await worker.idle();
      await worker.runOnce(false);
      const failed = await request(env.t.url).get(`/api/v1/sync-runs/${run.body.id}`).set(bearer(acme.ownerKey)).expect(200);
      expect(failed.body.error.code).toBe('PAYMENT_REQUIRED');
      const connection = await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(acme.ownerKey)).expect(200);
      expect(connection.body.state).toBe('reauth_required');
    } finally {
      env.sim.paymentRequired(false);
    }
  });
});
