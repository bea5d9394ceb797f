import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Global, Logger, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { parseKey, TokenCipher } from './token-cipher';

/**
 * Outside production a missing TOKEN_ENCRYPTION_KEY is replaced by a key generated once
 * and kept in DATA_DIR (mode 0600), so `npm start` works on a bare machine and a restart
 * can still read what it stored. Production refuses to boot without the variable.
 */
function localKey(dataDir: string): Buffer {
  const file = join(dataDir, 'token-encryption.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
    new Logger('TokenCipher').warn({ msg: 'TOKEN_ENCRYPTION_KEY is not set; generated a local key file', file });
  }
  return parseKey(readFileSync(file, 'utf8').trim());
}

export function createTokenCipher(config: AppConfig): TokenCipher {
  const current = config.crypto.tokenKey ? parseKey(config.crypto.tokenKey) : localKey(config.db.dataDir);
  return new TokenCipher(current, config.crypto.previousKeys.map(parseKey));
}

@Global()
@Module({
  providers: [{ provide: TokenCipher, inject: [APP_CONFIG], useFactory: createTokenCipher }],
  exports: [TokenCipher],
})
export class CryptoModule {}
