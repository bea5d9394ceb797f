import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ErrorEnvelope } from './api-exception.filter';

/** The `error` member of the envelope ApiExceptionFilter writes for every 4xx/5xx. */
export class ErrorBodyDto {
  @ApiProperty({ description: 'A stable, machine-readable code (snake_case), e.g. `invalid_id`, `connection_not_active`', example: 'not_found' })
  code!: string;

  @ApiProperty({ description: 'One sentence for a person', example: 'Employee not found' })
  message!: string;

  @ApiPropertyOptional({
    description: 'What the code needs to be acted on: the invalid fields (`[{ field, problems }]`), a retry delay, the state that blocked the call …',
    type: 'object',
    additionalProperties: true,
  })
  details?: unknown;
}

/** `{ "error": { "code", "message", "details?" } }` — built by toErrorEnvelope (api-exception.filter.ts). */
export class ErrorEnvelopeDto implements ErrorEnvelope {
  @ApiProperty({ type: ErrorBodyDto })
  error!: ErrorBodyDto;
}
