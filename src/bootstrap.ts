import { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { createValidationPipe } from './common/validation';
import { setupOpenApi } from './common/openapi';

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
  // API answers are JSON for programs: never sniffed into something a browser would run.
  app.use((_req: unknown, res: { setHeader(name: string, value: string): void }, next: () => void) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.set('trust proxy', 'loopback');
  app.useBodyParser('json', { limit: '1mb' });
  app.useBodyParser('urlencoded', { limit: '1mb', extended: true, parameterLimit: 1000 });
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  setupOpenApi(app);
  return app;
}
