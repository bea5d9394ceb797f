import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TokenCipher } from '../common/crypto/token-cipher';
import { DomainException } from '../common/errors/domain.exception';
import { insufficientRightsMessage } from './admin-rights';
import { Bitrix24ClientFactory } from './bitrix24-client.factory';
import { Bitrix24ConnectionsRepository } from './bitrix24-connections.repository';
import { BITRIX24_EVENT_SINK, Bitrix24EventSink } from './bitrix24-event-sink';
import { Bitrix24InstallationService } from './bitrix24-installation.service';
import { expiryOf } from './bitrix24-token.service';
import { Bitrix24Error } from './client/bitrix24-error';
import { Bitrix24OAuthServerClient, Bitrix24TokenResponse } from './client/oauth-server.client';
import { OutboundHttp } from './client/outbound-http';
import { addressRefusal, assertClientEndpoint, assertResolvableHost, assertSafeUrl } from './client/url-policy';
import { parsePortalAddress } from './portal-address';
import { queryRows } from '../database/query-rows';

const STATE_TTL_MINUTES = 10;
/** How long the connect probe waits for the portal to answer at all. */
const PROBE_TIMEOUT_MS = 5_000;

export interface OAuthCallbackQuery {
  code?: string;
  state?: string;
  domain?: string;
  member_id?: string;
  scope?: string;
  server_domain?: string;
}

const hashState = (state: string) => createHash('sha256').update(state).digest('hex');

/**
 * The OAuth 2.0 app flow (settings/oauth/index.md): an owner starts it from the settings
 * page, Bitrix24 sends the browser back with a code, and the code is exchanged at the
 * allow-listed authorization server. The state is random, single-use, short-lived and
 * bound to the account that started the flow and to the portal it was started for:
 * the token answer's client_endpoint must be on that portal, or nothing is connected.
 */
@Injectable()
export class Bitrix24OAuthService {
  private readonly logger = new Logger(Bitrix24OAuthService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly oauthServer: Bitrix24OAuthServerClient,
    private readonly connections: Bitrix24ConnectionsRepository,
    private readonly clients: Bitrix24ClientFactory,
    private readonly cipher: TokenCipher,
    private readonly http: OutboundHttp,
    private readonly installation: Bitrix24InstallationService,
    @Inject(BITRIX24_EVENT_SINK) private readonly sink: Bitrix24EventSink,
  ) {}

  async start(accountId: string, keyId: string, portal: string): Promise<{ authorizeUrl: string; expiresAt: string }> {
    if (!this.oauthServer.configured) {
      throw new DomainException('unavailable', 'oauth_not_configured', 'This service has no Bitrix24 application configured (BITRIX24_CLIENT_ID, BITRIX24_CLIENT_SECRET); connect with an incoming webhook instead');
    }
    const address = parsePortalAddress(portal, this.config.bitrix24.allowInsecure);
    await this.probe(assertSafeUrl(address.origin, this.clients.policy, 'portal'));
    const state = randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.now() + STATE_TTL_MINUTES * 60_000);
    await this.db.query(
      `INSERT INTO bitrix24_oauth_state (account_id, state_hash, portal_domain, portal_base_url, created_by_key_id, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [accountId, hashState(state), address.domain, address.origin, keyId, expiresAt],
    );
    // Stale states are useless; drop them while we are here.
    await this.db.query(`DELETE FROM bitrix24_oauth_state WHERE expires_at < now() - interval '1 day'`);
    const url = new URL('/oauth/authorize/', address.origin);
    url.searchParams.set('client_id', this.config.bitrix24.clientId!);
    url.searchParams.set('state', state);
    return { authorizeUrl: url.toString(), expiresAt: expiresAt.toISOString() };
  }

  /**
   * Before sending the owner's browser anywhere: the portal host resolves under the
   * address policy and answers HTTP(S) at all (any status). Otherwise a clear 4xx
   * instead of a redirect to a browser error page.
   */
  private async probe(origin: URL): Promise<void> {
    await assertResolvableHost(origin, this.clients.policy, 'portal');
    try {
      const response = await this.http.fetch(new URL('/', origin), {
        method: 'GET',
        redirect: 'manual',
        signal: AbortSignal.timeout(Math.min(PROBE_TIMEOUT_MS, this.config.bitrix24.requestTimeoutMs)),
      });
      await response.arrayBuffer().catch(() => undefined);
    } catch (error) {
      const refused = addressRefusal(error);
      if (refused) throw new DomainException('invalid', 'private_address', `portal: ${refused.message}`);
      const code = (error as { cause?: { code?: string } }).cause?.code;
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new DomainException('unprocessable', 'host_not_found', `portal: the host ${origin.host} does not resolve`);
      throw new DomainException('unprocessable', 'portal_unreachable', `portal: ${origin.host} does not answer (${(error as Error).name === 'TimeoutError' ? 'no answer in time' : (code ?? 'connection failed')}); check the address`);
    }
  }

  /** Completes the flow; returns the connection id. Throws DomainException for the error page. */
  async callback(query: OAuthCallbackQuery): Promise<string> {
    const { code, state, member_id: memberId, server_domain: serverDomain } = query;
    if (!code || !state || !memberId || !serverDomain || code.length > 512 || state.length > 128) {
      throw new DomainException('invalid', 'oauth_callback_incomplete', 'The authorization answer from Bitrix24 is incomplete (code, state, member_id and server_domain are required).');
    }
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(memberId)) throw new DomainException('invalid', 'oauth_callback_invalid', 'The portal identity (member_id) is malformed.');
    // The secret may only travel to an allow-listed server: check before consuming anything.
    this.oauthServer.tokenEndpoint(serverDomain);
    const [claimed]: Array<{ account_id: string; portal_domain: string }> = await queryRows(this.db, `UPDATE bitrix24_oauth_state SET used_at = now()
        WHERE state_hash = $1 AND used_at IS NULL AND expires_at > now()
        RETURNING account_id, portal_domain`,
      [hashState(state)],
    );
    if (!claimed) {
      throw new DomainException('invalid', 'oauth_state_invalid', 'This authorization link is invalid, expired or already used. Start the connection again from the settings page.');
    }
    let tokens: Bitrix24TokenResponse;
    try {
      tokens = await this.oauthServer.exchangeCode(serverDomain, code);
    } catch (error) {
      const reason = error instanceof Bitrix24Error ? error.code : 'unknown';
      this.logger.warn({ msg: 'code exchange failed', reason });
      throw new DomainException('upstream', 'oauth_exchange_failed', `Bitrix24 did not accept the authorization (${reason}). Start the connection again.`);
    }
    // The answer's member_id is the portal's identity (settings/oauth/index.md); the query's is the browser's word.
    if (!tokens.member_id || tokens.member_id !== memberId) {
      throw new DomainException('invalid', 'oauth_member_mismatch', 'The authorization server answered for a different portal.');
    }
    const clientEndpoint = assertClientEndpoint(tokens.client_endpoint, this.clients.policy);
    const domain = new URL(clientEndpoint).host;
    if (domain !== claimed.portal_domain) {
      this.logger.warn({ msg: 'authorization given on another portal than the flow was started for; nothing connected', startedFor: claimed.portal_domain, authorizedOn: domain });
      throw new DomainException('invalid', 'oauth_portal_mismatch', `This authorization was given on ${domain}, but the connection was started for ${claimed.portal_domain}. Nothing was connected; start again from the settings page with the portal you want to connect.`);
    }
    const id = await this.connections.upsertFromOAuth(claimed.account_id, memberId, domain, {
      accessTokenEnc: this.cipher.seal(tokens.access_token),
      refreshTokenEnc: this.cipher.seal(tokens.refresh_token),
      accessExpiresAt: expiryOf(tokens),
      clientEndpoint,
      serverEndpoint: tokens.server_endpoint ?? `https://${serverDomain}/rest/`,
      scope: tokens.scope ?? query.scope ?? null,
      appStatus: tokens.status ?? null,
      bitrix24UserId: tokens.user_id ? Number(tokens.user_id) : null,
    });
    if (!id) {
      throw new DomainException('conflict', 'portal_connected_elsewhere', 'This Bitrix24 portal is already connected to another account.');
    }
    this.logger.log({ msg: 'portal connected through OAuth', connectionId: id, domain });
    if (!(await this.connectedByAdministrator(id, tokens.user_id ? Number(tokens.user_id) : null))) return id;
    await this.bindEvents(id);
    await this.sink.connectionReady(id);
    return id;
  }

  /**
   * user.admin with the token just received (admin-rights.ts). Not an administrator: the
   * connection becomes insufficient_rights, with no events bound and no run queued. When
   * Bitrix24 does not answer, the connection stays active: the first run checks again.
   */
  private async connectedByAdministrator(connectionId: string, bitrix24UserId: number | null): Promise<boolean> {
    try {
      const client = await this.clients.forConnection(connectionId);
      if (await client.isAdministrator()) return true;
    } catch (error) {
      this.logger.warn({ msg: 'user.admin failed at connect; the first run checks again', connectionId, error: (error as Error).message });
      return true;
    }
    await this.connections.markInsufficientRights(connectionId, insufficientRightsMessage('oauth', bitrix24UserId));
    this.logger.warn({ msg: 'portal connected by a user who is not a Bitrix24 administrator; not synchronized', connectionId, bitrix24UserId });
    return false;
  }

  /**
   * Binds our event handlers (online and offline) and records what app.info / event.get say
   * (Bitrix24InstallationService.reconcile); a failure is recorded on the connection, not fatal.
   */
  async bindEvents(connectionId: string): Promise<void> {
    await this.installation.reconcile(connectionId);
  }
}
