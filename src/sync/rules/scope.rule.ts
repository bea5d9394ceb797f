/**
 * Which Bitrix24 users are candidates for import at all.
 *
 * USER_TYPE (api-reference/user/user-get.md, FILTER section) takes the values "employee",
 * "extranet" (an external user invited to extranet groups) and "email" (a user created from
 * e-mail correspondence). The same page says user.get does not return bots, e-mail users,
 * Open Channels users or Replica users, but those are internal account kinds (bot,
 * imconnector, replica, shop/sale buyers, …) that older or on-premise portals can still leak,
 * so we allow by name and refuse everything else instead of listing what to refuse.
 *
 * Old on-premise boxes send no USER_TYPE at all (rest/lib/api/user.php adds it to the fields
 * only in newer versions, getDefaultAllowedUserFields) and null for empty fields. Without the
 * type, the department decides, as it does in Bitrix24 itself: an intranet employee belongs
 * to a department, an extranet user to none (user.php treats "!UF_DEPARTMENT" as the mark
 * of an intranet user). So a user with no USER_TYPE and no department counts as extranet.
 * A USER_TYPE that is present but not a string is refused, like any unknown type.
 */
import { departmentIds, type Bitrix24User } from '../../bitrix24/bitrix24-user';

/**
 * true for employees (USER_TYPE "employee", or no USER_TYPE and at least one department), and
 * for extranet users (USER_TYPE "extranet", or no USER_TYPE and no department) only when the
 * connection opted in with includeExtranet; false for any other type. Case and surrounding
 * spaces are ignored. Activity is not looked at here: dismissed users stay in scope so the
 * link-state rule can see them leave.
 */
export function isInScope(user: Pick<Bitrix24User, 'USER_TYPE' | 'UF_DEPARTMENT'>, includeExtranet: boolean): boolean {
  const raw = user.USER_TYPE;
  if (raw !== undefined && raw !== null && typeof raw !== 'string') return false;
  const type = (raw ?? '').trim().toLowerCase();
  if (type === '') return departmentIds(user).length > 0 || includeExtranet;
  if (type === 'employee') return true;
  if (type === 'extranet') return includeExtranet;
  return false;
}
