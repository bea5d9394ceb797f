import { randomBytes } from 'node:crypto';
import { keyId, parseKey, TokenCipher } from './token-cipher';

describe('TokenCipher (AES-256-GCM with key ids)', () => {
  const key = randomBytes(32);

  it('round-trips and never repeats a ciphertext', () => {
    const cipher = new TokenCipher(key);
    const a = cipher.seal('access-token-value');
    const b = cipher.seal('access-token-value');
    expect(a).not.toBe(b);
    expect(a).not.toContain('access-token-value');
    expect(cipher.open(a)).toBe('access-token-value');
    expect(a.split(':')[1]).toBe(keyId(key));
  });

  it('detects tampering', () => {
    const cipher = new TokenCipher(key);
    const sealed = cipher.seal('secret');
    const parts = sealed.split(':');
    parts[4] = Buffer.from('other').toString('base64url');
    expect(() => cipher.open(parts.join(':'))).toThrow();
  });

  it('reads values sealed with a retired key after rotation, and says they need resealing', () => {
    const old = new TokenCipher(key);
    const sealed = old.seal('refresh-token');
    const rotated = new TokenCipher(randomBytes(32), [key]);
    expect(rotated.open(sealed)).toBe('refresh-token');
    expect(rotated.needsReseal(sealed)).toBe(true);
    expect(rotated.needsReseal(rotated.seal('x'))).toBe(false);
    expect(() => new TokenCipher(randomBytes(32)).open(sealed)).toThrow(/No key with id/);
  });

  it('accepts 32-byte keys in base64 or hex only', () => {
    expect(parseKey(key.toString('hex'))).toEqual(key);
    expect(parseKey(key.toString('base64'))).toEqual(key);
    expect(() => parseKey('c2hvcnQ=')).toThrow();
  });
});
