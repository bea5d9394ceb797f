import type { Bitrix24User } from '../bitrix24/bitrix24-user';
import { FingerprintedLink, isSettled, settingsFingerprint, userFingerprint } from './user-fingerprint';

const record: Bitrix24User = { ID: '7', ACTIVE: true, NAME: 'Ivan', LAST_NAME: 'Petrov', EMAIL: 'i@x.ru', UF_DEPARTMENT: [1, 2], USER_TYPE: 'employee', WORK_PHONE: '' };
const link: FingerprintedLink = { employeeId: 'e1', state: 'active', matchedBy: 'created', departmentIds: [1, 2], userType: 'employee' };
const base = userFingerprint('s1', record, link);

describe('userFingerprint: equal only when everything the plan reads about a linked user is equal', () => {
  it.each<[string, string, Bitrix24User, FingerprintedLink, boolean]>([
    ['the same inputs', 's1', { ...record }, { ...link }, true],
    ['a field the import does not read', 's1', { ...record, WORK_POSITION: 'Boss', LAST_LOGIN: 'now' }, link, true],
    ['a changed name', 's1', { ...record, NAME: 'Petr' }, link, false],
    ['ACTIVE "N" instead of true', 's1', { ...record, ACTIVE: 'N' }, link, false],
    ['a number where a string was', 's1', { ...record, ID: 7 }, link, false],
    ['a field absent instead of empty', 's1', { ...record, WORK_PHONE: undefined }, link, false],
    ['departments in another order (the first decides the manager)', 's1', { ...record, UF_DEPARTMENT: [2, 1] }, link, false],
    ['other settings', 's2', record, link, false],
    ['another employee behind the link', 's1', record, { ...link, employeeId: 'e2' }, false],
    ['a link the owner made', 's1', record, { ...link, matchedBy: 'manual' }, false],
    ['another link state', 's1', record, { ...link, state: 'dismissed' }, false],
    ['other stored departments', 's1', record, { ...link, departmentIds: [1] }, false],
    ['another stored user type', 's1', record, { ...link, userType: null }, false],
  ])('%s → equal: %s', (_label, settings, user, l, equal) => {
    expect(userFingerprint(settings, user, l) === base).toBe(equal);
  });

  it('a link settles a user only with a stored fingerprint equal to the inputs’ one', () => {
    expect(isSettled('s1', record, { ...link, fingerprint: base })).toBe(true);
    expect(isSettled('s1', record, { ...link, fingerprint: null })).toBe(false);
    expect(isSettled('s1', { ...record, EMAIL: 'j@x.ru' }, { ...link, fingerprint: base })).toBe(false);
  });
});

describe('settingsFingerprint', () => {
  it.each<[Record<string, unknown>, boolean]>([
    [{ country: 'RU', extranet: false }, true],
    [{ extranet: false, country: 'RU' }, true],
    [{ country: 'KZ', extranet: false }, false],
    [{ country: 'RU', extranet: true }, false],
    [{ country: 'RU', extranet: false, scope: 'x' }, false],
  ])('%j → equal: %s', (parts, equal) => {
    expect(settingsFingerprint(parts) === settingsFingerprint({ country: 'RU', extranet: false })).toBe(equal);
  });
});
