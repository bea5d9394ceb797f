import { CreateAccounts1795305600000 } from './1795305600000-CreateAccounts';

/**
 * Every migration, in order. TypeORM gets this list rather than a glob so the same
 * code runs from ts-jest and from the compiled build. `npm run migration:generate`
 * appends new files here.
 */
export const ALL_MIGRATIONS = [
  CreateAccounts1795305600000,
];
