import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { DomainException, notFound } from '../common/errors/domain.exception';
import { isUniqueViolation } from '../database/postgres-errors';
import { ApiKeyEntity } from './api-key.entity';
import { generateKeySecret, hashesEqual, hashKey, parseKey } from './api-key.secret';
import { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';
import { manageKeyPermission, Role, roleHas } from './permissions';
import type { Principal } from './principal';
import { queryRows } from '../database/query-rows';

const toDto = (key: ApiKeyEntity): ApiKeyDto => ({
  id: key.id,
  name: key.name,
  role: key.role,
  prefix: key.prefix,
  createdAt: key.createdAt.toISOString(),
  lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  revokedAt: key.revokedAt?.toISOString() ?? null,
  revokedReason: key.revokedReason,
});

@Injectable()
export class ApiKeyService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Resolves a presented key to its principal; null for unknown, malformed or revoked keys. */
  async authenticate(presented: string): Promise<Principal | null> {
    const parsed = parseKey(presented);
    if (!parsed) return null;
    const rows: Array<{ id: string; account_id: string; name: string; role: Role; key_hash: string; stale: boolean }> =
      await this.db.query(
        `SELECT id, account_id, name, role, key_hash,
                (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') AS stale
           FROM api_key WHERE prefix = $1 AND revoked_at IS NULL`,
        [parsed.prefix],
      );
    const row = rows.find((r) => hashesEqual(r.key_hash, hashKey(presented)));
    if (!row) return null;
    // last_used_at is advisory: written at most once a minute, not on every request.
    if (row.stale) await this.db.query(`UPDATE api_key SET last_used_at = now() WHERE id = $1`, [row.id]);
    return { accountId: row.account_id, keyId: row.id, keyName: row.name, role: row.role };
  }

  async list(accountId: string): Promise<ApiKeyDto[]> {
    const keys = await this.db.getRepository(ApiKeyEntity).find({ where: { accountId }, order: { createdAt: 'ASC' } });
    return keys.map(toDto);
  }

  /**
   * Creates a key. An integrator key replaces the account's active integrator key, if
   * any, in the same transaction (Bitrix24: "only one active integrator; inviting another
   * dismisses the current one", seeds/004); a unique index backs the rule under races.
   */
  async create(accountId: string, input: { name: string; role: Role }, by: Principal | null): Promise<CreatedApiKeyDto> {
    if (by) this.assertMayManage(by, input.role, 'create');
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.transaction((manager) => this.insert(manager, accountId, input, by));
      } catch (error) {
        if (attempt < 2 && isUniqueViolation(error, 'api_key_one_active_integrator')) continue;
        throw error;
      }
    }
  }

  /** Used by the CLI when an account is created: its first owner key. */
  async insert(manager: EntityManager, accountId: string, input: { name: string; role: Role }, by: Principal | null): Promise<CreatedApiKeyDto> {
    const replaced: Array<{ id: string }> =
      input.role === 'integrator'
        ? await queryRows(manager, `UPDATE api_key SET revoked_at = now(), revoked_reason = 'replaced_by_new_integrator'
              WHERE account_id = $1 AND role = 'integrator' AND revoked_at IS NULL RETURNING id`,
            [accountId],
          )
        : [];
    const secret = generateKeySecret();
    const repo = manager.getRepository(ApiKeyEntity);
    const saved = await repo.save(
      repo.create({
        accountId,
        name: input.name,
        role: input.role,
        prefix: secret.prefix,
        keyHash: secret.hash,
        createdByKeyId: by?.keyId ?? null,
      }),
    );
    const stored = await repo.findOneByOrFail({ id: saved.id });
    return { ...toDto(stored), key: secret.key, revokedKeyIds: replaced.map((r) => r.id) };
  }

  async update(accountId: string, id: string, input: { name?: string; role?: Role }, by: Principal): Promise<ApiKeyDto> {
    return this.underAccountLock(accountId, async (manager) => {
      const repo = manager.getRepository(ApiKeyEntity);
      const key = await repo.findOneBy({ id, accountId });
      if (!key) throw notFound('API key');
      if (key.revokedAt) throw new DomainException('conflict', 'api_key_revoked', 'A revoked key cannot be changed');
      this.assertMayManage(by, key.role, 'change');
      if (input.role && input.role !== key.role) {
        this.assertMayManage(by, input.role, 'promote');
        if (key.role === 'owner') await this.assertAnotherOwner(manager, accountId, key.id);
        if (input.role === 'integrator') {
          throw new DomainException('invalid', 'integrator_by_creation_only', 'Create a new integrator key instead; it replaces the current one');
        }
      }
      await repo.update({ id, accountId }, { name: input.name ?? key.name, role: input.role ?? key.role });
      return toDto(await repo.findOneByOrFail({ id, accountId }));
    });
  }

  async revoke(accountId: string, id: string, by: Principal): Promise<ApiKeyDto> {
    return this.underAccountLock(accountId, async (manager) => {
      const repo = manager.getRepository(ApiKeyEntity);
      const key = await repo.findOneBy({ id, accountId });
      if (!key) throw notFound('API key');
      this.assertMayManage(by, key.role, 'revoke');
      if (!key.revokedAt) {
        if (key.role === 'owner') await this.assertAnotherOwner(manager, accountId, key.id);
        await manager.query(`UPDATE api_key SET revoked_at = now(), revoked_reason = 'revoked' WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL`, [id, accountId]);
      }
      return toDto(await repo.findOneByOrFail({ id, accountId }));
    });
  }

  /**
   * Role changes and revocations of one account run one at a time: the account row is
   * locked (SELECT … FOR UPDATE) before the keys are read, so two owners revoking or
   * demoting each other at once cannot both see "another owner remains".
   */
  private underAccountLock<T>(accountId: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(async (manager) => {
      await manager.query(`SELECT id FROM account WHERE id = $1 FOR UPDATE`, [accountId]);
      return work(manager);
    });
  }

  private assertMayManage(by: Principal, role: Role, action: string): void {
    const permission = manageKeyPermission(role);
    if (!roleHas(by.role, permission)) {
      throw new DomainException('forbidden', 'forbidden', `Your key's role (${by.role}) cannot ${action} ${role} keys: it lacks the permission '${permission}'`, {
        missingPermission: permission,
      });
    }
  }

  private async assertAnotherOwner(manager: EntityManager, accountId: string, exceptId: string): Promise<void> {
    const [{ count }] = await manager.query(
      `SELECT count(*)::int AS count FROM api_key WHERE account_id = $1 AND role = 'owner' AND revoked_at IS NULL AND id <> $2`,
      [accountId, exceptId],
    );
    if (count === 0) throw new DomainException('conflict', 'last_owner_key', 'The account must keep at least one active owner key');
  }
}
