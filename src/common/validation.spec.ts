import 'reflect-metadata';
import type { ArgumentMetadata } from '@nestjs/common';
import { CreateApiKeyDto } from '../access/dto/api-key.dto';
import { UpdateConnectionDto } from '../bitrix24/dto/connection.dto';
import { ListEmployeesQuery } from '../employees/dto/employee.dto';
import { DomainException } from './errors/domain.exception';
import { createValidationPipe, FieldProblem } from './validation';

/** What the pipe answers for `value` validated as `metatype`: the exception's message and details. */
async function refusal(metatype: ArgumentMetadata['metatype'], value: unknown, type: ArgumentMetadata['type'] = 'body'): Promise<{ message: string; details: FieldProblem[] }> {
  try {
    await createValidationPipe().transform(value, { type, metatype });
  } catch (error) {
    expect(error).toBeInstanceOf(DomainException);
    const e = error as DomainException;
    expect(e.code).toBe('validation_failed');
    return { message: e.message, details: e.details as FieldProblem[] };
  }
  throw new Error(`expected ${JSON.stringify(value)} to be refused`);
}

describe('validation: one clear sentence per field', () => {
  it.each([
    // [dto, input, field, the one problem]
    [ListEmployeesQuery, { limit: 'abc' }, 'limit', 'must be a whole number from 1 to 500', 'query'],
    [ListEmployeesQuery, { limit: '0' }, 'limit', 'must be a whole number from 1 to 500', 'query'],
    [ListEmployeesQuery, { limit: '2.5' }, 'limit', 'must be a whole number from 1 to 500', 'query'],
    [ListEmployeesQuery, { active: 'yes' }, 'active', 'must be true or false', 'query'],
    [ListEmployeesQuery, { source: 'ldap' }, 'source', 'must be one of: bitrix24, manual', 'query'],
    [ListEmployeesQuery, { q: 'a\tb' }, 'q', 'must be a single line of text, without tabs or line breaks', 'query'],
    [ListEmployeesQuery, { q: 'x'.repeat(101) }, 'q', 'must be at most 100 characters long', 'query'],
    [ListEmployeesQuery, { connectionId: 'nope' }, 'connectionId', 'must be an id (UUID)', 'query'],
    [ListEmployeesQuery, { colour: 'red' }, 'colour', 'is not a field this request accepts', 'query'],
    [CreateApiKeyDto, { role: 'viewer' }, 'name', 'is required', 'body'],
    [CreateApiKeyDto, { name: '', role: 'viewer' }, 'name', 'must be 1 to 100 characters long', 'body'],
    [CreateApiKeyDto, { name: 'line\nbreak', role: 'viewer' }, 'name', 'must be a single line of text, without tabs or line breaks', 'body'],
    [CreateApiKeyDto, { name: 'CRM', role: 'god' }, 'role', 'must be one of: owner, admin, integrator, viewer', 'body'],
    [UpdateConnectionDto, { removalGuardPercent: 150 }, 'removalGuardPercent', 'must be a number from 0 to 100', 'body'],
    [UpdateConnectionDto, { schedule: { kind: 'interval', intervalMinutes: 2 } }, 'schedule.intervalMinutes', 'must be a whole number from 5 to 1440', 'body'],
    [UpdateConnectionDto, { schedule: { kind: 'daily', dailyTimesUtc: ['25:00'] } }, 'schedule.dailyTimesUtc', 'each daily time must be HH:MM (UTC)', 'body'],
  ] as const)('%p %j → %s %s', async (dto, input, field, problem, type) => {
    const { message, details } = await refusal(dto, input, type);
    expect(details).toEqual([{ field, problems: [problem] }]);
    expect(message).toBe(`${field} ${problem}`);
  });

  it('names every bad field once, in one message', async () => {
    const { message, details } = await refusal(ListEmployeesQuery, { limit: 'abc', active: 'maybe' }, 'query');
    expect(details.map((d) => d.field).sort()).toEqual(['active', 'limit']);
    for (const d of details) expect(d.problems).toHaveLength(1);
    expect(message).toContain('limit must be a whole number from 1 to 500');
    expect(message).toContain('active must be true or false');
  });

  it.each(['xx', 'ZZ', 'AA', 'RUS', 'ru', '', 'R1'])('refuses the phone country %j (libphonenumber does not know it)', async (country) => {
    const { details } = await refusal(UpdateConnectionDto, { defaultCountry: country });
    expect(details).toEqual([{ field: 'defaultCountry', problems: [expect.stringMatching(/^must be a country code with phone numbering/)] }]);
  });

  it.each(['RU', 'KZ', 'US', 'DE', 'BY'])('accepts the phone country %s', async (country) => {
    await expect(createValidationPipe().transform({ defaultCountry: country }, { type: 'body', metatype: UpdateConnectionDto })).resolves.toMatchObject({ defaultCountry: country });
  });
});
