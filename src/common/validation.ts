import { ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage, Matches } from 'class-validator';
import { DomainException } from './errors/domain.exception';

/** One invalid field: its path and one clear sentence about it (an array for compatibility). */
export interface FieldProblem {
  field: string;
  problems: [string];
}

/** The bounds a DTO declares for one property (@Min, @Max, @Length, @IsIn …), to word one message. */
interface Bounds {
  min?: number;
  max?: number;
  minLength?: number;
  maxLength?: number;
  allowed?: unknown[];
  integer?: boolean;
}

function boundsOf(target: object | undefined, property: string): Bounds {
  const bounds: Bounds = {};
  if (!target) return bounds;
  const metadata = getMetadataStorage().getTargetValidationMetadatas(target.constructor, '', true, false);
  for (const m of metadata) {
    if (m.propertyName !== property) continue;
    const [a, b] = (m.constraints ?? []) as unknown[];
    switch (m.name) {
      case 'min':
        bounds.min = Number(a);
        break;
      case 'max':
        bounds.max = Number(a);
        break;
      case 'isLength':
        bounds.minLength = Number(a);
        if (b !== undefined) bounds.maxLength = Number(b);
        break;
      case 'maxLength':
        bounds.maxLength = Number(a);
        break;
      case 'minLength':
        bounds.minLength = Number(a);
        break;
      case 'isIn':
        bounds.allowed = a as unknown[];
        break;
      case 'isInt':
        bounds.integer = true;
        break;
    }
  }
  return bounds;
}

const range = (b: Bounds, what: string): string =>
  b.min !== undefined && b.max !== undefined
    ? `must be ${what} from ${b.min} to ${b.max}`
    : b.min !== undefined
      ? `must be ${what} of at least ${b.min}`
      : b.max !== undefined
        ? `must be ${what} of at most ${b.max}`
        : `must be ${what}`;

const length = (b: Bounds): string =>
  b.minLength && b.maxLength
    ? `must be ${b.minLength} to ${b.maxLength} characters long`
    : b.maxLength !== undefined
      ? `must be at most ${b.maxLength} characters long`
      : `must be at least ${b.minLength ?? 1} characters long`;

/** A DTO's own message ("extension must be 1 to 10 digits") without the leading field name. */
const own = (message: string, property: string): string => message.replace(new RegExp(`^(each value in )?${property.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+`), '');

/**
 * class-validator reports every failed constraint (`limit=abc` fails isInt, min and max at
 * once, three contradictory sentences). This picks the one that matters, in this order, and
 * words it with the property's declared bounds: "must be a whole number from 1 to 500".
 */
export function problemOf(error: ValidationError): string {
  const c = error.constraints ?? {};
  const has = (name: string) => Object.prototype.hasOwnProperty.call(c, name);
  const b = boundsOf(error.target, error.property);
  if (has('whitelistValidation')) return 'is not a field this request accepts';
  if (has('unknownValue')) return 'must be an object of the documented shape';
  // Optional properties skip their checks when absent, so an absent value here is a required one.
  if (error.value === undefined || error.value === null) return 'is required';
  if (has('isArray')) return 'must be a list';
  if (has('isInt')) return range(b, 'a whole number');
  if (has('isNumber')) return range(b, 'a number');
  if (has('min') || has('max')) return range(b, b.integer ? 'a whole number' : 'a number');
  if (has('isBoolean')) return 'must be true or false';
  if (has('isIn')) return `must be one of: ${(b.allowed ?? []).join(', ')}`;
  if (has('isUuid')) return 'must be an id (UUID)';
  if (has('isString')) return 'must be text';
  if (has('isEmail')) return 'must be a valid email address';
  if (has('isLength') || has('maxLength') || has('minLength')) return length(b);
  if (has('arrayMaxSize') || has('arrayMinSize')) return own(c.arrayMaxSize ?? c.arrayMinSize, error.property);
  const first = Object.values(c)[0];
  return first ? own(first, error.property) : 'is not valid';
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own: FieldProblem[] = error.constraints && Object.keys(error.constraints).length ? [{ field, problems: [problemOf(error)] }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/** "limit must be a whole number from 1 to 500" — or, for several fields, each of them. */
export function validationMessage(problems: FieldProblem[]): string {
  if (!problems.length) return 'Request validation failed';
  return problems.map((p) => `${p.field} ${p.problems[0]}`).join('; ');
}

export const validationFailed = (problems: FieldProblem[]): DomainException =>
  new DomainException('invalid', 'validation_failed', validationMessage(problems), problems);

/**
 * Request bodies and queries: unknown fields are refused, types are converted only
 * where a DTO says so, and every failure is one 400 with one sentence per field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    // The target lets problemOf() read the property's declared bounds; it never leaves the service.
    validationError: { target: true, value: true },
    exceptionFactory: (errors) => validationFailed(flattenValidationErrors(errors)),
  });
}

/** Query lists written `a,b,c` (or repeated `?x=a&x=b`) become arrays before validation. */
export const toList = ({ value }: { value: unknown }): unknown =>
  value === undefined
    ? undefined
    : (Array.isArray(value) ? value : [value]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [v])).map((v) => (typeof v === 'string' ? v.trim() : v));

/** Text fields hold one line: no control characters (tabs, line breaks, NUL …). */
export const IsOneLine = (): PropertyDecorator =>
  Matches(/^[^\u0000-\u001f\u007f]*$/, { message: '$property must be a single line of text, without tabs or line breaks' });
