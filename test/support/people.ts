import type { Bitrix24User } from '../../src/bitrix24/bitrix24-user';

/** A Bitrix24 user as user.get returns it (api-reference/user/user-get.md): importable unless `fields` say otherwise. */
export function person(id: number, fields: Partial<Bitrix24User> = {}): Bitrix24User {
  return {
    ID: String(id),
    ACTIVE: true,
    NAME: `Name${id}`,
    LAST_NAME: `Last${id}`,
    SECOND_NAME: '',
    EMAIL: `user${id}@example.com`,
    WORK_PHONE: '',
    PERSONAL_MOBILE: '',
    PERSONAL_PHONE: '',
    UF_PHONE_INNER: '',
    UF_DEPARTMENT: [1],
    USER_TYPE: 'employee',
    ...fields,
  };
}
