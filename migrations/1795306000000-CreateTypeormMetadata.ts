import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * TypeORM's own bookkeeping table, which `npm run migration:generate` reads to compare
 * entities with the schema (it records generated columns there).
 */
export class CreateTypeormMetadata1795306000000 implements MigrationInterface {
  name = 'CreateTypeormMetadata1795306000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS typeorm_metadata (
        type varchar NOT NULL,
        database varchar,
        schema varchar,
        "table" varchar,
        name varchar,
        value text
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE typeorm_metadata`);
  }
}
