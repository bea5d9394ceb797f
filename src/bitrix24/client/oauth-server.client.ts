import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { DomainException } from '../../common/errors/domain.exception';
import { Bitrix24Error, classifyBitrix24Error } from './bitrix24-error';
import { OutboundHttp, OutboundResponse } from './outbound-http';
import { addressRefusal, assertClientEndpoint, assertSafeUrl } from './url-policy';

/** settings/oauth/index.md ("Application Authorization") and settings/oauth/auto-renewal.md. */
export interface Bitrix24TokenResponse {
  access_token: string;
  refresh_token: string;
  expires_in?: number;
  expires?: number;
  client_endpoint: string;
  server_endpoint?: string;
  member_id?: string;
  domain?: string;
  scope?: string;
  status?: string;
  user_id?: number;
}

/**
 * Talks to the OAuth authorization server (oauth.bitrix.info). The application's
 * client_secret goes only to a host on BITRIX24_OAUTH_SERVERS: a callback or a stored
 * connection naming any other server is refused before a byte is sent.
 */
@Injectable()
export class Bitrix24OAuthServerClient {
  private readonly logger = new Logger(Bitrix24OAuthServerClient.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly http: OutboundHttp,
  ) {}

  get configured(): boolean {
    return Boolean(this.config.bitrix24.clientId && this.config.bitrix24.clientSecret);
  }

  /** The token endpoint of an allow-listed server, or a DomainException. */
  tokenEndpoint(serverDomain: string): URL {
    const host = serverDomain.trim().toLowerCase();
    if (!/^[a-z0-9.-]+(:\d{1,5})?$/.test(host) || !this.config.bitrix24.oauthServers.includes(host)) {
      throw new DomainException('forbidden', 'oauth_server_not_allowed', `The authorization server "${serverDomain}" is not on BITRIX24_OAUTH_SERVERS`);
    }
    const loopback = /^(127\.|localhost(:|$))/.test(host);
    const scheme = this.config.bitrix24.allowInsecure && loopback ? 'http' : 'https';
    return assertSafeUrl(`${scheme}://${host}/oauth/token/`, this.http.policy, 'Authorization server');
  }

  exchangeCode(serverDomain: string, code: string): Promise<Bitrix24TokenResponse> {
    return this.request(serverDomain, { grant_type: 'authorization_code', code });
  }

  /**
   * A refresh has its own, longer deadline (BITRIX24_REFRESH_TIMEOUT_MS): the server rotates
   * the refresh token when it answers, so giving up early may throw away the only valid pair.
   */
  refresh(serverDomain: string, refreshToken: string): Promise<Bitrix24TokenResponse> {
    return this.request(serverDomain, { grant_type: 'refresh_token', refresh_token: refreshToken }, this.config.bitrix24.refreshTimeoutMs);
  }

  private async request(serverDomain: string, grant: Record<string, string>, timeoutMs = this.config.bitrix24.requestTimeoutMs): Promise<Bitrix24TokenResponse> {
    const { clientId, clientSecret } = this.config.bitrix24;
    if (!clientId || !clientSecret) {
      throw new DomainException('unavailable', 'oauth_not_configured', 'BITRIX24_CLIENT_ID and BITRIX24_CLIENT_SECRET are not configured');
    }
    const url = this.tokenEndpoint(serverDomain);
    for (const [key, value] of Object.entries({ ...grant, client_id: clientId, client_secret: clientSecret })) url.searchParams.set(key, value);
    let response: OutboundResponse;
    try {
      response = await this.http.fetch(url, { method: 'GET', redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      if (addressRefusal(error)) throw new Bitrix24Error('invalid_request', 'ADDRESS_REFUSED', `The authorization server was not contacted: ${addressRefusal(error)!.message}`);
      throw new Bitrix24Error('transient', 'OAUTH_SERVER_UNREACHABLE', `The authorization server did not answer: ${(error as Error).name}`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Bitrix24Error(response.status >= 500 ? 'transient' : 'invalid_request', `HTTP_${response.status}`, `The authorization server answered ${response.status} without JSON`);
    }
    const payload = body as Partial<Bitrix24TokenResponse> & { error?: string };
    if (!response.ok || payload.error || !payload.access_token || !payload.refresh_token || !payload.client_endpoint) {
      const error = classifyBitrix24Error(response.status, payload.error ? payload : { error: 'invalid_response' });
      this.logger.warn({ msg: 'authorization server refused', grant: grant.grant_type, code: error.code, status: response.status });
      throw error;
    }
    return payload as Bitrix24TokenResponse;
  }

  /**
   * The answer's client_endpoint when it passes the address policy (normalized), else
   * null: the trusted source of a portal's address, but still only a URL from the network.
   */
  trustedClientEndpoint(raw: unknown): string | null {
    try {
      return assertClientEndpoint(raw, this.http.policy);
    } catch (error) {
      this.logger.warn({ msg: 'authorization server named a portal address the policy refuses; kept the stored one', error: (error as Error).message });
      return null;
    }
  }
}
