import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NOT_ADMIN } from './admin-rights';
import { Bitrix24ConnectionEntity } from './bitrix24-connection.entity';
import { queryRows } from '../database/query-rows';

export interface SealedTokens {
  accessTokenEnc: string;
  refreshTokenEnc: string;
  accessExpiresAt: Date;
  clientEndpoint: string;
  serverEndpoint: string | null;
  scope: string | null;
  appStatus: string | null;
  bitrix24UserId: number | null;
}

/**
 * The connection table's hand-written SQL: upserts keyed by member_id and state
 * transitions as compare-and-set. Methods that serve the API take the account id.
 */
/**
 * States a verified install repairs: the verifier proved a fresh token pair of a portal
 * administrator for our app (Bitrix24InstallVerifier), which is exactly what a reinstall
 * after an uninstall, a lost token rotation (reauth_required) or a non-admin connect
 * (insufficient_rights, admin-rights.ts) was waiting for. A disconnect by the owner is not
 * undone by the portal.
 */
const REPAIRED = `bitrix24_connection.state IN ('uninstalled', 'reauth_required', 'insufficient_rights')`;

@Injectable()
export class Bitrix24ConnectionsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Rows with the sealed webhook URL and application token (not selected by default; the mapper shows only whether one is stored). */
  private query() {
    return this.db.getRepository(Bitrix24ConnectionEntity).createQueryBuilder('c').addSelect('c.webhookUrlEnc').addSelect('c.applicationTokenEnc');
  }

  listForAccount(accountId: string): Promise<Bitrix24ConnectionEntity[]> {
    return this.query().where('c.accountId = :accountId', { accountId }).orderBy('c.createdAt', 'ASC').getMany();
  }

  findForAccount(accountId: string, id: string): Promise<Bitrix24ConnectionEntity | null> {
    return this.query().where('c.accountId = :accountId AND c.id = :id', { accountId, id }).getOne();
  }

  /** For the sync engine and the REST client, which work for any account. */
  findById(id: string): Promise<Bitrix24ConnectionEntity | null> {
    return this.query().where('c.id = :id', { id }).getOne();
  }

  /** The connection of a portal (any account), with the sealed application token for event checks. */
  async findByMemberId(
    memberId: string,
  ): Promise<{ id: string; member_id: string; account_id: string | null; state: string; domain: string; client_endpoint: string | null; application_token_enc: string | null } | null> {
    const [row] = await this.db.query(
      `SELECT id, member_id, account_id, state, domain, client_endpoint, application_token_enc FROM bitrix24_connection WHERE member_id = $1`,
      [memberId],
    );
    return row ?? null;
  }

  /**
   * Stores the result of an account's OAuth flow. The same member_id again updates
   * the row (never a duplicate); a row installed before OAuth is bound to the account.
   * Returns null when the portal belongs to another account.
   */
  async upsertFromOAuth(accountId: string, memberId: string, domain: string, tokens: SealedTokens): Promise<string | null> {
    const rows: Array<{ id: string }> = await this.db.query(
      `INSERT INTO bitrix24_connection (account_id, member_id, auth_type, domain, client_endpoint, server_endpoint, scope, app_status,
                                        access_token_enc, refresh_token_enc, access_expires_at, refreshed_at, bitrix24_user_id,
                                        state, state_changed_at, bound_at, next_sync_at)
       VALUES ($1, $2, 'oauth', $3, $4, $5, $6, $7, $8, $9, $10, now(), $11, 'active', now(), now(), now())
       ON CONFLICT (member_id) DO UPDATE SET
         account_id = EXCLUDED.account_id, auth_type = 'oauth', domain = EXCLUDED.domain,
         client_endpoint = EXCLUDED.client_endpoint, server_endpoint = EXCLUDED.server_endpoint,
         scope = EXCLUDED.scope, app_status = EXCLUDED.app_status,
         access_token_enc = EXCLUDED.access_token_enc, refresh_token_enc = EXCLUDED.refresh_token_enc,
         access_expires_at = EXCLUDED.access_expires_at, refreshed_at = now(), refresh_started_at = NULL, refresh_unanswered_at = NULL, bitrix24_user_id = EXCLUDED.bitrix24_user_id,
         webhook_url_enc = NULL,
         -- An install callback is only as trustworthy as its sender; if the portal the
         -- owner just authorized is not the one that install named, forget its token.
         application_token_enc = CASE WHEN bitrix24_connection.account_id IS NULL AND bitrix24_connection.domain <> EXCLUDED.domain
                                      THEN NULL ELSE bitrix24_connection.application_token_enc END,
         state = 'active', state_reason = NULL, state_changed_at = now(), bound_at = coalesce(bitrix24_connection.bound_at, now()),
         consecutive_failures = 0, last_error_code = NULL, last_error_message = NULL, last_error_at = NULL,
         next_sync_at = now(), updated_at = now()
       WHERE bitrix24_connection.account_id IS NULL OR bitrix24_connection.account_id = EXCLUDED.account_id
       RETURNING id`,
      [accountId, memberId, domain, tokens.clientEndpoint, tokens.serverEndpoint, tokens.scope, tokens.appStatus,
        tokens.accessTokenEnc, tokens.refreshTokenEnc, tokens.accessExpiresAt, tokens.bitrix24UserId],
    );
    return rows[0]?.id ?? null;
  }

  /**
   * A verified install (Bitrix24InstallVerifier): records the portal and its application
   * token. An already bound connection gets the new application token, the fresh token
   * pair and the address the authorization server named, so a reinstall repairs it.
   * Never call this with anything that has not been verified.
   */
  async upsertFromInstall(memberId: string, domain: string, applicationTokenEnc: string | null, tokens: SealedTokens): Promise<{ id: string; accountId: string | null; previousState: string | null }> {
    const [row]: Array<{ id: string; account_id: string | null; previous_state: string | null }> = await this.db.query(
      `WITH previous AS (SELECT state FROM bitrix24_connection WHERE member_id = $1)
       INSERT INTO bitrix24_connection (member_id, auth_type, domain, client_endpoint, server_endpoint, scope, app_status,
                                        application_token_enc, access_token_enc, refresh_token_enc, access_expires_at, refreshed_at,
                                        bitrix24_user_id, state, installed_at)
       VALUES ($1, 'oauth', $2, $3, $4, $5, $6, $7, $8, $9, $10, now(), $11, 'active', now())
       ON CONFLICT (member_id) DO UPDATE SET
         domain = EXCLUDED.domain, client_endpoint = EXCLUDED.client_endpoint, server_endpoint = EXCLUDED.server_endpoint,
         scope = EXCLUDED.scope, app_status = EXCLUDED.app_status,
         -- An app page of a portal that sends no APPLICATION_TOKEN keeps the stored one.
         application_token_enc = coalesce(EXCLUDED.application_token_enc, bitrix24_connection.application_token_enc),
         access_token_enc = EXCLUDED.access_token_enc, refresh_token_enc = EXCLUDED.refresh_token_enc,
         access_expires_at = EXCLUDED.access_expires_at, refreshed_at = now(), refresh_started_at = NULL, refresh_unanswered_at = NULL, installed_at = now(),
         -- The pair now belongs to the verified installer, who is a portal administrator.
         bitrix24_user_id = EXCLUDED.bitrix24_user_id,
         state = CASE WHEN ${REPAIRED} THEN 'active' ELSE bitrix24_connection.state END,
         state_reason = CASE WHEN ${REPAIRED} THEN NULL ELSE bitrix24_connection.state_reason END,
         state_changed_at = CASE WHEN ${REPAIRED} THEN now() ELSE bitrix24_connection.state_changed_at END,
         consecutive_failures = CASE WHEN ${REPAIRED} THEN 0 ELSE bitrix24_connection.consecutive_failures END,
         last_error_code = CASE WHEN ${REPAIRED} THEN NULL ELSE bitrix24_connection.last_error_code END,
         last_error_message = CASE WHEN ${REPAIRED} THEN NULL ELSE bitrix24_connection.last_error_message END,
         next_sync_at = CASE WHEN ${REPAIRED} THEN now() ELSE bitrix24_connection.next_sync_at END,
         updated_at = now()
       WHERE bitrix24_connection.auth_type = 'oauth'
       RETURNING id, account_id, (SELECT state FROM previous) AS previous_state`,
      [memberId, domain, tokens.clientEndpoint, tokens.serverEndpoint, tokens.scope, tokens.appStatus, applicationTokenEnc,
        tokens.accessTokenEnc, tokens.refreshTokenEnc, tokens.accessExpiresAt, tokens.bitrix24UserId],
    );
    return { id: row?.id, accountId: row?.account_id ?? null, previousState: row?.previous_state ?? null };
  }

  async upsertWebhook(accountId: string, memberId: string, domain: string, webhookUrlEnc: string, scope: string, edition: string, userId: number): Promise<string | null> {
    const rows: Array<{ id: string }> = await this.db.query(
      `INSERT INTO bitrix24_connection (account_id, member_id, auth_type, domain, webhook_url_enc, scope, edition, bitrix24_user_id,
                                        state, state_changed_at, bound_at, next_sync_at)
       VALUES ($1, $2, 'webhook', $3, $4, $5, $6, $7, 'active', now(), now(), now())
       ON CONFLICT (member_id) DO UPDATE SET
         webhook_url_enc = EXCLUDED.webhook_url_enc, scope = EXCLUDED.scope, edition = EXCLUDED.edition, domain = EXCLUDED.domain,
         state = 'active', state_reason = NULL, state_changed_at = now(), consecutive_failures = 0,
         last_error_code = NULL, last_error_message = NULL, last_error_at = NULL, next_sync_at = now(), updated_at = now()
       WHERE bitrix24_connection.account_id = EXCLUDED.account_id
       RETURNING id`,
      [accountId, memberId, domain, webhookUrlEnc, scope, edition, userId],
    );
    return rows[0]?.id ?? null;
  }

  async recordEventBinding(id: string, error: string | null): Promise<void> {
    await this.db.query(
      `UPDATE bitrix24_connection SET events_bound_at = CASE WHEN $2::text IS NULL THEN now() ELSE events_bound_at END, events_error = $2, updated_at = now() WHERE id = $1`,
      [id, error],
    );
  }

  /**
   * The connection's Bitrix24 user is not a portal administrator (admin-rights.ts): it stops
   * being polled until an administrator connects again. Compare-and-set from active.
   */
  async markInsufficientRights(id: string, message: string): Promise<boolean> {
    const rows: unknown[] = await queryRows(this.db, `UPDATE bitrix24_connection
          SET state = 'insufficient_rights', state_reason = '${NOT_ADMIN}', state_changed_at = now(),
              last_error_code = '${NOT_ADMIN}', last_error_message = $2, last_error_at = now(), updated_at = now()
        WHERE id = $1 AND state = 'active'
        RETURNING id`,
      [id, message.slice(0, 1000)],
    );
    return rows.length > 0;
  }

  /** ONAPPUNINSTALL: every connection of the portal stops; tokens are wiped; employees stay. */
  async markUninstalled(memberId: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await queryRows(this.db, `UPDATE bitrix24_connection
          SET state = 'uninstalled', state_reason = 'app_uninstalled', state_changed_at = now(),
              access_token_enc = NULL, refresh_token_enc = NULL, application_token_enc = NULL, access_expires_at = NULL, refresh_started_at = NULL, refresh_unanswered_at = NULL,
              events_bound_at = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE member_id = $1 AND auth_type = 'oauth'
        RETURNING id`,
      [memberId],
    );
    return rows.map((r) => r.id);
  }

  /** Disconnect by the owner: secrets wiped, polling stops, employees and links stay. */
  async disconnect(accountId: string, id: string): Promise<boolean> {
    const rows: unknown[] = await queryRows(this.db, `UPDATE bitrix24_connection
          SET state = 'disconnected', state_reason = 'disconnected_by_owner', state_changed_at = now(),
              access_token_enc = NULL, refresh_token_enc = NULL, webhook_url_enc = NULL, access_expires_at = NULL, refresh_started_at = NULL, refresh_unanswered_at = NULL,
              events_bound_at = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE account_id = $1 AND id = $2
        RETURNING id`,
      [accountId, id],
    );
    return rows.length > 0;
  }

  async updateSettings(accountId: string, id: string, patch: Record<string, unknown>): Promise<void> {
    const entries = Object.entries(patch).filter(([, value]) => value !== undefined);
    if (!entries.length) return;
    const sets = entries.map(([column], i) => `${column} = $${i + 3}`);
    await this.db.query(`UPDATE bitrix24_connection SET ${sets.join(', ')}, updated_at = now() WHERE account_id = $1 AND id = $2`, [
      accountId,
      id,
      ...entries.map(([, value]) => value),
    ]);
  }
}
