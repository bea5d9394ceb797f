import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Bitrix24AppStateRepository, InstallationFacts } from './bitrix24-app-state.repository';
import { Bitrix24ClientFactory } from './bitrix24-client.factory';
import { Bitrix24ConnectionsRepository } from './bitrix24-connections.repository';
import { Bitrix24Error } from './client/bitrix24-error';

/**
 * Events bound to PUBLIC_URL/bitrix24/events (api-reference/events/event-bind.md):
 * new hires, the uninstall, and a new version of the application (common/events/on-app-update.md).
 */
export const ONLINE_EVENTS = ['ONUSERADD', 'ONAPPUNINSTALL', 'ONAPPUPDATE'] as const;
/**
 * Bound with event_type=offline too (api-reference/events/offline-events.md): Bitrix24 keeps
 * them in the portal's queue, so a new hire announced while we were down — a failed handler
 * call is never retried — is read with our own credentials at the next tick.
 */
export const OFFLINE_EVENTS = ['ONUSERADD'] as const;

interface EventGetRow {
  event?: unknown;
  handler?: unknown;
  offline?: unknown;
}

const alreadyBound = (error: unknown) => error instanceof Bitrix24Error && /already|binded|bound|ALREADY_EXIST/i.test(`${error.code} ${error.message}`);

/**
 * An application's installation as Bitrix24 sees it, read with the connection's own
 * credentials: app.info INSTALLED (settings/app-installation/installation-finish.md —
 * until an interface app's page calls installFinish, "events will not be sent to the
 * handler, even after a successful event.bind") and event.get (our online handlers and
 * offline bindings). `reconcile` also binds whatever is missing and records what it saw.
 */
@Injectable()
export class Bitrix24InstallationService {
  private readonly logger = new Logger(Bitrix24InstallationService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clients: Bitrix24ClientFactory,
    private readonly connections: Bitrix24ConnectionsRepository,
    private readonly state: Bitrix24AppStateRepository,
  ) {}

  get eventsUrl(): string {
    return `${this.config.publicUrl}/bitrix24/events`;
  }

  /**
   * app.info + event.get, then event.bind for each missing online event and offline binding
   * (offline binding needs an administrator — event.php eventBind — so its failure only
   * leaves `offlineEvents` false). A failure of the online bindings is recorded on the
   * connection (eventsError); nothing here ever fails the caller. Returns what was recorded,
   * or null when Bitrix24 could not be asked.
   */
  async reconcile(connectionId: string): Promise<InstallationFacts | null> {
    try {
      const client = await this.clients.forConnection(connectionId);
      const app = await client.call<{ INSTALLED?: unknown }>('app.info');
      const listed = await client.call<unknown>('event.get');
      const rows: EventGetRow[] = Array.isArray(listed.result) ? (listed.result as EventGetRow[]) : [];
      const isOffline = (row: EventGetRow) => String(row.offline) === '1';
      const online = new Set(rows.filter((r) => !isOffline(r) && r.handler === this.eventsUrl).map((r) => String(r.event).toUpperCase()));
      const offline = new Set(rows.filter(isOffline).map((r) => String(r.event).toUpperCase()));
      let bindError: string | null = null;
      for (const event of ONLINE_EVENTS.filter((e) => !online.has(e))) {
        try {
          await client.call('event.bind', { event, handler: this.eventsUrl });
          online.add(event);
        } catch (error) {
          if (alreadyBound(error)) online.add(event);
          else bindError = bindError ?? (error as Error).message;
        }
      }
      for (const event of OFFLINE_EVENTS.filter((e) => !offline.has(e))) {
        try {
          await client.call('event.bind', { event, event_type: 'offline' });
          offline.add(event);
        } catch (error) {
          if (alreadyBound(error)) offline.add(event);
          else this.logger.warn({ msg: 'offline event binding refused; new hires missed while we are down arrive with the next full sync', connectionId, error: (error as Error).message });
        }
      }
      const facts: InstallationFacts = {
        appInstalled: typeof app.result?.INSTALLED === 'boolean' ? app.result.INSTALLED : null,
        boundEvents: [...online].sort(),
        boundOfflineEvents: [...offline].sort(),
      };
      await this.state.recordInstallation(connectionId, facts);
      await this.connections.recordEventBinding(connectionId, online.has('ONUSERADD') ? null : (bindError ?? 'ONUSERADD is not bound').slice(0, 500));
      return facts;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn({ msg: 'installation check failed; new users will arrive with the scheduled sync', connectionId, error: message });
      await this.connections.recordEventBinding(connectionId, message.slice(0, 500));
      return null;
    }
  }
}
