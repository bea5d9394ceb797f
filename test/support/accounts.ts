import request from 'supertest';
import { AccountsService } from '../../src/access/accounts.service';
import type { Role } from '../../src/access/permissions';
import type { TestApp } from './test-app';

export interface TestAccount {
  id: string;
  ownerKey: string;
}

/** A new account with its owner key, created the way the CLI does. */
export async function createAccount(t: TestApp, name = 'Acme'): Promise<TestAccount> {
  const { account, ownerKey } = await t.app.get(AccountsService).createAccount(name);
  return { id: account.id, ownerKey: ownerKey.key };
}

/** A key of the given role, created through the API by the owner. */
export async function createKey(t: TestApp, owner: TestAccount, role: Role, name = `${role} key`): Promise<{ id: string; key: string }> {
  const res = await request(t.url).post('/api/v1/api-keys').set('Authorization', `Bearer ${owner.ownerKey}`).send({ name, role }).expect(201);
  return { id: res.body.id, key: res.body.key };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
