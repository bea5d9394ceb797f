import type { Bitrix24User } from '../../bitrix24/bitrix24-user';
import { checkRequiredFields, type Bitrix24Edition, type RequiredFieldsFailure } from './required-fields.rule';

const complete: Bitrix24User = { ID: '7', LAST_NAME: 'Ivanov', EMAIL: 'ivan@x.ru', UF_DEPARTMENT: [1] };

describe('checkRequiredFields', () => {
  it.each<[string, Partial<Bitrix24User>, Bitrix24Edition, RequiredFieldsFailure | null]>([
    ['complete user, cloud', {}, 'cloud', null],
    ['complete user, on-premise', {}, 'on_premise', null],
    // last name
    ['last name missing', { LAST_NAME: undefined }, 'cloud', 'missing_last_name'],
    ['last name null', { LAST_NAME: null }, 'cloud', 'missing_last_name'],
    ['last name empty', { LAST_NAME: '' }, 'cloud', 'missing_last_name'],
    ['last name blank', { LAST_NAME: '  \u00a0 ' }, 'cloud', 'missing_last_name'],
    ['last name is only the tag', { LAST_NAME: '(bitrix24)' }, 'cloud', 'missing_last_name'],
    ['last name already tagged is fine', { LAST_NAME: '(bitrix24) Ivanov' }, 'cloud', null],
    // email
    ['email missing', { EMAIL: undefined }, 'cloud', 'missing_email'],
    ['email null', { EMAIL: null }, 'cloud', 'missing_email'],
    ['email blank', { EMAIL: '   ' }, 'cloud', 'missing_email'],
    ['email malformed', { EMAIL: 'ivan@' }, 'cloud', 'invalid_email'],
    ['email without domain dot', { EMAIL: 'ivan@localhost' }, 'cloud', 'invalid_email'],
    ['email padded and upper-case is fine', { EMAIL: '  IVAN@X.RU ' }, 'cloud', null],
    ['email with IDN domain is fine', { EMAIL: 'иван@пример.рф' }, 'cloud', null],
    // department: on-premise only
    ['no department on cloud is fine', { UF_DEPARTMENT: [] }, 'cloud', null],
    ['no department on-premise: empty array', { UF_DEPARTMENT: [] }, 'on_premise', 'missing_department'],
    ['no department on-premise: missing', { UF_DEPARTMENT: undefined }, 'on_premise', 'missing_department'],
    ['no department on-premise: false', { UF_DEPARTMENT: false }, 'on_premise', 'missing_department'],
    ['no department on-premise: [0]', { UF_DEPARTMENT: [0] }, 'on_premise', 'missing_department'],
    ['department as a scalar string on-premise', { UF_DEPARTMENT: '5' }, 'on_premise', null],
    // order: last name, then email, then department
    ['no last name and no email → last name first', { LAST_NAME: '', EMAIL: '' }, 'on_premise', 'missing_last_name'],
    ['no last name and no department → last name first', { LAST_NAME: '', UF_DEPARTMENT: [] }, 'on_premise', 'missing_last_name'],
    ['no email and no department → email first', { EMAIL: null, UF_DEPARTMENT: [] }, 'on_premise', 'missing_email'],
    ['invalid email and no department → email first', { EMAIL: 'nope', UF_DEPARTMENT: [] }, 'on_premise', 'invalid_email'],
  ])('%s', (_name, patch, edition, expected) => {
    expect(checkRequiredFields({ ...complete, ...patch }, edition)).toBe(expected);
  });
});
