import type { Bitrix24User } from '../../bitrix24/bitrix24-user';
import { isInScope } from './scope.rule';

describe('isInScope', () => {
  it.each<[Bitrix24User['USER_TYPE'], boolean, boolean]>([
    ['employee', false, true],
    ['employee', true, true],
    [' Employee ', false, true],
    ['extranet', false, false],
    ['extranet', true, true],
    ['EXTRANET', true, true],
    ['email', false, false],
    ['email', true, false],
    ['bot', true, false],
    ['imconnector', true, false],
    ['shop', true, false],
    ['sale', true, false],
    ['saleanonymous', true, false],
    ['replica', true, false],
    ['controller', true, false],
    ['something_new', true, false],
  ])('USER_TYPE %j (in a department), includeExtranet=%s → %s', (userType, includeExtranet, expected) => {
    expect(isInScope({ USER_TYPE: userType, UF_DEPARTMENT: [3] }, includeExtranet)).toBe(expected);
  });

  it('a typed user does not need a department to be an employee (the required-fields rule decides that on on-premise)', () => {
    expect(isInScope({ USER_TYPE: 'employee', UF_DEPARTMENT: [] }, false)).toBe(true);
  });

  // Old on-premise boxes: no USER_TYPE, null for empty fields (rest/lib/api/user.php).
  it.each<[string, Pick<Bitrix24User, 'USER_TYPE' | 'UF_DEPARTMENT'>, boolean, boolean]>([
    ['absent, one department', { UF_DEPARTMENT: [5] }, false, true],
    ['null, two departments', { USER_TYPE: null, UF_DEPARTMENT: ['1', '7'] }, false, true],
    ['empty, a department as a scalar', { USER_TYPE: '', UF_DEPARTMENT: 4 }, false, true],
    ['absent, departments null', { UF_DEPARTMENT: null }, false, false],
    ['absent, departments absent', {}, false, false],
    ['null, departments []', { USER_TYPE: null, UF_DEPARTMENT: [] }, false, false],
    ['absent, departments false', { UF_DEPARTMENT: false }, false, false],
    ['absent, department 0 (no real department)', { UF_DEPARTMENT: [0] }, false, false],
    ['absent, no department, extranet wanted', { UF_DEPARTMENT: null }, true, true],
    ['blank, no department, extranet wanted', { USER_TYPE: '  ', UF_DEPARTMENT: [] }, true, true],
  ])('no USER_TYPE (%s), includeExtranet=%s', (_name, user, includeExtranet, expected) => {
    expect(isInScope(user, includeExtranet)).toBe(expected);
  });

  it.each([5, true, ['employee'], {}])('refuses a non-string USER_TYPE %j', (userType) => {
    expect(isInScope({ USER_TYPE: userType as unknown as string, UF_DEPARTMENT: [1] }, true)).toBe(false);
  });
});
