import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../access/principal';
import { Bitrix24ConnectionsService } from '../bitrix24/bitrix24-connections.service';
import { DomainException, notFound } from '../common/errors/domain.exception';
import { AuditEventsRepository } from './audit-events.repository';
import { UserExclusionDto, UserLinkDto } from './dto/user-link.dto';
import { UserLinksRepository } from './user-links.repository';

/**
 * Manual links (issue 14): the owner settles who a Bitrix24 user is (ambiguous_email,
 * email_linked_elsewhere) or says they are nobody here. A link by Bitrix24 ID decides
 * before any email is looked at (matching.rule.ts), so the owner's link holds on every
 * later run; an exclusion makes every run skip the user (excluded_by_owner) until it is
 * lifted. Employees are never deleted; each decision is in the audit trail with its key.
 */
@Injectable()
export class UserLinksService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly connections: Bitrix24ConnectionsService,
    private readonly links: UserLinksRepository,
    private readonly audit: AuditEventsRepository,
  ) {}

  async link(me: Principal, connectionId: string, bitrix24UserId: number, employeeId: string): Promise<UserLinkDto> {
    await this.connections.require(me.accountId, connectionId);
    return this.db.transaction(async (m) => {
      if (!(await this.links.employeeExists(m, me.accountId, employeeId))) throw notFound('Employee');
      const current = await this.links.linkOf(m, connectionId, bitrix24UserId);
      const holder = await this.links.userLinkedTo(m, connectionId, employeeId);
      if (holder !== null && holder !== bitrix24UserId) {
        throw new DomainException('conflict', 'employee_linked_elsewhere', `This employee already stands for Bitrix24 user #${holder} of this portal; unlink that user first`, { bitrix24UserId: holder });
      }
      await this.links.setManualLink(m, me.accountId, connectionId, bitrix24UserId, employeeId);
      await this.audit.record(m, {
        accountId: me.accountId,
        keyId: me.keyId,
        action: 'user_link.set',
        connectionId,
        bitrix24UserId,
        employeeId,
        details: { previousEmployeeId: current?.employee_id ?? null, previousMatchedBy: current?.matched_by ?? null },
      });
      const link = await this.links.linkOf(m, connectionId, bitrix24UserId);
      return { connectionId, bitrix24UserId, employeeId, state: link!.state, matchedBy: link!.matched_by, excluded: false };
    });
  }

  async unlink(me: Principal, connectionId: string, bitrix24UserId: number): Promise<UserLinkDto> {
    await this.connections.require(me.accountId, connectionId);
    return this.db.transaction(async (m) => {
      const current = await this.links.linkOf(m, connectionId, bitrix24UserId);
      await this.links.unlinkAndExclude(m, me.accountId, connectionId, bitrix24UserId, me.keyId);
      await this.audit.record(m, {
        accountId: me.accountId,
        keyId: me.keyId,
        action: 'user_link.removed',
        connectionId,
        bitrix24UserId,
        employeeId: current?.employee_id ?? null,
        details: { previousMatchedBy: current?.matched_by ?? null, previousState: current?.state ?? null },
      });
      return { connectionId, bitrix24UserId, employeeId: null, state: null, matchedBy: null, excluded: true };
    });
  }

  async removeExclusion(me: Principal, connectionId: string, bitrix24UserId: number): Promise<UserLinkDto> {
    await this.connections.require(me.accountId, connectionId);
    return this.db.transaction(async (m) => {
      if (!(await this.links.removeExclusion(m, connectionId, bitrix24UserId))) throw notFound('Exclusion');
      await this.audit.record(m, { accountId: me.accountId, keyId: me.keyId, action: 'user_exclusion.removed', connectionId, bitrix24UserId });
      return { connectionId, bitrix24UserId, employeeId: null, state: null, matchedBy: null, excluded: false };
    });
  }

  async exclusions(accountId: string, connectionId: string): Promise<UserExclusionDto[]> {
    await this.connections.require(accountId, connectionId);
    const rows = await this.links.exclusions(this.db.manager, connectionId);
    return rows.map((r) => ({
      bitrix24UserId: r.bitrix24_user_id,
      createdAt: r.created_at.toISOString(),
      createdByKeyId: r.created_by_key_id,
      createdByKeyName: r.created_by_key_name,
      employeeId: r.employee_id,
      name: r.name,
    }));
  }
}
