import { parseBitrix24Post } from './bitrix24-post';

const auth = (fields: Record<string, unknown>) => ({ event: 'ONUSERADD', auth: fields });

describe('parseBitrix24Post', () => {
  it('reads a genuine ONUSERADD post (on-user-add.md)', () => {
    expect(parseBitrix24Post({ event: 'onUserAdd', data: { ID: '42' }, auth: { member_id: 'abc123', application_token: 'tok', server_endpoint: 'https://oauth.bitrix.info/rest/', scope: 'user department' } })).toEqual({
      event: 'ONUSERADD',
      memberId: 'abc123',
      applicationToken: 'tok',
      accessToken: null,
      refreshToken: null,
      serverDomain: 'oauth.bitrix.info',
      userIds: [42],
    });
  });

  it.each([
    ['ids as a list', { ID: ['3', 3, '4'] }, [3, 4]],
    ['ids as PHP keys', { ID: { 0: '5', 1: '6' } }, [5, 6]],
    ['no data', undefined, []],
  ])('user ids: %s', (_label, data, ids) => {
    expect(parseBitrix24Post({ event: 'ONUSERADD', data, auth: {} }).userIds).toEqual(ids);
  });

  it.each<[string, unknown]>([
    ['an array body', []],
    ['a string body', 'x'],
    ['event as a list', { event: ['ONUSERADD'] }],
    ['event with symbols', { event: 'ON USER' }],
    ['auth as a string', { auth: 'x' }],
    ['application token as a list', auth({ application_token: ['x'] })],
    ['application token as an object', auth({ application_token: { a: 1 } })],
    ['application token as a number', auth({ application_token: 5 })],
    ['application token with a space', auth({ application_token: 'a b' })],
    ['member_id with a slash', auth({ member_id: 'a/b' })],
    ['member_id too long', auth({ member_id: 'a'.repeat(129) })],
    ['domain as a number', auth({ domain: 7 })],
    ['domain as a list', auth({ domain: ['x'] })],
    ['domain with a path', auth({ domain: 'a.b/c' })],
    ['a NUL byte', auth({ scope: 'user\u0000' })],
    ['user id not a number', { event: 'ONUSERADD', data: { ID: 'abc' } }],
    ['user id zero', { event: 'ONUSERADD', data: { ID: '0' } }],
    ['data as a string', { event: 'ONUSERADD', data: 'x' }],
  ])('refuses %s with a 400 listing the field', (_label, body) => {
    try {
      parseBitrix24Post(body);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toMatchObject({ kind: 'invalid', code: 'event_payload_invalid' });
      expect((error as { details: unknown[] }).details.length).toBeGreaterThan(0);
    }
  });
});
