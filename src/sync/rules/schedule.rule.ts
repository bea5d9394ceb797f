/**
 * When a connection's next sync is due, and how long to wait after failures.
 *
 * - Interval: seeds/002 "synchronization occurs every 30 minutes" (the default below).
 * - Daily at fixed UTC times: seeds/000 (iSpring's Bitrix24 sync) runs at set UTC times once or
 *   twice a day; some portals prefer that to a steady load during working hours.
 * All arithmetic is in UTC milliseconds, so there are no daylight-saving jumps to handle.
 */

export type SyncSchedule = { kind: 'interval'; minutes: number } | { kind: 'daily'; timesUtc: string[] };

/** seeds/002: "synchronization occurs every 30 minutes". */
export const DEFAULT_SYNC_SCHEDULE: SyncSchedule = { kind: 'interval', minutes: 30 };

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * Validates "HH:MM" UTC times (00:00–23:59, two digits each; surrounding spaces are ignored),
 * removes duplicates and sorts them. Throws an Error naming the bad value; an empty list is an
 * error too, since a daily schedule with no times would never run.
 */
export function parseDailyTimes(input: string[]): string[] {
  if (input.length === 0) throw new Error('Daily sync schedule needs at least one time (HH:MM, UTC)');
  const times = input.map((raw, index) => {
    const value = typeof raw === 'string' ? raw.trim() : raw;
    if (typeof value !== 'string' || !TIME.test(value)) {
      throw new Error(`Daily sync time #${index + 1} is not a UTC time HH:MM between 00:00 and 23:59: ${JSON.stringify(raw)}`);
    }
    return value;
  });
  // Fixed-width "HH:MM" sorts correctly as text.
  return [...new Set(times)].sort();
}

function minutesOfDay(time: string): number {
  const [, hours, minutes] = TIME.exec(time)!;
  return Number(hours) * 60 + Number(minutes);
}

/**
 * Interval: from + minutes (a whole number ≥ 1). Daily: the first listed UTC time strictly
 * after `from` (a run that starts exactly at 10:00 is not due again at 10:00), else the first
 * time tomorrow. Throws on an invalid date or schedule.
 */
export function nextDueAt(schedule: SyncSchedule, from: Date): Date {
  const now = from.getTime();
  if (Number.isNaN(now)) throw new Error('nextDueAt needs a valid date');
  if (schedule.kind === 'interval') {
    if (!Number.isSafeInteger(schedule.minutes) || schedule.minutes < 1) {
      throw new Error(`Sync interval must be a whole number of minutes ≥ 1, got ${schedule.minutes}`);
    }
    return new Date(now + schedule.minutes * MINUTE_MS);
  }
  const times = parseDailyTimes(schedule.timesUtc);
  const midnight = now - (((now % DAY_MS) + DAY_MS) % DAY_MS);
  for (const time of times) {
    const candidate = midnight + minutesOfDay(time) * MINUTE_MS;
    if (candidate > now) return new Date(candidate);
  }
  return new Date(midnight + DAY_MS + minutesOfDay(times[0]!) * MINUTE_MS);
}

/**
 * Seconds to wait before retrying after `consecutiveFailures` failed runs in a row:
 * 0 with no failures, then base, 2×base, 4×base, … capped at maxSeconds (1 min, 2, 4, … 1 h by
 * default), so a broken portal is retried about hourly instead of every tick, and a
 * transient error costs a minute. Deterministic: any jitter belongs to the caller.
 */
export function backoffDelaySeconds(consecutiveFailures: number, baseSeconds = 60, maxSeconds = 3600): number {
  if (!Number.isSafeInteger(consecutiveFailures)) throw new RangeError(`consecutiveFailures must be an integer, got ${consecutiveFailures}`);
  if (!Number.isFinite(baseSeconds) || baseSeconds < 0) throw new RangeError(`baseSeconds must be ≥ 0, got ${baseSeconds}`);
  if (!Number.isFinite(maxSeconds) || maxSeconds < 0) throw new RangeError(`maxSeconds must be ≥ 0, got ${maxSeconds}`);
  if (consecutiveFailures <= 0) return 0;
  // 2^52 already exceeds any cap; keeps the power finite so 0 × base stays 0, not NaN.
  const exponent = Math.min(consecutiveFailures - 1, 52);
  return Math.min(maxSeconds, baseSeconds * 2 ** exponent);
}
