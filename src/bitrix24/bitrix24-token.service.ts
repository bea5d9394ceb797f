import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TokenCipher } from '../common/crypto/token-cipher';
import { queryRows } from '../database/query-rows';
import { Bitrix24Error } from './client/bitrix24-error';
import { Bitrix24OAuthServerClient, Bitrix24TokenResponse } from './client/oauth-server.client';
import { KeyedMutex } from './keyed-mutex';

interface TokenRow {
  state: string;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
  access_expires_at: Date | null;
  server_endpoint: string | null;
  /** Milliseconds since a refresh was recorded as sent and not answered (null: none in flight). */
  in_flight_ms: number | null;
  /** An earlier refresh ended without an answer. */
  unanswered: boolean;
}

/** The state_reason (and log code) of a connection whose rotated pair never reached us. */
export const TOKEN_ROTATION_LOST = 'token_rotation_lost';

const ROTATION_LOST_MESSAGE =
  'Bitrix24 renewed this connection\'s authorization but its answer never reached the service, so the saved token no longer works. ' +
  'A Bitrix24 administrator opening the application in Bitrix24, or reinstalling or updating it, restores the connection by itself; otherwise connect the portal again';

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
 * Bitrix24 rotates refresh tokens: the answer carries the new pair, and the old refresh
 * token is spent ("Retain the new pair instead of the previous one"). So:
 * - a refresh happens only after Bitrix24 answered expired_token (or the stored expiry passed);
 * - it is recorded on the row before it is sent (`refresh_started_at`, compare-and-set on the
 *   access token it replaces), which is also the lock between replicas: a second replica sees
 *   the refresh in flight and waits for its answer instead of spending the same token again;
 * - it has its own deadline (BITRIX24_REFRESH_TIMEOUT_MS), never the ordinary request timeout;
 * - an answer that never arrives is remembered (`refresh_unanswered_at`; a replica that died
 *   mid-refresh leaves `refresh_started_at` behind, which counts the same once its deadline is
 *   over). The next refresh still tries the stored token (the request may never have reached
 *   Bitrix24); if Bitrix24 refuses it, the pair was rotated and lost: the connection asks the owner with TOKEN_ROTATION_LOST —
 *   unless a fresh verified pair arrives first (ONAPPINSTALL and ONAPPUPDATE carry one,
 *   on-app-install.md / on-app-update.md, and so does the application page, simple-way.md
 *   AUTH_ID / REFRESH_ID: Bitrix24InstallsService stores it and repairs the connection).
 */
@Injectable()
export class Bitrix24TokenService {
  private readonly logger = new Logger(Bitrix24TokenService.name);
  private readonly local = new KeyedMutex();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly cipher: TokenCipher,
    private readonly oauth: Bitrix24OAuthServerClient,
  ) {}

  async accessToken(connectionId: string): Promise<string> {
    const row = await this.load(connectionId);
    const token = this.cipher.open(row.access_token_enc!);
    if (row.access_expires_at && row.access_expires_at.getTime() <= Date.now()) {
      await this.refresh(connectionId, token);
      return this.accessToken(connectionId);
    }
    return token;
  }

  /** Replaces `failedToken` with a fresh pair, unless someone already did. */
  async refresh(connectionId: string, failedToken: string): Promise<void> {
    await this.local.run(connectionId, () => this.refreshOnce(connectionId, failedToken));
  }

  private async refreshOnce(connectionId: string, failedToken: string): Promise<void> {
    const timeoutMs = this.config.bitrix24.refreshTimeoutMs;
    // A refresh recorded longer ago than its deadline (plus slack for clocks and commits) is over: its answer was lost.
    const staleMs = timeoutMs + 5_000;
    const waitUntil = Date.now() + staleMs + 1_000;
    for (;;) {
      const row = await this.load(connectionId, true);
      if (this.cipher.open(row.access_token_enc!) !== failedToken) return; // another caller refreshed first
      if (row.in_flight_ms !== null && row.in_flight_ms < staleMs) {
        // Another replica's refresh is in flight: its answer is the next pair; ours would spend the same token twice.
        if (Date.now() > waitUntil) throw new Bitrix24Error('transient', 'REFRESH_IN_PROGRESS', 'Another instance is renewing the Bitrix24 authorization');
        await sleep(200);
        continue;
      }
      // A refresh that died in flight (its replica is gone) or ended unanswered may have rotated the pair.
      const earlierLost = row.in_flight_ms !== null || row.unanswered;
      const claimed: unknown[] = await queryRows(this.db, `UPDATE bitrix24_connection SET refresh_started_at = now()
          WHERE id = $1 AND state = 'active' AND access_token_enc = $2
            AND (refresh_started_at IS NULL OR refresh_started_at < now() - make_interval(secs => $3))
          RETURNING id`,
        [connectionId, row.access_token_enc, staleMs / 1000],
      );
      if (!claimed.length) continue; // someone else moved first: look again
      if (earlierLost) this.logger.warn({ msg: 'an earlier token refresh was never answered; trying the stored token', connectionId, code: 'refresh_answer_missing' });
      return this.send(connectionId, row, earlierLost);
    }
  }

  private async send(connectionId: string, row: TokenRow, earlierLost: boolean): Promise<void> {
    let tokens: Bitrix24TokenResponse;
    try {
      tokens = await this.oauth.refresh(serverDomainOf(row.server_endpoint), this.cipher.open(row.refresh_token_enc!));
    } catch (error) {
      const failure = error instanceof Bitrix24Error ? error : new Bitrix24Error('transient', 'REFRESH_FAILED', (error as Error).message);
      throw await this.refused(connectionId, row, failure, earlierLost);
    }
    const endpoint = this.oauth.trustedClientEndpoint(tokens.client_endpoint);
    const stored: unknown[] = await queryRows(this.db, `UPDATE bitrix24_connection
          SET access_token_enc = $3, refresh_token_enc = $4, access_expires_at = $5, refreshed_at = now(), refresh_started_at = NULL, refresh_unanswered_at = NULL,
              client_endpoint = coalesce($6, client_endpoint), scope = coalesce($7, scope), app_status = coalesce($8, app_status),
              domain = coalesce($9, domain), updated_at = now()
        WHERE id = $1 AND access_token_enc = $2
        RETURNING id`,
      // The refresh answer is the trusted source of a moved portal's address, under the address policy.
      [connectionId, row.access_token_enc, this.cipher.seal(tokens.access_token), this.cipher.seal(tokens.refresh_token), expiryOf(tokens), endpoint, tokens.scope ?? null, tokens.status ?? null, endpoint ? new URL(endpoint).host : null],
    );
    // Not stored: a verified install replaced the pair meanwhile; that one is the newer and stays.
    this.logger.log({ msg: stored.length ? 'access token refreshed' : 'access token refreshed, but a newer pair was stored meanwhile', connectionId });
  }

  /** What a failed refresh leaves behind; returns the error to throw. */
  private async refused(connectionId: string, row: TokenRow, error: Bitrix24Error, earlierLost: boolean): Promise<Bitrix24Error> {
    if (error.kind === 'auth_revoked' || error.kind === 'payment_required') {
      // invalid_grant / PAYMENT_REQUIRED: only the owner can fix this. Stop polling. After a lost
      // answer, invalid_grant means Bitrix24 rotated the pair we never received: say so.
      const lost = earlierLost && error.kind === 'auth_revoked';
      const reason = lost ? TOKEN_ROTATION_LOST : error.code;
      const changed: unknown[] = await queryRows(this.db, `UPDATE bitrix24_connection SET state = 'reauth_required', state_reason = $3, state_changed_at = now(),
                refresh_started_at = NULL, refresh_unanswered_at = NULL,
                last_error_code = $3, last_error_message = $4, last_error_at = now(), updated_at = now()
          WHERE id = $1 AND state = 'active' AND access_token_enc = $2
          RETURNING id`,
        [connectionId, row.access_token_enc, reason, lost ? ROTATION_LOST_MESSAGE : error.message],
      );
      if (changed.length) this.logger.warn({ msg: lost ? 'the rotated token pair was lost; connection needs re-authorization' : 'refresh refused; connection needs re-authorization', connectionId, code: reason });
      return lost ? new Bitrix24Error('auth_revoked', TOKEN_ROTATION_LOST, ROTATION_LOST_MESSAGE, error.status) : error;
    }
    // No answer (timeout, connection dropped): Bitrix24 may have rotated the pair, so that is
    // remembered. An error answer rotated nothing: the stored token is as good as before.
    const unanswered = error.code === 'OAUTH_SERVER_UNREACHABLE';
    await this.db.query(
      `UPDATE bitrix24_connection SET refresh_started_at = NULL, refresh_unanswered_at = CASE WHEN $3 THEN coalesce(refresh_unanswered_at, now()) ELSE refresh_unanswered_at END
        WHERE id = $1 AND access_token_enc = $2`,
      [connectionId, row.access_token_enc, unanswered],
    );
    if (unanswered) this.logger.warn({ msg: 'token refresh not answered; Bitrix24 may have rotated the pair', connectionId, code: 'refresh_answer_missing' });
    return error;
  }

  private async load(connectionId: string, forRefresh = false): Promise<TokenRow> {
    const [row]: TokenRow[] = await this.db.query(
      `SELECT state, access_token_enc, refresh_token_enc, access_expires_at, server_endpoint,
              (extract(epoch FROM now() - refresh_started_at) * 1000)::float8 AS in_flight_ms,
              refresh_unanswered_at IS NOT NULL AS unanswered
         FROM bitrix24_connection WHERE id = $1`,
      [connectionId],
    );
    if (!row || row.state !== 'active' || !row.access_token_enc || (forRefresh && !row.refresh_token_enc)) {
      throw new Bitrix24Error('auth_revoked', 'CONNECTION_NOT_ACTIVE', 'The connection has no usable tokens; reconnect it');
    }
    return row;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
