import { userExclusionsPath, userLinkPath } from '../api';
import { createTranslator } from '../i18n/i18n';
import type { AuditEvent } from '../types';
import { actionDetail, actionLabel, auditQuery, displayName, eventRunId } from './audit';

const en = createTranslator('en');
const ru = createTranslator('ru');
const CONNECTION = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const RUN = '0b6a7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d';

const event = (patch: Partial<AuditEvent>): AuditEvent => ({
  id: '1',
  at: '2026-12-01T10:00:00Z',
  action: 'user_link.set',
  keyId: 'k1',
  keyName: 'Owner key',
  keyRole: 'owner',
  connectionId: CONNECTION,
  bitrix24UserId: 7,
  employeeId: 'e1',
  employeeName: null,
  details: null,
  ...patch,
});
const say = (line: { key: Parameters<typeof en>[0]; vars?: Parameters<typeof en>[1] } | null, t = en) => (line ? t(line.key, line.vars) : null);

describe('audit trail filters as API parameters', () => {
  it.each([
    [{ connectionId: '', bitrix24UserId: '' }, {}],
    [{ connectionId: CONNECTION, bitrix24UserId: '' }, { connectionId: CONNECTION }],
    [{ connectionId: '', bitrix24UserId: ' 42 ' }, { bitrix24UserId: 42 }],
    [{ connectionId: CONNECTION, bitrix24UserId: '2147483647' }, { connectionId: CONNECTION, bitrix24UserId: 2147483647 }],
    [{ connectionId: '', bitrix24UserId: '2147483648' }, null],
    [{ connectionId: '', bitrix24UserId: '0' }, null],
    [{ connectionId: '', bitrix24UserId: '-3' }, null],
    [{ connectionId: '', bitrix24UserId: '4.5' }, null],
    [{ connectionId: '', bitrix24UserId: 'abc' }, null],
    [{ connectionId: '', bitrix24UserId: '99999999999' }, null],
  ])('%j → %j', (filters, query) => {
    expect(auditQuery(filters)).toEqual(query);
  });
});

describe('an audit event in words', () => {
  const outcome = (code: string) => `«${code}»`;
  it.each([
    [event({}), 'Linked by hand', 'The Bitrix24 user had no link before; every later synchronization keeps this one.'],
    [event({ details: { previousEmployeeId: 'e0', previousMatchedBy: 'email' } }), 'Linked by hand', 'Replaced the link to another employee; every later synchronization keeps this one.'],
    [event({ details: { previousEmployeeId: 'e1', previousMatchedBy: 'email' } }), 'Linked by hand', 'The same employee as before; the link now holds by the owner’s decision.'],
    [event({ action: 'user_link.removed', details: { previousMatchedBy: 'created', previousState: 'active' } }), 'Unlinked, not matched again', 'The employee is kept. Every synchronization skips this Bitrix24 user until matching is allowed again.'],
    [event({ action: 'user_link.removed', employeeId: null, details: { previousMatchedBy: null, previousState: null } }), 'Unlinked, not matched again', 'They were not linked to anyone. Every synchronization skips them until matching is allowed again.'],
    [event({ action: 'user_exclusion.removed', employeeId: null }), 'Matching allowed again', 'The next synchronization matches them automatically again.'],
    [event({ action: 'user_check.applied', details: { runId: RUN, plannedOutcome: 'created' } }), 'Imported on demand', 'A synchronization of this person alone was queued; planned: «created».'],
    [event({ action: 'user_check.applied', details: null }), 'Imported on demand', null],
    [event({ action: 'account.renamed' }), 'Other (account.renamed)', null],
  ])('%#: %s', (e, what, detail) => {
    expect(say(actionLabel(e))).toBe(what);
    expect(say(actionDetail(e, outcome))).toBe(detail);
  });

  it('reads in Russian too', () => {
    const e = event({ action: 'user_link.removed' });
    expect(say(actionLabel(e), ru)).toBe('Отвязан, больше не сопоставляется');
    expect(say(actionDetail(e, outcome), ru)).toBe('Сотрудник сохранён. Каждая синхронизация пропускает этого пользователя Битрикс24, пока сопоставление не разрешат снова.');
    expect(ru('audit.shown', { count: 5, more: '' })).toBe('Показано 5 событий');
    expect(ru('audit.shown', { count: 21, more: '' })).toBe('Показано 21 событие');
  });

  it.each([
    [{ runId: RUN }, RUN],
    [{ runId: 'javascript:alert(1)' }, null],
    [{ runId: 42 }, null],
    [null, null],
  ])('the run of an on-demand import: %j → %j', (details, runId) => {
    expect(eventRunId({ details: details as AuditEvent['details'] })).toBe(runId);
  });

  it.each([
    ['(bitrix24) Petrov Ivan', 'Petrov Ivan'],
    ['Petrov Ivan Sergeevich', 'Petrov Ivan Sergeevich'],
    ['(bitrix24) ', null],
    [null, null],
    [undefined, null],
  ])('a stored name %j shows as %j', (stored, shown) => {
    expect(displayName(stored)).toBe(shown);
  });
});

describe('the owner-decision paths', () => {
  it('name the portal and the Bitrix24 user, escaped', () => {
    expect(userLinkPath(CONNECTION, 7)).toBe(`/bitrix24/connections/${CONNECTION}/user-links/7`);
    expect(userExclusionsPath(CONNECTION)).toBe(`/bitrix24/connections/${CONNECTION}/user-exclusions`);
    expect(userExclusionsPath(CONNECTION, 7)).toBe(`/bitrix24/connections/${CONNECTION}/user-exclusions/7`);
    expect(userLinkPath('a/../b', 7)).toBe('/bitrix24/connections/a%2F..%2Fb/user-links/7');
  });
});
