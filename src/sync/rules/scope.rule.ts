/**
 * Which Bitrix24 users are candidates for import at all.
 *
 * USER_TYPE (api-reference/user/user-get.md, FILTER section) takes the values "employee",
 * "extranet" (an external user invited to extranet groups) and "email" (a user created from
 * e-mail correspondence). The same page says user.get does not return bots, e-mail users,
 * Open Channels users or Replica users, but those are internal account kinds (bot,
 * imconnector, replica, shop/sale buyers, …) that older or on-premise portals can still leak,
 * so we allow by name and refuse everything else instead of listing what to refuse.
 * Older portals omit USER_TYPE from user.get results (current portals list it in user.fields,
 * api-reference/user/user-fields.md); their users are intranet employees, so missing or empty
 * counts as "employee". A USER_TYPE that is present but not a string is refused, like any
 * unknown type.
 */
import type { Bitrix24User } from '../../bitrix24/bitrix24-user';

/**
 * true for employees (USER_TYPE "employee", missing or empty), and for extranet users only when
 * the connection opted in with includeExtranet; false for any other type. Case and
 * surrounding spaces are ignored. Activity is not looked at here: dismissed users stay in
 * scope so the link-state rule can see them leave.
 */
export function isInScope(user: Pick<Bitrix24User, 'USER_TYPE'>, includeExtranet: boolean): boolean {
  const raw = user.USER_TYPE;
  if (raw !== undefined && raw !== null && typeof raw !== 'string') return false;
  const type = (raw ?? '').trim().toLowerCase();
  if (type === '' || type === 'employee') return true;
  if (type === 'extranet') return includeExtranet;
  return false;
}
