import { maskWebhookUrl, parsePortalAddress, parseWebhookUrl } from './portal-address';

describe('portal addresses', () => {
  it.each([
    ['acme.bitrix24.ru', 'acme.bitrix24.ru', 'https://acme.bitrix24.ru'],
    ['  https://ACME.bitrix24.ru/crm/deal/  ', 'acme.bitrix24.ru', 'https://acme.bitrix24.ru'],
    ['https://portal.example.com:8443', 'portal.example.com:8443', 'https://portal.example.com:8443'],
  ])('%j → %s', (input, domain, origin) => {
    expect(parsePortalAddress(input, false)).toEqual({ domain, origin });
  });

  it.each(['', 'localhost', 'http://acme.bitrix24.ru', 'ftp://acme.ru', 'https://user:pw@acme.ru', 'acme bitrix24'])('refuses %j', (input) => {
    expect(() => parsePortalAddress(input, false)).toThrow();
  });

  it('accepts http loopback only in insecure mode', () => {
    expect(parsePortalAddress('http://127.0.0.1:4100', true)).toEqual({ domain: '127.0.0.1:4100', origin: 'http://127.0.0.1:4100' });
  });

  it('reads incoming webhook URLs and hides their secret', () => {
    const parsed = parseWebhookUrl('https://portal.example.com/rest/12/abc123secret/');
    expect(parsed).toEqual({ baseUrl: 'https://portal.example.com/rest/12/abc123secret/', domain: 'portal.example.com', userId: 12 });
    expect(maskWebhookUrl(parsed.baseUrl)).toBe('https://portal.example.com/rest/12/***/');
    for (const bad of ['https://portal.example.com/rest/', 'https://portal.example.com/rest/x/abc/', 'https://portal.example.com/rest/1/abc/user.get', 'https://p.example.com/rest/1/abc/?x=1']) {
      expect(() => parseWebhookUrl(bad)).toThrow();
    }
  });
});
