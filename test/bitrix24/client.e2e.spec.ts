import { Bitrix24ClientFactory } from '../../src/bitrix24/bitrix24-client.factory';
import { type Bitrix24Client, type ExportPage, IMPORT_FIELDS } from '../../src/bitrix24/client/bitrix24-client';
import { Bitrix24Error } from '../../src/bitrix24/client/bitrix24-error';
import type { Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { PortalSimulator } from '../simulator/portal-simulator';
import { createAccount } from '../support/accounts';
import request from 'supertest';
import { bearer } from '../support/accounts';
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

  it('reads 10,000 users (and 500 departments) in at most ceil(N / 2,500) + 2 HTTP requests, dismissed ones included, without QUERY_LIMIT_EXCEEDED', async () => {
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
    // The first request of a process is sized for commands of unknown cost; the 500 departments take 10 more commands.
    expect(env.sim.stats.restRequests).toBeLessThanOrEqual(Math.ceil(10_000 / 2500) + 2);
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

describe('the documented huge-data export (settings/performance/huge-data.md)', () => {
  let env: PortalAndApp;
  let account: Awaited<ReturnType<typeof createAccount>>;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 120, seed: 13, rateLimit: false, shares: { idGaps: 0.2 } });
    account = await createAccount(env.t, 'Keyset');
  }, 60_000);
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });
  beforeEach(() => {
    env.sim.faults.reset();
    env.sim.resetStats();
    env.sim.calls.length = 0;
    env.sim.recordCalls = true;
  });

  const exportAll = async (connectionId: string, options: Parameters<Bitrix24Client['fullExport']>[0] = {}) => {
    const client = await env.t.app.get(Bitrix24ClientFactory).forConnection(connectionId);
    const pages: ExportPage[] = [];
    for await (const page of client.fullExport(options)) pages.push(page);
    return { pages, users: pages.flatMap((p) => p.users) };
  };
  const ids = (users: Bitrix24User[]) => users.map((u) => Number(u.ID));

  it('one counted call; every page is user.get with >ID, start=-1, sort by ID and a select of exactly the fields the import reads', async () => {
    const connectionId = await connectPortal(env.t, account, env.sim);
    env.sim.resetStats();
    env.sim.calls.length = 0;
    // As a run does: sized by the users the last complete export counted.
    const { pages, users } = await exportAll(connectionId, { expectedUsers: 120 });
    expect(ids(users)).toEqual(env.sim.users.map((u) => Number(u.ID)));
    expect(env.sim.stats.countedListCalls['user.get']).toBe(1);
    const userGets = env.sim.calls.filter((c) => c.method === 'user.get');
    const [count, ...keyset] = userGets;
    expect(count.params).toMatchObject({ start: '0', select: { 0: 'ID' }, ADMIN_MODE: 'true' });
    // 120 users: two full pages and a short one, then nothing more.
    expect(keyset).toHaveLength(3);
    for (const call of keyset) {
      expect(call.params).toMatchObject({ start: '-1', sort: 'ID', order: 'ASC', ADMIN_MODE: 'true' });
      expect(Object.values(call.params.select as object)).toEqual([...IMPORT_FIELDS]);
      expect(Object.keys(call.params.FILTER as object)).toEqual(['>ID']);
    }
    // The chain: the first from 0, each next one from the 50th row of the one before it.
    expect(keyset.map((c) => (c.params.FILTER as Record<string, unknown>)['>ID'])).toEqual(['0', String(ids(users)[49]), String(ids(users)[99])]);
    expect(pages[pages.length - 1]).toMatchObject({ totalUsers: 120, lastUserId: ids(users)[119] });
    expect(env.sim.stats.restRequests).toBe(1);
  });

  it('discards what follows a short page inside a batch (Bitrix24 starts those over from ID 1): every user exactly once', async () => {
    const [{ id: connectionId }] = await env.t.dataSource.query(`SELECT id FROM bitrix24_connection WHERE account_id = $1`, [account.id]);
    // Sized for 1,000 users (or for a portal never counted), the first request chains pages past the end of this one.
    const { users } = await exportAll(connectionId, { expectedUsers: 1000 });
    expect(env.sim.calls.filter((c) => c.method === 'user.get').length).toBeGreaterThan(5);
    expect(ids(users)).toEqual(env.sim.users.map((u) => Number(u.ID)));
  });

  it('ends on an empty page when the users are an exact multiple of 50', async () => {
    const [{ id: connectionId }] = await env.t.dataSource.query(`SELECT id FROM bitrix24_connection WHERE account_id = $1`, [account.id]);
    const saved = env.sim.users;
    env.sim.setUsers(saved.slice(0, 100));
    try {
      const { users } = await exportAll(connectionId, { expectedUsers: 100 });
      expect(ids(users)).toEqual(saved.slice(0, 100).map((u) => Number(u.ID)));
      const keyset = env.sim.calls.filter((c) => c.method === 'user.get').slice(1);
      expect(keyset).toHaveLength(3);
    } finally {
      env.sim.setUsers(saved);
    }
  });

  it('resumes after a given user ID, and every page says the last user ID it covers', async () => {
    const [{ id: connectionId }] = await env.t.dataSource.query(`SELECT id FROM bitrix24_connection WHERE account_id = $1`, [account.id]);
    const all = env.sim.users.map((u) => Number(u.ID));
    const after = all[64];
    const { pages, users } = await exportAll(connectionId, { afterUserId: after });
    expect(ids(users)).toEqual(all.filter((id) => id > after));
    expect(pages[pages.length - 1]).toMatchObject({ totalUsers: all.length - 65, lastUserId: all[all.length - 1] });
    for (const page of pages) if (page.users.length) expect(page.lastUserId).toBe(Number(page.users[page.users.length - 1].ID));
    const count = env.sim.calls.find((c) => c.method === 'user.get')!;
    expect((count.params.FILTER as Record<string, unknown>)['>ID']).toBe(String(after));
  });

  it('sizes batches from the time the portal reports: with user.get at 2 s a call, no request carries more than the 20-second budget', async () => {
    const heavy = await PortalSimulator.start({ people: 1000, seed: 14, rateLimit: false, methodCost: { 'user.get': 2 } });
    try {
      const other = await createAccount(env.t, 'Heavy');
      const created = await request(env.t.url)
        .post('/api/v1/bitrix24/connections')
        .set(bearer(other.ownerKey))
        .send({ webhookUrl: heavy.createWebhook({ scope: ['user', 'department'] }), edition: 'cloud' })
        .expect(201);
      const connectionId: string = created.body.id;
      const client = await env.t.app.get(Bitrix24ClientFactory).forConnection(connectionId);
      const users: Bitrix24User[] = [];
      for await (const page of client.fullExport()) users.push(...page.users);
      expect(users).toHaveLength(1000);
      // 22 user.get commands of 2 s: at most ~10 per request.
      expect(heavy.stats.maxRequestProcessingSeconds).toBeLessThanOrEqual(21);
      expect(heavy.stats.restRequests).toBeGreaterThanOrEqual(3);
      expect(heavy.stats.maxOperatingSeconds).toBeGreaterThanOrEqual(44);
    } finally {
      await heavy.stop();
    }
  });
});
