import request from 'supertest';
import type { Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { bearer, createAccount } from '../support/accounts';
import { PortalAndApp, startPortalAndApp } from '../support/bitrix24';
import { employeeByBitrix24Id, runItems, synchronize } from '../support/sync';

// Issue 11 item 6 (second half): old on-premise boxes send null for empty fields and no
// USER_TYPE (the simulator's oldBox mode, after rest/lib/api/user.php). Without the type, a
// user with no department is not an employee (src/sync/rules/scope.rule.ts).
function person(id: number, fields: Partial<Bitrix24User> = {}): Bitrix24User {
  return { ID: String(id), ACTIVE: true, NAME: `N${id}`, LAST_NAME: `L${id}`, EMAIL: `p${id}@example.com`, UF_DEPARTMENT: [1], USER_TYPE: 'employee', ...fields };
}
const PEOPLE = [
  person(1),
  person(2, { PERSONAL_MOBILE: '8 916 123-45-67' }),
  person(3, { WORK_PHONE: '+7 (495) 123-45-67' }),
  person(4),
  person(5, { UF_DEPARTMENT: [2] }),
  person(6),
  person(7, { USER_TYPE: 'extranet', UF_DEPARTMENT: [] }), // a guest: on the old box just "no department"
  person(8, { UF_DEPARTMENT: false }), // an employee nobody put in a department
];

describe('an old on-premise box (null fields, no USER_TYPE)', () => {
  let env: PortalAndApp;

  beforeAll(async () => {
    env = await startPortalAndApp({ people: PEOPLE, oldBox: true, adminUserIds: [1, 2] });
  });
  afterAll(async () => {
    await env.t.close();
    await env.sim.stop();
  });

  const connect = async (name: string, userId: number, edition: 'on_premise' | 'cloud') => {
    const account = await createAccount(env.t, name);
    const res = await request(env.t.url)
      .post('/api/v1/bitrix24/connections')
      .set(bearer(account.ownerKey))
      .send({ webhookUrl: env.sim.createWebhook({ scope: ['user', 'department'], userId }), edition })
      .expect(201);
    return { account, connectionId: res.body.id as string };
  };

  it('imports the employees, reads nulls as empty, and skips users without type and department as out of scope', async () => {
    const { account, connectionId } = await connect('OnPrem', 1, 'on_premise');
    const run = await synchronize(env.t, account, connectionId);
    expect(run.status).toBe('succeeded');
    expect(run.counters.created).toBe(6);
    expect(run.counters.skippedByReason).toEqual({ out_of_scope: 2 });
    const skipped = await runItems(env.t, account, run.id, 'outcome=skipped');
    expect(skipped.map((i) => i.bitrix24UserId).sort()).toEqual([7, 8]);
    expect(await employeeByBitrix24Id(env.t, connectionId, 2)).toMatchObject({ phones: ['79161234567'] });
    expect(await employeeByBitrix24Id(env.t, connectionId, 3)).toMatchObject({ phones: ['74951234567'] });
    expect(await employeeByBitrix24Id(env.t, connectionId, 4)).toMatchObject({ phones: [], link_state: 'active' });

    // ACTIVE arrives as "N" on an old box: a dismissal.
    env.sim.dismissUser(6);
    const again = await synchronize(env.t, account, connectionId);
    expect(again.counters).toMatchObject({ dismissed: 1, created: 0 });
    expect(await employeeByBitrix24Id(env.t, connectionId, 6)).toMatchObject({ link_state: 'dismissed' });
    env.sim.updateUser(6, { ACTIVE: true });
  });

  it('on a connection that does not require departments, the guest is still not imported (it used to count as an employee)', async () => {
    const { account, connectionId } = await connect('Cloudish', 2, 'cloud');
    const run = await synchronize(env.t, account, connectionId);
    expect(run.counters.created).toBe(6);
    expect(await employeeByBitrix24Id(env.t, connectionId, 7)).toBeNull();
    // Extranet users wanted: without a type, a user with no department counts as one.
    await request(env.t.url).patch(`/api/v1/bitrix24/connections/${connectionId}`).set(bearer(account.ownerKey)).send({ includeExtranet: true }).expect(200);
    const withGuests = await synchronize(env.t, account, connectionId);
    expect(withGuests.counters.created).toBe(2);
    expect(await employeeByBitrix24Id(env.t, connectionId, 7)).not.toBeNull();
  });
});
