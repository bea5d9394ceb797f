import type { MethodBudget } from './batch-pacing';

/** The `time` block of an answer (api-reference/data-types.md#time; limits.md for operating). */
export interface TimeBlock {
  duration?: number;
  processing?: number;
  operating?: number;
  operating_reset_at?: number;
  [k: string]: unknown;
}

/**
 * What a portal's answers said about each method's cost and budget (limits.md): the
 * seconds a call took, the method's accumulated `operating` time and when its oldest bucket
 * resets. One per portal per process, shared by every client of that portal, so a run
 * starts from what the previous one learnt.
 */
export class MethodTimings {
  private readonly byMethod = new Map<string, MethodBudget>();

  /**
   * Records the answers of one request. `costs` lists the time blocks whose duration says
   * what one call of the method costs (the commands of a step); every block updates the
   * method's operating figures. Of several blocks in one request the largest cost counts.
   */
  observe(method: string, times: TimeBlock[], options: { cost: boolean } = { cost: true }): void {
    if (!times.length) return;
    const entry = this.byMethod.get(method) ?? { commandSeconds: null, operatingSeconds: null, operatingResetAt: null };
    if (options.cost) {
      const costs = times.map((t) => Math.max(Number(t.duration ?? 0), Number(t.processing ?? 0))).filter((n) => Number.isFinite(n));
      if (costs.length) entry.commandSeconds = Math.max(...costs);
    }
    for (const time of times) {
      if (time.operating !== undefined && Number.isFinite(Number(time.operating))) {
        // Within one request the figure only grows: the last, largest one is current.
        entry.operatingSeconds = time === times[0] ? Number(time.operating) : Math.max(entry.operatingSeconds ?? 0, Number(time.operating));
      }
      if (time.operating_reset_at) entry.operatingResetAt = Number(time.operating_reset_at) * 1000;
    }
    this.byMethod.set(method, entry);
  }

  budget(method: string): MethodBudget {
    return this.byMethod.get(method) ?? { commandSeconds: null, operatingSeconds: null, operatingResetAt: null };
  }

  /** When a block of `method` is expected to lift (epoch ms), if an answer said. */
  resetAt(method: string): number | undefined {
    return this.byMethod.get(method)?.operatingResetAt ?? undefined;
  }

  budgets(methods: string[]): Record<string, MethodBudget> {
    return Object.fromEntries(methods.map((m) => [m, this.budget(m)]));
  }
}

/** One MethodTimings per portal per process. */
export class MethodTimingsRegistry {
  private readonly portals = new Map<string, MethodTimings>();

  for(portalKey: string): MethodTimings {
    let timings = this.portals.get(portalKey);
    if (!timings) {
      timings = new MethodTimings();
      this.portals.set(portalKey, timings);
    }
    return timings;
  }
}
