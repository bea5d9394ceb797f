/**
 * Required fields. seeds/002 "Required Fields for Bitrix24 Employees": last name, email
 * address, and department for the on-premise version only. A user missing one is not imported;
 * the run report shows why.
 */
import { departmentIds, type Bitrix24User } from '../../bitrix24/bitrix24-user';
import { isValidEmail, normalizeEmail } from './email.rule';
import { untagLastName } from './last-name.rule';

export type Bitrix24Edition = 'cloud' | 'on_premise';

export type RequiredFieldsFailure = 'missing_last_name' | 'missing_email' | 'invalid_email' | 'missing_department';

/**
 * null when the user can be imported, else the first failing reason. Checks run in the order
 * the seed lists the fields (last name, email, department), and a report shows one reason per
 * user, so the order is part of the contract: a user with neither last name nor email is
 * reported as missing_last_name.
 *
 * - Last name: non-empty after trimming. A value that is only our "(bitrix24)" tag counts as
 *   empty, because tagging it would store a last name with no name in it.
 * - Email: missing_email when absent or blank, invalid_email when present but malformed
 *   (see email.rule.ts), since matching by email (seeds/002 item 3) needs a usable address.
 * - Department: only on on_premise; UF_DEPARTMENT must hold at least one positive id
 *   (departmentIds() drops 0, "", false and junk). Cloud portals are not checked.
 */
export function checkRequiredFields(user: Bitrix24User, edition: Bitrix24Edition): RequiredFieldsFailure | null {
  const lastName = typeof user.LAST_NAME === 'string' ? untagLastName(user.LAST_NAME) : '';
  if (lastName === '') return 'missing_last_name';

  const email = normalizeEmail(user.EMAIL);
  if (email === null) return 'missing_email';
  if (!isValidEmail(email)) return 'invalid_email';

  if (edition === 'on_premise' && departmentIds(user).length === 0) return 'missing_department';
  return null;
}
