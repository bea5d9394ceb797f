import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** A `limit` query parameter: an integer from 1 to `max` (default `fallback`). */
export const PageLimit = (max: number, fallback: number): PropertyDecorator =>
  applyDecorators(ApiPropertyOptional({ minimum: 1, maximum: max, default: fallback }), IsOptional(), Type(() => Number), IsInt(), Min(1), Max(max));

/** A `cursor` query parameter: the previous page's nextCursor (decoded and checked by the repository). */
export const PageCursor = (description = 'nextCursor from the previous page', maxLength = 500): PropertyDecorator =>
  applyDecorators(ApiPropertyOptional({ description }), IsOptional(), IsString(), MaxLength(maxLength));

/** Query-string booleans: only the words true/false (and 1/0) are accepted. */
export const toQueryBoolean = ({ value }: { value: unknown }): unknown => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value);
