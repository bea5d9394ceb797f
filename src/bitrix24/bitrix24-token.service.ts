import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TokenCipher } from '../common/crypto/token-cipher';
import { Bitrix24Error } from './client/bitrix24-error';
import { Bitrix24OAuthServerClient, Bitrix24TokenResponse } from './client/oauth-server.client';
import { KeyedMutex } from './keyed-mutex';

interface TokenRow {
  state: string;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
  access_expires_at: Date | null;
  server_endpoint: string | null;
}

/** The auth server host from a stored server_endpoint such as https://oauth.bitrix.info/rest/. */
export function serverDomainOf(serverEndpoint: string | null): string {
  if (!serverEndpoint) return 'oauth.bitrix.info';
  try {
    return new URL(serverEndpoint).host;
  } catch {
    return serverEndpoint;
  }
}

export function expiryOf(tokens: Pick<Bitrix24TokenResponse, 'expires_in' | 'expires'>, now = Date.now()): Date {
  if (tokens.expires_in) return new Date(now + Number(tokens.expires_in) * 1000);
  if (tokens.expires) return new Date(Number(tokens.expires) * 1000);
  return new Date(now + 3600 * 1000);
}

/**
 * The OAuth token lifecycle of a connection (settings/oauth/auto-renewal.md).
 * Bitrix24 rotates refresh tokens: refreshing twice with the same one kills the
 * connection. So a refresh happens only after Bitrix24 answered expired_token (or the
 * stored expiry passed), and it runs under a row lock (SELECT … FOR UPDATE): a second
 * replica waits, sees the token already changed, and uses the new one.
 */
@Injectable()
export class Bitrix24TokenService {
  private readonly logger = new Logger(Bitrix24TokenService.name);
  private readonly local = new KeyedMutex();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly cipher: TokenCipher,
    private readonly oauth: Bitrix24OAuthServerClient,
  ) {}

  async accessToken(connectionId: string): Promise<string> {
    const [row]: TokenRow[] = await this.db.query(
      `SELECT state, access_token_enc, refresh_token_enc, access_expires_at, server_endpoint FROM bitrix24_connection WHERE id = $1`,
      [connectionId],
    );
    if (!row || row.state !== 'active' || !row.access_token_enc) {
      throw new Bitrix24Error('auth_revoked', 'CONNECTION_NOT_ACTIVE', 'The connection has no usable tokens; reconnect it');
    }
    const token = this.cipher.open(row.access_token_enc);
    if (row.access_expires_at && row.access_expires_at.getTime() <= Date.now()) {
      await this.refresh(connectionId, token);
      return this.accessToken(connectionId);
    }
    return token;
  }

  /** Replaces `failedToken` with a fresh pair, unless someone already did. */
  async refresh(connectionId: string, failedToken: string): Promise<void> {
    await this.local.run(connectionId, async () => {
      let failure: Bitrix24Error | null = null;
      await this.db.transaction(async (manager) => {
        const [row]: TokenRow[] = await manager.query(
          `SELECT state, access_token_enc, refresh_token_enc, access_expires_at, server_endpoint
             FROM bitrix24_connection WHERE id = $1 FOR UPDATE`,
          [connectionId],
        );
        if (!row || row.state !== 'active' || !row.refresh_token_enc || !row.access_token_enc) {
          failure = new Bitrix24Error('auth_revoked', 'CONNECTION_NOT_ACTIVE', 'The connection has no usable tokens; reconnect it');
          return;
        }
        if (this.cipher.open(row.access_token_enc) !== failedToken) return; // another caller refreshed first
        try {
          const tokens = await this.oauth.refresh(serverDomainOf(row.server_endpoint), this.cipher.open(row.refresh_token_enc));
          const endpoint = this.oauth.trustedClientEndpoint(tokens.client_endpoint);
          await manager.query(
            `UPDATE bitrix24_connection
                SET access_token_enc = $2, refresh_token_enc = $3, access_expires_at = $4, refreshed_at = now(),
                    client_endpoint = coalesce($5, client_endpoint), scope = coalesce($6, scope), app_status = coalesce($7, app_status),
                    domain = coalesce($8, domain), updated_at = now()
              WHERE id = $1`,
            // The refresh answer is the trusted source of a moved portal's address, under the address policy.
            [connectionId, this.cipher.seal(tokens.access_token), this.cipher.seal(tokens.refresh_token), expiryOf(tokens), endpoint, tokens.scope ?? null, tokens.status ?? null, endpoint ? new URL(endpoint).host : null],
          );
          this.logger.log({ msg: 'access token refreshed', connectionId });
        } catch (error) {
          if (error instanceof Bitrix24Error && (error.kind === 'auth_revoked' || error.kind === 'payment_required')) {
            // invalid_grant / PAYMENT_REQUIRED: only the owner can fix this. Stop polling.
            await manager.query(
              `UPDATE bitrix24_connection SET state = 'reauth_required', state_reason = $2, state_changed_at = now(),
                      last_error_code = $2, last_error_message = $3, last_error_at = now(), updated_at = now()
                WHERE id = $1 AND state = 'active'`,
              [connectionId, error.code, error.message],
            );
            this.logger.warn({ msg: 'refresh refused; connection needs re-authorization', connectionId, code: error.code });
          }
          failure = error instanceof Bitrix24Error ? error : new Bitrix24Error('transient', 'REFRESH_FAILED', (error as Error).message);
        }
      });
      if (failure) throw failure;
    });
  }
}
