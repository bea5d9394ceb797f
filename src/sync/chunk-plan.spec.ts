import type { Bitrix24User } from '../bitrix24/bitrix24-user';
import { ChunkPlan, ChunkSettings, ChunkState, ExistingEmployee, ExistingLink, planChunk } from './chunk-plan';
import { isSettled } from './user-fingerprint';

const settings: ChunkSettings = { edition: 'cloud', includeExtranet: false, defaultCountry: 'RU' };
const user = (id: number, fields: Partial<Bitrix24User> = {}): Bitrix24User => ({
  ID: String(id),
  ACTIVE: true,
  NAME: 'Ivan',
  LAST_NAME: 'Petrov',
  EMAIL: `u${id}@x.ru`,
  UF_DEPARTMENT: [1],
  USER_TYPE: 'employee',
  ...fields,
});
const employee = (id: string, fields: Partial<ExistingEmployee> = {}): ExistingEmployee => ({
  id,
  firstName: 'Ivan',
  lastName: '(bitrix24) Petrov',
  middleName: null,
  email: 'u1@x.ru',
  extension: null,
  hasPhones: true,
  ...fields,
});
const empty = (): ChunkState => ({ links: new Map(), employees: new Map(), candidatesByEmail: new Map() });
let counter = 0;
const newId = () => `new-${++counter}`;

describe('planChunk', () => {
  beforeEach(() => {
    counter = 0;
  });

  it('creates an unknown user with the tagged last name and its phones in order', () => {
    const plan = planChunk([user(1, { WORK_PHONE: '8 (495) 123-45-67', PERSONAL_MOBILE: '+7 916 000 00 01', PERSONAL_PHONE: 'нет' })], empty(), settings, newId);
    expect(plan.newEmployees).toEqual([{ id: 'new-1', fields: { firstName: 'Ivan', lastName: '(bitrix24) Petrov', middleName: null, email: 'u1@x.ru', extension: null } }]);
    expect(plan.phoneInserts.map((p) => [p.position, p.digits, p.source])).toEqual([
      [1, '74951234567', 'work'],
      [2, '79160000001', 'mobile'],
    ]);
    expect(plan.newLinks).toEqual([{ bitrix24UserId: 1, employeeId: 'new-1', state: 'active', matchedBy: 'created', departmentIds: [1], userType: 'employee' }]);
    expect(plan.items.map((i) => [i.outcome, i.reason])).toEqual([
      ['phone_rejected', 'not_a_phone_number'],
      ['created', null],
    ]);
  });

  it('decides by the link alone once linked: an email change updates, never creates', () => {
    const state = empty();
    state.links.set(1, { bitrix24UserId: 1, employeeId: 'e1', state: 'active', departmentIds: [1], userType: 'employee' });
    state.employees.set('e1', employee('e1'));
    const plan = planChunk([user(1, { EMAIL: 'new@x.ru' })], state, settings, newId);
    expect(plan.newEmployees).toEqual([]);
    expect(plan.employeeUpdates).toEqual([{ id: 'e1', fields: expect.objectContaining({ email: 'new@x.ru' }) }]);
    expect(plan.items).toEqual([expect.objectContaining({ outcome: 'updated', details: { changedFields: ['email'] } })]);
  });

  it('writes nothing for an unchanged user', () => {
    const state = empty();
    state.links.set(1, { bitrix24UserId: 1, employeeId: 'e1', state: 'active', departmentIds: [1], userType: 'employee' });
    state.employees.set('e1', employee('e1'));
    const plan = planChunk([user(1)], state, settings, newId);
    expect([plan.newEmployees, plan.employeeUpdates, plan.phoneInserts, plan.newLinks, plan.linkUpdates, plan.pendingDismissals]).toEqual([[], [], [], [], [], []]);
    expect(plan.items.map((i) => i.outcome)).toEqual(['unchanged']);
  });

  it.each([
    ['one free employee with the email', [{ employeeId: 'm1', linkedOnThisPortal: false }], 'linked_by_email', null],
    ['two free employees with the email', [{ employeeId: 'm1', linkedOnThisPortal: false }, { employeeId: 'm2', linkedOnThisPortal: false }], 'skipped', 'ambiguous_email'],
    ['the only one is linked to another user', [{ employeeId: 'm1', linkedOnThisPortal: true }], 'skipped', 'email_linked_elsewhere'],
    ['nobody has the email', [], 'created', null],
  ])('matching by email: %s → %s %s', (_label, candidates, outcome, reason) => {
    const state = empty();
    state.candidatesByEmail.set('u1@x.ru', candidates);
    for (const c of candidates) state.employees.set(c.employeeId, employee(c.employeeId, { lastName: 'Petrov', hasPhones: false }));
    const plan = planChunk([user(1, { EMAIL: ' U1@X.RU ' })], state, settings, newId);
    expect(plan.items.at(-1)).toMatchObject({ outcome, reason });
    if (outcome === 'linked_by_email') {
      expect(plan.newLinks[0]).toMatchObject({ employeeId: 'm1', matchedBy: 'email' });
      expect(plan.employeeUpdates[0].fields.lastName).toBe('(bitrix24) Petrov');
    }
  });

  it('gives a shared mailbox to the first user of the chunk only', () => {
    const plan = planChunk([user(1, { EMAIL: 'office@x.ru' }), user(2, { EMAIL: 'OFFICE@x.ru' })], empty(), settings, newId);
    expect(plan.items.map((i) => [i.bitrix24UserId, i.outcome, i.reason])).toEqual([
      [1, 'created', null],
      [2, 'skipped', 'email_linked_elsewhere'],
    ]);
  });

  it.each([
    [{ LAST_NAME: '  ' }, 'missing_last_name'],
    [{ EMAIL: null }, 'missing_email'],
    [{ EMAIL: 'nope' }, 'invalid_email'],
    [{ USER_TYPE: 'extranet' }, 'out_of_scope'],
  ])('skips %j as %s', (fields, reason) => {
    const plan = planChunk([user(1, fields as Partial<Bitrix24User>)], empty(), settings, newId);
    expect(plan.items).toEqual([expect.objectContaining({ outcome: 'skipped', reason })]);
    expect(plan.newEmployees).toEqual([]);
  });

  it('requires a department on on-premise portals', () => {
    const plan = planChunk([user(1, { UF_DEPARTMENT: [] })], empty(), { ...settings, edition: 'on_premise' }, newId);
    expect(plan.items[0]).toMatchObject({ outcome: 'skipped', reason: 'missing_department' });
  });

  it('defers the dismissal of an active link, even when the record cannot be imported', () => {
    const state = empty();
    state.links.set(1, { bitrix24UserId: 1, employeeId: 'e1', state: 'active', departmentIds: [1], userType: 'employee' });
    state.employees.set('e1', employee('e1'));
    const plan = planChunk([user(1, { ACTIVE: false, EMAIL: '' })], state, settings, newId);
    expect(plan.pendingDismissals).toEqual([{ bitrix24UserId: 1, employeeId: 'e1', kind: 'dismissed', fromState: 'active' }]);
    expect(plan.items[0]).toMatchObject({ outcome: 'skipped', reason: 'missing_email' });
  });

  it('reactivates a re-hired user on the same employee, without the responsible list', () => {
    const state = empty();
    state.links.set(1, { bitrix24UserId: 1, employeeId: 'e1', state: 'dismissed', departmentIds: [1], userType: 'employee' });
    state.employees.set('e1', employee('e1'));
    const plan = planChunk([user(1)], state, settings, newId);
    expect(plan.linkUpdates).toEqual([expect.objectContaining({ bitrix24UserId: 1, state: 'active', stateChanged: true })]);
    expect(plan.items.find((i) => i.outcome === 'reactivated')?.details).toMatchObject({ responsibleRestored: false });
  });

  it('links a dismissed user seen for the first time as dismissed', () => {
    const plan = planChunk([user(1, { ACTIVE: 'N' })], empty(), settings, newId);
    expect(plan.newLinks[0].state).toBe('dismissed');
    expect(plan.pendingDismissals).toEqual([]);
  });

  it('takes an existing employee linked by email to a user who has left off the responsible list at the end of the run', () => {
    const state = empty();
    state.candidatesByEmail.set('u1@x.ru', [{ employeeId: 'm1', linkedOnThisPortal: false }]);
    state.employees.set('m1', employee('m1'));
    const plan = planChunk([user(1, { ACTIVE: false })], state, settings, newId);
    expect(plan.newLinks[0]).toMatchObject({ employeeId: 'm1', state: 'dismissed', matchedBy: 'email' });
    expect(plan.pendingDismissals).toEqual([{ bitrix24UserId: 1, employeeId: 'm1', kind: 'dismissed', fromState: 'new' }]);
  });

  describe('with a department selection (issue 13)', () => {
    // Departments 1 and 2 are selected; 9 is not.
    const scoped: ChunkSettings = { ...settings, inDepartmentScope: (ids) => ids.some((id) => id === 1 || id === 2) };
    const linked = (state: 'active' | 'dismissed' | 'out_of_scope', departmentIds = [1]) => {
      const s = empty();
      s.links.set(1, { bitrix24UserId: 1, employeeId: 'e1', state, departmentIds, userType: 'employee' });
      s.employees.set('e1', employee('e1'));
      return s;
    };

    it.each<[string, number[], boolean]>([
      ['in a selected department', [1], true],
      ['one of several departments selected', [9, 2], true],
      ['no selected department', [9], false],
    ])('a new user %s is created: %s', (_name, departments, created) => {
      const plan = planChunk([user(1, { UF_DEPARTMENT: departments })], empty(), scoped, newId);
      expect(plan.newEmployees.length > 0).toBe(created);
      if (!created) expect(plan.items).toEqual([expect.objectContaining({ outcome: 'skipped', reason: 'out_of_scope', details: { cause: 'departments', departmentIds: departments } })]);
    });

    it('an active linked user leaving the selection: removal at the end of the run, departments kept current, fields not synced', () => {
      const plan = planChunk([user(1, { UF_DEPARTMENT: [9], NAME: 'Changed' })], linked('active'), scoped, newId);
      expect(plan.pendingDismissals).toEqual([{ bitrix24UserId: 1, employeeId: 'e1', kind: 'out_of_scope', fromState: 'active' }]);
      expect(plan.linkUpdates).toEqual([{ bitrix24UserId: 1, state: 'active', stateChanged: false, departmentIds: [9], userType: 'employee' }]);
      expect(plan.employeeUpdates).toEqual([]);
    });

    it('back in the selection: active again, reported, not put back on the responsible list', () => {
      const plan = planChunk([user(1, { UF_DEPARTMENT: [2] })], linked('out_of_scope', [9]), scoped, newId);
      expect(plan.linkUpdates).toEqual([{ bitrix24UserId: 1, state: 'active', stateChanged: true, departmentIds: [2], userType: 'employee' }]);
      expect(plan.items.find((i) => i.outcome === 'back_in_scope')?.details).toMatchObject({ previousState: 'out_of_scope', responsibleRestored: false });
      expect(plan.pendingDismissals).toEqual([]);
    });

    it('still out of the selection: nothing happens', () => {
      const plan = planChunk([user(1, { UF_DEPARTMENT: [9] })], linked('out_of_scope', [9]), scoped, newId);
      expect(plan.linkUpdates).toEqual([]);
      expect(plan.pendingDismissals).toEqual([]);
    });

    it('dismissed while out of the selection: a dismissal (the owner may have put them back on the list)', () => {
      const plan = planChunk([user(1, { UF_DEPARTMENT: [9], ACTIVE: false })], linked('out_of_scope', [9]), scoped, newId);
      expect(plan.pendingDismissals).toEqual([{ bitrix24UserId: 1, employeeId: 'e1', kind: 'dismissed', fromState: 'out_of_scope' }]);
    });

    it('keeps UF_DEPARTMENT in Bitrix24 order and treats a reorder as a change', () => {
      const plan = planChunk([user(1, { UF_DEPARTMENT: [2, 1] })], linked('active', [1, 2]), scoped, newId);
      expect(plan.linkUpdates[0].departmentIds).toEqual([2, 1]);
      expect(plan.items[0]).toMatchObject({ outcome: 'updated', details: { changedFields: ['departments'] } });
    });
  });

  it("skips a user the owner excluded (never matched by email or created) and says when a link is the owner's", () => {
    const state = empty();
    state.excluded = new Set([2]);
    state.candidatesByEmail.set('u2@x.ru', [{ employeeId: 'e2', linkedOnThisPortal: false }]);
    state.links.set(1, { bitrix24UserId: 1, employeeId: 'e1', state: 'active', departmentIds: [1], userType: 'employee', matchedBy: 'manual' });
    state.employees.set('e1', employee('e1'));
    const plan = planChunk([user(1), user(2)], state, settings, newId);
    expect(plan.newEmployees).toEqual([]);
    expect(plan.newLinks).toEqual([]);
    expect(plan.items).toEqual([
      expect.objectContaining({ bitrix24UserId: 1, outcome: 'unchanged', details: { linkedByOwner: true } }),
      expect.objectContaining({ bitrix24UserId: 2, outcome: 'skipped', reason: 'excluded_by_owner', employeeId: null }),
    ]);
  });

  describe('fingerprints: who the next run may skip (issue 12)', () => {
    const fp = { ...settings, fingerprintSettings: 'v1' };
    const linked = (fields: Partial<ExistingEmployee> = {}, link: Partial<ExistingLink> = {}): ChunkState => {
      const state = empty();
      state.links.set(1, { bitrix24UserId: 1, employeeId: 'e1', state: 'active', departmentIds: [1], userType: 'employee', fingerprint: null, ...link });
      state.employees.set('e1', employee('e1', fields));
      return state;
    };
    // The fingerprint a plan leaves on the user's link, wherever it puts it.
    const kept = (plan: ChunkPlan): string | null | undefined => plan.newLinks[0]?.fingerprint ?? plan.linkUpdates[0]?.fingerprint ?? plan.fingerprints[0]?.fingerprint;

    it.each<[string, Partial<Bitrix24User>, () => ChunkState, boolean]>([
      ['created', {}, empty, true],
      ['created, one number imported and one rejected (the rejected one is not read again)', { WORK_PHONE: '+7 495 123-45-67', PERSONAL_PHONE: 'нет' }, empty, true],
      ['created with only a rejected number (reported again next run)', { WORK_PHONE: 'нет' }, empty, false],
      ['updated', { NAME: 'Petr' }, linked, true],
      ['moved to another department', { UF_DEPARTMENT: [2] }, linked, true],
      ['unchanged', {}, linked, true],
      ['skipped for a missing last name', { LAST_NAME: '' }, linked, false],
      ['dismissed (waits for the removal guard)', { ACTIVE: false }, linked, false],
      ['re-hired', {}, () => linked({}, { state: 'dismissed' }), false],
      ['without phones here, and a rejected number on the portal', { WORK_PHONE: 'нет' }, () => linked({ hasPhones: false }), false],
    ])('%s → settled: %s', (_label, fields, state, settles) => {
      const plan = planChunk([user(1, fields)], state(), fp, newId);
      if (settles) expect(kept(plan)).toEqual(expect.any(String));
      else expect(kept(plan) ?? null).toBeNull();
    });

    it('keeps the fingerprint of the inputs as the plan leaves them, so the next run finds it unchanged', () => {
      const first = planChunk([user(1, { UF_DEPARTMENT: [2] })], linked(), fp, newId);
      const stored = first.linkUpdates[0].fingerprint!;
      const next = linked({}, { departmentIds: [2], fingerprint: stored });
      expect(isSettled('v1', user(1, { UF_DEPARTMENT: [2] }), next.links.get(1)!)).toBe(true);
      expect(isSettled('v2', user(1, { UF_DEPARTMENT: [2] }), next.links.get(1)!)).toBe(false);
      // Unchanged and already stored: nothing to write.
      expect(planChunk([user(1, { UF_DEPARTMENT: [2] })], next, fp, newId).fingerprints).toEqual([]);
    });

    it('counts a settled user unchanged without planning (no employee needed) and writes nothing', () => {
      const state = empty();
      state.links.set(1, { bitrix24UserId: 1, employeeId: 'e1', state: 'active', departmentIds: [1], userType: 'employee', matchedBy: 'manual', fingerprint: 'x' });
      state.settled = new Set([1]);
      const plan = planChunk([user(1, { NAME: 'would be an update' })], state, fp, newId);
      expect(plan.items).toEqual([expect.objectContaining({ bitrix24UserId: 1, outcome: 'unchanged', details: { linkedByOwner: true } })]);
      expect([plan.employeeUpdates, plan.linkUpdates, plan.fingerprints, plan.phoneInserts]).toEqual([[], [], [], []]);
      expect(plan.seenIds).toEqual([1]);
    });

    // The writer re-checks these employees under lock (SyncStore.applyPlan): an edit between the plan's read and its write unsettles the user.
    it.each<[string, Partial<Bitrix24User>, () => ChunkState, string[]]>([
      ['created: a new employee, nobody else can have edited it', {}, empty, []],
      ['linked by e-mail to an existing employee', { EMAIL: 'u1@x.ru' }, () => ({ ...empty(), candidatesByEmail: new Map([['u1@x.ru', [{ employeeId: 'e1', linkedOnThisPortal: false }]]]), employees: new Map([['e1', employee('e1')]]) }), ['e1']],
      ['updated', { NAME: 'Petr' }, linked, ['e1']],
      ['moved to another department (the employee unchanged)', { UF_DEPARTMENT: [2] }, linked, ['e1']],
      ['not settled (no fingerprint, nothing to re-check)', { LAST_NAME: '' }, linked, []],
    ])('the employee a fingerprint was planned from: %s', (_label, fields, state, employeeIds) => {
      const plan = planChunk([user(1, fields)], state(), fp, newId);
      expect(plan.plannedFrom.map((p) => [p.bitrix24UserId, p.employee.id])).toEqual(employeeIds.map((id) => [1, id]));
      if (employeeIds.length) expect(plan.plannedFrom[0].employee).toEqual(state().employees.get(employeeIds[0]));
    });

    it('clears a stored fingerprint the plan does not keep, and a preview (no settings) writes none', () => {
      expect(planChunk([user(1, { LAST_NAME: '' })], linked({}, { fingerprint: 'old' }), fp, newId).fingerprints).toEqual([{ bitrix24UserId: 1, fingerprint: null }]);
      const preview = planChunk([user(1, { NAME: 'Petr' })], linked({}, { fingerprint: 'old' }), settings, newId);
      expect(preview.fingerprints).toEqual([]);
      expect(planChunk([user(2)], empty(), settings, newId).newLinks[0].fingerprint).toBeUndefined();
    });
  });
});

