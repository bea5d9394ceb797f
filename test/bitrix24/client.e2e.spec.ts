import { Bitrix24ClientFactory } from '../../src/bitrix24/bitrix24-client.factory';
import { Bitrix24Error } from '../../src/bitrix24/client/bitrix24-error';
import type { Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { createAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';

async function readAll(env: PortalAndApp, connectionId: string): Promise<Bitrix24User[]> {
  const client = await env.t.app.get(Bitrix24ClientFactory).forConnection(connectionId);
  const users: Bitrix24User[] = [];
  for await (const page of client.fullExport()) users.push(...page.users);
  return users;
}

describe('Bitrix24 REST client against the simulator', () => {
  let env: PortalAndApp;
  let connectionId: string;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 10_000, seed: 11 });
    const account = await createAccount(env.t, 'Big');
    connectionId = await connectPortal(env.t, account, env.sim);
  }, 120_000);
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  beforeEach(() => {
    env.sim.faults.reset();
    env.sim.resetStats();
  });

  it('reads 10,000 users (and every department) in at most 5 HTTP requests, dismissed ones included, without QUERY_LIMIT_EXCEEDED', async () => {
    const client = await env.t.app.get(Bitrix24ClientFactory).forConnection(connectionId);
    const users: Bitrix24User[] = [];
    const departments: unknown[] = [];
    for await (const page of client.fullExport()) {
      users.push(...page.users);
      departments.push(...page.departments);
    }
    expect(departments).toHaveLength(env.sim.departments.length);
    expect(users).toHaveLength(env.sim.users.length);
    expect(new Set(users.map((u) => Number(u.ID))).size).toBe(users.length);
    expect(users.some((u) => u.ACTIVE === false)).toBe(true);
    expect(env.sim.stats.restRequests).toBeLessThanOrEqual(5);
    expect(env.sim.stats.sent503).toBe(0);
  });

  it('rides out a 503 storm with backoff', async () => {
    env.sim.faults.storm503(3);
    const users = await readAll(env, connectionId);
    expect(users).toHaveLength(env.sim.users.length);
    expect(env.sim.stats.sent503).toBe(3);
  });

  it('retries reads after 500s', async () => {
    env.sim.faults.error500(2);
    const users = await readAll(env, connectionId);
    expect(users).toHaveLength(env.sim.users.length);
    expect(env.sim.stats.sent500).toBeGreaterThanOrEqual(2);
  });

  it('does not wait for an operating-time block that lifts far in the future: a typed rate_limited error with retryAt', async () => {
    env.sim.faults.operatingLimit('user.get', 900, { afterCalls: 1 });
    const error = await readAll(env, connectionId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Bitrix24Error);
    expect((error as Bitrix24Error).kind).toBe('rate_limited');
    expect((error as Bitrix24Error).code).toBe('OPERATION_TIME_LIMIT');
    expect((error as Bitrix24Error).retryAt).toBeGreaterThan(Date.now() + 60_000);
  });

  it('gives up with a typed transient error when the portal keeps failing', async () => {
    env.sim.faults.error500(1000);
    const client = await env.t.app.get(Bitrix24ClientFactory).forConnection(connectionId);
    const error = await client.call('profile').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Bitrix24Error);
    expect((error as Bitrix24Error).kind).toBe('transient');
  });

  it('a portal move (302) is followed only once the authorization server confirms it: one refresh, whose client_endpoint is stored', async () => {
    const oldDomain = env.sim.domain;
    const newBase = await env.sim.movePortal();
    const users = await readAll(env, connectionId);
    expect(users).toHaveLength(env.sim.users.length);
    expect(env.sim.stats.redirects).toBeGreaterThanOrEqual(1);
    expect(env.sim.stats.refreshes.ok).toBe(1);
    const [row] = await env.t.dataSource.query(`SELECT domain, client_endpoint FROM bitrix24_connection WHERE id = $1`, [connectionId]);
    expect(row.domain).not.toBe(oldDomain);
    expect(row.client_endpoint).toBe(`${newBase}/rest/`);
    env.sim.resetStats();
    await readAll(env, connectionId);
    expect(env.sim.stats.redirects).toBe(0);
  });
});

describe('Bitrix24 REST client and the operating-time limit', () => {
  it('waits out a short OPERATION_TIME_LIMIT block until the reset the last answer announced', async () => {
    const env = await startPortalAndApp({ people: 400, seed: 12 });
    try {
      const account = await createAccount(env.t, 'Busy');
      const connectionId = await connectPortal(env.t, account, env.sim);
      env.sim.faults.operatingLimit('user.get', 2, { afterCalls: 1 });
      const started = Date.now();
      const users = await readAll(env, connectionId);
      expect(users).toHaveLength(env.sim.users.length);
      expect(env.sim.stats.sent429).toBeGreaterThanOrEqual(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await env.t.close();
      await env.sim.stop();
    }
  });
});
