import request from 'supertest';
import { PortalSimulator, PortalSimulatorOptions } from '../simulator/portal-simulator';
import { bearer, TestAccount } from './accounts';
import { freePort, startTestApp, TestApp, TestAppOptions } from './test-app';

export const TEST_CLIENT_ID = 'app.test.client';
export const TEST_CLIENT_SECRET = 'test-client-secret-value';

export interface PortalAndApp {
  sim: PortalSimulator;
  t: TestApp & { database: import('./test-database').TestDatabase };
}

/**
 * A simulated portal and the service wired to each other: the portal redirects to the
 * service's OAuth callback, and the service trusts the simulator as its OAuth server.
 */
export async function startPortalAndApp(simOptions: PortalSimulatorOptions = {}, appOptions: TestAppOptions = {}): Promise<PortalAndApp> {
  const port = appOptions.port ?? (await freePort());
  const sim = await PortalSimulator.start({
    clientId: TEST_CLIENT_ID,
    clientSecret: TEST_CLIENT_SECRET,
    redirectUri: `http://127.0.0.1:${port}/bitrix24/oauth/callback`,
    ...simOptions,
  });
  const t = await startTestApp({
    ...appOptions,
    port,
    env: { BITRIX24_OAUTH_SERVERS: sim.serverDomain, BITRIX24_RETRY_BASE_MS: '20', ...appOptions.env },
  });
  return { sim, t };
}

/** Follows the OAuth flow the way a browser does; returns the callback's final response. */
export async function runOAuthFlow(t: TestApp, key: string, portal: string): Promise<{ status: number; location: string | null; body: string }> {
  const start = await request(t.url).post('/api/v1/bitrix24/oauth/start').set(bearer(key)).send({ portal }).expect(201);
  const authorize = await fetch(start.body.authorizeUrl, { redirect: 'manual' });
  const callbackUrl = authorize.headers.get('location');
  if (authorize.status !== 302 || !callbackUrl) throw new Error(`authorize answered ${authorize.status}: ${await authorize.text()}`);
  const callback = await fetch(callbackUrl, { redirect: 'manual' });
  return { status: callback.status, location: callback.headers.get('location'), body: await callback.text() };
}

/** Connects the simulator portal to the account through OAuth; returns the connection id. */
export async function connectPortal(t: TestApp, account: TestAccount, sim: PortalSimulator): Promise<string> {
  const result = await runOAuthFlow(t, account.ownerKey, sim.baseUrl);
  const id = result.location && new URL(result.location).searchParams.get('connected');
  if (result.status !== 302 || !id) throw new Error(`OAuth callback answered ${result.status}: ${result.body.slice(0, 300)}`);
  return id;
}
