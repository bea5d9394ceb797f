import { Injectable, Logger } from '@nestjs/common';
import { PublicRateLimits } from '../../access/public-rate-limits.service';
import { TokenCipher } from '../../common/crypto/token-cipher';
import { DomainException } from '../../common/errors/domain.exception';
import { Bitrix24ConnectionEntity } from '../bitrix24-connection.entity';
import { Bitrix24ConnectionsRepository } from '../bitrix24-connections.repository';
import { Bitrix24InstallationService } from '../bitrix24-installation.service';
import { Bitrix24InstallsService } from '../bitrix24-installs.service';
import { installation, pushedEvents } from '../connection.mapper';
import type { InstallationDto } from '../dto/connection.dto';
import type { AppFramePost } from './app-frame-post';
import type { AppFrameView } from './app-frame.page';

/** How long the page may ask for the check after installFinish. */
const TICKET_TTL_MS = 15 * 60_000;

export interface AppFrameAnswer {
  status: number;
  view: AppFrameView;
  /** Who may frame the answer: the portal's origin as the authorization server named it, or (for a refusal) the origin the post claims. */
  frameAncestor: string | null;
}

interface Ticket {
  c: string;
  m: string;
  x: number;
}

const yesNo = (value: boolean | null) => (value === null ? 'not checked' : value ? 'yes' : 'no');

/**
 * The application's own page (an interface app: settings/app-installation/installation-finish.md).
 * Bitrix24 posts it with the opener's tokens every time someone opens the app — the installer
 * and every placement too. The post is an install like any other: only an administrator's
 * tokens, proven by Bitrix24InstallVerifier, store anything — including the APPLICATION_TOKEN
 * the post carries (settings/oauth/simple-way.md: the same value events carry), which is how an
 * interface app learns its application token without trusting an event. Anyone else gets a
 * page saying an administrator must open it, and nothing changes.
 */
@Injectable()
export class Bitrix24AppFrameService {
  private readonly logger = new Logger(Bitrix24AppFrameService.name);

  constructor(
    private readonly installs: Bitrix24InstallsService,
    private readonly installation: Bitrix24InstallationService,
    private readonly connections: Bitrix24ConnectionsRepository,
    private readonly cipher: TokenCipher,
    private readonly limits: PublicRateLimits,
  ) {}

  async open(post: AppFramePost): Promise<AppFrameAnswer> {
    const { connectionId } = await this.installs.accept(
      { accessToken: post.accessToken, refreshToken: post.refreshToken, memberId: post.memberId, serverDomain: post.serverDomain ?? undefined },
      post.applicationToken,
      'app_page',
    );
    const row = await this.connections.findById(connectionId);
    if (!row) throw new DomainException('not_found', 'connection_not_found', 'The connection disappeared while the page was built');
    this.logger.log({ msg: 'application page opened by a portal administrator', connectionId, placement: post.placement, installFinished: row.appInstalled });
    return { status: 200, view: this.stateView(row), frameAncestor: originOf(row.clientEndpoint) };
  }

  /** POST /bitrix24/app/installed: after installFinish, ask Bitrix24 again with the stored credentials. */
  async confirm(ticketText: unknown): Promise<{ installation: InstallationDto }> {
    const ticket = this.openTicket(ticketText);
    const row = await this.connections.findById(ticket.c);
    if (!row || row.memberId !== ticket.m) throw new DomainException('unauthenticated', 'app_ticket_invalid', 'This page is out of date; open the application again');
    this.limits.consumePortal(row.id);
    await this.installation.reconcile(row.id);
    const fresh = await this.connections.findById(row.id);
    return { installation: installation(fresh ?? row) };
  }

  /** The page for a refused post (not an administrator, not verifiable, malformed): it changes nothing and may be framed by the origin the post claims. */
  refusalView(post: AppFramePost | null, error: DomainException): Omit<AppFrameAnswer, 'status'> {
    const notAdmin = error.code === 'installer_not_admin';
    this.logger.warn({ msg: 'application page refused; nothing stored', code: error.code });
    return {
      frameAncestor: post?.claimedPortalOrigin ?? null,
      view: {
        title: 'Employee sync',
        alert: notAdmin
          ? 'A Bitrix24 administrator must open this application first: only an administrator can connect the portal to the telephony platform or see its state here. Nothing was changed.'
          : `${error.message}. Nothing was changed.`,
        hints: notAdmin ? ['Ask a portal administrator to open Applications → Employee sync.'] : undefined,
      },
    };
  }

  private stateView(row: Bitrix24ConnectionEntity): AppFrameView {
    const pushed = pushedEvents(row);
    const facts: Array<[string, string]> = [
      ['Portal', row.domain],
      ['Telephony account', row.accountId ? 'connected' : 'not connected yet'],
      ['Connection', row.state.replace(/_/g, ' ')],
      ['Last successful sync', row.lastSuccessAt ? row.lastSuccessAt.toISOString() : 'none yet'],
      ['Installation finished', yesNo(row.appInstalled)],
      ['Events bound', row.boundEvents?.length ? row.boundEvents.join(', ') : 'none'],
      ['New hires queued offline', row.boundOfflineEvents?.includes('ONUSERADD') ? 'yes' : 'no'],
      ['New hires within seconds', pushed.enabled ? 'yes' : 'no'],
    ];
    const hints: string[] = [];
    if (!row.accountId) hints.push(`To start importing employees, connect this portal from the telephony platform’s settings: Connection → Connect Bitrix24, portal ${row.domain}.`);
    if (pushed.hint && pushed.reason !== 'installation_not_finished') hints.push(pushed.hint);
    return { title: 'Employee sync', facts, hints, finishInstall: row.appInstalled !== true, ticket: this.ticket(row) };
  }

  private ticket(row: Bitrix24ConnectionEntity): string {
    const ticket: Ticket = { c: row.id, m: row.memberId, x: Date.now() + TICKET_TTL_MS };
    return this.cipher.seal(JSON.stringify(ticket));
  }

  private openTicket(value: unknown): Ticket {
    const refused = new DomainException('unauthenticated', 'app_ticket_invalid', 'This page is out of date; open the application again');
    if (typeof value !== 'string' || value.length > 2048) throw refused;
    let ticket: Partial<Ticket>;
    try {
      ticket = JSON.parse(this.cipher.open(value)) as Partial<Ticket>;
    } catch {
      throw refused;
    }
    if (typeof ticket.c !== 'string' || typeof ticket.m !== 'string' || typeof ticket.x !== 'number' || ticket.x < Date.now()) throw refused;
    return ticket as Ticket;
  }
}

function originOf(url: string | null): string | null {
  try {
    return url ? new URL(url).origin : null;
  } catch {
    return null;
  }
}
