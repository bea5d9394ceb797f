import { timingSafeEqual, createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { TokenCipher } from '../common/crypto/token-cipher';
import { DomainException } from '../common/errors/domain.exception';
import { Bitrix24ClientFactory } from './bitrix24-client.factory';
import { Bitrix24ConnectionsRepository } from './bitrix24-connections.repository';
import { BITRIX24_EVENT_SINK, Bitrix24EventSink } from './bitrix24-event-sink';
import { expiryOf } from './bitrix24-token.service';
import { Bitrix24Error } from './client/bitrix24-error';
import { assertPublicHost, assertSafeUrl } from './client/url-policy';
import { Bitrix24OAuthService } from './bitrix24-oauth.service';

/**
 * What Bitrix24 posts to an application's handlers, form-encoded with `auth[...]` keys
 * (api-reference/events/index.md, events/on-app-install.md, on-app-uninstall.md,
 * api-reference/user/events/on-user-add.md). Express's extended parser turns
 * `auth[member_id]` into `auth.member_id`.
 */
export interface Bitrix24EventPayload {
  event?: string;
  data?: Record<string, unknown>;
  ts?: string;
  auth?: {
    access_token?: string;
    refresh_token?: string;
    expires?: string;
    expires_in?: string;
    scope?: string;
    domain?: string;
    server_endpoint?: string;
    client_endpoint?: string;
    status?: string;
    member_id?: string;
    user_id?: string;
    application_token?: string;
  };
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so lengths match and the comparison time says nothing about either.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

const MEMBER_ID = /^[A-Za-z0-9_.-]{1,128}$/;

@Injectable()
export class Bitrix24EventsService {
  private readonly logger = new Logger(Bitrix24EventsService.name);

  constructor(
    private readonly connections: Bitrix24ConnectionsRepository,
    private readonly clients: Bitrix24ClientFactory,
    private readonly cipher: TokenCipher,
    private readonly oauth: Bitrix24OAuthService,
    @Inject(BITRIX24_EVENT_SINK) private readonly sink: Bitrix24EventSink,
  ) {}

  /**
   * ONAPPINSTALL: records the portal by member_id with its application token. The
   * tokens are checked with one real call to the portal named in the payload before
   * anything is stored, and a portal already bound to an account cannot be re-pointed
   * to another domain by an install post.
   */
  async install(payload: Bitrix24EventPayload): Promise<{ connectionId: string; bound: boolean }> {
    const auth = payload.auth ?? {};
    const memberId = auth.member_id ?? '';
    if (!MEMBER_ID.test(memberId) || !auth.application_token || !auth.access_token || !auth.refresh_token || !auth.domain) {
      throw new DomainException('invalid', 'install_payload_incomplete', 'The install callback needs auth[member_id], auth[domain], auth[access_token], auth[refresh_token] and auth[application_token]');
    }
    const domain = auth.domain.trim().toLowerCase();
    if (!/^[a-z0-9.-]+(:\d{1,5})?$/.test(domain)) throw new DomainException('invalid', 'install_payload_invalid', 'auth[domain] is not a host name');
    const scheme = this.clients.policy.allowInsecure && /^(127\.|localhost)/.test(domain) ? 'http' : 'https';
    const endpointUrl = assertSafeUrl(`${scheme}://${domain}/rest/`, this.clients.policy, 'auth[domain]');
    // Anyone can post here: never let a forged install make us call into a private network.
    await assertPublicHost(endpointUrl, this.clients.policy, 'auth[domain]');
    const clientEndpoint = endpointUrl.toString();
    const existing = await this.connections.findByMemberId(memberId);
    if (existing?.account_id && existing.domain !== domain) {
      throw new DomainException('conflict', 'install_domain_mismatch', 'This portal is connected under another address; reconnect it through OAuth instead');
    }
    try {
      await this.clients.forToken({ clientEndpoint, accessToken: auth.access_token, portalKey: memberId }).call('app.info');
    } catch (error) {
      this.logger.warn({ msg: 'install callback refused: the tokens do not work on the named portal', code: (error as Bitrix24Error).code });
      throw new DomainException('unauthenticated', 'install_not_verified', 'The install callback could not be verified with the portal');
    }
    const row = await this.connections.upsertFromInstall(memberId, domain, this.cipher.seal(auth.application_token), {
      accessTokenEnc: this.cipher.seal(auth.access_token),
      refreshTokenEnc: this.cipher.seal(auth.refresh_token),
      accessExpiresAt: expiryOf({ expires_in: Number(auth.expires_in) || undefined, expires: Number(auth.expires) || undefined }),
      clientEndpoint,
      serverEndpoint: auth.server_endpoint ?? null,
      scope: auth.scope ?? null,
      appStatus: auth.status ?? null,
      bitrix24UserId: auth.user_id ? Number(auth.user_id) || null : null,
    });
    this.logger.log({ msg: 'application installed on portal', connectionId: row.id, bound: Boolean(row.accountId) });
    if (row.accountId) {
      await this.oauth.bindEvents(row.id);
      await this.sink.connectionReady(row.id);
    }
    return { connectionId: row.id, bound: Boolean(row.accountId) };
  }

  /**
   * Every event is authenticated by its application token, compared in constant time
   * with the one stored for that member_id; a mismatch changes nothing.
   */
  async handle(payload: Bitrix24EventPayload): Promise<{ accepted: boolean; event: string }> {
    const event = String(payload.event ?? '').toUpperCase();
    if (event === 'ONAPPINSTALL') {
      await this.install(payload);
      return { accepted: true, event };
    }
    const memberId = payload.auth?.member_id ?? '';
    const presented = payload.auth?.application_token ?? '';
    const connection = MEMBER_ID.test(memberId) ? await this.connections.findByMemberId(memberId) : null;
    let stored = connection?.application_token_enc ? this.cipher.open(connection.application_token_enc) : null;
    if (connection && !stored && presented && (await this.eventProvenByPortal(connection, payload.auth?.access_token))) {
      await this.connections.setApplicationTokenIfMissing(connection.id, this.cipher.seal(presented));
      stored = presented;
    }
    if (!connection || !stored || !presented || !sameSecret(stored, presented)) {
      this.logger.warn({ msg: 'event refused: unknown portal or wrong application token', event });
      throw new DomainException('unauthenticated', 'event_not_authenticated', 'The event’s application token does not match this portal');
    }
    await this.followDomainChange(connection, payload.auth);
    switch (event) {
      case 'ONAPPUNINSTALL': {
        const ids = await this.connections.markUninstalled(memberId);
        this.logger.log({ msg: 'application uninstalled; connection stopped, employees kept', connectionIds: ids });
        return { accepted: true, event };
      }
      case 'ONUSERADD': {
        const userIds = this.userIds(payload.data);
        if (!userIds.length) throw new DomainException('invalid', 'event_payload_invalid', 'ONUSERADD needs data[ID]');
        if (connection.account_id && connection.state === 'active') {
          await this.sink.usersAdded(connection.id, connection.account_id, userIds);
          return { accepted: true, event };
        }
        return { accepted: false, event };
      }
      default:
        return { accepted: false, event };
    }
  }

  /**
   * A connection made through OAuth alone never saw ONAPPINSTALL, so it has no
   * application token to check events against. An event carries a fresh access token
   * (api-reference/events/index.md); if that token works on the portal address we
   * trust (from our own OAuth exchange), the event is genuine and its application
   * token is kept for every later event.
   */
  private async eventProvenByPortal(connection: { account_id: string | null; state: string; client_endpoint: string | null; id: string }, accessToken: string | undefined): Promise<boolean> {
    if (!connection.account_id || connection.state !== 'active' || !connection.client_endpoint || !accessToken) return false;
    try {
      await this.clients.forToken({ clientEndpoint: connection.client_endpoint, accessToken, portalKey: connection.id }).call('app.info');
      this.logger.log({ msg: 'application token learnt from a verified event', connectionId: connection.id });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * A portal's address can change (settings/how-to-call-rest-api/change-domen.md); an
   * authenticated event names the current one, so the connection follows it.
   */
  private async followDomainChange(connection: { id: string; client_endpoint: string | null }, auth: Bitrix24EventPayload['auth']): Promise<void> {
    const announced = auth?.client_endpoint;
    if (!announced || !connection.client_endpoint || announced === connection.client_endpoint) return;
    try {
      const url = assertSafeUrl(announced, this.clients.policy, 'auth[client_endpoint]');
      if (!/\/rest\/?$/.test(url.pathname)) return;
      await this.connections.moveTo(connection.id, url.toString(), url.host.toLowerCase());
      this.logger.log({ msg: 'portal address changed; connection follows it', connectionId: connection.id, domain: url.host });
    } catch {
      /* an unusable address in an event is ignored; the stored one stays */
    }
  }

  private userIds(data: Record<string, unknown> | undefined): number[] {
    const raw = data?.ID ?? data?.id;
    const list = Array.isArray(raw) ? raw : [raw];
    return [...new Set(list.map(Number).filter((n) => Number.isSafeInteger(n) && n > 0))].slice(0, 500);
  }
}
