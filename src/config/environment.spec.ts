import { ConfigValidationError, validateEnvironment } from './environment';
import { toAppConfig } from './app-config';

describe('environment validation', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = toAppConfig(validateEnvironment({}));
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      publicUrl: 'http://localhost:3000',
      db: { url: undefined, poolSize: 10, migrateOnStart: true, dataDir: './.data' },
      bitrix24: { oauthServers: ['oauth.bitrix.info', 'oauth.bitrix24.tech'], allowInsecure: false, requestTimeoutMs: 30000, refreshTimeoutMs: 120000 },
      sync: { intervalMinutes: 30, removalGuardPercent: 20, concurrency: 8, schedulerEnabled: true },
    });
  });

  it('reads BITRIX24_ALLOWED_PRIVATE_NETWORKS, refusing blocks that would open loopback, link-local or public space', () => {
    expect(toAppConfig(validateEnvironment({ BITRIX24_ALLOWED_PRIVATE_NETWORKS: '10.0.0.0/8, 192.168.10.0/24,fd00::/8' })).bitrix24.allowedPrivateNetworks.map((c) => c.text)).toEqual(['10.0.0.0/8', '192.168.10.0/24', 'fd00::/8']);
    expect(toAppConfig(validateEnvironment({})).bitrix24.allowedPrivateNetworks).toEqual([]);
    for (const bad of ['127.0.0.0/8', '169.254.0.0/16', '0.0.0.0/0', '8.8.8.0/24', '10.0.0.0', '::/0', 'fe80::/10', '10.0.0.0/4']) {
      expect(() => validateEnvironment({ BITRIX24_ALLOWED_PRIVATE_NETWORKS: bad })).toThrow('BITRIX24_ALLOWED_PRIVATE_NETWORKS');
    }
  });

  it('treats empty values as unset', () => {
    expect(validateEnvironment({ PORT: '', DATABASE_URL: '' }).PORT).toBe(3000);
  });

  it('names every offending variable and what is expected, in one error', () => {
    let error: unknown;
    try {
      validateEnvironment({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', SYNC_INTERVAL_MINUTES: '0', BITRIX24_ALLOW_INSECURE: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const problems = (error as ConfigValidationError).problems.join('\n');
    for (const name of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'SYNC_INTERVAL_MINUTES', 'BITRIX24_ALLOW_INSECURE']) expect(problems).toContain(name);
    expect((error as ConfigValidationError).problems).toHaveLength(5);
  });

  it('never echoes secret values in its messages', () => {
    const secret = 'postgres://user:hunter2@db/x?bad=';
    try {
      validateEnvironment({ DATABASE_URL: 'not a url hunter2', TOKEN_ENCRYPTION_KEY: 'short-hunter2' });
      throw new Error('expected a failure');
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('hunter2');
      expect(String((error as Error).message)).toContain('(hidden)');
    }
    expect(secret).toContain('hunter2');
  });

  it('refuses insecure settings and missing secrets in production', () => {
    expect(() => validateEnvironment({ NODE_ENV: 'production', BITRIX24_ALLOW_INSECURE: 'true' })).toThrow(/BITRIX24_ALLOW_INSECURE[\s\S]*TOKEN_ENCRYPTION_KEY[\s\S]*PUBLIC_URL/);
    const key = Buffer.alloc(32, 1).toString('base64');
    expect(validateEnvironment({ NODE_ENV: 'production', TOKEN_ENCRYPTION_KEY: key, PUBLIC_URL: 'https://sync.example.com' }).NODE_ENV).toBe('production');
  });

  it.each([
    ['TOKEN_ENCRYPTION_KEY', 'abc'],
    ['BITRIX24_OAUTH_SERVERS', 'https://oauth.bitrix.info'],
    ['PUBLIC_URL', 'ftp://x'],
    ['DATABASE_POOL_SIZE', '1000'],
    ['SYNC_REMOVAL_GUARD_PERCENT', '150'],
    ['SYNC_CONCURRENCY', '0'],
    ['SYNC_CONCURRENCY', 'many'],
    ['BITRIX24_REFRESH_TIMEOUT_MS', '500'],
  ])('rejects %s=%s', (name, value) => {
    expect(() => validateEnvironment({ [name]: value })).toThrow(name);
  });
});
