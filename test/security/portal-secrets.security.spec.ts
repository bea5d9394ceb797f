import request from 'supertest';
import { TokenCipher } from '../../src/common/crypto/token-cipher';
import { PortalSimulator } from '../simulator/portal-simulator';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp, TEST_CLIENT_ID, TEST_CLIENT_SECRET } from '../support/bitrix24';
import { connectionRow, expectEnvelope, postForm, storedState } from '../support/security';
import { runPollerOnce, synchronize } from '../support/sync';
import { SyncWorker } from '../../src/sync/sync-worker.service';

/**
 * Issue 10, findings 1 and 2: who may set a portal's secrets. Anyone who opens our app
 * inside a portal holds working app tokens for it; none of that may take over a connection.
 */
describe('security: events and installs cannot take over a portal', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;
  let plainUserId: number;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 12, seed: 21, shares: { dismissed: 0, emailMissing: 0, emailInvalid: 0, missingLastName: 0, emailShared: 0, extranet: 0 } });
    acme = await createAccount(env.t, 'Acme');
    // Connected through OAuth alone: no ONAPPINSTALL, so no application token is stored.
    connectionId = await connectPortal(env.t, acme, env.sim);
    plainUserId = Number(env.sim.users.find((u) => !env.sim.adminUserIds.includes(Number(u.ID)))!.ID);
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  describe('finding 1: event takeover', () => {
    it('an event with a working app token, a chosen application_token and a chosen client_endpoint is refused, sets nothing, moves nothing, calls nobody', async () => {
      const before = await storedState(env.t);
      const outbound = env.sim.stats.httpRequests;
      const anyAppToken = env.sim.issueTokens(plainUserId).access_token;
      const res = await postForm(env.t, '/bitrix24/events', {
        event: 'ONUSERADD',
        'data[ID]': '1',
        'auth[member_id]': env.sim.memberId,
        'auth[application_token]': 'chosen',
        'auth[access_token]': anyAppToken,
        'auth[client_endpoint]': 'http://127.0.0.1:9/rest/',
        'auth[domain]': '127.0.0.1:9',
      }).expect(401);
      expectEnvelope(res.body, 'event_not_authenticated');
      expect(env.sim.stats.httpRequests).toBe(outbound);
      expect(await storedState(env.t)).toBe(before);
      const row = await connectionRow(env.t, env.sim.memberId);
      expect(row).toMatchObject({ application_token_enc: null, client_endpoint: env.sim.clientEndpoint, state: 'active' });
    });

    it('the chosen token then does not uninstall the connection either', async () => {
      const before = await storedState(env.t);
      await postForm(env.t, '/bitrix24/events', { event: 'ONAPPUNINSTALL', 'auth[member_id]': env.sim.memberId, 'auth[application_token]': 'chosen' }).expect(401);
      expect(await storedState(env.t)).toBe(before);
      expect((await synchronize(env.t, acme, connectionId)).status).toBe('succeeded');
    });

    it('the genuine portal event is refused too while no verified install stored a token (no learning from events)', async () => {
      const user = env.sim.addUser({ NAME: 'Real', LAST_NAME: 'Hire', EMAIL: 'real.hire@example.com' });
      const methods = { ...env.sim.stats.perMethod };
      expect(await env.sim.fireOnUserAdd(user.ID)).toEqual([401]);
      expect(env.sim.stats.perMethod['app.info']).toBe(methods['app.info']);
      expect((await connectionRow(env.t, env.sim.memberId))!.application_token_enc).toBeNull();
    });
  });

  describe('finding 2: install overwrite', () => {
    it('an unauthenticated install with a working access token, a garbage refresh token and a chosen application token changes nothing', async () => {
      const before = await storedState(env.t);
      const working = env.sim.issueTokens().access_token;
      const res = await postForm(env.t, '/bitrix24/install', {
        event: 'ONAPPINSTALL',
        'auth[member_id]': env.sim.memberId,
        'auth[domain]': env.sim.domain,
        'auth[access_token]': working,
        'auth[refresh_token]': 'garbage',
        'auth[application_token]': 'chosen',
        'auth[server_endpoint]': env.sim.serverEndpoint,
      }).expect(401);
      expectEnvelope(res.body, 'install_not_verified');
      expect(await storedState(env.t)).toBe(before);
      expect((await synchronize(env.t, acme, connectionId)).status).toBe('succeeded');
    });

    it('an install by a portal user who is not an administrator (a real token pair of that user) is refused: 403, nothing stored', async () => {
      const before = await storedState(env.t);
      expect(await env.sim.postInstall(`${env.t.url}/bitrix24/install`, { userId: plainUserId })).toBe(403);
      const delivery = env.sim.deliveries[env.sim.deliveries.length - 1];
      expect(delivery.status).toBe(403);
      expect(await storedState(env.t)).toBe(before);
      // The same through the events endpoint (ONAPPINSTALL may be bound there).
      expect(await env.sim.postInstall(`${env.t.url}/bitrix24/events`, { userId: plainUserId })).toBe(403);
      expect(await storedState(env.t)).toBe(before);
    });

    it('a valid pair of another portal posted under this member_id is refused (the authorization server names the real portal)', async () => {
      const other = await PortalSimulator.start({ clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET, people: 2 });
      const app = await startPortalAndApp({}, { database: env.t.database, env: { BITRIX24_OAUTH_SERVERS: `${env.sim.serverDomain},${other.serverDomain}` } }).catch(async (e) => {
        await other.stop();
        throw e;
      });
      try {
        const before = await storedState(app.t);
        const pair = other.issueTokens();
        const res = await postForm(app.t, '/bitrix24/install', {
          'auth[member_id]': env.sim.memberId,
          'auth[access_token]': pair.access_token,
          'auth[refresh_token]': pair.refresh_token,
          'auth[application_token]': 'chosen',
          'auth[server_endpoint]': other.serverEndpoint,
        }).expect(403);
        expectEnvelope(res.body, 'install_member_mismatch');
        expect(await storedState(app.t)).toBe(before);
      } finally {
        await app.t.close();
        await app.sim.stop();
        await other.stop();
      }
    });

    it('tokens of another Bitrix24 application are refused (app.info CODE)', async () => {
      const foreign = await startPortalAndApp({ appCode: 'someone.elses.app' }, { database: env.t.database });
      try {
        expect(await foreign.sim.postInstall(`${foreign.t.url}/bitrix24/install`)).toBe(403);
        expect(foreign.sim.deliveries[0].body).toContain('ONAPPINSTALL');
        expect(await connectionRow(foreign.t, foreign.sim.memberId)).toBeUndefined();
      } finally {
        await foreign.t.close();
        await foreign.sim.stop();
      }
    });

    it('an administrator’s reinstall is proven: the fresh pair from our own refresh and the application token are stored, and events work', async () => {
      const cipher = env.t.app.get(TokenCipher);
      const refreshesBefore = env.sim.stats.refreshes.ok;
      expect(await env.sim.postInstall(`${env.t.url}/bitrix24/install`)).toBe(200);
      expect(env.sim.stats.refreshes.ok).toBe(refreshesBefore + 1);
      const posted = new URLSearchParams(env.sim.deliveries[env.sim.deliveries.length - 1].body);
      const row = (await connectionRow(env.t, env.sim.memberId))!;
      expect(cipher.open(String(row.application_token_enc))).toBe(env.sim.applicationToken);
      // The posted pair is spent by our refresh; what we keep is the pair the server answered.
      expect(cipher.open(String(row.refresh_token_enc))).not.toBe(posted.get('auth[refresh_token]'));
      expect(cipher.open(String(row.access_token_enc))).not.toBe(posted.get('auth[access_token]'));
      expect(row).toMatchObject({ account_id: acme.id, client_endpoint: env.sim.clientEndpoint, bitrix24_user_id: 1 });
      const user = env.sim.addUser({ NAME: 'After', LAST_NAME: 'Install', EMAIL: 'after.install@example.com' });
      expect(await env.sim.fireOnUserAdd(user.ID)).toEqual([200]);
      await runPollerOnce(env.t, false);
      await env.t.app.get(SyncWorker).idle();
      const view = await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(acme.ownerKey)).expect(200);
      expect(view.body.pushedEvents).toEqual({ enabled: true, reason: null, hint: null });
    });

    it('a forged install cannot replace the application token of a bound portal afterwards either', async () => {
      const before = await storedState(env.t);
      const pair = env.sim.issueTokens(plainUserId);
      await postForm(env.t, '/bitrix24/install', {
        'auth[member_id]': env.sim.memberId,
        'auth[access_token]': pair.access_token,
        'auth[refresh_token]': pair.refresh_token,
        'auth[application_token]': 'chosen',
      }).expect(403);
      expect(await storedState(env.t)).toBe(before);
      await postForm(env.t, '/bitrix24/events', { event: 'ONAPPUNINSTALL', 'auth[member_id]': env.sim.memberId, 'auth[application_token]': 'chosen' }).expect(401);
      expect(await storedState(env.t)).toBe(before);
    });

    it('the caller-named auth[domain] is never contacted: the address comes from the authorization server', async () => {
      const bystander = await PortalSimulator.start({ people: 1 });
      try {
        const pair = env.sim.issueTokens();
        await postForm(env.t, '/bitrix24/install', {
          'auth[member_id]': env.sim.memberId,
          'auth[domain]': bystander.domain,
          'auth[client_endpoint]': bystander.clientEndpoint,
          'auth[access_token]': pair.access_token,
          'auth[refresh_token]': pair.refresh_token,
          'auth[application_token]': env.sim.applicationToken,
        }).expect(200);
        expect(bystander.stats.connections).toBe(0);
        expect((await connectionRow(env.t, env.sim.memberId))!.client_endpoint).toBe(env.sim.clientEndpoint);
      } finally {
        await bystander.stop();
      }
    });

    it('a verified install of an unknown portal records it unbound; an unverified one creates no row', async () => {
      const fresh = await startPortalAndApp({ people: 2 }, { database: env.t.database });
      try {
        expect(await fresh.sim.postInstall(`${fresh.t.url}/bitrix24/install`, { userId: 2 })).toBe(403);
        expect(await connectionRow(fresh.t, fresh.sim.memberId)).toBeUndefined();
        expect(await fresh.sim.postInstall(`${fresh.t.url}/bitrix24/install`)).toBe(200);
        expect(await connectionRow(fresh.t, fresh.sim.memberId)).toMatchObject({ account_id: null, state: 'active' });
      } finally {
        await fresh.t.close();
        await fresh.sim.stop();
      }
    });
  });
});
