import type { ConnectionAuthType, ConnectionState } from './bitrix24-connection.entity';
import type { Bitrix24ErrorKind } from './client/bitrix24-error';

/**
 * Who may connect a portal. rest/lib/api/user.php: `ADMIN_MODE` only takes effect when the
 * caller is a portal administrator; for anyone else user.get silently hides users without a
 * department and users outside the caller's workgroups — also in queries by ID. A sync run
 * under such a token would see fewer people than there are and take the missing ones for
 * deleted. So the product checks `user.admin` (api-reference/common/users/user-admin.md) for
 * the token in use: at connect (OAuth callback, webhook create) and at the start of every
 * full run, and stops a connection whose user is not an administrator.
 */

/** The code a connection or run records when the connecting user is not an administrator. */
export const NOT_ADMIN = 'NOT_ADMIN';

/** What the owner reads: who must do what. */
export function insufficientRightsMessage(authType: ConnectionAuthType, bitrix24UserId: number | null): string {
  const who = bitrix24UserId ? `Bitrix24 user #${bitrix24UserId}` : 'a Bitrix24 user';
  const why = 'Bitrix24 hides users without a department and users outside their workgroups from anyone else, so the import would see only part of the portal and take the rest for deleted.';
  return authType === 'webhook'
    ? `This incoming webhook belongs to ${who}, who is not a portal administrator. ${why} A Bitrix24 administrator must create the incoming webhook and connect it again; until then the portal is not synchronized.`
    : `The portal was connected by ${who}, who is not a portal administrator. ${why} A Bitrix24 administrator must connect the portal again (Connect Bitrix24); until then it is not synchronized.`;
}

/**
 * The state a failure of this kind moves a connection to, or null when it stays active and
 * is retried with backoff (transient errors, rate limits, a confirmation still pending).
 */
export function stateAfterFailure(kind: Bitrix24ErrorKind | 'internal'): Exclude<ConnectionState, 'active'> | null {
  switch (kind) {
    case 'insufficient_rights':
      return 'insufficient_rights';
    case 'auth_revoked':
    case 'insufficient_scope':
    case 'access_denied':
    case 'payment_required':
    case 'https_required':
    case 'portal_gone':
      return 'reauth_required';
    default:
      return null;
  }
}
