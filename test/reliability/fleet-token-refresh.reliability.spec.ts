import request from 'supertest';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { synchronize } from '../support/sync';

/**
 * Issue 12, finding 1: a late token-refresh answer killed the connection. Bitrix24 rotates the
 * pair when it answers (settings/oauth/auto-renewal.md); the simulator's slowTokenAnswer plays an
 * authorization server that rotates at once and answers late.
 */
async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function setUp(env: Record<string, string>): Promise<{ env: PortalAndApp; acme: TestAccount; connectionId: string }> {
  const started = await startPortalAndApp({ people: 60, seed: 122, rateLimit: false }, { env });
  const acme = await createAccount(started.t, 'Acme');
  const connectionId = await connectPortal(started.t, acme, started.sim);
  return { env: started, acme, connectionId };
}

const refreshStartedAt = async (env: PortalAndApp, id: string): Promise<Date | null> =>
  (await env.t.dataSource.query(`SELECT refresh_started_at FROM bitrix24_connection WHERE id = $1`, [id]))[0].refresh_started_at;

describe('reliability: a late refresh answer', () => {
  let s: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    // The ordinary request timeout (1 s) is shorter than the token server's answer (2.5 s); the refresh has its own deadline.
    s = await setUp({ BITRIX24_REQUEST_TIMEOUT_MS: '1000', BITRIX24_REFRESH_TIMEOUT_MS: '20000' });
  });
  afterAll(async () => {
    await s.env.t.close();
    await s.env.sim.stop();
  });

  it('is waited for: the refresh is recorded before it is sent, the rotated pair is stored and the connection keeps working', async () => {
    const { env, acme, connectionId } = s;
    env.sim.faults.slowTokenAnswer(2500);
    env.sim.expireAccessTokens();
    const before = { ...env.sim.stats.refreshes };
    const sync = synchronize(env.t, acme, connectionId);
    // While the authorization server holds its answer, the row already says a refresh is in flight.
    await until(async () => (await refreshStartedAt(env, connectionId)) !== null);
    const run = await sync;
    expect(run.status).toBe('succeeded');
    expect(env.sim.stats.refreshes.ok - before.ok).toBe(1);
    expect(env.sim.stats.refreshes.lost - before.lost).toBe(0);
    expect(await refreshStartedAt(env, connectionId)).toBeNull();
    const connection = await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(acme.ownerKey)).expect(200);
    expect(connection.body).toMatchObject({ state: 'active', stateReason: null });
    // The next run uses the stored pair: no second refresh.
    env.sim.faults.reset();
    expect((await synchronize(env.t, acme, connectionId)).status).toBe('succeeded');
    expect(env.sim.stats.refreshes.ok - before.ok).toBe(1);
  });
});

describe('reliability: a refresh answer that never arrives', () => {
  let s: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    // Here even the refresh's own deadline (1 s) is shorter than the answer (3 s): the rotated pair is lost.
    s = await setUp({ BITRIX24_REQUEST_TIMEOUT_MS: '1000', BITRIX24_REFRESH_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    await s.env.t.close();
    await s.env.sim.stop();
  });

  it('asks the owner with its own reason only when nothing recovered it, and a verified ONAPPUPDATE pair heals the connection', async () => {
    const { env, acme, connectionId } = s;
    env.sim.faults.slowTokenAnswer(3000);
    env.sim.expireAccessTokens();
    const failed = await synchronize(env.t, acme, connectionId);
    expect(failed.status).toBe('failed');
    await until(async () => env.sim.stats.refreshes.lost === 1);
    env.sim.faults.reset();
    // The unanswered refresh was remembered; the next try of the stored token (the request might
    // never have reached Bitrix24) met invalid_grant: the pair was rotated and is lost.
    expect(failed.error?.code).toBe('token_rotation_lost');
    let connection = await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(acme.ownerKey)).expect(200);
    expect(connection.body).toMatchObject({ state: 'reauth_required', stateReason: 'token_rotation_lost' });
    expect(connection.body.stateMessage).toMatch(/answer never reached the service.*opening the application in Bitrix24, or reinstalling or updating it, restores the connection/);
    expect(env.t.logs.some((l) => l.code === 'refresh_answer_missing' && l.connectionId === connectionId)).toBe(true);
    expect(env.t.logs.some((l) => l.code === 'token_rotation_lost' && l.connectionId === connectionId)).toBe(true);

    // A new version is installed: ONAPPUPDATE carries an administrator's fresh pair (on-app-update.md), verified, stored.
    expect(await env.sim.postUpdate(`${env.t.url}/bitrix24/events`)).toEqual([200]);
    connection = await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(acme.ownerKey)).expect(200);
    expect(connection.body).toMatchObject({ state: 'active', stateReason: null, stateMessage: null });
    expect(await refreshStartedAt(env, connectionId)).toBeNull();
    expect((await synchronize(env.t, acme, connectionId)).status).toBe('succeeded');
  });
});
