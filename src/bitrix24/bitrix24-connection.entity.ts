import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type ConnectionState = 'active' | 'reauth_required' | 'insufficient_rights' | 'uninstalled' | 'disconnected';
export type ConnectionEdition = 'cloud' | 'on_premise';
export type ConnectionAuthType = 'oauth' | 'webhook';

/**
 * A connected Bitrix24 portal. `*_enc` columns hold sealed secrets (TokenCipher);
 * nothing outside Bitrix24TokenService and the connection services opens them.
 */
@Entity('bitrix24_connection')
export class Bitrix24ConnectionEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'account_id', nullable: true }) accountId: string | null;
  @Column('text', { name: 'member_id' }) memberId: string;
  @Column('text', { name: 'auth_type' }) authType: ConnectionAuthType;
  @Column('text') domain: string;
  @Column('text', { name: 'client_endpoint', nullable: true }) clientEndpoint: string | null;
  @Column('text', { name: 'server_endpoint', nullable: true }) serverEndpoint: string | null;
  @Column('text', { nullable: true }) scope: string | null;
  @Column('text', { name: 'app_status', nullable: true }) appStatus: string | null;
  @Column('text') edition: ConnectionEdition;
  @Column('text', { name: 'application_token_enc', nullable: true, select: false }) applicationTokenEnc: string | null;
  @Column('text', { name: 'access_token_enc', nullable: true, select: false }) accessTokenEnc: string | null;
  @Column('text', { name: 'refresh_token_enc', nullable: true, select: false }) refreshTokenEnc: string | null;
  @Column('timestamptz', { name: 'access_expires_at', nullable: true }) accessExpiresAt: Date | null;
  @Column('timestamptz', { name: 'refreshed_at', nullable: true }) refreshedAt: Date | null;
  /** A token refresh was sent at this moment and its answer is not stored yet (Bitrix24TokenService). */
  @Column('timestamptz', { name: 'refresh_started_at', nullable: true }) refreshStartedAt: Date | null;
  /** A token refresh ended without an answer at this moment: Bitrix24 may have rotated the pair. */
  @Column('timestamptz', { name: 'refresh_unanswered_at', nullable: true }) refreshUnansweredAt: Date | null;
  @Column('text', { name: 'webhook_url_enc', nullable: true, select: false }) webhookUrlEnc: string | null;
  @Column('integer', { name: 'bitrix24_user_id', nullable: true }) bitrix24UserId: number | null;
  @Column('text') state: ConnectionState;
  @Column('text', { name: 'state_reason', nullable: true }) stateReason: string | null;
  @Column('timestamptz', { name: 'state_changed_at' }) stateChangedAt: Date;
  @Column('timestamptz', { name: 'installed_at', nullable: true }) installedAt: Date | null;
  @Column('timestamptz', { name: 'bound_at', nullable: true }) boundAt: Date | null;
  @Column('timestamptz', { name: 'events_bound_at', nullable: true }) eventsBoundAt: Date | null;
  @Column('text', { name: 'events_error', nullable: true }) eventsError: string | null;
  /** app.info INSTALLED when last checked (installation-finish.md); null = never checked. */
  @Column('boolean', { name: 'app_installed', nullable: true }) appInstalled: boolean | null;
  /** event.get when last checked: online events bound to our handler, and offline bindings. */
  @Column('text', { name: 'bound_events', array: true, nullable: true }) boundEvents: string[] | null;
  @Column('text', { name: 'bound_offline_events', array: true, nullable: true }) boundOfflineEvents: string[] | null;
  @Column('timestamptz', { name: 'installation_checked_at', nullable: true }) installationCheckedAt: Date | null;
  /** The offline-queue collector (Bitrix24OfflineEventsCollector): lease, reserved batch, last read. */
  @Column('timestamptz', { name: 'offline_lease_until', nullable: true }) offlineLeaseUntil: Date | null;
  @Column('text', { name: 'offline_process_id', nullable: true }) offlineProcessId: string | null;
  @Column('timestamptz', { name: 'offline_collected_at', nullable: true }) offlineCollectedAt: Date | null;
  @Column('boolean', { name: 'offline_clear_on_read' }) offlineClearOnRead: boolean;
  @Column('text', { name: 'offline_error', nullable: true }) offlineError: string | null;
  @Column('boolean', { name: 'include_extranet' }) includeExtranet: boolean;
  @Column('text', { name: 'default_country' }) defaultCountry: string;
  /** Which departments are imported (src/sync/rules/department-scope.rule.ts reads it). */
  @Column('jsonb', { name: 'department_scope' }) departmentScope: unknown;
  /** When the selection was last changed: departments first seen later are "new". */
  @Column('timestamptz', { name: 'department_scope_saved_at', nullable: true }) departmentScopeSavedAt: Date | null;
  @Column('boolean', { name: 'sync_managers' }) syncManagers: boolean;
  @Column('text', { name: 'schedule_kind' }) scheduleKind: 'interval' | 'daily';
  @Column('integer', { name: 'schedule_interval_minutes', nullable: true }) scheduleIntervalMinutes: number | null;
  @Column('text', { name: 'schedule_daily_times', array: true, nullable: true }) scheduleDailyTimes: string[] | null;
  @Column('numeric', { name: 'removal_guard_percent', nullable: true, transformer: { to: (v: unknown) => v, from: (v: string | null) => (v === null ? null : Number(v)) } })
  removalGuardPercent: number | null;
  @Column('numeric', { name: 'rate_limit_per_second', transformer: { to: (v: unknown) => v, from: (v: string) => Number(v) } }) rateLimitPerSecond: number;
  @Column('integer', { name: 'rate_limit_burst' }) rateLimitBurst: number;
  @Column('timestamptz', { name: 'next_sync_at', nullable: true }) nextSyncAt: Date | null;
  @Column('text', { name: 'lease_owner', nullable: true }) leaseOwner: string | null;
  @Column('timestamptz', { name: 'lease_expires_at', nullable: true }) leaseExpiresAt: Date | null;
  @Column('integer', { name: 'consecutive_failures' }) consecutiveFailures: number;
  @Column('text', { name: 'last_error_code', nullable: true }) lastErrorCode: string | null;
  @Column('text', { name: 'last_error_message', nullable: true }) lastErrorMessage: string | null;
  @Column('timestamptz', { name: 'last_error_at', nullable: true }) lastErrorAt: Date | null;
  @Column('timestamptz', { name: 'last_success_at', nullable: true }) lastSuccessAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
