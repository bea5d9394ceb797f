import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AccountEntity } from './account.entity';
import { AccountsService } from './accounts.service';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeyGuard } from './api-key.guard';
import { ApiThrottlerGuard } from './api-throttler.guard';
import { ApiKeyService } from './api-key.service';
import { ApiKeysController } from './api-keys.controller';
import { MeController } from './me.controller';
import { PublicRateLimits } from './public-rate-limits.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([AccountEntity, ApiKeyEntity]),
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => [{ name: 'default', ttl: 60_000, limit: config.api.rateLimitPerMinute }],
    }),
  ],
  controllers: [ApiKeysController, MeController],
  providers: [
    AccountsService,
    ApiKeyService,
    PublicRateLimits,
    // Order matters: the key is authenticated first, so the throttler counts per key.
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_GUARD, useClass: ApiThrottlerGuard },
  ],
  exports: [AccountsService, ApiKeyService, PublicRateLimits],
})
export class AccessModule {}
