import { Param, ParseIntPipe, ParseUUIDPipe } from '@nestjs/common';
import { DomainException } from './errors/domain.exception';

/** A path id that must be a UUID; anything else is a 400, never a database error. */
export const UuidParam = (name = 'id') =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () => new DomainException('invalid', 'invalid_id', `Path parameter '${name}' must be a UUID`),
    }),
  );

/** A path id that must be a positive 32-bit integer (a Bitrix24 user ID); anything else is a 400. */
export const PositiveIntParam = (name: string) =>
  Param(
    name,
    new ParseIntPipe({ exceptionFactory: () => new DomainException('invalid', 'invalid_id', `Path parameter '${name}' must be a positive whole number`) }),
    {
      transform: (value: number) => {
        if (value < 1 || value > 2_147_483_647) throw new DomainException('invalid', 'invalid_id', `Path parameter '${name}' must be a positive whole number`);
        return value;
      },
    },
  );
