import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, getSchemaPath, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { OperationObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ErrorEnvelopeDto } from './errors/error-envelope.dto';

/** The document the service serves (also dumped by scripts/openapi-dump.ts for `npm run lint:openapi`). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('b24-employee-sync')
      .setDescription(
        'Imports employees from Bitrix24 portals into the telephony platform. Authenticate with an API key: `Authorization: Bearer <key>`. ' +
          'Errors share one envelope: `{ "error": { "code", "message", "details?" } }`.',
      )
      .setVersion('1')
      .addServer('/', 'This service')
      // addBearerAuth() would add bearerFormat: JWT; our keys are opaque strings (b24s_…).
      .addSecurity('bearer', { type: 'http', scheme: 'bearer', description: 'An API key (b24s_…), opaque: not a JWT' })
      .build(),
    { extraModels: [ErrorEnvelopeDto] },
  );
  // Routes without @ApiBearerAuth are the @Public() ones (health probes): say so, rather than leave security undefined.
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = operations[method];
      if (operation && !operation.security) operation.security = [];
      // Any API operation can meet a database outage (ApiExceptionFilter): 503 database_unavailable.
      if (operation && path.startsWith('/api/')) documentDatabaseOutage(operation);
    }
  }
  return document;
}

/** OpenAPI at /docs (UI) and /docs-json (document). */
export function setupOpenApi(app: INestApplication): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', raw: ['json'] });
}

const DATABASE_OUTAGE = 'the database is unavailable (`database_unavailable`, with `Retry-After`): try again shortly';

function documentDatabaseOutage(operation: OperationObject): void {
  const responses = (operation.responses ??= {});
  const existing = responses['503'] as { description?: string } | undefined;
  if (existing) {
    if (!existing.description?.includes('database_unavailable')) existing.description = `${existing.description ?? 'Unavailable'}; or ${DATABASE_OUTAGE}`;
    return;
  }
  responses['503'] = {
    description: DATABASE_OUTAGE[0].toUpperCase() + DATABASE_OUTAGE.slice(1),
    content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorEnvelopeDto) } } },
  };
}
