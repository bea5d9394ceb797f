/**
 * Email rule. seeds/002 ("Required Fields for Bitrix24 Employees") makes the email address
 * required, and item 3 ("Employee Linking") matches employees by it, so the same address
 * must compare equal however Bitrix24 spelled it: we trim and lower-case before storing or
 * comparing. Bitrix24 returns EMAIL as a free string (api-reference/user/user-get.md).
 */

/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets including "<>", so an address ≤ 254. */
const MAX_EMAIL_LENGTH = 254;
/** RFC 5321 §4.5.3.1.1: the local part is at most 64 octets. */
const MAX_LOCAL_PART_LENGTH = 64;
/**
 * Characters that never appear unquoted in a real address. Quoted local parts
 * ("john doe"@x.ru) are legal but no mail system an employee uses hands them out, and
 * accepting them would let free text ("Ivan <ivan@x.ru>") through.
 */
const FORBIDDEN = /[\s\u0000-\u001f\u007f<>()[\]\\,;:"]/u;

/**
 * Trimmed and lower-cased, or null when there is nothing (empty, whitespace, not a string).
 * Lower-casing the local part is technically lossy (RFC 5321 lets it be case-sensitive), but
 * no real mailbox provider distinguishes case, and matching by email (seeds/002 item 3) must
 * not create a second employee for "Ivan@x.ru" vs "ivan@x.ru".
 */
export function normalizeEmail(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const value = raw.trim().toLowerCase();
  return value === '' ? null : value;
}

/**
 * A pragmatic check, not a full RFC 5322 parser: exactly one "@", a non-empty local part of at
 * most 64 characters, a domain with at least one dot and no empty labels, no whitespace or
 * address punctuation, ≤ 254 characters overall. Unicode is allowed on purpose: Russian
 * portals use IDN domains (иван@пример.рф) and "+tags" (ivan+crm@x.ru) are ordinary.
 * Expects the output of normalizeEmail (already trimmed).
 */
export function isValidEmail(normalized: string): boolean {
  if (normalized.length === 0 || normalized.length > MAX_EMAIL_LENGTH) return false;
  if (FORBIDDEN.test(normalized)) return false;
  const parts = normalized.split('@');
  if (parts.length !== 2) return false;
  const [local, domain] = parts as [string, string];
  if (local.length === 0 || local.length > MAX_LOCAL_PART_LENGTH) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  // "x.ru.", ".x.ru" and "x..ru" are typos, not domains.
  if (labels.some((label) => label.length === 0)) return false;
  // A label may not start or end with a hyphen (RFC 1035 §2.3.1, RFC 5891 §4.2.3.1).
  return labels.every((label) => !label.startsWith('-') && !label.endsWith('-'));
}
