/**
 * The directory tools the console uses: the list's total and sort orders (with a keyset
 * cursor that stays correct), the CSV export with the same filters, the bulk "add to
 * responsible", the run report in name order, and /me's features.
 */
import request from 'supertest';
import { bearer, createAccount, createKey, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { runItems, synchronize } from '../support/sync';
import { startTestApp } from '../support/test-app';

interface Employee {
  id: string;
  firstName: string;
  lastName: string;
  email: string | null;
  createdAt: string;
  active: boolean;
  responsible: boolean;
  bitrix24Links: Array<{ state: string }>;
}

/** Every page of GET /employees with the given query; also checks `total` on each page. */
async function allPages(env: PortalAndApp, account: TestAccount, query: string, limit = 7): Promise<Employee[]> {
  const all: Employee[] = [];
  let cursor: string | null = null;
  let total: number | null = null;
  do {
    const res: request.Response = await request(env.t.url)
      .get(`/api/v1/employees?limit=${limit}${query ? `&${query}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      .set(bearer(account.ownerKey))
      .expect(200);
    if (total === null) total = res.body.total;
    expect(res.body.total).toBe(total);
    all.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  expect(all).toHaveLength(total!);
  return all;
}

/** Minimal RFC 4180 reader for the export (quoted cells, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

describe('employee directory tools', () => {
  let env: PortalAndApp;
  let account: TestAccount;
  let connectionId: string;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: 60, seed: 11 });
    account = await createAccount(env.t, 'Directory Co');
    connectionId = await connectPortal(env.t, account, env.sim);
    await synchronize(env.t, account, connectionId);
    // Two people leave the company: their employees stay, linked as dismissed.
    const linked: Array<{ uid: number }> = await env.t.dataSource.query(`SELECT bitrix24_user_id AS uid FROM bitrix24_user_link WHERE connection_id = $1 AND state = 'active' ORDER BY 1 LIMIT 2`, [connectionId]);
    for (const { uid } of linked) env.sim.dismissUser(uid);
    await synchronize(env.t, account, connectionId);
    // A few manual people too: one without an email, one deactivated, one with a formula-like name.
    for (const body of [
      { firstName: 'Zoe', lastName: 'Aaron' },
      { firstName: 'Yan', lastName: '=cmd|calc', email: 'formula@example.com' },
      { firstName: 'Xena', lastName: 'Quit', email: 'quit@example.com' },
    ]) {
      const res = await request(env.t.url).post('/api/v1/employees').set(bearer(account.ownerKey)).send(body).expect(201);
      if (body.lastName === 'Quit') await request(env.t.url).post(`/api/v1/employees/${res.body.id}/deactivate`).set(bearer(account.ownerKey)).expect(200);
    }
  }, 60_000);

  afterAll(async () => {
    await env?.t.close();
    await env?.sim.stop();
  });

  it('answers a total that counts every page, for the filters as they are', async () => {
    const [{ n }] = await env.t.dataSource.query(`SELECT count(*)::int AS n FROM employee WHERE account_id = $1`, [account.id]);
    const everyone = await allPages(env, account, '');
    expect(everyone).toHaveLength(n);
    const dismissed = await allPages(env, account, 'bitrix24State=dismissed');
    expect(dismissed.length).toBeGreaterThan(0);
    expect(dismissed.every((e) => e.bitrix24Links.some((l) => l.state === 'dismissed'))).toBe(true);
    const manual = await allPages(env, account, 'source=manual');
    expect(manual.map((e) => e.firstName).sort()).toEqual(['Xena', 'Yan', 'Zoe']);
  });

  it.each([
    ['name', null],
    ['-name', null],
    ['email', null],
    ['-email', null],
    ['created', null],
    ['-created', null],
  ])('sort=%s pages through everyone exactly once, in order', async (sort) => {
    const pages = await allPages(env, account, `sort=${sort}`, 5);
    expect(new Set(pages.map((e) => e.id)).size).toBe(pages.length);
    const key = sort.replace('-', '');
    // The order the database promises, read back directly (same expressions as the API).
    const order = key === 'name' ? 'sort_key' : key === 'email' ? `(CASE WHEN email_normalized IS NULL THEN '1' ELSE '0' || email_normalized END)` : 'created_at';
    const dir = sort.startsWith('-') ? 'DESC' : 'ASC';
    const expected: Array<{ id: string }> = await env.t.dataSource.query(`SELECT id FROM employee WHERE account_id = $1 ORDER BY ${order} ${dir}, id ${dir}`, [account.id]);
    expect(pages.map((e) => e.id)).toEqual(expected.map((r) => r.id));
    if (key === 'email') {
      const withoutEmail = pages.findIndex((e) => !e.email);
      if (withoutEmail >= 0 && dir === 'ASC') expect(pages.slice(withoutEmail).every((e) => !e.email)).toBe(true);
    }
  });

  it('refuses a cursor from another sort order, and a bad sort, with one clear message', async () => {
    const first = await request(env.t.url).get('/api/v1/employees?limit=2&sort=email').set(bearer(account.ownerKey)).expect(200);
    const res = await request(env.t.url).get(`/api/v1/employees?limit=2&sort=created&cursor=${first.body.nextCursor}`).set(bearer(account.ownerKey)).expect(400);
    expect(res.body.error.code).toBe('invalid_cursor');
    const bad = await request(env.t.url).get('/api/v1/employees?sort=salary').set(bearer(account.ownerKey)).expect(400);
    expect(bad.body.error).toMatchObject({ code: 'validation_failed', details: [{ field: 'sort', problems: [expect.stringMatching(/^must be one of: name, -name, email/)] }] });
    const abc = await request(env.t.url).get('/api/v1/employees?limit=abc').set(bearer(account.ownerKey)).expect(400);
    expect(abc.body.error).toEqual({ code: 'validation_failed', message: 'limit must be a whole number from 1 to 500', details: [{ field: 'limit', problems: ['must be a whole number from 1 to 500'] }] });
  });

  it('exports the filtered list as CSV, streamed, formula-safe, in the chosen order', async () => {
    const res = await request(env.t.url).get('/api/v1/employees/export.csv?bitrix24State=active,unlinked&sort=-name').set(bearer(account.ownerKey)).buffer(true).parse((r, done) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (text += c));
      r.on('end', () => done(null, text));
    }).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="employees-\d{4}-\d{2}-\d{2}\.csv"$/);
    const text = res.body as string;
    expect(text.startsWith('\uFEFF')).toBe(true);
    const [header, ...rows] = parseCsv(text.slice(1));
    expect(header.slice(0, 5)).toEqual(['id', 'last_name', 'first_name', 'middle_name', 'email']);
    const expected = await allPages(env, account, 'bitrix24State=active,unlinked&sort=-name', 50);
    expect(rows.map((r) => r[0])).toEqual(expected.map((e) => e.id));
    const formula = rows.find((r) => r[2] === 'Yan')!;
    expect(formula[1]).toBe("'=cmd|calc");
    const anna = rows.find((r) => r[0] === expected[0].id)!;
    expect(anna[1]).toBe(expected[0].lastName.replace(/^([=+\-@])/, "'$1"));
  });

  it('needs employees:read for the export, and keeps it to the account', async () => {
    await request(env.t.url).get('/api/v1/employees/export.csv').expect(401);
    const other = await createAccount(env.t, 'Other Co');
    const res = await request(env.t.url).get('/api/v1/employees/export.csv').set(bearer(other.ownerKey)).expect(200);
    expect(parseCsv(res.text.slice(1))).toHaveLength(1); // the header only
  });

  it('bulk-adds the filtered people to the responsible list in one go, never the dismissed or deactivated, and counts first on a dry run', async () => {
    const everyone = await allPages(env, account, '', 100);
    const eligible = everyone.filter((e) => e.active && !e.responsible && !(e.bitrix24Links.length && e.bitrix24Links.every((l) => l.state !== 'active')));
    const dismissedOnly = everyone.filter((e) => e.active && e.bitrix24Links.length > 0 && e.bitrix24Links.every((l) => l.state !== 'active'));
    expect(dismissedOnly.length).toBeGreaterThan(0);

    const dry = await request(env.t.url).post('/api/v1/responsible-employees/bulk').set(bearer(account.ownerKey)).send({ dryRun: true }).expect(200);
    expect(dry.body).toEqual({
      matched: everyone.length,
      added: 0,
      eligible: eligible.length,
      alreadyOnList: everyone.filter((e) => e.responsible).length,
      skippedInactive: everyone.filter((e) => !e.active && !e.responsible).length,
      skippedDismissed: dismissedOnly.filter((e) => !e.responsible).length,
      dryRun: true,
    });
    expect((await request(env.t.url).get('/api/v1/responsible-employees').set(bearer(account.ownerKey)).expect(200)).body.items).toHaveLength(dry.body.alreadyOnList);

    // With a filter: only manual people (Zoe and Yan; Xena is deactivated).
    const manual = await request(env.t.url).post('/api/v1/responsible-employees/bulk').set(bearer(account.ownerKey)).send({ source: 'manual' }).expect(200);
    expect(manual.body).toMatchObject({ matched: 3, added: 2, skippedInactive: 1, dryRun: false });

    const all = await request(env.t.url).post('/api/v1/responsible-employees/bulk').set(bearer(account.ownerKey)).send({}).expect(200);
    expect(all.body.added).toBe(eligible.length - 2);
    const list = (await request(env.t.url).get('/api/v1/responsible-employees').set(bearer(account.ownerKey)).expect(200)).body.items as Employee[];
    const ids = new Set(list.map((e) => e.id));
    for (const e of dismissedOnly) expect(ids.has(e.id)).toBe(false);
    for (const e of eligible) expect(ids.has(e.id)).toBe(true);
    // Again: nothing new.
    const again = await request(env.t.url).post('/api/v1/responsible-employees/bulk').set(bearer(account.ownerKey)).send({}).expect(200);
    expect(again.body).toMatchObject({ added: 0, eligible: 0, alreadyOnList: list.length });
  });

  it('bulk add needs responsible:write and refuses unknown fields', async () => {
    const viewer = await createKey(env.t, account, 'viewer');
    await request(env.t.url).post('/api/v1/responsible-employees/bulk').set(bearer(viewer.key)).send({}).expect(403);
    const res = await request(env.t.url).post('/api/v1/responsible-employees/bulk').set(bearer(account.ownerKey)).send({ everyone: true }).expect(400);
    expect(res.body.error.details).toEqual([{ field: 'everyone', problems: ['is not a field this request accepts'] }]);
  });

  it('lists a run report by person name with a cursor that pages through every item once', async () => {
    const [{ id: runId }] = await env.t.dataSource.query(`SELECT id FROM sync_run WHERE connection_id = $1 ORDER BY queued_at LIMIT 1`, [connectionId]);
    const written = await runItems(env.t, account, runId);
    const byName: Array<{ name: string; id: string }> = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(env.t.url)
        .get(`/api/v1/sync-runs/${runId}/items?sort=name&limit=9${cursor ? `&cursor=${cursor}` : ''}`)
        .set(bearer(account.ownerKey))
        .expect(200);
      byName.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(byName).toHaveLength(written.length);
    const names = byName.map((i) => (i.name ?? '').toLowerCase());
    const rows: Array<{ n: string }> = await env.t.dataSource.query(`SELECT lower(coalesce(name, '')) AS n FROM sync_run_item WHERE run_id = $1 ORDER BY 1, id`, [runId]);
    expect(names).toEqual(rows.map((r) => r.n));
    await request(env.t.url).get(`/api/v1/sync-runs/${runId}/items?sort=name&cursor=123`).set(bearer(account.ownerKey)).expect(400);
  });

  it('/me tells the page whether OAuth is configured and insecure portals are allowed', async () => {
    const me = await request(env.t.url).get('/api/v1/me').set(bearer(account.ownerKey)).expect(200);
    expect(me.body.features).toEqual({ bitrix24OAuth: true, insecurePortals: true });
    const bare = await startTestApp({ env: { BITRIX24_CLIENT_ID: '', BITRIX24_CLIENT_SECRET: '', BITRIX24_ALLOW_INSECURE: 'false' } });
    try {
      const acme = await createAccount(bare, 'No App');
      const res = await request(bare.url).get('/api/v1/me').set(bearer(acme.ownerKey)).expect(200);
      expect(res.body.features).toEqual({ bitrix24OAuth: false, insecurePortals: false });
    } finally {
      await bare.close();
    }
  });
});
