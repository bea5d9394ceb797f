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
    for (let i = 0; i < 50; i++) cmd[`u${i}`] = `user.get?ADMIN_MODE=1&start=${i * 50}`;
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

  describe('chained keyset pages: user.get with >ID = $result[prev][49][ID] and start=-1 (huge-data.md)', () => {
    const chain = (n: number, first = 0) => {
      const cmd: Record<string, string> = { p0: `user.get?ADMIN_MODE=1&start=-1&FILTER%5B%3EID%5D=${first}` };
      for (let i = 1; i < n; i++) cmd[`p${i}`] = `user.get?ADMIN_MODE=1&start=-1&FILTER%5B%3EID%5D=${encodeURIComponent(`$result[p${i - 1}][49][ID]`)}`;
      return cmd;
    };
    const ids = (batch: BatchResult, key: string) => ((batch.result as Record<string, Bitrix24User[]>)[key] ?? []).map((u) => Number(u.ID));
    let small: PortalSimulator;
    let t: string;
    const everyone = () => small.users.map((u) => Number(u.ID));

    beforeAll(async () => {
      small = await PortalSimulator.start({ people: 120, seed: 4, rateLimit: false, shares: { idGaps: 0 } });
      t = small.issueTokens().access_token;
    });
    afterAll(async () => {
      await small.stop();
    });
    beforeEach(() => {
      small.resetStats();
      small.faults.reset();
    });

    it('pages on while pages are full, counts nothing, and answers total 0 for each page', async () => {
      const batch = (await callApp(small, t, 'batch', { cmd: chain(3) })).body.result as BatchResult;
      expect([...ids(batch, 'p0'), ...ids(batch, 'p1'), ...ids(batch, 'p2')]).toEqual(everyone());
      expect(batch.result_total).toEqual({ p0: 0, p1: 0, p2: 0 });
      expect(small.stats.countedListCalls['user.get']).toBeUndefined();
    });

    it('after a short page the reference lands on the whole page: the next command starts over from ID 1 (rest_util.php processBatchElement)', async () => {
      const batch = (await callApp(small, t, 'batch', { cmd: chain(5) })).body.result as BatchResult;
      expect(ids(batch, 'p2')).toHaveLength(everyone().length - 100);
      // $result[p2][49] is not set → the page itself → intval of each row is 1 → ID > 1.
      expect(ids(batch, 'p3')).toEqual(everyone().filter((id) => id > 1).slice(0, 50));
      expect(ids(batch, 'p4')[0]).toBeGreaterThan(ids(batch, 'p3')[49]);
    });

    it('after an empty page the reference is an empty list, which is 0: the next command starts from the first user', async () => {
      const last = everyone()[everyone().length - 1];
      const batch = (await callApp(small, t, 'batch', { cmd: chain(2, last) })).body.result as BatchResult;
      expect(ids(batch, 'p0')).toEqual([]);
      expect(ids(batch, 'p1')).toEqual(everyone().slice(0, 50));
    });

    it('after a failed command the reference is the whole result section: invalid SQL, ERROR_CORE', async () => {
      small.faults.failMethodAfter('user.get', 1);
      const batch = (await callApp(small, t, 'batch', { cmd: chain(3) })).body.result as BatchResult;
      const errors = batch.result_error as Record<string, { error: string }>;
      expect(errors.p1.error).toBe('INTERNAL_SERVER_ERROR');
      expect(errors.p2).toEqual({ error: 'ERROR_CORE', error_description: 'SQL query error!' });
    });

    it('before any command answered there is no $result yet: the text stays and counts as 0', async () => {
      small.faults.failMethodAfter('user.get', 0);
      const batch = (await callApp(small, t, 'batch', { cmd: chain(2, 60) })).body.result as BatchResult;
      expect(Object.keys(batch.result_error)).toEqual(['p0']);
      expect(ids(batch, 'p1')).toEqual(everyone().slice(0, 50));
    });

    it('a counted page (start 0) is counted once per command', async () => {
      await callApp(small, t, 'batch', { cmd: { c: 'user.get?ADMIN_MODE=1&start=0&select%5B%5D=ID', d: 'department.get?start=0' } });
      expect(small.stats.countedListCalls).toEqual({ 'user.get': 1, 'department.get': 1 });
    });
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
    const sub = 'user.get?ADMIN_MODE=1&FILTER%5B%3EID%5D=9990&start=0';
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
