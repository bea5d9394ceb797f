import { DomainException } from '../common/errors/domain.exception';

/** Keyset position in the employee list: (sort_key, id). Opaque to clients. */
export interface EmployeeCursor {
  sortKey: string;
  id: string;
}

export function encodeCursor(cursor: EmployeeCursor): string {
  return Buffer.from(JSON.stringify([cursor.sortKey, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(raw: string): EmployeeCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      /^[0-9a-f-]{36}$/i.test(value[1])
    ) {
      return { sortKey: value[0], id: value[1] };
    }
  } catch {
    /* fall through */
  }
  throw new DomainException('invalid', 'invalid_cursor', 'cursor is not a value returned as nextCursor');
}
