import type { Bitrix24User } from '../../bitrix24/bitrix24-user';
import { isInScope } from './scope.rule';

describe('isInScope', () => {
  it.each<[Bitrix24User['USER_TYPE'], boolean, boolean]>([
    ['employee', false, true],
    ['employee', true, true],
    [' Employee ', false, true],
    [undefined, false, true],
    [null, false, true],
    ['', false, true],
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
  ])('USER_TYPE %j, includeExtranet=%s → %s', (userType, includeExtranet, expected) => {
    expect(isInScope({ USER_TYPE: userType }, includeExtranet)).toBe(expected);
  });

  it.each([5, true, ['employee'], {}])('refuses a non-string USER_TYPE %j', (userType) => {
    expect(isInScope({ USER_TYPE: userType as unknown as string }, true)).toBe(false);
  });
});
