import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const FORMAT = 'enc1';

export function parseKey(material: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(material) ? Buffer.from(material, 'hex') : Buffer.from(material, 'base64');
  if (key.length !== 32) throw new Error('An encryption key must be 32 bytes');
  return key;
}

/** A short public fingerprint of a key, stored with each ciphertext so keys can rotate. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * AES-256-GCM for secrets at rest (OAuth tokens, application tokens, webhook URLs).
 * Ciphertext format: `enc1:<keyId>:<iv>:<tag>:<data>` (base64url parts). New values
 * are always sealed with the current key; values sealed with a retired key still
 * open while that key is listed, and `needsReseal` tells callers to rewrite them.
 */
export class TokenCipher {
  private readonly current: { id: string; key: Buffer };
  private readonly keys = new Map<string, Buffer>();

  constructor(currentKey: Buffer, previousKeys: Buffer[] = []) {
    this.current = { id: keyId(currentKey), key: currentKey };
    for (const key of [currentKey, ...previousKeys]) this.keys.set(keyId(key), key);
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [FORMAT, this.current.id, iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join(':');
  }

  open(sealed: string): string {
    const [format, id, iv, tag, data] = sealed.split(':');
    if (format !== FORMAT || !id || !iv || !tag || data === undefined) throw new Error('Not an encrypted value');
    const key = this.keys.get(id);
    if (!key) throw new Error(`No key with id ${id} is configured (was TOKEN_ENCRYPTION_KEY rotated without listing the old key in TOKEN_ENCRYPTION_PREVIOUS_KEYS?)`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }

  needsReseal(sealed: string): boolean {
    return sealed.split(':')[1] !== this.current.id;
  }
}
