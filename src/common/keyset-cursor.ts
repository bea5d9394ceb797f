import { DomainException } from './errors/domain.exception';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** PostgreSQL text cannot hold NUL (a query with one fails); no value we produce is this long. */
const SORT_VALUE = /^[^\u0000]{0,2000}$/;

/**
 * An opaque keyset cursor: a (sort value, id) pair as base64url JSON. Anything that is
 * not a value we produced is a 400, never a database error.
 */
export function encodeKeysetCursor(sortValue: string, id: string): string {
  return Buffer.from(JSON.stringify([sortValue, id]), 'utf8').toString('base64url');
}

export function decodeKeysetCursor(raw: string): { sortValue: string; id: string } {
  try {
    if (!/^[A-Za-z0-9_-]{1,4000}$/.test(raw)) throw new Error('not base64url');
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && SORT_VALUE.test(value[0]) && typeof value[1] === 'string' && UUID.test(value[1])) {
      return { sortValue: value[0], id: value[1] };
    }
  } catch {
    /* fall through */
  }
  throw new DomainException('invalid', 'invalid_cursor', 'cursor is not a value returned as nextCursor');
}
