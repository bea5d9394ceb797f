import { DynamicModule, Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { CryptoModule } from '../common/crypto/crypto.module';
import { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';

/** What the command line needs: the database and the services it drives, no HTTP, no scheduler. */
@Module({})
export class CliModule {
  static register(config: AppConfig): DynamicModule {
    return { module: CliModule, imports: [ConfigModule.register(config), CryptoModule, DatabaseModule, AccessModule] };
  }
}
