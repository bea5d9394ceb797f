import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** OpenAPI at /docs (UI) and /docs-json (document). */
export function setupOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('b24-employee-sync')
      .setDescription(
        'Imports employees from Bitrix24 portals into the telephony platform. Authenticate with an API key: `Authorization: Bearer <key>`. ' +
          'Errors share one envelope: `{ "error": { "code", "message", "details?" } }`.',
      )
      .setVersion('1')
      // addBearerAuth() would add bearerFormat: JWT; our keys are opaque strings (b24s_…).
      .addSecurity('bearer', { type: 'http', scheme: 'bearer', description: 'An API key (b24s_…), opaque: not a JWT' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', raw: ['json'] });
}
