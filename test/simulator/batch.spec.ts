import type { Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { PortalSimulator } from './portal-simulator';
import { callApp, postForm } from './spec-helpers';

interface BatchResult {
  result: Record<string, unknown> | unknown[];
  result_error: Record<string, { error: string; error_description: string }> | unknown[];
  result_total: Record<string, number> | number[];
  result_next: Record<string, number> | number[];
  result_time: Record<string, Record<string, unknown>> | unknown[];
}

describe('PortalSimulator batch (settings/how-to-call-rest-api/batch.md)', () => {
  let sim: PortalSimulator;
  let token: string;

  beforeAll(async () => {
    sim = await PortalSimulator.start({ people: 10_000, seed: 3 });
    token = sim.issueTokens().access_token;
  });

  afterAll(async () => {
    await sim.stop();
  });

  beforeEach(() => {
    sim.resetStats();
    sim.faults.reset();
  });

  it('returns 2,500 users for 50 user.get pages in one HTTP request', async () => {
    const cmd: Record<string, string> = {};
    for (let i = 0; i < 50; i++) cmd[`u${i}`] = `user.get?start=${i * 50}`;
    const answer = await callApp(sim, token, 'batch', { halt: 0, cmd });
    expect(answer.status).toBe(200);
    const batch = answer.body.result as BatchResult;
    const pages = batch.result as Record<string, Bitrix24User[]>;
    const users = Object.values(pages).flat();
    expect(users).toHaveLength(2500);
    expect(new Set(users.map((u) => u.ID)).size).toBe(2500);
    expect(users.map((u) => u.ID)).toEqual(sim.users.slice(0, 2500).map((u) => u.ID));
    expect(batch.result_error).toEqual([]);
    expect((batch.result_total as Record<string, number>).u0).toBe(10_000);
    expect((batch.result_next as Record<string, number>).u49).toBe(2500);
    expect(Object.keys(batch.result_time as Record<string, unknown>)).toHaveLength(50);
    expect(answer.body.time).toBeDefined();
    expect(sim.stats.restRequests).toBe(1);
    expect(sim.stats.perMethod.batch).toBe(1);
    expect(sim.stats.perMethod['user.get']).toBe(50);
    expect(sim.stats.batchCommands).toBe(50);
  });

  it('serialises numeric command keys as JSON lists and empty sections as []', async () => {
    const answer = await callApp(sim, token, 'batch', { cmd: ['server.time', 'profile'] });
    const batch = answer.body.result as BatchResult;
    expect(Array.isArray(batch.result)).toBe(true);
    expect((batch.result as unknown[])[1]).toMatchObject({ ID: '1' });
    expect(batch.result_error).toEqual([]);
    expect(batch.result_total).toEqual([]);
    expect(batch.result_next).toEqual([]);
    expect(Array.isArray(batch.result_time)).toBe(true);
  });

  it('fails commands beyond 50 with ERROR_BATCH_LENGTH_EXCEEDED and runs the first 50', async () => {
    const cmd: Record<string, string> = {};
    for (let i = 0; i < 52; i++) cmd[`c${i}`] = 'server.time';
    const answer = await callApp(sim, token, 'batch', { cmd });
    expect(answer.status).toBe(200);
    const batch = answer.body.result as BatchResult;
    expect(Object.keys(batch.result)).toHaveLength(50);
    expect(batch.result_error).toEqual({
      c50: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
      c51: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
    });
  });

  it('halt stops at the first failing command; without halt the rest still run', async () => {
    const cmd = { a: 'server.time', b: 'no.such.method', c: 'profile' };
    const halted = (await callApp(sim, token, 'batch', { halt: 1, cmd })).body.result as BatchResult;
    expect(Object.keys(halted.result)).toEqual(['a']);
    expect(Object.keys(halted.result_error)).toEqual(['b']);
    const all = (await callApp(sim, token, 'batch', { halt: 0, cmd })).body.result as BatchResult;
    expect(Object.keys(all.result)).toEqual(['a', 'c']);
    expect((all.result_error as Record<string, { error: string }>).b.error).toBe('ERROR_METHOD_NOT_FOUND');
  });

  it('substitutes $result[…] references from earlier commands', async () => {
    const answer = await callApp(sim, token, 'batch', {
      cmd: { get_user: 'user.current', get_department: 'department.get?ID=$result[get_user][UF_DEPARTMENT][0]' },
    });
    const batch = answer.body.result as BatchResult;
    const departments = (batch.result as Record<string, Array<{ ID: string }>>).get_department;
    expect(departments).toHaveLength(1);
    expect(departments[0].ID).toBe('1');
    expect((batch.result_total as Record<string, number>).get_department).toBe(1);
  });

  it('refuses a nested batch with ERROR_BATCH_METHOD_NOT_ALLOWED', async () => {
    const answer = await callApp(sim, token, 'batch', { cmd: { inner: 'batch?cmd[x]=server.time' } });
    const batch = answer.body.result as BatchResult;
    expect((batch.result_error as Record<string, { error: string }>).inner.error).toBe('ERROR_BATCH_METHOD_NOT_ALLOWED');
  });

  it('reports insufficient_scope per command, inside result_error (batch.md example)', async () => {
    const narrow = await PortalSimulator.start({ people: 3, scope: 'department', rateLimit: false });
    try {
      const answer = await callApp(narrow, narrow.issueTokens().access_token, 'batch', { halt: 0, cmd: { get_user: 'user.current', get_department: 'department.get' } });
      const batch = answer.body.result as BatchResult;
      expect(batch.result_error).toEqual({ get_user: { error: 'insufficient_scope', error_description: expect.any(String) } });
      expect(Object.keys(batch.result)).toEqual(['get_department']);
    } finally {
      await narrow.stop();
    }
  });

  it('accepts a form-encoded, double-encoded batch (data-encoding.md)', async () => {
    const sub = 'user.get?FILTER%5B%3EID%5D=9990&start=0';
    const form = `auth=${token}&halt=0&cmd%5Bq%5D=${encodeURIComponent(sub)}&cmd%5Bt%5D=server.time`;
    const answer = await postForm(`${sim.clientEndpoint}batch`, form);
    const batch = answer.body.result as BatchResult;
    const users = (batch.result as Record<string, Bitrix24User[]>).q;
    expect(users.length).toBeGreaterThan(0);
    expect(users.every((u) => Number(u.ID) > 9990)).toBe(true);
    expect(Object.keys(batch.result)).toEqual(['q', 't']);
  });

  it('counts one batch as one request for the leaky bucket', async () => {
    const limited = await PortalSimulator.start({ people: 200, rateLimit: { perSecond: 2, burst: 3 } });
    try {
      const t = limited.issueTokens().access_token;
      const cmd: Record<string, string> = {};
      for (let i = 0; i < 4; i++) cmd[`p${i}`] = `user.get?start=${i * 50}`;
      for (let i = 0; i < 3; i++) expect((await callApp(limited, t, 'batch', { cmd })).status).toBe(200);
      expect((await callApp(limited, t, 'batch', { cmd })).status).toBe(503);
      expect(limited.stats.perMethod['user.get']).toBe(12);
    } finally {
      await limited.stop();
    }
  });
});
