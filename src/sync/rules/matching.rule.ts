/**
 * Which CallGear employee a Bitrix24 user belongs to. seeds/002 item 3 ("Employee Linking"):
 * search by the unique Bitrix24 identifier first; if not found, by email; a match by
 * identifier ends the search, a match by email links the employee, no match creates one.
 *
 * The seed is silent on two cases we must not guess in, because a wrong link hands one
 * person's calls to another: several employees with the same email (skip: ambiguous_email),
 * and an email whose employee is already linked to a different user of the same portal
 * (skip: email_linked_elsewhere; linking would steal that user's employee).
 */

export type MatchDecision =
  /** A link (connection, Bitrix24 user id) exists: nothing else is searched. */
  | { kind: 'linked'; employeeId: string }
  /** Exactly one eligible employee of the account has this email: link it. */
  | { kind: 'link_by_email'; employeeId: string }
  /** No employee has the email: create one. */
  | { kind: 'create' }
  | { kind: 'skip'; reason: 'ambiguous_email' | 'email_linked_elsewhere' };

export interface EmailCandidate {
  employeeId: string;
  /** Linked to another Bitrix24 user of this same portal (connection). */
  linkedToOtherUserOfThisPortal: boolean;
}

export interface MatchInput {
  /** The employee already linked to this (connection, Bitrix24 user id), if any. */
  linkedEmployeeId: string | null;
  /**
   * Employees of the account whose email equals the user's (trimmed, case-insensitive; the
   * caller looks them up with normalizeEmail). Links to other portals do not make a candidate
   * ineligible: one person may be imported from several portals into one account.
   */
  emailCandidates: EmailCandidate[];
}

export function decideMatch(input: MatchInput): MatchDecision {
  if (input.linkedEmployeeId !== null) return { kind: 'linked', employeeId: input.linkedEmployeeId };
  if (input.emailCandidates.length === 0) return { kind: 'create' };
  // The same employee may be returned twice (e.g. two email rows); count employees, not rows.
  const eligible = [...new Set(input.emailCandidates.filter((c) => !c.linkedToOtherUserOfThisPortal).map((c) => c.employeeId))];
  if (eligible.length === 1) return { kind: 'link_by_email', employeeId: eligible[0]! };
  if (eligible.length > 1) return { kind: 'skip', reason: 'ambiguous_email' };
  return { kind: 'skip', reason: 'email_linked_elsewhere' };
}
