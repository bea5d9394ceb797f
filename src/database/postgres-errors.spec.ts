import { isDatabaseUnavailable, isUniqueViolation } from './postgres-errors';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    // [what, error, unavailable?]
    ['server refused the connection', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), true],
    ['socket dropped mid-query', new Error('Connection terminated unexpectedly'), true],
    ['pool could not connect in time', new Error('timeout exceeded when trying to connect'), true],
    ['admin shutdown (57P01)', withCode('57P01', 'terminating connection due to administrator command'), true],
    ['server starting up (57P03)', withCode('57P03', 'the database system is starting up'), true],
    ['too many connections (53300)', withCode('53300', 'sorry, too many clients already'), true],
    ['connection exception class 08', withCode('08006'), true],
    ['wrapped by TypeORM', Object.assign(new Error('Query failed'), { driverError: withCode('57P01') }), true],
    ['several addresses refused (AggregateError)', Object.assign(new AggregateError([withCode('ECONNREFUSED')], ''), {}), true],
    ['a unique violation is a bug or a conflict, not an outage', withCode('23505', 'duplicate key value'), false],
    ['a syntax error', withCode('42601', 'syntax error at or near'), false],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')"), false],
    ['nothing', undefined, false],
  ])('%s', (_what, error, expected) => {
    expect(isDatabaseUnavailable(error)).toBe(expected);
  });

  it('leaves isUniqueViolation alone', () => {
    expect(isUniqueViolation(withCode('23505'))).toBe(true);
    expect(isUniqueViolation(withCode('57P01'))).toBe(false);
  });
});
