import type { Bitrix24User } from '../bitrix24/bitrix24-user';
import type { ChunkSettings, ChunkState, ExistingEmployee } from '../sync/chunk-plan';
import { checkUser, notFetched, StepName } from './user-check';

const settings: ChunkSettings = { edition: 'cloud', includeExtranet: false, defaultCountry: 'RU' };
const user = (fields: Partial<Bitrix24User> = {}): Bitrix24User => ({
  ID: '7',
  ACTIVE: true,
  NAME: 'Ivan',
  LAST_NAME: 'Petrov',
  EMAIL: 'ivan@x.ru',
  UF_DEPARTMENT: [1],
  USER_TYPE: 'employee',
  ...fields,
});
const employee = (fields: Partial<ExistingEmployee> = {}): ExistingEmployee => ({
  id: 'e1',
  firstName: 'Ivan',
  lastName: '(bitrix24) Petrov',
  middleName: null,
  email: 'ivan@x.ru',
  extension: null,
  hasPhones: true,
  ...fields,
});
const state = (o: { linked?: boolean; candidates?: Array<{ id: string; linkedOnThisPortal: boolean }>; employee?: Partial<ExistingEmployee>; linkState?: 'active' | 'dismissed' } = {}): ChunkState => {
  const s: ChunkState = { links: new Map(), employees: new Map(), candidatesByEmail: new Map() };
  if (o.linked) s.links.set(7, { bitrix24UserId: 7, employeeId: 'e1', state: o.linkState ?? 'active', departmentIds: [1], userType: 'employee' });
  if (o.linked || o.candidates) s.employees.set('e1', employee(o.employee));
  if (o.candidates) s.candidatesByEmail.set('ivan@x.ru', o.candidates.map((c) => ({ employeeId: c.id, linkedOnThisPortal: c.linkedOnThisPortal })));
  return s;
};
const statuses = (steps: Array<{ step: StepName; status: string }>) => steps.map((s) => `${s.step}:${s.status}`).join(' ');

describe('checkUser: the steps read from the engine plan', () => {
  const cases: Array<{ name: string; user: Bitrix24User; state: ChunkState; settings?: ChunkSettings; outcome: string; reason: string | null; steps: string }> = [
    {
      name: 'a new person is created',
      user: user(),
      state: state(),
      outcome: 'created',
      reason: null,
      steps: 'fetched:passed in_scope:passed required_fields:passed match:passed planned_action:passed',
    },
    {
      name: 'an extranet user on a connection without extranet is out of scope',
      user: user({ USER_TYPE: 'extranet' }),
      state: state(),
      outcome: 'skipped',
      reason: 'out_of_scope',
      steps: 'fetched:passed in_scope:failed required_fields:not_reached match:not_reached planned_action:not_reached',
    },
    {
      name: 'a person without email fails the required fields',
      user: user({ EMAIL: '' }),
      state: state(),
      outcome: 'skipped',
      reason: 'missing_email',
      steps: 'fetched:passed in_scope:passed required_fields:failed match:not_reached planned_action:not_reached',
    },
    {
      name: 'no department counts only on premise',
      user: user({ UF_DEPARTMENT: [] }),
      state: state(),
      settings: { ...settings, edition: 'on_premise' },
      outcome: 'skipped',
      reason: 'missing_department',
      steps: 'fetched:passed in_scope:passed required_fields:failed match:not_reached planned_action:not_reached',
    },
    {
      name: 'two employees with the address are ambiguous',
      user: user(),
      state: state({ candidates: [{ id: 'e1', linkedOnThisPortal: false }, { id: 'e2', linkedOnThisPortal: false }] }),
      outcome: 'skipped',
      reason: 'ambiguous_email',
      steps: 'fetched:passed in_scope:passed required_fields:passed match:failed planned_action:not_reached',
    },
    {
      name: 'the address belongs to an employee linked to someone else of this portal',
      user: user(),
      state: state({ candidates: [{ id: 'e1', linkedOnThisPortal: true }] }),
      outcome: 'skipped',
      reason: 'email_linked_elsewhere',
      steps: 'fetched:passed in_scope:passed required_fields:passed match:failed planned_action:not_reached',
    },
    {
      name: 'one free employee with the address is linked by email',
      user: user({ NAME: 'Ivan' }),
      state: state({ candidates: [{ id: 'e1', linkedOnThisPortal: false }], employee: { lastName: 'Petrov' } }),
      outcome: 'linked_by_email',
      reason: null,
      steps: 'fetched:passed in_scope:passed required_fields:passed match:passed planned_action:passed',
    },
    {
      name: 'a linked person with nothing new is unchanged',
      user: user(),
      state: state({ linked: true }),
      outcome: 'unchanged',
      reason: null,
      steps: 'fetched:passed in_scope:passed required_fields:passed match:passed planned_action:passed',
    },
  ];
  it.each(cases)('$name', (c) => {
    const check = checkUser(c.user, c.state, c.settings ?? settings);
    expect(check.outcome).toBe(c.outcome);
    expect(check.reason).toBe(c.reason);
    expect(statuses(check.steps)).toBe(c.steps);
    expect(check.steps.find((s) => s.status === 'failed')?.reason ?? null).toBe(c.reason);
  });

  it('lists each field change with its old and new value, phones included', () => {
    const check = checkUser(user({ LAST_NAME: 'Sidorov', WORK_PHONE: '+7 495 123-45-67' }), state({ linked: true, employee: { hasPhones: false } }), settings);
    expect(check.outcome).toBe('updated');
    expect(check.employeeId).toBe('e1');
    expect(check.changes).toEqual([
      { field: 'lastName', from: '(bitrix24) Petrov', to: '(bitrix24) Sidorov' },
      { field: 'phones', from: null, to: '74951234567' },
    ]);
    expect(check.steps.find((s) => s.step === 'match')?.details).toEqual({ kind: 'linked', employeeId: 'e1', linkState: 'active' });
  });

  it('says a linked person seen inactive will be dismissed', () => {
    const check = checkUser(user({ ACTIVE: false }), state({ linked: true }), settings);
    expect(check.steps.find((s) => s.step === 'planned_action')?.details).toMatchObject({ outcome: 'unchanged', dismissal: true });
  });

  it('shows the employee a new person would become', () => {
    const check = checkUser(user({ SECOND_NAME: ' ' }), state(), settings);
    expect(check.employeeId).toBeNull();
    expect(check.steps.find((s) => s.step === 'planned_action')?.details).toMatchObject({
      outcome: 'created',
      employee: { firstName: 'Ivan', lastName: '(bitrix24) Petrov', middleName: null, email: 'ivan@x.ru' },
    });
  });

  it('a person Bitrix24 does not return stops at the first step', () => {
    expect(statuses(notFetched({ bitrix24UserId: 9 }, []).steps)).toBe('fetched:failed in_scope:not_reached required_fields:not_reached match:not_reached planned_action:not_reached');
    expect(notFetched({ email: 'a@x.ru' }, [3, 4])).toMatchObject({ reason: 'several_users_with_email', steps: [{ details: { email: 'a@x.ru', bitrix24UserIds: [3, 4] } }, {}, {}, {}, {}] });
  });
});
