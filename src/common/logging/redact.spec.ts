import { JsonLogger } from './json-logger';
import { redact, redactString } from './redact';

describe('redaction of secrets in logs', () => {
  it.each([
    ['Authorization: Bearer b24s_abcdefghij_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn', 'ABCDEFGHIJKLMNOP'],
    ['GET /oauth/token/?grant_type=refresh_token&client_secret=SECRETVALUE&refresh_token=RT123', 'SECRETVALUE'],
    ['GET /oauth/token/?refresh_token=RT123456&x=1', 'RT123456'],
    ['https://portal.example.com/rest/1/w3bh00ks3cr3t/user.get', 'w3bh00ks3cr3t'],
    ['postgres://sync:pa55word@db:5432/x', 'pa55word'],
    ['b24s_abcdefghij_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'],
  ])('scrubs %s', (text, secret) => {
    expect(redactString(text)).not.toContain(secret);
  });

  it('replaces values of secret-named keys at any depth', () => {
    const out = JSON.stringify(redact({ auth: { access_token: 'AT', member_id: 'm1' }, nested: [{ refresh_token: 'RT' }], password: 'pw', kept: 'visible' }));
    expect(out).not.toMatch(/"AT"|"RT"|"pw"/);
    expect(out).toContain('visible');
  });

  it('keeps error codes readable and still scrubs OAuth codes and states in URLs', () => {
    const out = redact({ msg: 'sync run failed', code: 'PORTAL_DELETED', url: '/bitrix24/oauth/callback?code=c0de5ecret&state=st4te&member_id=m' }) as Record<string, string>;
    expect(out.code).toBe('PORTAL_DELETED');
    expect(out.url).not.toMatch(/c0de5ecret|st4te/);
    expect(out.url).toContain('member_id=m');
  });

  it('writes JSON lines with the context and without the secret', () => {
    const lines: string[] = [];
    const logger = new JsonLogger('debug', (line) => lines.push(line));
    logger.log({ msg: 'calling', url: 'https://p.example.com/rest/7/abcdef123456/profile.json', access_token: 'tok' }, 'Test');
    logger.error(new Error('failed with refresh_token=zzz999'), 'Test');
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({ level: 'info', context: 'Test', msg: 'calling', access_token: '[redacted]' });
    expect(lines.join('\n')).not.toMatch(/abcdef123456|zzz999|"tok"/);
    expect(second.level).toBe('error');
  });

  it('drops lines below the configured level', () => {
    const lines: string[] = [];
    const logger = new JsonLogger('warn', (line) => lines.push(line));
    logger.log('info line');
    logger.debug('debug line');
    logger.warn('warn line');
    expect(lines).toHaveLength(1);
  });
});
