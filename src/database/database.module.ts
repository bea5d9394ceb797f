import { Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { lockDataDir } from './data-dir-lock';
import { buildDataSourceOptions, embeddedDataDir, isEmbedded } from './data-source-options';
import { runMigrations } from './migration-runner';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        if (isEmbedded(config) && config.db.dataDir !== 'memory://') lockDataDir(config.db.dataDir);
        return {
          ...buildDataSourceOptions(config),
          autoLoadEntities: true,
          // main.ts probes the server first and reports an unreachable one in one line.
          retryAttempts: 0,
        };
      },
    }),
  ],
  providers: [
    {
      provide: 'DATABASE_READY',
      inject: [APP_CONFIG, DataSource],
      useFactory: async (config: AppConfig, dataSource: DataSource) => {
        const logger = new Logger('Database');
        const embedded = isEmbedded(config);
        logger.log(
          embedded
            ? {
                msg: 'using the embedded PostgreSQL (PGlite); set DATABASE_URL to use a server',
                dataDir: config.db.dataDir === 'memory://' ? 'memory' : embeddedDataDir(config),
              }
            : { msg: 'using PostgreSQL server from DATABASE_URL', poolSize: config.db.poolSize },
        );
        if (config.db.migrateOnStart) await runMigrations(dataSource, embedded);
        return true;
      },
    },
  ],
  exports: ['DATABASE_READY'],
})
export class DatabaseModule {}
