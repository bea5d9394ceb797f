import { DomainException } from '../../common/errors/domain.exception';
import { parseAppFramePost } from './app-frame-post';

const form = { AUTH_ID: 'a1', REFRESH_ID: 'r1', member_id: 'm1', APPLICATION_TOKEN: 't1', SERVER_ENDPOINT: 'https://oauth.bitrix.info/rest/', PLACEMENT: 'DEFAULT', status: 'L', AUTH_EXPIRES: '3600', APPLICATION_SCOPE: 'user,department' };
const query = { DOMAIN: 'acme.bitrix24.ru', PROTOCOL: '1', LANG: 'ru', APP_SID: 'abc' };

function problemOf(body: unknown, q: unknown = query): string {
  try {
    parseAppFramePost(body, q);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainException);
    return (error as DomainException).code;
  }
  throw new Error('accepted');
}

describe('parseAppFramePost (settings/oauth/simple-way.md)', () => {
  it('reads the documented post', () => {
    expect(parseAppFramePost(form, query)).toEqual({
      accessToken: 'a1',
      refreshToken: 'r1',
      memberId: 'm1',
      applicationToken: 't1',
      serverDomain: 'oauth.bitrix.info',
      placement: 'DEFAULT',
      placementOptions: null,
      claimedPortalOrigin: 'https://acme.bitrix24.ru',
      lang: 'ru',
    });
  });

  it.each([
    ['a widget placement with options', { ...form, PLACEMENT: 'REST_APP_URI', PLACEMENT_OPTIONS: '{"docId":"42"}' }, query, { placement: 'REST_APP_URI', placementOptions: { docId: '42' } }],
    ['http (PROTOCOL 0) and a port', form, { ...query, DOMAIN: '127.0.0.1:4100', PROTOCOL: '0' }, { claimedPortalOrigin: 'http://127.0.0.1:4100' }],
    ['no APPLICATION_TOKEN, no PLACEMENT, no query', { AUTH_ID: 'a', REFRESH_ID: 'r', member_id: 'm' }, {}, { applicationToken: null, placement: 'DEFAULT', claimedPortalOrigin: null, lang: null, serverDomain: null }],
    ['a SERVER_ENDPOINT that is not a URL', { ...form, SERVER_ENDPOINT: 'nonsense' }, query, { serverDomain: null }],
  ])('%s', (_name, body, q, expected) => {
    expect(parseAppFramePost(body, q)).toMatchObject(expected);
  });

  it.each([
    ['an array as a token', { ...form, AUTH_ID: ['x'] }, query, 'app_page_post_invalid'],
    ['an object as member_id', { ...form, member_id: { a: 1 } }, query, 'app_page_post_invalid'],
    ['a control character', { ...form, REFRESH_ID: 'a\nb' }, query, 'app_page_post_invalid'],
    ['PLACEMENT_OPTIONS that is not JSON', { ...form, PLACEMENT_OPTIONS: '{' }, query, 'app_page_post_invalid'],
    ['PLACEMENT_OPTIONS that is a list', { ...form, PLACEMENT_OPTIONS: '[1]' }, query, 'app_page_post_invalid'],
    ['a DOMAIN with a path', form, { ...query, DOMAIN: 'evil.example/x' }, 'app_page_post_invalid'],
    ['a PROTOCOL other than 0 or 1', form, { ...query, PROTOCOL: '2' }, 'app_page_post_invalid'],
    ['no tokens at all (opened outside Bitrix24)', {}, query, 'app_page_post_incomplete'],
    ['not a form', 'AUTH_ID=x', query, 'app_page_post_incomplete'],
  ])('refuses %s', (_name, body, q, code) => {
    expect(problemOf(body, q)).toBe(code);
  });
});
