import { Inject, Injectable, Logger } from '@nestjs/common';
import { PublicRateLimits } from '../access/public-rate-limits.service';
import { TokenCipher } from '../common/crypto/token-cipher';
import { DomainException } from '../common/errors/domain.exception';
import { Bitrix24ConnectionsRepository } from './bitrix24-connections.repository';
import { BITRIX24_EVENT_SINK, Bitrix24EventSink } from './bitrix24-event-sink';
import { InstallationFacts } from './bitrix24-app-state.repository';
import { Bitrix24InstallationService } from './bitrix24-installation.service';
import { Bitrix24InstallVerifier, InstallProof } from './bitrix24-install-verifier.service';

export interface AcceptedInstall {
  connectionId: string;
  /** Bound to a telephony account (an owner connected it through OAuth). */
  bound: boolean;
  /** What app.info and event.get said right after (null: Bitrix24 could not be asked). */
  installation: InstallationFacts | null;
}

/**
 * Every way Bitrix24 hands us an installation — ONAPPINSTALL and ONAPPUPDATE (`auth[…]`),
 * and the interface app's page (AUTH_ID, REFRESH_ID, member_id, APPLICATION_TOKEN) — ends
 * here, and nothing is stored before Bitrix24InstallVerifier proved it (README "Security
 * model"): our own refresh at an allow-listed server, an administrator's token, our app.
 * Then the fresh pair, the authorization server's address and the posted application token
 * are stored, missing event handlers are bound (Bitrix24InstallationService.reconcile), and
 * a full run is scheduled when the connection is new to the account or was repaired.
 */
@Injectable()
export class Bitrix24InstallsService {
  private readonly logger = new Logger(Bitrix24InstallsService.name);

  constructor(
    private readonly connections: Bitrix24ConnectionsRepository,
    private readonly cipher: TokenCipher,
    private readonly verifier: Bitrix24InstallVerifier,
    private readonly installation: Bitrix24InstallationService,
    private readonly limits: PublicRateLimits,
    @Inject(BITRIX24_EVENT_SINK) private readonly sink: Bitrix24EventSink,
  ) {}

  /**
   * `applicationToken` null keeps the stored one (an app page of an older portal that
   * sends none); the application token itself is only ever taken from a proven post.
   * An event (ONAPPINSTALL, ONAPPUPDATE) always schedules a full run; an app page opened
   * by an administrator only when the connection is new or was repaired by it.
   */
  async accept(proof: InstallProof, applicationToken: string | null, via: 'event' | 'app_page'): Promise<AcceptedInstall> {
    const existing = await this.connections.findByMemberId(proof.memberId);
    if (existing) this.limits.consumePortal(existing.id);
    const verified = await this.verifier.verify(proof);
    const row = await this.connections.upsertFromInstall(verified.memberId, verified.domain, applicationToken === null ? null : this.cipher.seal(applicationToken), {
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
    const installation = await this.installation.reconcile(row.id);
    if (row.accountId && (via === 'event' || row.previousState !== 'active')) await this.sink.connectionReady(row.id);
    return { connectionId: row.id, bound: Boolean(row.accountId), installation };
  }
}
