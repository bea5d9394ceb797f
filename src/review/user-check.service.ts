import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Bitrix24ClientFactory } from '../bitrix24/bitrix24-client.factory';
import { bitrix24UserId } from '../bitrix24/bitrix24-user';
import { DomainException } from '../common/errors/domain.exception';
import { CountryCode, normalizeEmail } from '../sync/rules';
import { DepartmentSync } from '../sync/department-sync.service';
import { SyncQueueService } from '../sync/sync-queue.service';
import { SyncStore } from '../sync/sync-store';
import { toRunDto } from '../sync/sync-runs.service';
import { AuditEventsRepository } from './audit-events.repository';
import { CheckUserDto, UserCheckDto } from './dto/user-check.dto';
import { checkUser, notFetched, planCheck } from './user-check';

/** An interactive check waits for Bitrix24 at most this long (a run waits much longer). */
const CHECK_DEADLINE_MS = 20_000;

/**
 * One person, now: fetch them from Bitrix24, load what the database holds about them
 * the way a run does (SyncStore.loadChunkState), and explain the engine's own plan
 * (user-check.ts). With apply, the person is imported through the normal path: an
 * event-style run for that one user, queued like an ONUSERADD, so it is in the history.
 */
@Injectable()
export class UserCheckService {
  constructor(
    private readonly queue: SyncQueueService,
    private readonly clients: Bitrix24ClientFactory,
    private readonly store: SyncStore,
    private readonly audit: AuditEventsRepository,
    private readonly departments: DepartmentSync,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async check(accountId: string, connectionId: string, input: CheckUserDto, keyId: string): Promise<UserCheckDto> {
    if ((input.bitrix24UserId === undefined) === (input.email === undefined)) {
      throw new DomainException('invalid', 'validation_failed', 'Give either bitrix24UserId or email', [{ field: 'bitrix24UserId', problems: ['give either bitrix24UserId or email, not both and not neither'] }]);
    }
    const connection = await this.queue.requireActiveConnection(accountId, connectionId);
    const client = await this.clients.forConnection(connection.id, { deadlineAt: Date.now() + CHECK_DEADLINE_MS });
    const email = input.email === undefined ? null : normalizeEmail(input.email);
    const users =
      input.bitrix24UserId !== undefined
        ? await client.usersById([input.bitrix24UserId])
        : (await client.usersByEmail(email!)).filter((u) => normalizeEmail(u.EMAIL) === email);
    const query = input.bitrix24UserId !== undefined ? { bitrix24UserId: input.bitrix24UserId } : { email: email! };
    if (users.length !== 1) return { ...notFetched(query, users.map((u) => bitrix24UserId(u))), run: null };

    const user = users[0];
    const state = await this.store.loadChunkState(accountId, connectionId, users);
    // The department selection as a run applies it (the tree as stored).
    const { check: inDepartmentScope } = await this.departments.runScope(connection);
    const settings = { edition: connection.edition, includeExtranet: connection.includeExtranet, defaultCountry: connection.defaultCountry as CountryCode, inDepartmentScope };
    const plan = planCheck(user, state, settings);
    // The department phase after that plan (apply's event run ends with it: SyncEngine.withPeople).
    const manager = await this.departments.personManager(accountId, connection, plan, bitrix24UserId(user));
    const result = checkUser(user, state, settings, { plan, manager });
    const run = input.apply ? await this.queue.requestUserRun(accountId, connectionId, bitrix24UserId(user), keyId) : null;
    if (run) {
      await this.audit.record(this.db.manager, { accountId, keyId, action: 'user_check.applied', connectionId, bitrix24UserId: bitrix24UserId(user), employeeId: result.employeeId, details: { runId: run.id, plannedOutcome: result.outcome } });
    }
    return { ...result, run: run ? toRunDto(run) : null };
  }
}
