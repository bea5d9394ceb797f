import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TokenCipher } from '../common/crypto/token-cipher';
import { queryRows } from '../database/query-rows';

const SEALED_COLUMNS = ['access_token_enc', 'refresh_token_enc', 'application_token_enc', 'webhook_url_enc'] as const;

/**
 * After TOKEN_ENCRYPTION_KEY is rotated (the old key listed in
 * TOKEN_ENCRYPTION_PREVIOUS_KEYS), every secret is re-sealed with the new key at start,
 * so the old key can be dropped after one deploy. Each value is replaced only if it is
 * still the one read (compare-and-set): a token refreshed meanwhile is never overwritten
 * by its older self.
 */
@Injectable()
export class SecretResealService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SecretResealService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly cipher: TokenCipher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const resealed = await this.resealAll();
    if (resealed) this.logger.log({ msg: 'secrets re-sealed with the current encryption key', values: resealed, keyId: this.cipher.currentKeyId });
  }

  async resealAll(): Promise<number> {
    const prefix = `enc1:${this.cipher.currentKeyId}:%`;
    let count = 0;
    for (const column of SEALED_COLUMNS) {
      const rows = await queryRows<{ id: string; value: string }>(
        this.db,
        `SELECT id, ${column} AS value FROM bitrix24_connection WHERE ${column} IS NOT NULL AND ${column} NOT LIKE $1`,
        [prefix],
      );
      for (const row of rows) {
        const fresh = this.cipher.seal(this.cipher.open(row.value));
        const updated = await queryRows(this.db, `UPDATE bitrix24_connection SET ${column} = $3 WHERE id = $1 AND ${column} = $2 RETURNING id`, [row.id, row.value, fresh]);
        count += updated.length;
      }
    }
    return count;
  }
}
