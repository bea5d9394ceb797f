import { Param, ParseUUIDPipe } from '@nestjs/common';
import { DomainException } from './errors/domain.exception';

/** A path id that must be a UUID; anything else is a 400, never a database error. */
export const UuidParam = (name = 'id') =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () => new DomainException('invalid', 'invalid_id', `Path parameter '${name}' must be a UUID`),
    }),
  );
