import { ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainException } from './errors/domain.exception';

export interface FieldProblem {
  field: string;
  problems: string[];
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/**
 * Request bodies and queries: unknown fields are refused, types are converted only
 * where a DTO says so, and every failure is one 400 listing each field and problem.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) =>
      new DomainException('invalid', 'validation_failed', 'Request validation failed', flattenValidationErrors(errors)),
  });
}

/** Query lists written `a,b,c` (or repeated `?x=a&x=b`) become arrays before validation. */
export const toList = ({ value }: { value: unknown }): unknown =>
  value === undefined
    ? undefined
    : (Array.isArray(value) ? value : [value]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [v])).map((v) => (typeof v === 'string' ? v.trim() : v));
