import { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { createValidationPipe } from './common/validation';
import { setupOpenApi } from './common/openapi';
import { securityHeaders } from './common/security-headers';

/**
 * Builds the application exactly as production runs it; tests call this too, so
 * what they exercise is what ships. Does not listen.
 */
export async function createApp(config: AppConfig, logger: LoggerService | false): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    logger: logger === false ? false : logger,
    bufferLogs: logger !== false,
    abortOnError: false,
  });
  app.disable('x-powered-by');
  // nosniff, no framing, a default-deny CSP (HTML routes set their own), HSTS over https.
  app.use(securityHeaders(config));
  // The client address (per-address rate limits) comes from X-Forwarded-For only through these proxies.
  app.set('trust proxy', config.trustProxy);
  app.useBodyParser('json', { limit: '1mb' });
  app.useBodyParser('urlencoded', { limit: '1mb', extended: true, parameterLimit: 1000 });
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  setupOpenApi(app);
  return app;
}
