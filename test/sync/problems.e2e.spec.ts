import request from 'supertest';
import { bearer, createAccount, TestAccount } from '../support/accounts';
import { connectPortal, PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { person } from '../support/people';
import { allPages, runItems, synchronize, waitForRun } from '../support/sync';
import { SyncWorker } from '../../src/sync/sync-worker.service';

interface ProblemView {
  bitrix24UserId: number;
  name: string | null;
  kind: string;
  reason: string | null;
  details: Record<string, unknown> | null;
  firstSeenAt: string;
  lastSeenAt: string;
}

describe('the standing-problems list of a connection (issue 12)', () => {
  let env: PortalAndApp;
  let acme: TestAccount;
  let connectionId: string;

  // limit=2: the walk crosses pages.
  const problems = (query = ''): Promise<ProblemView[]> => allPages(env.t, acme, `/api/v1/bitrix24/connections/${connectionId}/problems`, query, 2);

  beforeAll(async () => {
    env = await startPortalAndApp({
      people: [...[1, 5, 6, 7, 8, 9, 10, 11].map((id) => person(id)), person(2, { LAST_NAME: '' }), person(3, { EMAIL: 'not-an-address' }), person(4, { WORK_PHONE: 'нет' })],
      departments: [{ ID: '1', NAME: 'Company', PARENT: null, UF_HEAD: '1', SORT: '500' }],
    });
    acme = await createAccount(env.t, 'Acme');
    connectionId = await connectPortal(env.t, acme, env.sim);
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  it('a skipped person appears once, with the reason, the offending value and first/last seen', async () => {
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.status).toBe('succeeded');
    expect(run.counters.skippedByReason).toEqual({ missing_last_name: 1, invalid_email: 1 });
    const list = await problems();
    expect(list.map((p) => [p.bitrix24UserId, p.kind, p.reason])).toEqual([
      [2, 'skipped', 'missing_last_name'],
      [3, 'skipped', 'invalid_email'],
      [4, 'phone_rejected', 'not_a_phone_number'],
    ]);
    expect(list[1].details).toEqual({ value: 'not-an-address' });
    expect(list[2].details).toEqual({ rejected: [{ field: 'WORK_PHONE', value: 'нет' }] });
    for (const p of list) expect(p.firstSeenAt).toBe(p.lastSeenAt);
    expect((await problems('kind=skipped&reason=invalid_email')).map((p) => p.bitrix24UserId)).toEqual([3]);
    expect((await problems('kind=phone_rejected')).map((p) => p.bitrix24UserId)).toEqual([4]);
    expect((await runItems(env.t, acme, run.id, 'outcome=skipped')).map((i) => i.bitrix24UserId).sort()).toEqual([2, 3]);
  });

  it('an unchanged re-sync counts them but writes no new item, and bumps last seen', async () => {
    const before = await problems();
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.counters.skipped).toBe(2);
    expect(run.counters.phone_rejected).toBe(1);
    expect(await runItems(env.t, acme, run.id, 'outcome=skipped')).toEqual([]);
    expect(await runItems(env.t, acme, run.id, 'outcome=phone_rejected')).toEqual([]);
    const after = await problems();
    expect(after.map((p) => [p.bitrix24UserId, p.kind, p.firstSeenAt])).toEqual(before.map((p) => [p.bitrix24UserId, p.kind, p.firstSeenAt]));
    for (const [i, p] of after.entries()) expect(Date.parse(p.lastSeenAt)).toBeGreaterThan(Date.parse(before[i].lastSeenAt));
  });

  it('a changed problem is itemized again with its new details', async () => {
    env.sim.updateUser(3, { EMAIL: 'still-not-an-address' });
    const run = await synchronize(env.t, acme, connectionId);
    const items = await runItems(env.t, acme, run.id, 'outcome=skipped');
    expect(items.map((i) => i.bitrix24UserId)).toEqual([3]);
    const [three] = await problems('reason=invalid_email');
    expect(three.details).toEqual({ value: 'still-not-an-address' });
    expect(items[0].details).toEqual({ value: 'still-not-an-address' });
  });

  it('a preview never touches the list', async () => {
    env.sim.updateUser(2, { LAST_NAME: 'Fixed' });
    const before = await env.t.dataSource.query(`SELECT bitrix24_user_id, kind, details, last_seen_at FROM sync_problem ORDER BY 1, 2`);
    const res = await request(env.t.url).post(`/api/v1/bitrix24/connections/${connectionId}/sync`).set(bearer(acme.ownerKey)).send({ dryRun: true }).expect(202);
    await env.t.app.get(SyncWorker).runOnce(false);
    const run = await waitForRun(env.t, acme, res.body.id);
    expect(run.status).toBe('succeeded');
    expect(await env.t.dataSource.query(`SELECT bitrix24_user_id, kind, details, last_seen_at FROM sync_problem ORDER BY 1, 2`)).toEqual(before);
  });

  it('fixing the person on the portal removes the problem at the next full sync; a deleted user’s problem goes too', async () => {
    // person 2 was fixed above; person 4 leaves the portal (one of nine linked: under the mass-removal guard).
    env.sim.setUsers(env.sim.users.filter((u) => u.ID !== '4'));
    const run = await synchronize(env.t, acme, connectionId);
    expect(run.status).toBe('succeeded');
    expect((await problems()).map((p) => [p.bitrix24UserId, p.kind])).toEqual([[3, 'skipped']]);
  });

  it('another account cannot read the list (404), and a bad cursor or filter is a 400', async () => {
    const other = await createAccount(env.t, 'Other');
    const res = await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}/problems`).set(bearer(other.ownerKey)).expect(404);
    expect(res.body.error).toBeDefined();
    expect(JSON.stringify(res.body)).not.toContain('invalid_email');
    await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}/problems?cursor=x'y`).set(bearer(acme.ownerKey)).expect(400);
    await request(env.t.url).get(`/api/v1/bitrix24/connections/${connectionId}/problems?kind=created`).set(bearer(acme.ownerKey)).expect(400);
  });
});
