import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PortalSimulator } from '../test/simulator/portal-simulator';
import { ExportFloorProcess } from './export-floor';

const ROOT = resolve(__dirname, '..');

/**
 * The export floor's process against the simulator: it reads what the engine reads, with
 * the engine's request plan (one counted call, start=-1 keyset pages, departments riding
 * along), and nothing else.
 */
describe('bench export floor', () => {
  let sim: PortalSimulator;
  let floor: ExportFloorProcess;

  beforeAll(async () => {
    sim = await PortalSimulator.start({ clientId: 'app.floor.test', clientSecret: 'floor-test-secret', people: 2_600, seed: 3, departments: 120 });
    const dir = mkdtempSync(join(tmpdir(), 'b24-floor-'));
    floor = ExportFloorProcess.start({
      root: ROOT,
      // Straight from the TypeScript sources (no build), as test/support/service-child.ts runs the service.
      entry: ['-r', join(ROOT, 'test/support/ts-register.cjs'), join(ROOT, 'bench/export-floor-worker.ts')],
      logFile: join(dir, 'export-floor.log'),
      env: {
        NODE_ENV: 'development',
        LOG_LEVEL: 'error',
        DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
        DATA_DIR: dir,
        TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
        BITRIX24_ALLOW_INSECURE: 'true',
        BITRIX24_CLIENT_ID: 'app.floor.test',
        BITRIX24_CLIENT_SECRET: 'floor-test-secret',
        BITRIX24_OAUTH_SERVERS: sim.serverDomain,
      },
    });
  });

  afterAll(async () => {
    await floor?.stop();
    await sim?.stop();
  });

  const read = (r: Parameters<ExportFloorProcess['read']>[0]['read']) =>
    floor.read({ baseUrl: sim.clientEndpoint, accessToken: sim.issueTokens().access_token, rate: { perSecond: 2, burst: 50 }, read: r }, 60_000);

  it('reads the whole portal with one counted call and keyset pages, every request seen by the portal', async () => {
    sim.resetStats();
    const first = await read({ kind: 'full_export', expectedUsers: null });
    expect(first).toMatchObject({ kind: 'full_export', users: sim.users.length, departments: sim.departments.length });
    expect(first.requests).toBe(sim.stats.restRequests);
    expect(sim.stats.countedListCalls['user.get']).toBe(1);
    // 2,600 users are 53 keyset pages (the last one short), 120 departments 3 pages, plus the count and the admin check.
    expect(sim.stats.perMethod['user.get']).toBe(53 + 1);
    expect(sim.stats.perMethod['department.get']).toBe(3);
    expect(sim.stats.perMethod['user.admin']).toBe(1);
    expect(first.wallMs).toBeGreaterThan(0);

    // Told the total (as a re-sync is) and with what the portal reported about costs, it needs no more requests.
    sim.resetStats();
    const again = await read({ kind: 'full_export', expectedUsers: sim.users.length });
    expect(again.users).toBe(sim.users.length);
    expect(again.requests).toBe(sim.stats.restRequests);
    expect(again.requests).toBeLessThanOrEqual(first.requests);
    expect(sim.stats.countedListCalls['user.get']).toBe(1);
  }, 60_000);

  it('reads an event’s users by ID', async () => {
    const user = sim.addUser({ NAME: 'Floor', LAST_NAME: 'Probe', EMAIL: 'floor.probe@example.com', ACTIVE: true });
    sim.resetStats();
    const event = await read({ kind: 'users_by_id', userIds: [Number(user.ID)] });
    expect(event).toMatchObject({ kind: 'users_by_id', users: 1, departments: 0, requests: 1 });
    expect(sim.stats.restRequests).toBe(1);
  }, 60_000);
});
