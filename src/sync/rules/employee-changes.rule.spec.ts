import type { Bitrix24User } from '../../bitrix24/bitrix24-user';
import { computeEmployeeChanges, type EmployeeField, type EmployeeFields } from './employee-changes.rule';

const user: Bitrix24User = {
  ID: '7',
  NAME: 'Ivan',
  LAST_NAME: 'Ivanov',
  SECOND_NAME: 'Petrovich',
  EMAIL: 'ivan@x.ru',
  UF_PHONE_INNER: '101',
};

const inSync: EmployeeFields = {
  firstName: 'Ivan',
  lastName: '(bitrix24) Ivanov',
  middleName: 'Petrovich',
  email: 'ivan@x.ru',
  extension: '101',
};

describe('computeEmployeeChanges', () => {
  describe('new employee', () => {
    it.each<[string, Partial<Bitrix24User>, EmployeeFields]>([
      ['all fields from Bitrix24, last name tagged', {}, inSync],
      ['missing first name → empty string', { NAME: undefined }, { ...inSync, firstName: '' }],
      ['null first name → empty string', { NAME: null }, { ...inSync, firstName: '' }],
      ['empty middle name → null', { SECOND_NAME: '' }, { ...inSync, middleName: null }],
      ['blank middle name → null', { SECOND_NAME: '   ' }, { ...inSync, middleName: null }],
      ['names trimmed', { NAME: '  Ivan ', SECOND_NAME: ' Petrovich ' }, inSync],
      ['email normalized', { EMAIL: '  IVAN@X.RU ' }, inSync],
      ['already tagged last name not tagged twice', { LAST_NAME: '(Bitrix24) Ivanov' }, inSync],
      ['extension digits only', { UF_PHONE_INNER: 'доб. 1-01' }, inSync],
      ['numeric extension', { UF_PHONE_INNER: 101 }, inSync],
      ['no extension → null', { UF_PHONE_INNER: '' }, { ...inSync, extension: null }],
    ])('%s', (_name, patch, expected) => {
      const result = computeEmployeeChanges(null, { ...user, ...patch });
      expect(result.next).toEqual(expected);
      expect(result.changedFields).toEqual(['firstName', 'lastName', 'middleName', 'email', 'extension']);
    });
  });

  describe('existing employee', () => {
    it.each<[string, EmployeeFields, Partial<Bitrix24User>, EmployeeField[], Partial<EmployeeFields>]>([
      ['unchanged user → no changes', inSync, {}, [], {}],
      ['unchanged apart from case and spaces in Bitrix24 → no changes', inSync, { EMAIL: ' Ivan@X.ru', NAME: 'Ivan ' }, [], {}],
      ['first name changed', inSync, { NAME: 'Ivan-Ivan' }, ['firstName'], { firstName: 'Ivan-Ivan' }],
      ['first name removed in Bitrix24 → ""', inSync, { NAME: '' }, ['firstName'], { firstName: '' }],
      ['last name changed → re-tagged', inSync, { LAST_NAME: 'Sidorov' }, ['lastName'], { lastName: '(bitrix24) Sidorov' }],
      ['untagged last name gets the tag on update', { ...inSync, lastName: 'Ivanov' }, {}, ['lastName'], { lastName: '(bitrix24) Ivanov' }],
      ['double-tagged stored last name is repaired', { ...inSync, lastName: '(bitrix24) (bitrix24) Ivanov' }, {}, ['lastName'], { lastName: '(bitrix24) Ivanov' }],
      ['middle name added', { ...inSync, middleName: null }, {}, ['middleName'], { middleName: 'Petrovich' }],
      ['middle name removed', inSync, { SECOND_NAME: '' }, ['middleName'], { middleName: null }],
      ['email changed', inSync, { EMAIL: 'ivan.ivanov@x.ru' }, ['email'], { email: 'ivan.ivanov@x.ru' }],
      ['stored email in another case is normalized once', { ...inSync, email: 'Ivan@X.ru' }, {}, ['email'], { email: 'ivan@x.ru' }],
      ['empty extension is filled', { ...inSync, extension: null }, {}, ['extension'], { extension: '101' }],
      ['"" extension is filled', { ...inSync, extension: '' }, {}, ['extension'], { extension: '101' }],
      ['existing extension is never overwritten', { ...inSync, extension: '555' }, { UF_PHONE_INNER: '101' }, [], { extension: '555' }],
      ['existing extension kept when Bitrix24 has none', inSync, { UF_PHONE_INNER: null }, [], { extension: '101' }],
      ['empty stays empty when Bitrix24 has none', { ...inSync, extension: null }, { UF_PHONE_INNER: 'нет' }, [], { extension: null }],
      ['"" stays "" when Bitrix24 has none', { ...inSync, extension: '' }, { UF_PHONE_INNER: undefined }, [], { extension: '' }],
      [
        'several fields, listed in fixed order',
        { ...inSync, extension: null },
        { EMAIL: 'new@x.ru', NAME: 'Ivan2', LAST_NAME: 'Petrov' },
        ['firstName', 'lastName', 'email', 'extension'],
        { firstName: 'Ivan2', lastName: '(bitrix24) Petrov', email: 'new@x.ru', extension: '101' },
      ],
    ])('%s', (_name, current, patch, changedFields, nextPatch) => {
      const result = computeEmployeeChanges(current, { ...user, ...patch });
      expect(result.changedFields).toEqual(changedFields);
      expect(result.next).toEqual({ ...current, ...nextPatch });
    });
  });

  it('does not mutate the current employee', () => {
    const current = { ...inSync, extension: null };
    computeEmployeeChanges(current, user);
    expect(current.extension).toBeNull();
  });
});
