import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { notFound } from '../common/errors/domain.exception';
import { AccountEntity } from './account.entity';
import { ApiKeyService } from './api-key.service';
import { CreatedApiKeyDto, MeDto } from './dto/api-key.dto';
import { permissionsOf } from './permissions';
import type { Principal } from './principal';

@Injectable()
export class AccountsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly keys: ApiKeyService,
  ) {}

  /** A new account and its first owner key, in one transaction. */
  async createAccount(name: string): Promise<{ account: AccountEntity; ownerKey: CreatedApiKeyDto }> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 200) throw new Error('An account name must be 1 to 200 characters');
    return this.db.transaction(async (manager) => {
      const repo = manager.getRepository(AccountEntity);
      const account = await repo.save(repo.create({ name: trimmed }));
      const ownerKey = await this.keys.insert(manager, account.id, { name: 'Owner key', role: 'owner' }, null);
      return { account, ownerKey };
    });
  }

  async describe(principal: Principal): Promise<Omit<MeDto, 'features'>> {
    const account = await this.db.getRepository(AccountEntity).findOneBy({ id: principal.accountId });
    if (!account) throw notFound('Account');
    return {
      accountId: account.id,
      accountName: account.name,
      keyId: principal.keyId,
      keyName: principal.keyName,
      role: principal.role,
      permissions: permissionsOf(principal.role),
    };
  }
}
