import { bitrix24UserId, Bitrix24User, departmentIds } from '../bitrix24/bitrix24-user';
import {
  checkRequiredFields,
  collectPhones,
  computeEmployeeChanges,
  CountryCode,
  decideMatch,
  EmployeeFields,
  isInScope,
  LinkState,
  LinkTransition,
  nextLinkState,
  normalizeEmail,
  observeUser,
} from './rules';
import * as rules from './rules';
import type { RunItem, SkipReason } from './sync-run.types';
import { settingsFingerprint, userFingerprint } from './user-fingerprint';

export interface ChunkSettings {
  edition: 'cloud' | 'on_premise';
  includeExtranet: boolean;
  defaultCountry: CountryCode;
  /** The department selection (rules/department-scope.rule.ts) for a user's UF_DEPARTMENT; absent = everyone. */
  inDepartmentScope?: (departmentIds: number[]) => boolean;
  /**
   * What the run's settings make of every user (settingsFingerprint): set, the plan keeps each
   * link's fingerprint current, so the next run skips the users it finds unchanged. A preview
   * leaves it out and writes none.
   */
  fingerprintSettings?: string;
}

export interface ExistingLink {
  bitrix24UserId: number;
  employeeId: string;
  state: LinkState;
  departmentIds: number[];
  userType: string | null;
  /** 'manual': the owner chose the employee (PUT user-links); reported on the user's item. */
  matchedBy?: string;
  /** What the last run planned this user from (user-fingerprint.ts); null: plan it. */
  fingerprint?: string | null;
}

export interface ExistingEmployee extends EmployeeFields {
  id: string;
  hasPhones: boolean;
}

export interface EmailCandidate {
  employeeId: string;
  /** Already linked to some user of this portal (so not to the unlinked user being matched). */
  linkedOnThisPortal: boolean;
  /** The user of this portal it is linked to, when it is. */
  linkedBitrix24UserId?: number | null;
}

/** What the database holds about the users of one chunk, loaded in bulk beforehand. */
export interface ChunkState {
  links: Map<number, ExistingLink>;
  employees: Map<string, ExistingEmployee>;
  candidatesByEmail: Map<string, EmailCandidate[]>;
  /** Users the owner unlinked and excluded from matching (DELETE user-links). */
  excluded?: ReadonlySet<number>;
  /** Export pages: linked users (not deleted) inside the page's ID range that it did not return. */
  unseenInRange?: number[];
  /**
   * Linked users whose fingerprint is unchanged: their last plan left them unchanged and
   * nothing it read has changed since, so they are counted unchanged without being planned
   * again (and their employee is not loaded).
   */
  settled?: ReadonlySet<number>;
}

export interface ChunkPlan {
  newEmployees: Array<{ id: string; fields: EmployeeFields }>;
  employeeUpdates: Array<{ id: string; fields: EmployeeFields }>;
  phoneInserts: Array<{ employeeId: string; position: number; digits: string; source: string }>;
  newLinks: Array<{ bitrix24UserId: number; employeeId: string; state: LinkState; matchedBy: 'created' | 'email'; departmentIds: number[]; userType: string | null; fingerprint?: string | null }>;
  linkUpdates: Array<{ bitrix24UserId: number; state: LinkState; stateChanged: boolean; departmentIds: number[]; userType: string | null; fingerprint?: string | null }>;
  /** Links whose fingerprint changes while nothing else of them does. */
  fingerprints: Array<{ bitrix24UserId: number; fingerprint: string | null }>;
  /**
   * The existing employee each fingerprint written here was planned from (a new employee
   * needs none: nobody else can have edited it). The writer re-reads them under lock and
   * writes no fingerprint for a user whose employee changed since (SyncStore.applyPlan).
   */
  plannedFrom: Array<{ bitrix24UserId: number; employee: ExistingEmployee }>;
  /**
   * Removals, applied when the run finishes (removal guard): active links seen inactive,
   * existing employees just linked by email to a user who has left (the link is born
   * dismissed, but they may be on the responsible list), and active links whose user is
   * outside the department selection now (out_of_scope, issue 13 rule 2).
   */
  pendingDismissals: Array<{ bitrix24UserId: number; employeeId: string; kind: 'dismissed' | 'out_of_scope'; fromState: LinkState | 'new' }>;
  items: RunItem[];
  seenIds: number[];
}

export function displayName(user: Bitrix24User): string {
  const parts = [user.LAST_NAME, user.NAME].map((p) => (typeof p === 'string' ? p.trim() : '')).filter(Boolean);
  if (parts.length) return parts.join(' ').slice(0, 300);
  const email = typeof user.EMAIL === 'string' ? user.EMAIL.trim() : '';
  return (email || `Bitrix24 user #${String(user.ID)}`).slice(0, 300);
}

// Order matters: the first UF_DEPARTMENT department decides the manager (rules/heads.rule.ts).
const sameIds = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Decides, for one chunk of Bitrix24 users, everything the import will write — without
 * touching the database. The rules are the seed's (seeds/002): required fields, matching
 * by Bitrix24 ID then by email, the "(bitrix24)" last name, phones only for employees
 * that have none, and the link state (dismissed users are seen with ACTIVE=false).
 */
export function planChunk(users: Bitrix24User[], state: ChunkState, settings: ChunkSettings, newId: () => string): ChunkPlan {
  const plan: ChunkPlan = { newEmployees: [], employeeUpdates: [], phoneInserts: [], newLinks: [], linkUpdates: [], fingerprints: [], plannedFrom: [], pendingDismissals: [], items: [], seenIds: [] };
  // Emails taken by an earlier user of this same chunk (earlier chunks are already in the database).
  const claimedEmails = new Map<string, number>();

  for (const user of users) {
    let id: number;
    try {
      id = bitrix24UserId(user);
    } catch {
      continue; // not a user record; nothing sensible to report against
    }
    plan.seenIds.push(id);
    const link = state.links.get(id) ?? null;
    if (link && state.settled?.has(id)) {
      plan.items.push({ bitrix24UserId: id, employeeId: link.employeeId, outcome: 'unchanged', reason: null, name: displayName(user), details: link.matchedBy === 'manual' ? { linkedByOwner: true } : null });
      continue;
    }
    const before = { items: plan.items.length, dismissals: plan.pendingDismissals.length, phones: plan.phoneInserts.length };
    planUser(plan, user, id, link, state, settings, newId, claimedEmails);
    if (settings.fingerprintSettings !== undefined) keepFingerprint(plan, user, id, link, state.employees, before, settings.fingerprintSettings);
  }
  return plan;
}

/** One user's part of the plan (planChunk's loop body). */
function planUser(plan: ChunkPlan, user: Bitrix24User, id: number, link: ExistingLink | null, state: ChunkState, settings: ChunkSettings, newId: () => string, claimedEmails: Map<string, number>): void {
  const name = displayName(user);
  const observation = observeUser(user);
  const departments = departmentIds(user);
  const inDepartmentScope = settings.inDepartmentScope ? settings.inDepartmentScope(departments) : true;
  const userType = typeof user.USER_TYPE === 'string' && user.USER_TYPE ? user.USER_TYPE : null;
  const skip = (reason: SkipReason, details: Record<string, unknown> | null = null) =>
    plan.items.push({ bitrix24UserId: id, employeeId: link?.employeeId ?? null, outcome: 'skipped', reason, name, details });

  // Link state is followed even for users whose fields we cannot import, so a
  // dismissed person leaves the responsible list whatever else is wrong with the record.
  const linkTransition = link ? nextLinkState(link.state, observation, false, inDepartmentScope) : null;

  // The owner's decision beats automatic matching: an excluded user is never matched
  // (by email or by creating an employee) until the owner lifts the exclusion.
  if (!link && state.excluded?.has(id)) {
    skip('excluded_by_owner', { excludedByOwner: true });
    return;
  }

  // Outside the department selection: never created; a linked employee is kept, its
  // link follows (out_of_scope) with its departments kept current, its fields are not.
  if (!inDepartmentScope && isInScope(user, settings.includeExtranet)) {
    skip('out_of_scope', { cause: 'departments', departmentIds: departments });
    if (link && linkTransition) applyLinkTransition(plan, link, linkTransition, departments, userType, name, true);
    return;
  }
  const problem: SkipReason | null = !isInScope(user, settings.includeExtranet) ? 'out_of_scope' : checkRequiredFields(user, settings.edition);
  if (problem) {
    // The offending value where there is one, so the owner sees what to fix (and a changed value is a changed problem).
    skip(problem, problem === 'out_of_scope' ? { userType } : problem === 'invalid_email' ? { value: String(user.EMAIL ?? '').trim().slice(0, 100) } : null);
    if (link && linkTransition) applyLinkTransition(plan, link, linkTransition, departments, userType, name, false);
    return;
  }

  let employeeId: string;
  let current: ExistingEmployee | null = null;
  let primary: 'created' | 'linked_by_email' | 'updated' = 'updated';
  if (link) {
    employeeId = link.employeeId;
    current = state.employees.get(employeeId) ?? null;
  } else {
    const email = normalizeEmail(user.EMAIL)!;
    const claimedBy = claimedEmails.get(email);
    if (claimedBy !== undefined && claimedBy !== id) {
      skip('email_linked_elsewhere', { bitrix24UserId: claimedBy });
      return;
    }
    const candidates = state.candidatesByEmail.get(email) ?? [];
    const decision = decideMatch({
      linkedEmployeeId: null,
      emailCandidates: candidates.map((c) => ({ employeeId: c.employeeId, linkedToOtherUserOfThisPortal: c.linkedOnThisPortal })),
    });
    if (decision.kind === 'skip') {
      // The same details whichever chunk the other user was in (a resumed run's chunks differ from a clean run's).
      const holder = candidates.find((c) => c.linkedOnThisPortal)?.linkedBitrix24UserId;
      skip(decision.reason, decision.reason === 'email_linked_elsewhere' && holder ? { bitrix24UserId: holder } : { candidates: candidates.length });
      return;
    }
    claimedEmails.set(email, id);
    if (decision.kind === 'link_by_email') {
      employeeId = decision.employeeId;
      current = state.employees.get(employeeId) ?? null;
      primary = 'linked_by_email';
    } else {
      employeeId = newId();
      primary = 'created';
    }
  }

  const { next, changedFields } = computeEmployeeChanges(current, user);
  const changed: string[] = primary === 'created' ? [] : [...changedFields];
  if (primary === 'created') plan.newEmployees.push({ id: employeeId, fields: next });
  else if (changedFields.length) plan.employeeUpdates.push({ id: employeeId, fields: next });

  // seeds/002 item 4: numbers are added only when the employee has none at all.
  if (!current?.hasPhones) {
    const { phones, rejected } = collectPhones(user, settings.defaultCountry);
    phones.forEach((phone, index) => plan.phoneInserts.push({ employeeId, position: index + 1, digits: phone.digits, source: phone.source }));
    if (phones.length && primary !== 'created') changed.push('phones');
    for (const r of rejected) {
      plan.items.push({ bitrix24UserId: id, employeeId, outcome: 'phone_rejected', reason: 'not_a_phone_number', name, details: { field: r.field, value: r.value.slice(0, 100) } });
    }
  }

  if (link) {
    if (!sameIds(link.departmentIds, departments)) changed.push('departments');
    applyLinkTransition(plan, link, linkTransition!, departments, userType, name, true);
  } else {
    // A first sight of a dismissed user links them as dismissed: history joins up, and
    // nobody is put on the responsible list for a person who has left.
    plan.newLinks.push({ bitrix24UserId: id, employeeId, state: observation === 'seen_inactive' ? 'dismissed' : 'active', matchedBy: primary === 'created' ? 'created' : 'email', departmentIds: departments, userType });
    if (observation === 'seen_inactive' && primary === 'linked_by_email') plan.pendingDismissals.push({ bitrix24UserId: id, employeeId, kind: 'dismissed', fromState: 'new' });
  }

  const outcome = primary === 'updated' && changed.length === 0 ? 'unchanged' : primary;
  const details: Record<string, unknown> | null = outcome === 'updated' || outcome === 'linked_by_email' ? { changedFields: changed } : null;
  // The report says when the link is the owner's choice rather than a match.
  const byOwner = link?.matchedBy === 'manual' ? { linkedByOwner: true } : null;
  plan.items.push({ bitrix24UserId: id, employeeId, outcome, reason: null, name, details: byOwner ? { ...details, ...byOwner } : details });
}

/** A user's plan can leave it settled when its item is one of these. */
const SETTLING_OUTCOMES: ReadonlySet<string> = new Set(['created', 'linked_by_email', 'updated', 'unchanged']);

/**
 * The fingerprint the user's link keeps after this plan: of the inputs as the plan leaves
 * them (the link as written), when the plan settles the user — planned again from the same
 * inputs it would say "unchanged", report nothing else and write nothing. Otherwise none,
 * so the next run plans the user again (a standing problem, a removal waiting for the
 * guard, a reactivation).
 */
function keepFingerprint(
  plan: ChunkPlan,
  user: Bitrix24User,
  id: number,
  link: ExistingLink | null,
  employees: ChunkState['employees'],
  before: { items: number; dismissals: number; phones: number },
  settings: string,
): void {
  const items = plan.items.slice(before.items);
  const primary = items.at(-1);
  // Rejected numbers next to imported ones are not looked at again (the employee has phones now); alone they stand.
  const phonesImported = plan.phoneInserts.length > before.phones;
  const settles =
    primary !== undefined &&
    SETTLING_OUTCOMES.has(primary.outcome) &&
    items.slice(0, -1).every((i) => i.outcome === 'phone_rejected' && phonesImported) &&
    plan.pendingDismissals.length === before.dismissals;
  const created = plan.newLinks.at(-1)?.bitrix24UserId === id ? plan.newLinks.at(-1)! : null;
  const update = link && plan.linkUpdates.at(-1)?.bitrix24UserId === id ? plan.linkUpdates.at(-1)! : null;
  // The employee as loaded is an input too, and the owner may edit it before this plan is written.
  const plannedFrom = (employeeId: string) => {
    const employee = employees.get(employeeId);
    if (employee) plan.plannedFrom.push({ bitrix24UserId: id, employee });
  };
  if (created) {
    created.fingerprint = settles ? userFingerprint(settings, user, created) : null;
    if (settles) plannedFrom(created.employeeId);
    return;
  }
  if (!link) return;
  const fingerprint = settles ? userFingerprint(settings, user, { ...link, ...(update ? { state: update.state, departmentIds: update.departmentIds, userType: update.userType } : {}) }) : null;
  if (fingerprint !== null) plannedFrom(link.employeeId);
  if (update) update.fingerprint = fingerprint;
  else if ((link.fingerprint ?? null) !== fingerprint) plan.fingerprints.push({ bitrix24UserId: id, fingerprint });
}

function applyLinkTransition(
  plan: ChunkPlan,
  link: ExistingLink,
  transition: LinkTransition,
  departments: number[],
  userType: string | null,
  name: string,
  updateDetails: boolean,
): void {
  // Removals wait for the end of the run (removal guard); the link keeps its state until then.
  const removal = transition.outcome === 'dismissed' || transition.outcome === 'out_of_scope' ? transition.outcome : null;
  if (removal) plan.pendingDismissals.push({ bitrix24UserId: link.bitrix24UserId, employeeId: link.employeeId, kind: removal, fromState: link.state });
  const state = removal ? link.state : transition.state;
  const stateChanged = state !== link.state;
  const detailsChanged = updateDetails && (!sameIds(link.departmentIds, departments) || link.userType !== userType);
  if (stateChanged || detailsChanged) {
    plan.linkUpdates.push({
      bitrix24UserId: link.bitrix24UserId,
      state,
      stateChanged,
      departmentIds: updateDetails ? departments : link.departmentIds,
      userType: updateDetails ? userType : link.userType,
    });
  }
  // Neither a re-hire nor a return into the selection puts anyone back on the responsible list (seeds/002 item 6 is one-way).
  if (transition.outcome === 'reactivated' || transition.outcome === 'back_in_scope') {
    plan.items.push({
      bitrix24UserId: link.bitrix24UserId,
      employeeId: link.employeeId,
      outcome: transition.outcome,
      reason: null,
      name,
      details: { previousState: link.state, responsibleRestored: false, note: 'Not put back on the responsible list automatically' },
    });
  }
}

/** Bump when planning changes in a way the code below cannot see (rules/ data that is not in a function). */
const PLAN_REVISION = 1;

/**
 * Part of every run's fingerprint settings: a new way of planning plans every user again
 * once. It covers the source of planChunk and of every rule function, so a deploy that
 * changes them changes it without anyone remembering to.
 */
export const PLAN_RULES_VERSION = settingsFingerprint({
  revision: PLAN_REVISION,
  code: [planChunk, planUser, applyLinkTransition, displayName, ...Object.values(rules).filter((v) => typeof v === 'function')].map((fn) => String(fn)),
});
