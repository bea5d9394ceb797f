import { timingSafeEqual, createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { PublicRateLimits } from '../access/public-rate-limits.service';
import { TokenCipher } from '../common/crypto/token-cipher';
import { DomainException } from '../common/errors/domain.exception';
import { Bitrix24ClientFactory } from './bitrix24-client.factory';
import { Bitrix24ConnectionsRepository } from './bitrix24-connections.repository';
import { Bitrix24Error } from './client/bitrix24-error';
import { BITRIX24_EVENT_SINK, Bitrix24EventSink } from './bitrix24-event-sink';
import { Bitrix24InstallationService } from './bitrix24-installation.service';
import { Bitrix24InstallsService } from './bitrix24-installs.service';
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
 *   call before that. No stored token, or a mismatch: 401. ONAPPUPDATE with a token pair
 *   is an install (verified like ONAPPINSTALL); without one, an authenticated ONAPPUPDATE
 *   only makes us re-read app.info / event.get with our own stored credentials.
 */
@Injectable()
export class Bitrix24EventsService {
  private readonly logger = new Logger(Bitrix24EventsService.name);

  constructor(
    private readonly connections: Bitrix24ConnectionsRepository,
    private readonly cipher: TokenCipher,
    private readonly installs: Bitrix24InstallsService,
    private readonly installation: Bitrix24InstallationService,
    private readonly limits: PublicRateLimits,
    private readonly clients: Bitrix24ClientFactory,
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
    // ONAPPINSTALL, and ONAPPUPDATE with its token pair (on-app-update.md: it carries a refresh
    // token and "the updated application_token"), are installs: proven by the verifier like any,
    // never by the application token they bring.
    if (post.event === 'ONAPPINSTALL' || (post.event === 'ONAPPUPDATE' && post.refreshToken)) {
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
        // Everyone who opens an interface app receives the application token (simple-way.md),
        // so the token alone proves no uninstall. on-app-uninstall.md: the app's access is
        // removed before the event is sent — if our own stored credentials still work, it was not.
        if (await this.stillInstalled(connection.id)) {
          this.logger.warn({ msg: 'ONAPPUNINSTALL refused: the application still answers with our stored credentials', connectionId: connection.id });
          throw new DomainException('conflict', 'uninstall_not_confirmed', 'Bitrix24 still answers for this application, so it was not uninstalled; nothing changed');
        }
        const ids = await this.connections.markUninstalled(connection.member_id);
        this.logger.log({ msg: 'application uninstalled; connection stopped, employees kept', connectionIds: ids });
        return { accepted: true, event: post.event };
      }
      case 'ONAPPUPDATE': {
        // Without a token pair there is nothing to store: look again, with our own credentials,
        // whether the new version is installed (an interface app must finish installing again)
        // and bind what the new version lost.
        await this.installation.reconcile(connection.id);
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

  /** app.info with the connection's own credentials; only an answer that they are dead (auth_revoked) means the app is gone. */
  private async stillInstalled(connectionId: string): Promise<boolean> {
    try {
      await (await this.clients.forConnection(connectionId)).call('app.info');
      return true;
    } catch (error) {
      return !(error instanceof Bitrix24Error && error.kind === 'auth_revoked');
    }
  }

  private async installPost(post: Bitrix24Post): Promise<{ connectionId: string; bound: boolean }> {
    const { memberId, accessToken, refreshToken, applicationToken } = post;
    if (!memberId || !applicationToken || !accessToken || !refreshToken) {
      throw new DomainException('invalid', 'install_payload_incomplete', 'The install callback needs auth[member_id], auth[access_token], auth[refresh_token] and auth[application_token]');
    }
    const accepted = await this.installs.accept({ accessToken, refreshToken, memberId, serverDomain: post.serverDomain ?? undefined }, applicationToken, 'event');
    return { connectionId: accepted.connectionId, bound: accepted.bound };
  }
}
