/**
 * Guards against mass removal. Marking links deleted (and, per seeds/002 item 6, removing those
 * employees from the "Responsible Employee" list) is driven by who is missing from Bitrix24's
 * user list. A revoked scope, a user.get that returns fewer fields or users after a portal
 * change, or a failure half-way through pagination (api-reference/user/user-get.md pages by
 * 50) all look exactly like "everyone left". These rules decide when not to believe it.
 */

export interface RemovalGuardInput {
  /** Employees of this portal currently linked in state active. */
  linkedActiveCount: number;
  /** Links this run wants to move to dismissed or deleted. */
  pendingRemovals: number;
  /** Configured share, 0–100. */
  thresholdPercent: number;
}

export interface RemovalGuardResult {
  /** true: apply none of the removals, report them and wait for a person to confirm. */
  hold: boolean;
  /** pendingRemovals as a percentage of linkedActiveCount, rounded to 2 decimals (for reports). */
  sharePercent: number;
}

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

/**
 * hold when pendingRemovals is strictly more than thresholdPercent % of linkedActiveCount
 * (exactly at the threshold passes). The comparison is done in integers
 * (removals × 100 > threshold × linked) so 7 of 100 at 7 % is not held by a rounding error
 * (7 / 100 × 100 is 7.000000000000001 in floating point).
 * - 0 linked employees: never hold (nothing to protect; the share is reported as 0).
 * - threshold 100: never hold (the guard is switched off, even if removals exceed the count).
 * - threshold 0: any removal holds.
 * Bad inputs (negative, fractional counts, threshold outside 0–100) throw: they are bugs in the
 * caller or config, and a guard that silently passes is worse than a failed run.
 */
export function evaluateRemovalGuard(input: RemovalGuardInput): RemovalGuardResult {
  const { linkedActiveCount, pendingRemovals, thresholdPercent } = input;
  assertCount('linkedActiveCount', linkedActiveCount);
  assertCount('pendingRemovals', pendingRemovals);
  if (!Number.isFinite(thresholdPercent) || thresholdPercent < 0 || thresholdPercent > 100) {
    throw new RangeError(`thresholdPercent must be between 0 and 100, got ${thresholdPercent}`);
  }
  if (linkedActiveCount === 0) return { hold: false, sharePercent: 0 };
  const sharePercent = Math.round((pendingRemovals * 100 * 100) / linkedActiveCount) / 100;
  const hold = thresholdPercent < 100 && pendingRemovals * 100 > thresholdPercent * linkedActiveCount;
  return { hold, sharePercent };
}

export interface ExportSummary {
  /** Every page of user.get was read without error. */
  complete: boolean;
  /**
   * The token's user was a portal administrator (user.admin true). For anyone else user.get
   * hides users without a department and outside the caller's workgroups, even with
   * ADMIN_MODE (rest/lib/api/user.php), so their absence proves nothing.
   */
  readByAdministrator: boolean;
  /** Users the export returned (in scope or not). */
  returnedCount: number;
  /** Users of this portal currently linked (any state but deleted). */
  linkedCount: number;
}

/**
 * Whether "missing from the export" may be read as "deleted in Bitrix24". Not when the export
 * errored mid-way (complete false), not when it was read without administrator rights, and
 * not when it came back empty while links exist: a real portal always has at least the user
 * who installed the integration, so an empty list means a permission or API problem, not that
 * everyone was deleted. An empty export with no links is fine (a new connection to an empty
 * portal has nothing to delete).
 */
export function isExportTrustworthy(summary: ExportSummary): boolean {
  if (!summary.complete || !summary.readByAdministrator) return false;
  return !(summary.returnedCount === 0 && summary.linkedCount > 0);
}
