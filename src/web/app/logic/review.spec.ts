import { createTranslator } from '../i18n/i18n';
import type { UserCheck } from '../types';
import { checkQuery, managerLine, problemAsItem, stepLines } from './review';

const en = createTranslator('en');
const ru = createTranslator('ru');

const check = (patch: Partial<UserCheck>): UserCheck => ({
  bitrix24UserId: 7,
  name: 'Petrov Ivan',
  steps: ['fetched', 'in_scope', 'required_fields', 'match', 'planned_action'].map((step) => ({ step, status: 'passed', reason: null, details: null })),
  outcome: 'created',
  reason: null,
  employeeId: null,
  changes: [],
  manager: null,
  run: null,
  ...patch,
});
const words = (lines: ReturnType<typeof stepLines>, t = en) => lines.map((l) => `${t(l.label)}: ${t(l.statusLabel)}${l.note ? ` (${'reason' in l.note ? l.note.reason : t(l.note.key, l.note.vars)})` : ''}`);

describe('one-person check: the input and the steps in words', () => {
  it.each([
    ['42', { bitrix24UserId: 42 }],
    [' 42 ', { bitrix24UserId: 42 }],
    ['Ivan@Example.com', { email: 'Ivan@Example.com' }],
    ['0', null],
    ['99999999999', null],
    ['ivan', null],
    ['', null],
    ['a b@c.d', null],
  ])('%j → %j', (raw, expected) => {
    expect(checkQuery(raw)).toEqual(expected);
  });

  it('says where a person stops and why, in both languages', () => {
    const steps = check({}).steps.map((s, i) => (i === 2 ? { ...s, status: 'failed', reason: 'missing_email' } : i > 2 ? { ...s, status: 'not_reached' } : s));
    const lines = stepLines(check({ steps, outcome: 'skipped', reason: 'missing_email' }), (o) => o);
    expect(words(lines)).toEqual(['Read from Bitrix24: passed', 'In scope: passed', 'Required fields: failed (missing_email)', 'Match: not reached', 'Planned action: not reached']);
    expect(words(lines, ru)[2]).toBe('Обязательные поля: не пройден (missing_email)');
  });

  it('explains the match and the planned outcome, and a person Bitrix24 does not return', () => {
    const steps = check({}).steps.map((s) => (s.step === 'match' ? { ...s, details: { kind: 'link_by_email', employeeId: 'e1' } } : s));
    expect(words(stepLines(check({ steps, outcome: 'linked_by_email' }), (o) => `«${o}»`)).slice(3)).toEqual([
      'Match: passed (Will be linked by email to an existing employee.)',
      'Planned action: passed (A synchronization would report: «linked_by_email».)',
    ]);
    const nobody = check({ steps: check({}).steps.map((s, i) => ({ ...s, status: i === 0 ? 'failed' : 'not_reached', reason: i === 0 ? 'not_found_on_portal' : null })), outcome: null });
    expect(words(stepLines(nobody, (o) => o))[0]).toBe('Read from Bitrix24: failed (Bitrix24 returned nobody with this ID or email.)');
  });
});

describe('problemAsItem: a standing problem shown as a skipped person of the last run', () => {
  it.each([
    [{ bitrix24UserId: 7, name: 'Petrov Ivan', kind: 'skipped', reason: 'invalid_email', details: { value: 'a@' } }, { id: '7:skipped', bitrix24UserId: 7, employeeId: null, outcome: 'skipped', reason: 'invalid_email', name: 'Petrov Ivan', details: { value: 'a@' } }],
    [{ bitrix24UserId: 9, name: null, kind: 'skipped', reason: 'ambiguous_email', details: null }, { id: '9:skipped', bitrix24UserId: 9, employeeId: null, outcome: 'skipped', reason: 'ambiguous_email', name: null, details: null }],
  ])('%o', (problem, item) => {
    expect(problemAsItem({ ...problem, firstSeenAt: '2026-12-01T10:00:00Z', lastSeenAt: '2026-12-01T11:00:00Z' })).toEqual(item);
  });
});

describe('one-person check: the planned manager in words', () => {
  const manager = (patch: Partial<NonNullable<UserCheck['manager']>>): UserCheck['manager'] => ({
    bitrix24DepartmentId: 2,
    managerEmployeeId: 'e2',
    managerBitrix24UserId: 2,
    managerName: 'Sidorov Petr',
    previousManagerId: null,
    changed: true,
    reason: null,
    ...patch,
  });
  const said = (m: UserCheck['manager'], t = en) => {
    const line = managerLine(m);
    return line && [t(line.who.key, line.who.vars), line.change ? t(line.change) : '', line.reason ? t(line.reason) : ''].join(' | ');
  };
  it.each<[string, UserCheck['manager'], string | null]>([
    ['skipped or not fetched: no line', null, null],
    ['the head of the department, new', manager({}), 'Sidorov Petr (Bitrix24 user 2) | changes | '],
    ['already the manager', manager({ previousManagerId: 'e2', changed: false }), 'Sidorov Petr (Bitrix24 user 2) | stays as it is | '],
    ['the head is dismissed: nobody, and why', manager({ managerEmployeeId: null, managerBitrix24UserId: null, managerName: null, previousManagerId: 'e2', reason: 'not_active' }), 'nobody | changes | The head of their department is dismissed or deleted in Bitrix24.'],
    ['sync managers off', manager({ managerEmployeeId: null, managerBitrix24UserId: null, managerName: null, changed: false, reason: 'sync_managers_off' }), 'nobody | stays as it is | Sync managers is off for this connection.'],
    ['another portal decides: no change word', manager({ managerBitrix24UserId: null, changed: false, reason: 'managed_elsewhere' }), 'Sidorov Petr |  | Another portal, linked first, sets this person’s manager.'],
  ])('%s', (_name, m, expected) => {
    expect(said(m)).toBe(expected);
  });
  it('speaks Russian too', () => {
    expect(said(manager({}), ru)).toBe('Sidorov Petr (пользователь Битрикс24 2) | изменится | ');
  });
});
