import request from 'supertest';
import { TokenCipher } from '../../src/common/crypto/token-cipher';
import { Bitrix24OfflineEventsCollector } from '../../src/bitrix24/bitrix24-offline-events.service';
import { PortalSimulator } from '../simulator/portal-simulator';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, TEST_CLIENT_ID, TEST_CLIENT_SECRET } from '../support/bitrix24';
import { connectionRow } from '../support/security';
import { runPollerOnce, synchronize } from '../support/sync';
import { freePort, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/**
 * Issue 11, item 7: Bitrix24 does not retry a failed handler call, so a new hire announced
 * while the service is down is read from the portal's offline event queue
 * (api-reference/events/offline-events.md) at the first tick after the restart. And
 * ONAPPUPDATE (common/events/on-app-update.md), whose token pair and application token are
 * stored only as a proven install.
 */
describe('offline events and ONAPPUPDATE', () => {
  let database: TestDatabase;
  let port: number;
  let sim: PortalSimulator;
  let t: TestApp;
  let acme: TestAccount;
  let connectionId: string;

  const start = () => startTestApp({ database, port, env: { BITRIX24_OAUTH_SERVERS: sim.serverDomain, BITRIX24_RETRY_BASE_MS: '20' } });
  const employee = async (email: string) => (await request(t.url).get(`/api/v1/employees?q=${encodeURIComponent(email)}`).set(bearer(acme.ownerKey)).expect(200)).body.items;

  beforeAll(async () => {
    database = await createTestDatabase();
    port = await freePort();
    sim = await PortalSimulator.start({
      people: 6,
      seed: 41,
      clientId: TEST_CLIENT_ID,
      clientSecret: TEST_CLIENT_SECRET,
      redirectUri: `http://127.0.0.1:${port}/bitrix24/oauth/callback`,
      shares: { dismissed: 0, emailMissing: 0, emailInvalid: 0, missingLastName: 0, emailShared: 0, extranet: 0 },
    });
    t = await start();
    acme = await createAccount(t, 'Acme');
    connectionId = await connectPortal(t, acme, sim);
    expect(await sim.postInstall(`${t.url}/bitrix24/install`)).toBe(200);
    expect((await synchronize(t, acme, connectionId)).status).toBe('succeeded');
  });
  afterAll(async () => {
    await t.close();
    await sim.stop();
    await database.drop();
  });

  it('binds ONUSERADD as an offline event too, and reads the queue at every run', async () => {
    expect(sim.eventHandlers.filter((h) => h.offline).map((h) => h.event)).toEqual(['ONUSERADD']);
    const view = (await request(t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(acme.ownerKey)).expect(200)).body;
    expect(view.installation).toMatchObject({ installFinished: true, offlineEvents: true, offlineError: null });
    expect(Date.parse(view.installation.offlineCollectedAt)).not.toBeNaN();
    // The pushed ONUSERADD of the first sync's hires also queued them offline; every run clears the queue.
    expect(sim.offlineQueue.all).toHaveLength(0);
  });

  it('a new hire announced while the service is down is imported at the first tick after the restart', async () => {
    await t.close();
    const hire = sim.addUser({ NAME: 'Пока', LAST_NAME: 'Недоступен', EMAIL: 'while.down@example.com', UF_DEPARTMENT: [1] });
    expect(await sim.fireOnUserAdd(hire.ID)).toEqual([0]); // nobody answered; Bitrix24 never retries
    expect(sim.offlineQueue.all.map((r) => (r.data as { ID: number }).ID)).toEqual([Number(hire.ID)]);
    t = await start();
    const getsBefore = sim.stats.perMethod['event.offline.get'] ?? 0;
    await runPollerOnce(t); // the first tick: the cadence finds every queue not read since this process started
    expect(sim.stats.perMethod['event.offline.get']).toBeGreaterThan(getsBefore);
    const [found] = await employee('while.down@example.com');
    expect(found).toMatchObject({ lastName: '(bitrix24) Недоступен' });
    const [run] = await t.dataSource.query(`SELECT trigger, status, target_user_ids FROM sync_run WHERE connection_id = $1 AND trigger = 'event' ORDER BY queued_at DESC LIMIT 1`, [connectionId]);
    expect(run).toEqual({ trigger: 'event', status: 'succeeded', target_user_ids: [Number(hire.ID)] });
    expect(sim.offlineQueue.all).toHaveLength(0);
    expect((await connectionRow(t, sim.memberId))!.offline_process_id).toBeNull();
  });

  it('a later tick does not read the queue of a connection with pushed events again (the cadence is for those without)', async () => {
    const before = sim.stats.perMethod['event.offline.get'] ?? 0;
    await runPollerOnce(t);
    expect(sim.stats.perMethod['event.offline.get'] ?? 0).toBe(before);
  });

  it('a crash after reserving a batch loses nothing: the stored process_id is read again, queued and cleared', async () => {
    const hire = sim.addUser({ NAME: 'Crash', LAST_NAME: 'Safe', EMAIL: 'crash.safe@example.com' });
    await t.close();
    await sim.fireOnUserAdd(hire.ID);
    // What a collector that died after storing the process_id leaves behind.
    const admin = sim.issueTokens(1).access_token;
    const reserved = await (await fetch(`${sim.clientEndpoint}event.offline.get`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ auth: admin, clear: 0 }) })).json() as { result: { process_id: string } };
    t = await start();
    await t.dataSource.query(`UPDATE bitrix24_connection SET offline_process_id = $2, offline_lease_until = now() - interval '1 second' WHERE id = $1`, [connectionId, reserved.result.process_id]);
    // Nothing new in the queue: only the reserved batch holds the hire.
    expect(sim.offlineQueue.all.every((r) => r.processId === reserved.result.process_id)).toBe(true);
    const result = await t.app.get(Bitrix24OfflineEventsCollector).collect(connectionId);
    expect(result).toMatchObject({ users: 1, error: null });
    await runPollerOnce(t, false);
    expect(await employee('crash.safe@example.com')).toHaveLength(1);
    expect(sim.offlineQueue.all).toHaveLength(0);
  });

  it('a crash before the process_id was stored: the abandoned lease makes the next read find the reserved batch with event.offline.list', async () => {
    const hire = sim.addUser({ NAME: 'Lost', LAST_NAME: 'Lease', EMAIL: 'lost.lease@example.com' });
    // Queued as an offline binding would (no online post: nothing here may race the collector).
    sim.offlineQueue.record('ONUSERADD', { ID: Number(hire.ID) }, { user_id: 1 });
    const admin = sim.issueTokens(1).access_token;
    await fetch(`${sim.clientEndpoint}event.offline.get`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ auth: admin, clear: 0 }) });
    await t.dataSource.query(`UPDATE bitrix24_connection SET offline_process_id = NULL, offline_lease_until = now() - interval '1 second' WHERE id = $1`, [connectionId]);
    const lists = sim.stats.perMethod['event.offline.list'] ?? 0;
    expect(await t.app.get(Bitrix24OfflineEventsCollector).collect(connectionId)).toMatchObject({ users: 1, error: null });
    expect(sim.stats.perMethod['event.offline.list']).toBe(lists + 1);
    await runPollerOnce(t, false);
    expect(await employee('lost.lease@example.com')).toHaveLength(1);
  });

  it('a connection without an application token (OAuth only) is read on the cadence, so its new hires still arrive at the next tick', async () => {
    await t.dataSource.query(`UPDATE bitrix24_connection SET application_token_enc = NULL, offline_collected_at = now() - interval '6 minutes' WHERE id = $1`, [connectionId]);
    const hire = sim.addUser({ NAME: 'No', LAST_NAME: 'Token', EMAIL: 'no.token@example.com' });
    expect(await sim.fireOnUserAdd(hire.ID)).toEqual([401]); // refused: no stored token authenticates it
    await runPollerOnce(t);
    expect(await employee('no.token@example.com')).toHaveLength(1);
  });

  it('ONAPPUPDATE with a new application token is a proven install: stored only because an administrator’s pair verifies', async () => {
    const cipher = t.app.get(TokenCipher);
    // A plain user's update post (a genuine pair of that user) changes nothing.
    const forged = await sim.postUpdate(`${t.url}/bitrix24/events`, { userId: 2, newApplicationToken: true });
    expect(forged).toEqual([403]);
    const tokenBefore = (await connectionRow(t, sim.memberId))!.application_token_enc;
    expect(tokenBefore).toBeNull(); // from the previous test
    expect(await sim.postUpdate(undefined, { newApplicationToken: true })).toEqual([200]); // to the bound ONAPPUPDATE handler
    const row = (await connectionRow(t, sim.memberId))!;
    expect(cipher.open(String(row.application_token_enc))).toBe(sim.applicationToken);
    expect(row.app_installed).toBe(true);
    const hire = sim.addUser({ NAME: 'After', LAST_NAME: 'Update', EMAIL: 'after.update@example.com' });
    expect(await sim.fireOnUserAdd(hire.ID)).toEqual([200]);
  });

  it('ONAPPUPDATE without a pair needs the stored application token, and then only makes us look again with our own credentials', async () => {
    const post = (token: string) => request(t.url).post('/bitrix24/events').type('form').send(`event=ONAPPUPDATE&data[VERSION]=9&auth[member_id]=${sim.memberId}&auth[application_token]=${token}`);
    const before = sim.stats.restRequests;
    await post('wrong').expect(401);
    expect(sim.stats.restRequests).toBe(before);
    const infos = sim.stats.perMethod['app.info'] ?? 0;
    await post(sim.applicationToken).expect(200);
    expect(sim.stats.perMethod['app.info']).toBe(infos + 1);
  });
});
