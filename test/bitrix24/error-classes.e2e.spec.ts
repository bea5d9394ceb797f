import request from 'supertest';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { synchronize } from '../support/sync';

// Issue 11 item 2: error classes from the real codes (src/bitrix24/client/bitrix24-error.ts).
describe('error classes: temporary 401s are not "revoked", and every refusal says what it means', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;
  const connection = async () => (await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(acme.ownerKey)).expect(200)).body;
  const reconnect = async () => {
    env.sim.faults.reset();
    expect(await connectPortal(env.t, acme, env.sim)).toBe(connectionId);
  };

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 120, seed: 31 });
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });
  beforeEach(() => {
    env.sim.faults.reset();
    env.sim.resetStats();
  });

  it('CONNECTION_ERROR (HTTP 401, rest/lib/oauth/auth.php) is retried with backoff: the run succeeds', async () => {
    env.sim.faults.connectionError(3);
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.status).toBe('succeeded');
    expect(env.sim.faults.connectionErrorLeft).toBe(0);
    expect(await connection()).toMatchObject({ state: 'active', sync: { consecutiveFailures: 0, lastError: null } });
  });

  it.each([
    ['an undocumented 401', () => env.sim.faults.respond(10_000, { status: 401, error: 'SOMETHING_NEW', description: 'Not in any table' }), 'SOMETHING_NEW', /error this service does not know \(HTTP 401\); retrying, and the connection stays connected/],
    ['CONNECTION_ERROR that does not go away', () => env.sim.faults.connectionError(10_000), 'CONNECTION_ERROR', /could not reach its authorization server/],
  ])('%s fails the run after a few retries, visible on a connection that stays active and polled', async (_name, fault, code, message) => {
    fault();
    const run = await synchronize(env.t, acme, connectionId);
    expect(run).toMatchObject({ status: 'failed', error: { code } });
    expect(env.sim.stats.restRequests).toBeGreaterThanOrEqual(5); // the first try and its retries
    const row = await connection();
    expect(row).toMatchObject({ state: 'active', stateMessage: null, sync: { polling: true, consecutiveFailures: 1, lastError: { code } } });
    expect(row.sync.lastError.message).toMatch(message);
    expect(new Date(row.sync.nextSyncAt).getTime()).toBeGreaterThan(Date.now() + 30_000);
    env.sim.faults.reset();
    expect((await synchronize(env.t, acme, connectionId)).status).toBe('succeeded');
    expect((await connection()).sync).toMatchObject({ consecutiveFailures: 0, lastError: null });
  });

  it('METHOD_CONFIRM_WAITING (HTTP 401, scopes/confirmation.md) waits for the administrator, then the next run goes through; a denial needs the owner', async () => {
    env.sim.faults.requireConfirmation('user.get');
    const waiting = await synchronize(env.t, acme, connectionId);
    expect(waiting).toMatchObject({ status: 'failed', error: { code: 'METHOD_CONFIRM_WAITING' } });
    const row = await connection();
    expect(row).toMatchObject({ state: 'active', sync: { polling: true, lastError: { code: 'METHOD_CONFIRM_WAITING' } } });
    expect(row.sync.lastError.message).toMatch(/^Waiting for the portal administrator to confirm the application’s call to user\.get/);

    env.sim.answerConfirmation('user.get', true);
    expect((await synchronize(env.t, acme, connectionId)).status).toBe('succeeded');

    env.sim.answerConfirmation('user.get', false);
    const denied = await synchronize(env.t, acme, connectionId);
    expect(denied).toMatchObject({ status: 'failed', error: { code: 'METHOD_CONFIRM_DENIED' } });
    const stopped = await connection();
    expect(stopped).toMatchObject({ state: 'reauth_required', stateReason: 'METHOD_CONFIRM_DENIED', sync: { polling: false } });
    expect(stopped.stateMessage).toMatch(/administrator denied the application’s call to user\.get/);
    await reconnect();
  });

  it('ACCESS_DENIED says what Bitrix24 said; only the plan text means "plan without REST"', async () => {
    // The run's first request is the export's batch (the offline-event collector may call first).
    env.sim.faults.respond(1, { method: 'batch', status: 403, error: 'ACCESS_DENIED', description: "Access denied! Current user can't be authorized in this context" });
    const denied = await synchronize(env.t, acme, connectionId);
    expect(denied).toMatchObject({ status: 'failed', error: { code: 'ACCESS_DENIED' } });
    const row = await connection();
    expect(row.state).toBe('reauth_required');
    expect(row.stateMessage).toMatch(/^Bitrix24 denied access to .*Current user can't be authorized in this context/);
    expect(row.stateMessage).not.toMatch(/plan/i);
    await reconnect();

    env.sim.faults.respond(1, { method: 'batch', status: 401, error: 'ACCESS_DENIED', description: 'REST is available only on commercial plans.' });
    await synchronize(env.t, acme, connectionId);
    expect((await connection()).stateMessage).toMatch(/plan does not include the REST API/);
    await reconnect();
    expect((await synchronize(env.t, acme, connectionId)).status).toBe('succeeded');
  });
});
