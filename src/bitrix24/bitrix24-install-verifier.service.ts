import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DomainException } from '../common/errors/domain.exception';
import { Bitrix24ClientFactory } from './bitrix24-client.factory';
import { expiryOf } from './bitrix24-token.service';
import { Bitrix24Error } from './client/bitrix24-error';
import { Bitrix24OAuthServerClient, Bitrix24TokenResponse } from './client/oauth-server.client';
import { assertClientEndpoint } from './client/url-policy';

/** What an install post presents (ONAPPINSTALL `auth[…]`, or an app frame's AUTH_ID / REFRESH_ID / member_id). */
export interface InstallProof {
  accessToken: string;
  refreshToken: string;
  memberId: string;
  /** The post's `auth[server_endpoint]` host: used only when it is on BITRIX24_OAUTH_SERVERS. */
  serverDomain?: string;
}

/** An install proven by our own OAuth refresh and an administrator's token: safe to store. */
export interface VerifiedInstall {
  /** From the authorization server's answer (equal to the posted one). */
  memberId: string;
  /** The portal's REST address from the authorization server, scheme and port kept, under the address policy. */
  clientEndpoint: string;
  /** host[:port] of clientEndpoint. */
  domain: string;
  serverEndpoint: string | null;
  /** The installing administrator. */
  userId: number | null;
  /** The fresh pair from our refresh (the posted pair is spent by it). */
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: Date;
  scope: string | null;
  appStatus: string | null;
}

/**
 * Proves an install post before anything is stored. Anyone who opens the application in
 * a portal gets working app tokens for it, so a post's tokens, domain and member_id are
 * all the caller's word. Verification therefore:
 * 1. refreshes the posted refresh token at an allow-listed authorization server
 *    (settings/oauth/auto-renewal.md) — only a genuine token of *our* application
 *    refreshes with our client secret, and the answer is the trusted source of
 *    member_id, client_endpoint, server_endpoint, user_id and a fresh token pair;
 * 2. requires the answer's member_id to equal the posted one;
 * 3. with the fresh access token, at that client_endpoint (address policy applied),
 *    requires `user.admin` to be true (api-reference/common/users/user-admin.md): only
 *    a portal administrator may set a portal's secrets;
 * 4. requires `app.info` to answer for our application: CODE equal to BITRIX24_APP_CODE
 *    (default the client id, which is a local application's code — rest/lib/app.php).
 *    app.info names no portal (api-reference/common/system/app-info.md), so the portal
 *    identity is the authorization server's member_id.
 * The caller-named `auth[domain]` is never contacted. Any failure throws a 4xx
 * DomainException (503 when the authorization server is down) and nothing may be
 * stored. Used by the ONAPPINSTALL handlers; stream PORTALS calls it for the
 * interface-app install POST (AUTH_ID, REFRESH_ID, member_id).
 */
@Injectable()
export class Bitrix24InstallVerifier {
  private readonly logger = new Logger(Bitrix24InstallVerifier.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly oauthServer: Bitrix24OAuthServerClient,
    private readonly clients: Bitrix24ClientFactory,
  ) {}

  async verify(proof: InstallProof): Promise<VerifiedInstall> {
    if (!this.oauthServer.configured) {
      throw new DomainException('unavailable', 'oauth_not_configured', 'This service has no Bitrix24 application configured, so installs cannot be verified');
    }
    const tokens = await this.refresh(proof);
    if (!tokens.member_id || tokens.member_id !== proof.memberId) {
      this.logger.warn({ msg: 'install refused: the authorization server answered for another portal' });
      throw new DomainException('forbidden', 'install_member_mismatch', 'The install post names a different portal than its tokens belong to');
    }
    const clientEndpoint = assertClientEndpoint(tokens.client_endpoint, this.clients.policy);
    const client = this.clients.forToken({ clientEndpoint, accessToken: tokens.access_token });
    const admin = await this.ask(() => client.call<unknown>('user.admin'));
    if (admin.result !== true) {
      this.logger.warn({ msg: 'install refused: the installing user is not a portal administrator', bitrix24UserId: tokens.user_id ?? null });
      throw new DomainException('forbidden', 'installer_not_admin', 'Only a Bitrix24 administrator can install or reinstall the application; ask one to do it');
    }
    const app = await this.ask(() => client.call<{ CODE?: unknown }>('app.info'));
    if (!this.config.bitrix24.appCode || app.result?.CODE !== this.config.bitrix24.appCode) {
      this.logger.warn({ msg: 'install refused: app.info names another application' });
      throw new DomainException('forbidden', 'install_app_mismatch', 'The tokens belong to another Bitrix24 application');
    }
    return {
      memberId: tokens.member_id,
      clientEndpoint,
      domain: new URL(clientEndpoint).host,
      serverEndpoint: typeof tokens.server_endpoint === 'string' ? tokens.server_endpoint : null,
      userId: Number.isSafeInteger(Number(tokens.user_id)) ? Number(tokens.user_id) : null,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      accessExpiresAt: expiryOf(tokens),
      scope: typeof tokens.scope === 'string' ? tokens.scope : null,
      appStatus: typeof tokens.status === 'string' ? tokens.status : null,
    };
  }

  /** Our own refresh at an allow-listed server: the posted server is used only if it is on the list. */
  private async refresh(proof: InstallProof): Promise<Bitrix24TokenResponse> {
    const servers = this.config.bitrix24.oauthServers;
    const server = proof.serverDomain && servers.includes(proof.serverDomain.toLowerCase()) ? proof.serverDomain.toLowerCase() : servers[0];
    try {
      return await this.oauthServer.refresh(server, proof.refreshToken);
    } catch (error) {
      if (error instanceof DomainException) throw error;
      const code = error instanceof Bitrix24Error ? error.code : 'unknown';
      this.logger.warn({ msg: 'install refused: the authorization server did not refresh the posted token', code });
      if (error instanceof Bitrix24Error && error.kind === 'transient') {
        throw new DomainException('unavailable', 'authorization_server_unavailable', 'The Bitrix24 authorization server did not answer; the install can be repeated');
      }
      throw new DomainException('unauthenticated', 'install_not_verified', 'The install post could not be verified with the Bitrix24 authorization server');
    }
  }

  private async ask<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const code = error instanceof Bitrix24Error ? error.code : 'unknown';
      this.logger.warn({ msg: 'install refused: the portal did not answer with the fresh token', code });
      if (error instanceof Bitrix24Error && error.kind === 'transient') {
        throw new DomainException('unavailable', 'portal_unreachable', 'The portal did not answer; the install can be repeated');
      }
      throw new DomainException('unauthenticated', 'install_not_verified', 'The install post could not be verified with the portal');
    }
  }
}
