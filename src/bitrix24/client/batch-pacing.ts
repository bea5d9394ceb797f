/**
 * How much one request may carry. Two limits from limits.md:
 * - a cloud request must finish within 60 seconds, so a batch holds only as many commands
 *   as fit a request budget far below that, at the cost each command was last seen to take
 *   (`time.processing` / `duration` of the commands in the previous answer);
 * - each method may spend 480 seconds of processing per 10 minutes (420 on a self-hosted
 *   box that enables the limit); the time spent is the `time.operating` of the latest
 *   answer, and past the limit Bitrix24 blocks the method with OPERATION_TIME_LIMIT. So a
 *   batch adds no more of a method's commands than its remaining budget pays for, and when
 *   nothing fits, the request waits until `time.operating_reset_at`, when the oldest
 *   one-minute bucket leaves the sum.
 * Pure: the client feeds it what the portal last said.
 */

/** A cost to assume for a method never seen: only the first request of a process pays for the guess. */
export const UNKNOWN_COMMAND_SECONDS = 2;
/** Keep this share of a method's budget unused: the costs are estimates. */
export const OPERATING_SAFETY_SHARE = 0.9;

export interface MethodBudget {
  /** Seconds one call was last seen to take, or null when never observed. */
  commandSeconds: number | null;
  /** The method's accumulated seconds in the window (`time.operating` of the latest answer), or null. */
  operatingSeconds: number | null;
  /** When the oldest bucket leaves the sum (epoch ms), or null. */
  operatingResetAt: number | null;
}

export interface BatchPlanInput {
  now: number;
  /** Commands the request carries in any case (an admin check, a count), by method. */
  fixed: string[];
  /** What the caller would like to send, in priority order: `count` commands of `method`. */
  wanted: Array<{ method: string; count: number }>;
  budgets: Readonly<Record<string, MethodBudget>>;
  requestBudgetSeconds: number;
  operatingLimitSeconds: number;
  maxCommands: number;
}

export type BatchPlan =
  /** Send this many commands of each wanted entry (same order as `wanted`). */
  | { kind: 'send'; counts: number[] }
  /** Nothing fits any method's budget: wait until the earliest reset. */
  | { kind: 'wait'; until: number; method: string };

const costOf = (budget: MethodBudget | undefined): number => Math.max(budget?.commandSeconds ?? UNKNOWN_COMMAND_SECONDS, 0.001);

/**
 * Fills the request in priority order. A method whose budget is spent gets nothing; when no
 * wanted method fits and some reset time lies ahead, the plan is to wait for the earliest;
 * when the reset time has passed (the recorded `operating` is stale), one command goes out
 * as a probe so the answer tells the new figure. A single command is never split, so the
 * first wanted entry always gets at least one when nothing else blocks it.
 */
export function planBatch(input: BatchPlanInput): BatchPlan {
  const { now, budgets } = input;
  const planned = new Map<string, number>();
  const spend = (method: string, seconds: number) => planned.set(method, (planned.get(method) ?? 0) + seconds);
  let slots = input.maxCommands - input.fixed.length;
  let seconds = input.requestBudgetSeconds;
  for (const method of input.fixed) {
    spend(method, costOf(budgets[method]));
    seconds -= costOf(budgets[method]);
  }
  const headroom = (method: string) => input.operatingLimitSeconds * OPERATING_SAFETY_SHARE - (budgets[method]?.operatingSeconds ?? 0) - (planned.get(method) ?? 0);

  const counts = input.wanted.map(() => 0);
  const blocked: string[] = [];
  input.wanted.forEach(({ method, count }, index) => {
    if (count <= 0 || slots <= 0) return;
    const cost = costOf(budgets[method]);
    const byBudget = Math.floor(headroom(method) / cost);
    if (byBudget < 1) {
      blocked.push(method);
      return;
    }
    const n = Math.max(0, Math.min(count, slots, byBudget, Math.floor(seconds / cost)));
    counts[index] = n;
    slots -= n;
    seconds -= n * cost;
    spend(method, n * cost);
  });

  const sending = counts.some((n) => n > 0) || input.fixed.length > 0;
  if (sending) return { kind: 'send', counts };
  const firstWanted = input.wanted.findIndex((w) => w.count > 0);
  if (firstWanted < 0) return { kind: 'send', counts };
  const ahead = blocked
    .map((method) => ({ method, at: budgets[method]?.operatingResetAt ?? null }))
    .filter((b): b is { method: string; at: number } => b.at !== null && b.at > now)
    .sort((a, b) => a.at - b.at);
  // Every blocked method has a reset ahead: wait for the first (one second past it, as
  // operating_reset_at is in whole seconds).
  if (ahead.length && ahead.length === blocked.length) return { kind: 'wait', until: ahead[0].at + 1000, method: ahead[0].method };
  // A stale figure, or only the request budget stood in the way: one command.
  const probe = blocked.length ? input.wanted.findIndex((w) => w.count > 0 && blocked.includes(w.method) && !ahead.some((a) => a.method === w.method)) : firstWanted;
  counts[probe >= 0 ? probe : firstWanted] = 1;
  return { kind: 'send', counts };
}
