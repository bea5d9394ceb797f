import { AccountEntity } from '../access/account.entity';
import { ApiKeyEntity } from '../access/api-key.entity';
import { Bitrix24ConnectionEntity } from '../bitrix24/bitrix24-connection.entity';
import { EmployeeEntity } from '../employees/employee.entity';

/** Every TypeORM entity, for tools that run outside Nest (the migration CLI). */
export const ENTITIES = [AccountEntity, ApiKeyEntity, Bitrix24ConnectionEntity, EmployeeEntity];
