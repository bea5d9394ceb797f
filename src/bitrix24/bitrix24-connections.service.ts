import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Principal } from '../access/principal';
import { roleHas } from '../access/permissions';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TokenCipher } from '../common/crypto/token-cipher';
import { DomainException, notFound } from '../common/errors/domain.exception';
import { ModuleRef } from '@nestjs/core';
import { nextDueAt, parseDailyTimes, readDepartmentScope, sameDepartmentScope, SyncSchedule } from '../sync/rules';
import { BITRIX24_EVENT_SINK, Bitrix24EventSink } from './bitrix24-event-sink';
import { Bitrix24ClientFactory } from './bitrix24-client.factory';
import { Bitrix24ConnectionEntity } from './bitrix24-connection.entity';
import { Bitrix24ConnectionsRepository } from './bitrix24-connections.repository';
import { insufficientRightsMessage } from './admin-rights';
import { Bitrix24Error, type Bitrix24ErrorKind } from './client/bitrix24-error';
import { assertResolvableHost, assertSafeUrl } from './client/url-policy';
import { toConnectionDto } from './connection.mapper';
import { ConnectionDto, CreateWebhookConnectionDto, UpdateConnectionDto } from './dto/connection.dto';
import { maskWebhookUrl, parseWebhookUrl } from './portal-address';

/** Scopes the import needs (api-reference/user/user-get.md; api-reference/departments/department-get.md). */
const USER_SCOPES = ['user', 'user_basic'];
const DEPARTMENT_SCOPE = 'department';

export function missingScopes(granted: string[]): string[] {
  const set = new Set(granted.map((s) => s.trim().toLowerCase()));
  const missing: string[] = [];
  if (!USER_SCOPES.some((s) => set.has(s))) missing.push('user (or user_basic)');
  if (!set.has(DEPARTMENT_SCOPE)) missing.push(DEPARTMENT_SCOPE);
  return missing;
}

export function connectionSchedule(row: Pick<Bitrix24ConnectionEntity, 'scheduleKind' | 'scheduleIntervalMinutes' | 'scheduleDailyTimes'>, defaultMinutes: number): SyncSchedule {
  return row.scheduleKind === 'daily' && row.scheduleDailyTimes?.length
    ? { kind: 'daily', timesUtc: row.scheduleDailyTimes }
    : { kind: 'interval', minutes: row.scheduleIntervalMinutes ?? defaultMinutes };
}

@Injectable()
export class Bitrix24ConnectionsService {
  private readonly logger = new Logger(Bitrix24ConnectionsService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly connections: Bitrix24ConnectionsRepository,
    private readonly clients: Bitrix24ClientFactory,
    private readonly cipher: TokenCipher,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** The sync module's queue, looked up when first needed (it depends on this service). */
  private get sink(): Bitrix24EventSink {
    return this.moduleRef.get<Bitrix24EventSink>(BITRIX24_EVENT_SINK, { strict: false });
  }

  async list(accountId: string): Promise<ConnectionDto[]> {
    const rows = await this.connections.listForAccount(accountId);
    return rows.map((row) => this.toDto(row));
  }

  async get(accountId: string, id: string): Promise<ConnectionDto> {
    return this.toDto(await this.require(accountId, id));
  }

  async require(accountId: string, id: string): Promise<Bitrix24ConnectionEntity> {
    const row = await this.connections.findForAccount(accountId, id);
    if (!row) throw notFound('Connection');
    return row;
  }

  /**
   * Connects a portal through an incoming webhook (on-premise or app-less portals).
   * Nothing is stored until a real call proves the webhook works and its scope covers
   * users and departments.
   */
  async createWebhook(accountId: string, input: CreateWebhookConnectionDto): Promise<{ connection: ConnectionDto; created: boolean }> {
    const webhook = parseWebhookUrl(input.webhookUrl);
    const url = assertSafeUrl(webhook.baseUrl, this.clients.policy, 'webhookUrl');
    await assertResolvableHost(url, this.clients.policy, 'webhookUrl');
    const portalKey = `webhook:${webhook.domain}:${webhook.userId}`;
    const client = this.clients.forWebhook(webhook.baseUrl);
    let granted: string[];
    try {
      const scope = await client.call<string[]>('scope');
      granted = Array.isArray(scope.result) ? scope.result.map(String) : [];
    } catch (error) {
      throw this.webhookProblem(error);
    }
    const missing = missingScopes(granted);
    if (missing.length) {
      throw new DomainException('unprocessable', 'webhook_scope_insufficient', `The webhook lacks the permissions the import needs: ${missing.join(', ')}. Edit the webhook in Bitrix24 and add them.`, {
        missingScopes: missing,
        grantedScopes: granted,
      });
    }
    let administrator: boolean;
    try {
      administrator = await client.isAdministrator();
      if (administrator) {
        await client.call('user.get', { FILTER: { ID: webhook.userId }, ADMIN_MODE: true, start: -1 });
        await client.call('department.get', { start: 0 });
      }
    } catch (error) {
      throw this.webhookProblem(error);
    }
    // admin-rights.ts: a webhook of a user who is not an administrator would read only part of
    // the portal. Refused, and nothing is stored: the owner needs a different webhook anyway.
    if (!administrator) {
      throw new DomainException('unprocessable', 'webhook_user_not_admin', insufficientRightsMessage('webhook', webhook.userId), { bitrix24UserId: webhook.userId });
    }
    const existing = await this.connections.findByMemberId(portalKey);
    const id = await this.connections.upsertWebhook(accountId, portalKey, webhook.domain, this.cipher.seal(webhook.baseUrl), granted.join(','), input.edition ?? 'on_premise', webhook.userId);
    if (!id) throw new DomainException('conflict', 'portal_connected_elsewhere', 'This webhook is already connected to another account');
    this.logger.log({ msg: 'webhook connection saved', connectionId: id, domain: webhook.domain });
    return { connection: await this.get(accountId, id), created: !existing };
  }

  async update(accountId: string, id: string, input: UpdateConnectionDto, by: Principal): Promise<ConnectionDto> {
    const row = await this.require(accountId, id);
    // A higher threshold lets more removals through unconfirmed: that is confirming them in advance.
    const guard = input.removalGuardPercent;
    if (typeof guard === 'number' && guard > this.config.sync.removalGuardPercent && !roleHas(by.role, 'sync:confirm_removals')) {
      throw new DomainException('forbidden', 'forbidden', `Raising removalGuardPercent above ${this.config.sync.removalGuardPercent} needs the permission 'sync:confirm_removals', which your key's role (${by.role}) lacks`, {
        missingPermission: 'sync:confirm_removals',
      });
    }
    const patch: Record<string, unknown> = {
      edition: input.edition,
      include_extranet: input.includeExtranet,
      default_country: input.defaultCountry,
      removal_guard_percent: input.removalGuardPercent,
      rate_limit_per_second: input.rateLimit?.perSecond,
      rate_limit_burst: input.rateLimit?.burst,
      sync_managers: input.syncManagers,
    };
    // A new selection decides who is imported: it is stamped (departments first seen later
    // are "new", rules/department-scope.rule.ts) and a full run applies it now.
    let selectionChanged = false;
    if (input.departmentScope) {
      const next = readDepartmentScope({ includeNewDepartments: true, bitrix24DepartmentIds: [], ...input.departmentScope });
      if (!sameDepartmentScope(next, readDepartmentScope(row.departmentScope))) {
        patch.department_scope = JSON.stringify(next);
        patch.department_scope_saved_at = new Date();
        selectionChanged = true;
      }
    }
    const managersChanged = input.syncManagers !== undefined && input.syncManagers !== row.syncManagers;
    if (input.schedule) {
      const schedule: SyncSchedule =
        input.schedule.kind === 'daily'
          ? { kind: 'daily', timesUtc: this.dailyTimes(input.schedule.dailyTimesUtc ?? []) }
          : { kind: 'interval', minutes: input.schedule.intervalMinutes ?? this.config.sync.intervalMinutes };
      patch.schedule_kind = schedule.kind;
      patch.schedule_interval_minutes = schedule.kind === 'interval' ? (input.schedule.intervalMinutes ?? null) : null;
      patch.schedule_daily_times = schedule.kind === 'daily' ? schedule.timesUtc : null;
      // The new schedule takes effect from now, not from the last run.
      if (row.state === 'active') patch.next_sync_at = nextDueAt(schedule, new Date());
    }
    await this.connections.updateSettings(accountId, id, patch);
    if ((selectionChanged || managersChanged) && row.state === 'active') await this.sink.fullRunNeeded(accountId, id, by.keyId);
    return this.get(accountId, id);
  }

  async disconnect(accountId: string, id: string): Promise<ConnectionDto> {
    await this.require(accountId, id);
    await this.connections.disconnect(accountId, id);
    this.logger.log({ msg: 'connection disconnected by owner; employees kept', connectionId: id });
    return this.get(accountId, id);
  }

  private dailyTimes(times: string[]): string[] {
    try {
      return parseDailyTimes(times);
    } catch (error) {
      throw new DomainException('invalid', 'validation_failed', 'Request validation failed', [{ field: 'schedule.dailyTimesUtc', problems: [(error as Error).message] }]);
    }
  }

  private webhookProblem(error: unknown): DomainException {
    if (error instanceof DomainException) return error;
    if (error instanceof Bitrix24Error && error.code === 'ADDRESS_REFUSED') return new DomainException('invalid', 'private_address', error.message);
    if (error instanceof Bitrix24Error && error.kind === 'portal_moved') return new DomainException('unprocessable', 'portal_moved', error.message);
    if (error instanceof Bitrix24Error) {
      const byKind: Partial<Record<Bitrix24ErrorKind, string>> = {
        auth_revoked: 'webhook_rejected',
        insufficient_scope: 'webhook_scope_insufficient',
        access_denied: 'portal_access_denied',
        payment_required: 'portal_plan_without_rest',
        https_required: 'portal_https_required',
        portal_gone: 'portal_gone',
        rate_limited: 'portal_rate_limited',
        overload_blocked: 'portal_blocked',
        transient: 'portal_unreachable',
      };
      // The message is the error class's owner text with Bitrix24's own words (bitrix24-error.ts).
      const unreachable = error.kind === 'transient' && error.status === 0;
      const message = unreachable ? 'The portal did not answer; check the address and that it is reachable from this service' : error.message;
      return new DomainException('unprocessable', byKind[error.kind] ?? 'webhook_rejected', message, { bitrix24Error: error.code });
    }
    return new DomainException('unprocessable', 'portal_unreachable', 'The portal did not answer');
  }

  private toDto(row: Bitrix24ConnectionEntity): ConnectionDto {
    const masked = row.authType === 'webhook' && row.webhookUrlEnc ? maskWebhookUrl(this.cipher.open(row.webhookUrlEnc)) : null;
    return toConnectionDto(row, this.config, masked);
  }
}
