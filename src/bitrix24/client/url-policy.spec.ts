import { parseCidr } from './ip-address';
import { AddressRefusedError, assertResolvableHost, assertSafeUrl, guardedLookup, UrlPolicy } from './url-policy';

const strict: UrlPolicy = { allowInsecure: false, allowedPrivateNetworks: [] };
const lan: UrlPolicy = { allowInsecure: false, allowedPrivateNetworks: [parseCidr('10.0.0.0/8')!] };
const insecure: UrlPolicy = { allowInsecure: true, allowedPrivateNetworks: [] };

const codeOf = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('assertSafeUrl', () => {
  it.each([
    ['https://acme.bitrix24.ru/rest/', strict, null],
    ['https://8.8.8.8/rest/', strict, null],
    ['https://[2a00:1450::1]/rest/', strict, null],
    ['http://portal.example.com/rest/', strict, 'insecure_url'],
    ['https://u:p@portal.example.com/', strict, 'invalid_url'],
    ['not a url', strict, 'invalid_url'],
    ['https://localhost:8443/', strict, 'private_address'],
    ['https://LOCALHOST./', strict, 'private_address'],
    ['https://app.localhost/', strict, 'private_address'],
    ['https://127.0.0.1/rest/', strict, 'private_address'],
    ['https://2130706433/rest/', strict, 'private_address'], // the URL parser reads it as 127.0.0.1
    ['https://0x7f.1/rest/', strict, 'private_address'],
    ['https://0.0.0.0:4443/rest/', strict, 'private_address'],
    ['https://[::ffff:127.0.0.1]:4443/rest/1/x/', strict, 'private_address'],
    ['https://[::ffff:7f00:1]/', strict, 'private_address'],
    ['https://[0:0:0:0:0:ffff:7f00:1]/', strict, 'private_address'],
    ['https://[::ffff:a9fe:a9fe]/', strict, 'private_address'],
    ['https://[::127.0.0.1]/', strict, 'private_address'],
    ['https://[64:ff9b::7f00:1]/', strict, 'private_address'],
    ['https://[2002:7f00:1::]/', strict, 'private_address'],
    ['https://198.18.0.1/', strict, 'private_address'],
    ['https://192.0.0.8/', strict, 'private_address'],
    ['https://169.254.169.254/', strict, 'private_address'],
    ['https://10.1.2.3/', strict, 'private_address'],
    ['https://10.1.2.3/', lan, null],
    ['https://[::ffff:10.1.2.3]/', lan, null],
    ['https://192.168.1.1/', lan, 'private_address'],
    ['https://127.0.0.1/', lan, 'private_address'],
    ['http://127.0.0.1:4100/rest/', insecure, null],
  ])('%s → %s', (url, policy, code) => {
    expect(codeOf(() => assertSafeUrl(url, policy as UrlPolicy))).toBe(code);
  });
});

describe('host resolution', () => {
  const resolving = (answers: Record<string, string[]>): UrlPolicy => ({ ...strict, resolve: async (host) => answers[host] ?? [] });

  it('refuses a host with any refused address, and one that does not resolve', async () => {
    const policy = resolving({ 'ok.example': ['93.184.216.34'], 'mixed.example': ['93.184.216.34', '10.0.0.1'], 'meta.example': ['::ffff:169.254.169.254'] });
    await expect(assertResolvableHost(new URL('https://ok.example/'), policy)).resolves.toEqual(['93.184.216.34']);
    await expect(assertResolvableHost(new URL('https://mixed.example/'), policy)).rejects.toMatchObject({ code: 'private_address' });
    await expect(assertResolvableHost(new URL('https://meta.example/'), policy)).rejects.toMatchObject({ code: 'private_address' });
    await expect(assertResolvableHost(new URL('https://nowhere.example/'), policy)).rejects.toMatchObject({ code: 'host_not_found' });
  });

  it('the connect-time lookup refuses what the host resolves to at that moment (DNS rebinding)', async () => {
    let answer = ['93.184.216.34'];
    const policy: UrlPolicy = { ...strict, resolve: async () => answer };
    await expect(assertResolvableHost(new URL('https://rebind.example/'), policy)).resolves.toHaveLength(1);
    answer = ['127.0.0.1'];
    const lookup = guardedLookup(policy);
    const result = await new Promise<{ error: unknown; address: unknown }>((resolve) => lookup('rebind.example', { all: true }, (error, address) => resolve({ error, address })));
    expect(result.error).toBeInstanceOf(AddressRefusedError);
    expect((result.error as AddressRefusedError).addressClass).toBe('loopback');
    answer = ['93.184.216.34'];
    const ok = await new Promise<{ error: unknown; address: unknown }>((resolve) => lookup('rebind.example', { all: true }, (error, address) => resolve({ error, address })));
    expect(ok).toEqual({ error: null, address: [{ address: '93.184.216.34', family: 4 }] });
    const single = await new Promise<unknown[]>((resolve) => lookup('rebind.example', {}, (...args) => resolve(args)));
    expect(single).toEqual([null, '93.184.216.34', 4]);
  });
});
