import type { AppConfig } from '../config/app-config';
import { readDepartmentScope } from '../sync/rules/department-scope.rule';
import { insufficientRightsMessage } from './admin-rights';
import type { Bitrix24ConnectionEntity } from './bitrix24-connection.entity';
import type { ConnectionDto, InstallationDto, PushedEventsDto } from './dto/connection.dto';

export function toConnectionDto(row: Bitrix24ConnectionEntity, config: AppConfig, webhookUrlMasked: string | null): ConnectionDto {
  return {
    id: row.id,
    authType: row.authType,
    domain: row.domain,
    portalUrl: portalUrl(row, webhookUrlMasked),
    memberId: row.memberId,
    edition: row.edition,
    state: row.state,
    stateReason: row.stateReason,
    stateMessage: stateMessage(row),
    stateChangedAt: row.stateChangedAt.toISOString(),
    scope: row.scope,
    appStatus: row.appStatus,
    webhookUrl: webhookUrlMasked,
    eventsBound: Boolean(row.eventsBoundAt),
    eventsError: row.eventsError,
    pushedEvents: pushedEvents(row),
    installation: installation(row),
    settings: {
      includeExtranet: row.includeExtranet,
      defaultCountry: row.defaultCountry,
      schedule: {
        kind: row.scheduleKind,
        intervalMinutes: row.scheduleKind === 'interval' ? (row.scheduleIntervalMinutes ?? config.sync.intervalMinutes) : null,
        dailyTimesUtc: row.scheduleKind === 'daily' ? (row.scheduleDailyTimes ?? []) : null,
      },
      removalGuardPercent: row.removalGuardPercent ?? config.sync.removalGuardPercent,
      rateLimit: { perSecond: row.rateLimitPerSecond, burst: row.rateLimitBurst },
      departmentScope: readDepartmentScope(row.departmentScope),
      departmentScopeSavedAt: row.departmentScopeSavedAt?.toISOString() ?? null,
      syncManagers: row.syncManagers,
    },
    sync: {
      nextSyncAt: row.state === 'active' ? (row.nextSyncAt?.toISOString() ?? null) : null,
      lastSuccessAt: row.lastSuccessAt?.toISOString() ?? null,
      consecutiveFailures: row.consecutiveFailures,
      lastError: row.lastErrorCode && row.lastErrorAt ? { code: row.lastErrorCode, message: row.lastErrorMessage ?? '', at: row.lastErrorAt.toISOString() } : null,
      polling: row.state === 'active',
    },
    createdAt: row.createdAt.toISOString(),
  };
}

/** Why a connection is not polled, in the owner's words (null while it is active). */
function stateMessage(row: Bitrix24ConnectionEntity): string | null {
  if (row.state === 'active') return null;
  if (row.state === 'insufficient_rights') return insufficientRightsMessage(row.authType, row.bitrix24UserId);
  if (row.state === 'reauth_required') return row.lastErrorMessage ?? 'Bitrix24 no longer accepts this connection. Connect the portal again';
  return null;
}

/** Where the portal lives (scheme included), for links and for starting OAuth again. */
function portalUrl(row: Bitrix24ConnectionEntity, webhookUrlMasked: string | null): string {
  const source = row.clientEndpoint ?? webhookUrlMasked;
  try {
    if (source) return new URL(source).origin;
  } catch {
    /* fall back to the domain */
  }
  return `https://${row.domain}`;
}

/**
 * Whether pushed events work. Events are authenticated only by the application token a
 * verified (administrator's) install stored, so an OAuth-only connection has none until
 * an administrator reinstalls the application; it still imports on schedule.
 */
export function pushedEvents(row: Pick<Bitrix24ConnectionEntity, 'authType' | 'applicationTokenEnc' | 'eventsBoundAt' | 'eventsError' | 'appInstalled'>): PushedEventsDto {
  if (row.authType === 'webhook') {
    return { enabled: false, reason: 'events_not_bound', hint: 'Incoming webhooks do not receive events; new employees arrive with the scheduled sync. Connect through the Bitrix24 application for new hires within seconds.' };
  }
  if (!row.applicationTokenEnc) {
    return {
      enabled: false,
      reason: 'no_application_token',
      hint: 'Ask a Bitrix24 administrator to reinstall the application (Applications → this application → Reinstall) so new employees arrive within seconds; until then they arrive with the scheduled sync.',
    };
  }
  if (row.appInstalled === false) {
    // installation-finish.md: until the app's page calls installFinish, "events will not be sent to the handler".
    return {
      enabled: false,
      reason: 'installation_not_finished',
      hint: 'Bitrix24 says the application’s installation is not finished, so it sends no events: a Bitrix24 administrator must open the application (Applications → this application) once. New employees arrive with the scheduled sync until then.',
    };
  }
  if (!row.eventsBoundAt) {
    return { enabled: false, reason: 'events_not_bound', hint: `Event handlers could not be bound${row.eventsError ? ` (${row.eventsError.slice(0, 200)})` : ''}; connect the portal again from this page.` };
  }
  return { enabled: true, reason: null, hint: null };
}

/** What app.info and event.get last said, and the offline queue reader's last outcome. */
export function installation(row: Pick<Bitrix24ConnectionEntity, 'appInstalled' | 'boundEvents' | 'boundOfflineEvents' | 'installationCheckedAt' | 'offlineCollectedAt' | 'offlineError'>): InstallationDto {
  return {
    installFinished: row.appInstalled,
    eventsBound: row.boundEvents,
    offlineEvents: Boolean(row.boundOfflineEvents?.includes('ONUSERADD')),
    checkedAt: row.installationCheckedAt?.toISOString() ?? null,
    offlineCollectedAt: row.offlineCollectedAt?.toISOString() ?? null,
    offlineError: row.offlineError,
  };
}
