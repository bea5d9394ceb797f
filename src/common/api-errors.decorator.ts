import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ErrorEnvelopeDto } from './errors/error-envelope.dto';

/** What each status means in this API unless the operation says more. */
const DEFAULT_DESCRIPTION: Record<number, string> = {
  400: 'The request is invalid (a field, a query parameter or a path id); `details` names each field',
  401: 'No API key, or the key is unknown or revoked',
  403: "The key's role lacks the permission this operation needs",
  404: 'Not found in the caller’s account',
  405: 'The operation is not allowed',
  409: 'The resource is in a state that does not allow this now',
  422: 'Understood but cannot be done as asked',
  429: 'Too many requests; `Retry-After` says when to try again',
  502: 'Bitrix24 answered with an error',
  503: 'The feature is not configured on this service',
};

export type ApiErrorSpec = number | { status: number; description: string };

/**
 * Documents an operation's error answers, each with the single error envelope
 * (ErrorEnvelopeDto). On a controller it applies to every operation in it; an
 * operation's own entry for the same status (with a specific description) wins.
 * test/foundation/openapi.e2e.spec.ts fails for an operation without a 4xx.
 */
export function ApiErrors(...specs: ApiErrorSpec[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ErrorEnvelopeDto),
    ...specs.map((spec) => {
      const { status, description } = typeof spec === 'number' ? { status: spec, description: DEFAULT_DESCRIPTION[spec] ?? 'Error' } : spec;
      // Always JSON, also on operations that produce something else (the CSV export).
      return ApiResponse({ status, description, content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorEnvelopeDto) } } } });
    }),
  );
}
