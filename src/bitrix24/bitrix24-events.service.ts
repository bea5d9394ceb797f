import { timingSafeEqual, createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { PublicRateLimits } from '../access/public-rate-limits.service';
import { TokenCipher } from '../common/crypto/token-cipher';
import { DomainException } from '../common/errors/domain.exception';
import { Bitrix24ConnectionsRepository } from './bitrix24-connections.repository';
import { BITRIX24_EVENT_SINK, Bitrix24EventSink } from './bitrix24-event-sink';
import { Bitrix24InstallVerifier } from './bitrix24-install-verifier.service';
import { Bitrix24OAuthService } from './bitrix24-oauth.service';
import { Bitrix24Post, parseBitrix24Post } from './bitrix24-post';

function sameSecret(a: string, b: string): boolean {
  // Hash first so lengths match and the comparison time says nothing about either.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/**
 * The handlers Bitrix24 posts to. The trust rule (README "Security model"):
 * - an install post changes something only once Bitrix24InstallVerifier has proven it
 *   (our own OAuth refresh + an administrator's token + our application);
 * - an event is authenticated only by the application token stored for its member_id
 *   (constant-time comparison); it never sets or moves anything and makes no outbound
 *   call. No stored token, or a mismatch: 401.
 */
@Injectable()
export class Bitrix24EventsService {
  private readonly logger = new Logger(Bitrix24EventsService.name);

  constructor(
    private readonly connections: Bitrix24ConnectionsRepository,
    private readonly cipher: TokenCipher,
    private readonly oauth: Bitrix24OAuthService,
    private readonly verifier: Bitrix24InstallVerifier,
    private readonly limits: PublicRateLimits,
    @Inject(BITRIX24_EVENT_SINK) private readonly sink: Bitrix24EventSink,
  ) {}

  /**
   * ONAPPINSTALL (on-app-install.md): records the portal by member_id with its
   * application token — only after verification, with the fresh token pair and the
   * address the authorization server named. A proven reinstall of a bound portal
   * replaces its tokens and application token; anything less changes nothing.
   */
  async install(body: unknown): Promise<{ connectionId: string; bound: boolean }> {
    return this.installPost(parseBitrix24Post(body));
  }

  async handle(body: unknown): Promise<{ accepted: boolean; event: string }> {
    const post = parseBitrix24Post(body);
    if (post.event === 'ONAPPINSTALL') {
      await this.installPost(post);
      return { accepted: true, event: post.event };
    }
    const connection = post.memberId ? await this.connections.findByMemberId(post.memberId) : null;
    if (connection) this.limits.consumePortal(connection.id);
    const stored = connection?.application_token_enc ? this.cipher.open(connection.application_token_enc) : null;
    if (!connection || !stored || !post.applicationToken || !sameSecret(stored, post.applicationToken)) {
      this.logger.warn({ msg: 'event refused: unknown portal, no stored application token, or a wrong one', event: post.event, storedToken: Boolean(stored) });
      throw new DomainException('unauthenticated', 'event_not_authenticated', 'The event’s application token does not match the one stored for this portal');
    }
    switch (post.event) {
      case 'ONAPPUNINSTALL': {
        const ids = await this.connections.markUninstalled(connection.member_id);
        this.logger.log({ msg: 'application uninstalled; connection stopped, employees kept', connectionIds: ids });
        return { accepted: true, event: post.event };
      }
      case 'ONUSERADD': {
        if (!post.userIds.length) throw new DomainException('invalid', 'event_payload_invalid', 'ONUSERADD needs data[ID]');
        if (connection.account_id && connection.state === 'active') {
          await this.sink.usersAdded(connection.id, connection.account_id, post.userIds);
          return { accepted: true, event: post.event };
        }
        return { accepted: false, event: post.event };
      }
      default:
        return { accepted: false, event: post.event };
    }
  }

  private async installPost(post: Bitrix24Post): Promise<{ connectionId: string; bound: boolean }> {
    const { memberId, accessToken, refreshToken, applicationToken } = post;
    if (!memberId || !applicationToken || !accessToken || !refreshToken) {
      throw new DomainException('invalid', 'install_payload_incomplete', 'The install callback needs auth[member_id], auth[access_token], auth[refresh_token] and auth[application_token]');
    }
    const existing = await this.connections.findByMemberId(memberId);
    if (existing) this.limits.consumePortal(existing.id);
    const verified = await this.verifier.verify({ accessToken, refreshToken, memberId, serverDomain: post.serverDomain ?? undefined });
    const row = await this.connections.upsertFromInstall(verified.memberId, verified.domain, this.cipher.seal(applicationToken), {
      accessTokenEnc: this.cipher.seal(verified.accessToken),
      refreshTokenEnc: this.cipher.seal(verified.refreshToken),
      accessExpiresAt: verified.accessExpiresAt,
      clientEndpoint: verified.clientEndpoint,
      serverEndpoint: verified.serverEndpoint,
      scope: verified.scope,
      appStatus: verified.appStatus,
      bitrix24UserId: verified.userId,
    });
    if (!row.id) throw new DomainException('conflict', 'portal_connected_by_webhook', 'This portal is connected through an incoming webhook');
    this.logger.log({ msg: 'application installed on portal (verified)', connectionId: row.id, bound: Boolean(row.accountId), bitrix24UserId: verified.userId });
    if (row.accountId) {
      await this.oauth.bindEvents(row.id);
      await this.sink.connectionReady(row.id);
    }
    return { connectionId: row.id, bound: Boolean(row.accountId) };
  }
}
