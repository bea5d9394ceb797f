/**
 * The life of a link between a CallGear employee and a Bitrix24 user.
 *
 * - Dismissal: in Bitrix24 an employee who has used the portal is normally dismissed rather
 *   than deleted; the user stays and ACTIVE turns false (api-reference/user/user-get.md: ACTIVE=true "excludes
 *   dismissed users"). Such a user is seen_inactive → dismissed.
 * - Deletion: a user who is no longer returned at all → deleted, but only when the export was
 *   complete; a failed or partial export proves nothing about who is missing.
 * - seeds/002 item 1: a deleted employee is not removed from CallGear; the link only changes
 *   state. Item 6: after the import they are removed from the "Responsible Employee" list; we
 *   do the same for dismissed users, which is what "deleted" means for most Bitrix24 admins.
 * - A re-hired (re-activated) or reappearing user is relinked to the same employee:
 *   reactivated, instead of creating a second employee.
 * - Department selection (issue 13, rule 2): an active user none of whose departments is in
 *   scope moves the link to out_of_scope, which takes the employee off the responsible list
 *   like a dismissal; back in scope, the link is active again (back_in_scope), and, like a
 *   re-hire, the employee is not put back on the list.
 */
import { isBitrix24Active, type Bitrix24User } from '../../bitrix24/bitrix24-user';

export type LinkState = 'active' | 'dismissed' | 'deleted' | 'out_of_scope';
export type LinkObservation = 'seen_active' | 'seen_inactive' | 'missing';
export type LinkOutcome = 'dismissed' | 'deleted' | 'reactivated' | 'out_of_scope' | 'back_in_scope';

export interface LinkTransition {
  state: LinkState;
  /** What happened on this run; null when nothing did. */
  outcome: LinkOutcome | null;
}

/** How this run saw a user: absent from the export, or present and (in)active. */
export function observeUser(user: Pick<Bitrix24User, 'ACTIVE'> | undefined | null): LinkObservation {
  if (user === undefined || user === null) return 'missing';
  return isBitrix24Active(user) ? 'seen_active' : 'seen_inactive';
}

/**
 * The next state of a link and the event to report.
 *
 * | current   | seen_active          | seen_inactive         | missing (complete)  | missing (incomplete) |
 * |-----------|----------------------|-----------------------|---------------------|----------------------|
 * | active    | active               | dismissed/dismissed   | deleted/deleted     | active               |
 * | dismissed | active/reactivated   | dismissed             | deleted/deleted     | dismissed            |
 * | deleted   | active/reactivated   | deleted               | deleted             | deleted              |
 * | null      | active               | dismissed             | deleted             | deleted              |
 *
 * Out of the department selection (inScope false) only changes what seen_active leads to:
 *
 * | current      | seen_active, in scope   | seen_active, out of scope | seen_inactive       | missing (complete) |
 * |--------------|-------------------------|---------------------------|---------------------|--------------------|
 * | active       | active                  | out_of_scope/out_of_scope | dismissed/dismissed | deleted/deleted    |
 * | out_of_scope | active/back_in_scope    | out_of_scope              | dismissed/dismissed | deleted/deleted    |
 * | dismissed    | active/reactivated      | out_of_scope              | dismissed           | deleted/deleted    |
 * | deleted      | active/reactivated      | out_of_scope              | deleted             | deleted            |
 *
 * A re-hire outside the selection is no event (the employee was already off the list and
 * stays off it); out_of_scope → dismissed is one, so an employee the owner put back on the
 * list by hand leaves it when the person leaves.
 *
 * deleted + seen_inactive stays deleted: the user reappeared but is still gone, and the
 * responsible-list removal already happened; only a return to active is an event.
 * current null (no link yet) names the state a link would start in, with no outcome, because
 * nothing that existed changed; the engine decides whether to create such a link at all.
 */
export function nextLinkState(current: LinkState | null, observation: LinkObservation, exportComplete: boolean, inScope = true): LinkTransition {
  if (current === null) {
    const state: LinkState = observation === 'seen_active' ? (inScope ? 'active' : 'out_of_scope') : observation === 'seen_inactive' ? 'dismissed' : 'deleted';
    return { state, outcome: null };
  }
  switch (observation) {
    case 'seen_active':
      if (!inScope) return { state: 'out_of_scope', outcome: current === 'active' ? 'out_of_scope' : null };
      if (current === 'active') return { state: 'active', outcome: null };
      return { state: 'active', outcome: current === 'out_of_scope' ? 'back_in_scope' : 'reactivated' };
    case 'seen_inactive':
      return current === 'active' || current === 'out_of_scope' ? { state: 'dismissed', outcome: 'dismissed' } : { state: current, outcome: null };
    case 'missing':
      if (!exportComplete || current === 'deleted') return { state: current, outcome: null };
      return { state: 'deleted', outcome: 'deleted' };
  }
}

/** seeds/002 item 6: a deleted (and, for us, a dismissed or deselected) employee leaves the responsible list. */
export function shouldRemoveFromResponsible(outcome: LinkOutcome | null): boolean {
  return outcome === 'dismissed' || outcome === 'deleted' || outcome === 'out_of_scope';
}
