/**
 * What an import writes to a CallGear employee. seeds/002 says the import keeps employees in
 * step with Bitrix24 (new Bitrix24 employees appear, existing ones are updated) and item 2
 * fixes the last-name format: "(bitrix24) <last name>" on create and on update.
 * The result lists exactly the fields that change, so an unchanged user yields [] and the
 * engine writes no rows (and no audit entries) for it.
 */
import type { Bitrix24User } from '../../bitrix24/bitrix24-user';
import { normalizeEmail } from './email.rule';
import { tagLastName } from './last-name.rule';
import { normalizeExtension } from './phone.rule';

export interface EmployeeFields {
  firstName: string;
  lastName: string;
  middleName: string | null;
  email: string | null;
  extension: string | null;
}

export type EmployeeField = keyof EmployeeFields;

export interface EmployeeChanges {
  next: EmployeeFields;
  changedFields: EmployeeField[];
}

/** Fixed order, so changedFields reads the same way in every report. */
const FIELDS: readonly EmployeeField[] = ['firstName', 'lastName', 'middleName', 'email', 'extension'];

function trimmed(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

/**
 * - firstName: NAME trimmed. Bitrix24 does not require a first name, CallGear's column is not
 *   nullable, so a missing one becomes '' (not null) and stays comparable.
 * - middleName: SECOND_NAME trimmed; empty → null (Bitrix24 sends "" for "none",
 *   api-reference/user/user-get.md example).
 * - lastName: tagLastName(LAST_NAME), seeds/002 item 2, on create and update alike.
 * - email: normalizeEmail(EMAIL), i.e. trimmed and lower-cased. We store the normalized form
 *   because matching compares it that way (seeds/002 item 3); a stored "Ivan@X.ru" is
 *   rewritten once to "ivan@x.ru" and is stable from then on.
 * - extension: normalizeExtension(UF_PHONE_INNER) only fills an empty extension (null or '');
 *   an existing one is never overwritten, because extensions are often set up in CallGear's
 *   telephony and Bitrix24's internal phone field is commonly stale or empty. The same
 *   fill-only rule as phones (seeds/002 item 4: numbers are added when CallGear has none).
 *   With nothing to fill, the current empty value ('' or null) is kept as it is, so it does
 *   not show up as a change on every run.
 * - current null (a new employee): every field is listed in changedFields, since all are written.
 * Values are compared exactly (===), after the normalization above.
 */
export function computeEmployeeChanges(current: EmployeeFields | null, user: Bitrix24User): EmployeeChanges {
  const middleName = trimmed(user.SECOND_NAME);
  const currentExtension = current?.extension ?? null;
  const next: EmployeeFields = {
    firstName: trimmed(user.NAME),
    lastName: tagLastName(trimmed(user.LAST_NAME)),
    middleName: middleName === '' ? null : middleName,
    email: normalizeEmail(user.EMAIL),
    extension: currentExtension !== null && currentExtension !== '' ? currentExtension : (normalizeExtension(user.UF_PHONE_INNER) ?? currentExtension),
  };
  if (current === null) return { next, changedFields: [...FIELDS] };
  return { next, changedFields: FIELDS.filter((field) => next[field] !== current[field]) };
}
