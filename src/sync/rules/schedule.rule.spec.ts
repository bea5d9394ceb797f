import { DEFAULT_SYNC_SCHEDULE, backoffDelaySeconds, nextDueAt, parseDailyTimes, type SyncSchedule } from './schedule.rule';

describe('DEFAULT_SYNC_SCHEDULE', () => {
  it('is every 30 minutes (seeds/002)', () => {
    expect(DEFAULT_SYNC_SCHEDULE).toEqual({ kind: 'interval', minutes: 30 });
  });
});

describe('parseDailyTimes', () => {
  it.each<[string[], string[]]>([
    [['09:00'], ['09:00']],
    [['18:30', '06:00'], ['06:00', '18:30']],
    [['06:00', '06:00', '05:59'], ['05:59', '06:00']],
    [[' 07:15 ', '07:15'], ['07:15']],
    [['00:00', '23:59'], ['00:00', '23:59']],
  ])('%j → %j', (input, expected) => {
    expect(parseDailyTimes(input)).toEqual(expected);
  });

  it.each<[string[], RegExp]>([
    [[], /at least one time/],
    [['24:00'], /#1 .*"24:00"/],
    [['09:00', '9:00'], /#2 .*"9:00"/],
    [['12:60'], /"12:60"/],
    [['12:5'], /"12:5"/],
    [['1200'], /"1200"/],
    [['12:00:00'], /"12:00:00"/],
    [['-1:00'], /"-1:00"/],
    [['ab:cd'], /"ab:cd"/],
    [[''], /""/],
    [[null as unknown as string], /null/],
  ])('%j throws %s', (input, message) => {
    expect(() => parseDailyTimes(input)).toThrow(message);
  });
});

describe('nextDueAt', () => {
  const at = (iso: string) => new Date(iso);
  it.each<[string, SyncSchedule, string, string]>([
    ['interval adds minutes', { kind: 'interval', minutes: 30 }, '2025-03-10T10:00:00.000Z', '2025-03-10T10:30:00.000Z'],
    ['interval crosses midnight', { kind: 'interval', minutes: 90 }, '2025-03-10T23:00:00.000Z', '2025-03-11T00:30:00.000Z'],
    ['daily: later time today', { kind: 'daily', timesUtc: ['06:00', '18:00'] }, '2025-03-10T10:00:00.000Z', '2025-03-10T18:00:00.000Z'],
    ['daily: earlier listed time today', { kind: 'daily', timesUtc: ['18:00', '06:00'] }, '2025-03-10T05:00:00.000Z', '2025-03-10T06:00:00.000Z'],
    ['daily: strictly after (exactly at a time → next one)', { kind: 'daily', timesUtc: ['06:00', '18:00'] }, '2025-03-10T06:00:00.000Z', '2025-03-10T18:00:00.000Z'],
    ['daily: a millisecond before', { kind: 'daily', timesUtc: ['06:00'] }, '2025-03-10T05:59:59.999Z', '2025-03-10T06:00:00.000Z'],
    ['daily: wraps to tomorrow', { kind: 'daily', timesUtc: ['06:00', '18:00'] }, '2025-03-10T18:00:00.000Z', '2025-03-11T06:00:00.000Z'],
    ['daily: single time, already passed', { kind: 'daily', timesUtc: ['03:30'] }, '2025-03-10T12:00:00.000Z', '2025-03-11T03:30:00.000Z'],
    ['daily: wraps across a month end', { kind: 'daily', timesUtc: ['00:00'] }, '2025-02-28T00:00:00.000Z', '2025-03-01T00:00:00.000Z'],
    ['daily: wraps across a year end', { kind: 'daily', timesUtc: ['01:00'] }, '2025-12-31T23:59:00.000Z', '2026-01-01T01:00:00.000Z'],
    ['daily: UTC has no DST jump (EU change night)', { kind: 'daily', timesUtc: ['02:30'] }, '2025-03-30T00:00:00.000Z', '2025-03-30T02:30:00.000Z'],
    ['daily: before 1970 still works', { kind: 'daily', timesUtc: ['12:00'] }, '1969-07-20T20:17:00.000Z', '1969-07-21T12:00:00.000Z'],
  ])('%s', (_name, schedule, from, expected) => {
    expect(nextDueAt(schedule, at(from)).toISOString()).toBe(expected);
  });

  it.each<[string, SyncSchedule, Date]>([
    ['zero interval', { kind: 'interval', minutes: 0 }, new Date('2025-03-10T10:00:00Z')],
    ['fractional interval', { kind: 'interval', minutes: 1.5 }, new Date('2025-03-10T10:00:00Z')],
    ['bad daily time', { kind: 'daily', timesUtc: ['25:00'] }, new Date('2025-03-10T10:00:00Z')],
    ['no daily times', { kind: 'daily', timesUtc: [] }, new Date('2025-03-10T10:00:00Z')],
    ['invalid date', { kind: 'interval', minutes: 30 }, new Date('nope')],
  ])('throws on %s', (_name, schedule, from) => {
    expect(() => nextDueAt(schedule, from)).toThrow(Error);
  });
});

describe('backoffDelaySeconds', () => {
  it.each<[number, number | undefined, number | undefined, number]>([
    [0, undefined, undefined, 0],
    [-3, undefined, undefined, 0],
    [1, undefined, undefined, 60],
    [2, undefined, undefined, 120],
    [3, undefined, undefined, 240],
    [6, undefined, undefined, 1920],
    [7, undefined, undefined, 3600], // 3840 capped
    [50, undefined, undefined, 3600],
    [10_000, undefined, undefined, 3600],
    [1, 10, 100, 10],
    [4, 10, 100, 80],
    [5, 10, 100, 100],
    [3, 0, 100, 0],
    [10_000, 0, 100, 0],
    [1, 120, 60, 60], // cap below base wins
  ])('%i failures (base %s, max %s) → %i s', (failures, base, max, expected) => {
    expect(backoffDelaySeconds(failures, base, max)).toBe(expected);
  });

  it.each<[number, number, number]>([
    [Number.NaN, 60, 3600],
    [1.5, 60, 3600],
    [1, -1, 3600],
    [1, 60, Number.POSITIVE_INFINITY],
  ])('throws on (%s, %s, %s)', (failures, base, max) => {
    expect(() => backoffDelaySeconds(failures, base, max)).toThrow(RangeError);
  });
});
