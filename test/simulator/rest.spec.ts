import type { Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { PortalSimulator } from './portal-simulator';
import { callApp, getJson, postForm, postJson } from './spec-helpers';

type Users = Bitrix24User[];

describe('PortalSimulator REST methods', () => {
  let sim: PortalSimulator;
  let token: string;

  beforeAll(async () => {
    sim = await PortalSimulator.start({ people: 237, seed: 7, rateLimit: false });
    token = sim.issueTokens().access_token;
  });

  afterAll(async () => {
    await sim.stop();
  });

  describe('user.get (api-reference/user/user-get.md)', () => {
    it('pages by 50 with total and next, and the pages add up to every user', async () => {
      const seen: string[] = [];
      let start: number | undefined = 0;
      let pages = 0;
      while (start !== undefined) {
        const answer = await callApp(sim, token, 'user.get', { start, ADMIN_MODE: true });
        expect(answer.status).toBe(200);
        expect(answer.body.total).toBe(237);
        const page = answer.body.result as Users;
        expect(page.length).toBeLessThanOrEqual(50);
        seen.push(...page.map((u) => String(u.ID)));
        start = answer.body.next as number | undefined;
        if (start !== undefined) expect(start).toBe(50 * (pages + 1));
        pages++;
      }
      expect(pages).toBe(5);
      expect(seen).toEqual(sim.users.map((u) => String(u.ID)));
      expect(new Set(seen).size).toBe(237);
    });

    it('returns the documented shape: ID string, ACTIVE boolean, UF_DEPARTMENT numbers, a time block', async () => {
      const answer = await callApp(sim, token, 'user.get', {});
      const first = (answer.body.result as Users)[0];
      expect(first.ID).toBe('1');
      expect(first.ACTIVE).toBe(true);
      expect(first.UF_DEPARTMENT).toEqual([1]);
      expect(first.USER_TYPE).toBe('employee');
      const time = answer.body.time as Record<string, unknown>;
      expect(Object.keys(time)).toEqual(expect.arrayContaining(['start', 'finish', 'duration', 'processing', 'date_start', 'date_finish', 'operating']));
      expect(String(time.date_start)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+03:00$/);
    });

    it('never returns bots or partners (their IDs fill gaps in the sequence)', async () => {
      const hiddenIds = sim.hiddenUsers.map((u) => u.ID);
      expect(hiddenIds.length).toBeGreaterThan(0);
      const answer = await callApp(sim, token, 'user.get', { ADMIN_MODE: true, FILTER: { ID: hiddenIds } });
      expect(answer.body.result).toEqual([]);
      expect(answer.body.total).toBe(0);
    });

    it('filters with >ID, ID arrays, ACTIVE, USER_TYPE, UF_DEPARTMENT and EMAIL', async () => {
      const all = sim.users;
      const over = await callApp(sim, token, 'user.get', { ADMIN_MODE: true, FILTER: { '>ID': 200 } });
      expect(over.body.total).toBe(all.filter((u) => Number(u.ID) > 200).length);
      expect((over.body.result as Users).every((u) => Number(u.ID) > 200)).toBe(true);

      const some = await callApp(sim, token, 'user.get', { ADMIN_MODE: true, FILTER: { ID: ['3', '5', 9999] } });
      expect((some.body.result as Users).map((u) => u.ID)).toEqual(all.filter((u) => ['3', '5'].includes(String(u.ID))).map((u) => u.ID));

      const active = await callApp(sim, token, 'user.get', { ADMIN_MODE: true, FILTER: { ACTIVE: true } });
      expect(active.body.total).toBe(all.filter((u) => u.ACTIVE === true).length);
      expect(active.body.total).toBeLessThan(237);

      const extranet = await callApp(sim, token, 'user.get', { ADMIN_MODE: true, FILTER: { USER_TYPE: 'extranet' } });
      expect(extranet.body.total).toBe(all.filter((u) => u.USER_TYPE === 'extranet').length);

      const dept = sim.departments[1];
      const inDept = await callApp(sim, token, 'user.get', { ADMIN_MODE: true, FILTER: { UF_DEPARTMENT: Number(dept.ID) } });
      const expected = all.filter((u) => Array.isArray(u.UF_DEPARTMENT) && u.UF_DEPARTMENT.map(Number).includes(Number(dept.ID)));
      expect(inDept.body.total).toBe(expected.length);

      const someone = all.find((u) => typeof u.EMAIL === 'string' && /^[a-z.]+@romashka\.ru$/.test(u.EMAIL)) as Bitrix24User;
      const byEmail = await callApp(sim, token, 'user.get', { ADMIN_MODE: true, FILTER: { EMAIL: String(someone.EMAIL).toUpperCase() } });
      expect((byEmail.body.result as Users).map((u) => u.ID)).toContain(someone.ID);
    });

    it('takes filter fields at the top level too, as in the docs example', async () => {
      const answer = await callApp(sim, token, 'user.get', { UF_DEPARTMENT: 1, SORT: 'ID', ORDER: 'asc' });
      expect((answer.body.result as Users).every((u) => Array.isArray(u.UF_DEPARTMENT) && u.UF_DEPARTMENT.includes(1))).toBe(true);
    });

    it('parses PHP bracket keys from GET query strings and form bodies', async () => {
      const query = await getJson(`${sim.clientEndpoint}user.get.json?auth=${token}&ADMIN_MODE=1&FILTER%5B%3EID%5D=230&FILTER%5BID%5D%5B%5D=231&FILTER%5BID%5D%5B%5D=235`);
      expect(query.status).toBe(200);
      const expectIds = sim.users.filter((u) => ['231', '235'].includes(String(u.ID))).map((u) => u.ID);
      expect((query.body.result as Users).map((u) => u.ID)).toEqual(expectIds);
      const form = await postForm(`${sim.clientEndpoint}user.get`, `auth=${token}&ADMIN_MODE=1&filter[>ID]=230&start=0`);
      expect(form.body.total).toBe(sim.users.filter((u) => Number(u.ID) > 230).length);
    });

    it('sorts by ID descending and skips the count with start=-1', async () => {
      const desc = await callApp(sim, token, 'user.get', { sort: 'ID', order: 'DESC', ADMIN_MODE: true });
      const ids = (desc.body.result as Users).map((u) => Number(u.ID));
      expect(ids[0]).toBe(Number(sim.users[sim.users.length - 1].ID));
      expect([...ids].sort((a, b) => b - a)).toEqual(ids);
      const descRange = await callApp(sim, token, 'user.get', { order: 'DESC', ADMIN_MODE: true, FILTER: { '>ID': 200, '<=ID': 230 } });
      const rangeIds = (descRange.body.result as Users).map((u) => Number(u.ID));
      const expectedRange = sim.users.map((u) => Number(u.ID)).filter((id) => id > 200 && id <= 230).reverse();
      expect(rangeIds).toEqual(expectedRange);
      expect(descRange.body.total).toBe(expectedRange.length);
      const fast = await callApp(sim, token, 'user.get', { start: -1, ADMIN_MODE: true, FILTER: { '>ID': 100 } });
      // huge-data.md's example answer and user.php's setNavData: no count, `total: 0`.
      expect(fast.body.total).toBe(0);
      expect(fast.body.next).toBeUndefined();
      expect((fast.body.result as Users).length).toBe(50);
      expect(Number((fast.body.result as Users)[0].ID)).toBeGreaterThan(100);
    });

    it('limits fields to the scope version (user-scope.md) and to select', async () => {
      const full = sim.issueTokens();
      const briefSim = await PortalSimulator.start({ people: 10, scope: 'user_brief', rateLimit: false });
      try {
        const briefToken = briefSim.issueTokens().access_token;
        const answer = await callApp(briefSim, briefToken, 'user.get', {});
        const first = (answer.body.result as Users)[0];
        expect(first.EMAIL).toBeUndefined();
        expect(first.WORK_PHONE).toBeUndefined();
        expect(first.NAME).toBeDefined();
      } finally {
        await briefSim.stop();
      }
      const selected = await callApp(sim, full.access_token, 'user.get', { select: ['NAME', 'EMAIL'] });
      expect(Object.keys((selected.body.result as Users)[0]).sort()).toEqual(['EMAIL', 'ID', 'NAME']);
    });
  });

  describe('user.get for a caller without administrator rights (rest/lib/api/user.php userGet)', () => {
    let portal: PortalSimulator;
    const staff = (id: number, fields: Partial<Bitrix24User> = {}): Bitrix24User => ({ ID: String(id), ACTIVE: true, NAME: `N${id}`, LAST_NAME: `L${id}`, UF_DEPARTMENT: [1], USER_TYPE: 'employee', ...fields });
    const ids = (answer: { body: Record<string, unknown> }) => (answer.body.result as Users).map((u) => Number(u.ID));

    beforeAll(async () => {
      // 1 admin; 2, 3 employees; 4 an employee without a department; 5, 6 extranet guests (6 shares a workgroup with 2).
      portal = await PortalSimulator.start({
        rateLimit: false,
        people: [staff(1), staff(2), staff(3), staff(4, { UF_DEPARTMENT: [] }), staff(5, { USER_TYPE: 'extranet', UF_DEPARTMENT: false }), staff(6, { USER_TYPE: 'extranet' })].map((u) =>
          u.ID === '6' ? { ...u, UF_DEPARTMENT: undefined } : u,
        ),
      });
      portal.addWorkgroup([2, 6]);
    });
    afterAll(async () => {
      await portal.stop();
    });

    it('an administrator with ADMIN_MODE sees everyone; without it, not the users without a department', async () => {
      const admin = portal.issueTokens(1).access_token;
      expect(ids(await callApp(portal, admin, 'user.get', { ADMIN_MODE: true }))).toEqual([1, 2, 3, 4, 5, 6]);
      expect(ids(await callApp(portal, admin, 'user.get', {}))).toEqual([1, 2, 3]);
      // ...but an administrator's query by ID is not filtered ("!isset($filter['ID']) || !IsCurrentUserModuleAdmin").
      expect(ids(await callApp(portal, admin, 'user.get', { FILTER: { ID: [4, 5] } }))).toEqual([4, 5]);
    });

    it('for anyone else ADMIN_MODE does nothing: users without a department are hidden, also by ID, unless they share a workgroup', async () => {
      const employee = portal.issueTokens(2).access_token;
      const all = await callApp(portal, employee, 'user.get', { ADMIN_MODE: true });
      expect(ids(all)).toEqual([1, 2, 3, 6]);
      expect(all.body.total).toBe(4);
      expect(ids(await callApp(portal, employee, 'user.get', { ADMIN_MODE: true, FILTER: { ID: [4, 5, 6] } }))).toEqual([6]);
      const other = portal.issueTokens(3).access_token;
      expect(ids(await callApp(portal, other, 'user.get', { ADMIN_MODE: 'Y' }))).toEqual([1, 2, 3]);
      const hook = portal.createWebhook({ userId: 3 });
      expect(ids(await postJson(hook, 'user.get', { ADMIN_MODE: true, FILTER: { ID: 4 } }))).toEqual([]);
    });

    it('an extranet caller sees only its workgroups and itself', async () => {
      const guest = portal.issueTokens(6).access_token;
      expect(ids(await callApp(portal, guest, 'user.get', { ADMIN_MODE: true }))).toEqual([2, 6]);
      expect(ids(await callApp(portal, guest, 'user.get', { FILTER: { ID: [1, 2] } }))).toEqual([2]);
    });

    it('without the extranet module nothing is hidden', async () => {
      const plain = await PortalSimulator.start({ rateLimit: false, extranet: false, people: [staff(1), staff(2, { UF_DEPARTMENT: [] })] });
      try {
        expect(ids(await callApp(plain, plain.issueTokens(2).access_token, 'user.get', {}))).toEqual([1, 2]);
      } finally {
        await plain.stop();
      }
    });
  });

  describe('old on-premise boxes (oldBox)', () => {
    it('send every column with null for empty ones, ACTIVE as Y/N and no USER_TYPE', async () => {
      const box = await PortalSimulator.start({ rateLimit: false, oldBox: true, people: [{ ID: '1', ACTIVE: true, NAME: 'A', LAST_NAME: 'B', EMAIL: 'a@b.ru', UF_DEPARTMENT: [1], USER_TYPE: 'employee' }, { ID: '2', ACTIVE: false, NAME: 'G', LAST_NAME: '', UF_DEPARTMENT: [], USER_TYPE: 'extranet' }] });
      try {
        const t = box.issueTokens().access_token;
        const [admin, guest] = (await callApp(box, t, 'user.get', { ADMIN_MODE: true })).body.result as Array<Record<string, unknown>>;
        expect(admin).toMatchObject({ ID: '1', ACTIVE: 'Y', EMAIL: 'a@b.ru', UF_DEPARTMENT: [1], WORK_PHONE: null, PERSONAL_MOBILE: null });
        expect(guest).toMatchObject({ ID: '2', ACTIVE: 'N', LAST_NAME: null, EMAIL: null, UF_DEPARTMENT: null });
        expect('USER_TYPE' in admin || 'USER_TYPE' in guest).toBe(false);
        const selected = (await callApp(box, t, 'user.get', { ADMIN_MODE: true, select: ['ID', 'EMAIL', 'USER_TYPE'] })).body.result as Array<Record<string, unknown>>;
        expect(selected[1]).toEqual({ ID: '2', EMAIL: null });
        expect(Object.keys((await callApp(box, t, 'user.fields')).body.result as object)).not.toContain('USER_TYPE');
      } finally {
        await box.stop();
      }
    });
  });

  describe('department.get (api-reference/departments/department-get.md)', () => {
    it('pages by 50 with total/next and returns the documented types', async () => {
      const big = await PortalSimulator.start({ people: 20, departments: 120, rateLimit: false });
      try {
        const t = big.issueTokens().access_token;
        const first = await callApp(big, t, 'department.get', {});
        expect(first.body.total).toBe(120);
        expect(first.body.next).toBe(50);
        const root = (first.body.result as Array<Record<string, unknown>>)[0];
        expect(root).toMatchObject({ ID: '1', SORT: expect.any(Number) });
        expect(root.PARENT).toBeUndefined();
        const last = await callApp(big, t, 'department.get', { START: 100 });
        expect((last.body.result as unknown[]).length).toBe(20);
        expect(last.body.next).toBeUndefined();
      } finally {
        await big.stop();
      }
    });

    it('filters by PARENT and ID, and ignores a >ID prefix as the docs list none', async () => {
      const all = sim.departments;
      const children = await callApp(sim, token, 'department.get', { PARENT: 1 });
      expect(children.body.total).toBe(all.filter((d) => String(d.PARENT) === '1').length);
      const one = await callApp(sim, token, 'department.get', { ID: all[2].ID });
      expect(one.body.result).toEqual([all[2]]);
      const prefixed = await callApp(sim, token, 'department.get', { '>ID': 3 });
      expect(prefixed.body.total).toBe(all.length);
    });
  });

  describe('errors and other methods', () => {
    it('answers ERROR_METHOD_NOT_FOUND 404 for an unknown method', async () => {
      const answer = await callApp(sim, token, 'crm.deal.list', {});
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' });
    });

    it('answers insufficient_scope 401 for a method outside the token scope', async () => {
      const narrow = await PortalSimulator.start({ people: 5, scope: 'user', rateLimit: false });
      try {
        const answer = await callApp(narrow, narrow.issueTokens().access_token, 'department.get', {});
        expect(answer.status).toBe(401);
        expect(answer.body.error).toBe('insufficient_scope');
        expect(String(answer.body.error_description)).toContain('access token');
      } finally {
        await narrow.stop();
      }
    });

    it('answers user.admin for each token: true for a portal administrator, false for anyone else (user-admin.md)', async () => {
      const admin = await callApp(sim, token, 'user.admin');
      expect(admin.status).toBe(200);
      expect(admin.body.result).toBe(true);
      const someoneElse = sim.users.find((u) => Number(u.ID) !== 1)!;
      const plain = sim.issueTokens(Number(someoneElse.ID)).access_token;
      expect((await callApp(sim, plain, 'user.admin')).body.result).toBe(false);
      expect((await callApp(sim, plain, 'profile')).body.result).toMatchObject({ ADMIN: false });
      sim.setAdmin(Number(someoneElse.ID));
      expect((await callApp(sim, plain, 'user.admin')).body.result).toBe(true);
      sim.setAdmin(Number(someoneElse.ID), false);
      expect(sim.adminUserIds).toEqual([1]);
    });

    it('serves profile, app.info, scope and server.time', async () => {
      const profile = await callApp(sim, token, 'profile');
      expect(profile.body.result).toMatchObject({ ID: '1', ADMIN: true });
      const info = await callApp(sim, token, 'app.info');
      expect(info.body.result).toMatchObject({ CODE: sim.clientId, STATUS: 'F', INSTALLED: true, PAYMENT_EXPIRED: 'N', LICENSE: 'ru_pro100', LICENSE_TYPE: 'pro100', LICENSE_FAMILY: 'pro' });
      const scope = await callApp(sim, token, 'scope');
      expect(scope.body.result).toEqual(['user', 'department']);
      // scope.md: in form data the string "false" switches the full list ON (PHP truthiness).
      const full = await postForm(`${sim.clientEndpoint}scope`, `auth=${token}&full=false`);
      expect((full.body.result as string[]).length).toBeGreaterThan(2);
      const zero = await postForm(`${sim.clientEndpoint}scope`, `auth=${token}&full=0`);
      expect(zero.body.result).toEqual(['user', 'department']);
      const time = await callApp(sim, token, 'server.time');
      expect(String(time.body.result)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+03:00$/);
    });

    it('reflects data mutations immediately', async () => {
      const added = sim.addUser({ NAME: 'Новенький', LAST_NAME: 'Тестов' });
      const found = await callApp(sim, token, 'user.get', { ADMIN_MODE: true, FILTER: { ID: added.ID } });
      expect((found.body.result as Users)[0]).toMatchObject({ NAME: 'Новенький', ACTIVE: true });
      sim.dismissUser(added.ID);
      const dismissed = await callApp(sim, token, 'user.get', { ADMIN_MODE: true, FILTER: { ID: added.ID } });
      expect((dismissed.body.result as Users)[0].ACTIVE).toBe(false);
      sim.deleteUser(added.ID);
      const gone = await callApp(sim, token, 'user.get', { ADMIN_MODE: true, FILTER: { ID: added.ID } });
      expect(gone.body.result).toEqual([]);
    });
  });

  describe('incoming webhooks (local-integrations/local-webhooks.md)', () => {
    it('authorises by the URL and refuses methods outside the webhook scope', async () => {
      const hook = sim.createWebhook({ scope: ['user'] });
      expect(hook).toMatch(new RegExp(`^${sim.clientEndpoint}1/[a-z0-9]+/$`));
      const ok = await postJson(hook, 'user.get.json', { FILTER: { ID: 1 } });
      expect(ok.status).toBe(200);
      expect((ok.body.result as Users)[0].ID).toBe('1');
      const refused = await postJson(hook, 'department.get', {});
      expect(refused.status).toBe(401);
      expect(refused.body.error).toBe('insufficient_scope');
      expect(String(refused.body.error_description)).toContain('webhook token');
      const appOnly = await postJson(hook, 'app.info', {});
      expect(appOnly.body.error).toBe('ACCESS_DENIED');
    });

    it('answers INVALID_CREDENTIALS for a wrong secret', async () => {
      const answer = await postJson(`${sim.clientEndpoint}1/wrongsecret/`, 'user.get', {});
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('INVALID_CREDENTIALS');
    });
  });
});
