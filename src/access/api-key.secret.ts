import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const KEY_PATTERN = /^b24s_([a-z0-9]{10})_([A-Za-z0-9]{40})$/;

function randomText(length: number, alphabet = ALPHABET): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; out.length < length && i < bytes.length; i++) {
    // Rejection sampling keeps every character equally likely.
    const limit = 256 - (256 % alphabet.length);
    if (bytes[i] < limit) out += alphabet[bytes[i] % alphabet.length];
  }
  return out.length === length ? out : randomText(length, alphabet);
}

export interface NewKeySecret {
  key: string;
  prefix: string;
  hash: string;
}

/** `b24s_<prefix>_<secret>`: the prefix is public (lists, logs); ~238 bits of secret. */
export function generateKeySecret(): NewKeySecret {
  const prefix = randomText(10, 'abcdefghijkmnopqrstuvwxyz23456789');
  const key = `b24s_${prefix}_${randomText(40)}`;
  return { key, prefix, hash: hashKey(key) };
}

export function parseKey(key: string): { prefix: string } | null {
  const match = KEY_PATTERN.exec(key);
  return match ? { prefix: match[1] } : null;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
