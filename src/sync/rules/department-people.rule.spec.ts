import { planDepartmentHeads, planManagers, plannedManager, plannedNewPeople, plannedPortalPeople, type JoiningEmployee, type PeopleDepartment, type PlannedLinkChanges, type PortalPerson } from './department-people.rule';
import type { HeadProblem } from './heads.rule';

// 1 Company (head: user 1) ─┬─ 2 Sales (head 2) ── 3 Sales East (no head)
//                           └─ 4 Lab (head 4, dismissed)
const dept = (bitrix24Id: number, bitrix24ParentId: number | null, headUserId: number | null, headProblem: HeadProblem | null = null): PeopleDepartment => ({
  bitrix24Id,
  bitrix24ParentId,
  headUserId,
  headProblem,
  name: `D${bitrix24Id}`,
});
const TREE = [dept(1, null, 1), dept(2, 1, 2), dept(3, 2, null), dept(4, 1, 4)];
const person = (bitrix24UserId: number, firstDepartmentId: number | null, fields: Partial<PortalPerson> = {}): PortalPerson => ({
  bitrix24UserId,
  employeeId: `e${bitrix24UserId}`,
  state: 'active',
  firstDepartmentId,
  managerId: null,
  managedElsewhere: false,
  createdThisRun: false,
  ...fields,
});
// Everyone as the tree says: the director has nobody above, Sales reports to the director,
// Sales East (no head) to the Sales head; Lab's head left, so Lab's people have no manager.
const SETTLED = [person(1, 1), person(2, 2, { managerId: 'e1' }), person(3, 3, { managerId: 'e2' }), person(4, 4, { state: 'dismissed' }), person(5, 4)];
const SETTLED_TREE = [dept(1, null, 1), dept(2, 1, 2), dept(3, 2, null), dept(4, 1, 4, 'not_active')];

/** The department phase as a run does it: heads from the heads' links, then everybody's manager. */
const planDepartmentPeople = (tree: PeopleDepartment[], people: PortalPerson[], syncManagers: boolean) => {
  const heads = planDepartmentHeads(tree, people, syncManagers);
  const managers = planManagers(people, heads);
  return { managers: managers.managers, items: [...heads.items, ...managers.items] };
};
const changes = (people: PortalPerson[], tree = SETTLED_TREE, syncManagers = true) => {
  const plan = planDepartmentPeople(tree, people, syncManagers);
  return {
    managers: plan.managers.map((m) => `${m.employeeId}→${m.managerId}`),
    items: plan.items.map((i) => `${i.bitrix24UserId}:${i.outcome}:${i.reason ?? ''}${i.outcome === 'manager_changed' ? `:${String(i.details?.managerBitrix24UserId)}` : ''}`),
  };
};
const replace = (list: PortalPerson[], p: PortalPerson) => list.map((x) => (x.bitrix24UserId === p.bitrix24UserId ? p : x));

describe('planDepartmentPeople', () => {
  it.each<[string, PortalPerson[], PeopleDepartment[], boolean, { managers: string[]; items: string[] }]>([
    ['a settled portal: nothing to write, nothing to report', SETTLED, SETTLED_TREE, true, { managers: [], items: [] }],
    [
      'the first import: every manager is written; a head problem is reported once; created employees have no manager item',
      SETTLED.map((p) => ({ ...p, managerId: null, createdThisRun: true })),
      TREE,
      true,
      { managers: ['e2→e1', 'e3→e2'], items: ['4:head_unresolved:not_active'] },
    ],
    [
      'an existing employee moved to Sales: manager_changed names the new manager’s Bitrix24 user',
      replace(SETTLED, person(5, 2)),
      SETTLED_TREE,
      true,
      { managers: ['e5→e2'], items: ['5:manager_changed::2'] },
    ],
    [
      'the Sales head dismissed: Sales and Sales East lose their manager (the dismissed head too), with the reason on the department',
      replace(SETTLED, person(2, 2, { state: 'dismissed', managerId: 'e1' })),
      SETTLED_TREE,
      true,
      { managers: ['e2→null', 'e3→null'], items: ['2:head_unresolved:not_active', '2:manager_changed::null', '3:manager_changed::null'] },
    ],
    [
      'a deleted link and a link that another portal manages are not touched',
      [...replace(SETTLED, person(3, 1, { state: 'deleted', managerId: 'e2' })), person(6, 2, { managedElsewhere: true, managerId: 'x' })],
      SETTLED_TREE,
      true,
      { managers: [], items: [] },
    ],
    [
      'sync managers off: every manager is cleared',
      SETTLED,
      SETTLED_TREE,
      false,
      { managers: ['e2→null', 'e3→null'], items: ['2:manager_changed::null', '3:manager_changed::null'] },
    ],
    [
      'a head not imported at all (no link): not_imported, and their department’s members have no manager',
      [person(1, 1), person(5, 2, { managerId: 'e1' })],
      [dept(1, null, 1), dept(2, 1, 2)],
      true,
      { managers: ['e5→null'], items: ['2:head_unresolved:not_imported', '5:manager_changed::null'] },
    ],
    ['a first department the tree does not know: no manager', [person(1, 1), person(7, 99, { managerId: 'e1' })], TREE.slice(0, 1), true, { managers: ['e7→null'], items: ['7:manager_changed::null'] }],
  ])('%s', (_name, people, tree, syncManagers, expected) => {
    expect(changes(people, tree, syncManagers)).toEqual(expected);
  });

  it('manager_changed carries the ids and the deciding department; head_unresolved the department’s name', () => {
    const plan = planDepartmentPeople(SETTLED_TREE, replace(SETTLED, person(5, 2)), true);
    expect(plan.items).toEqual([
      { bitrix24UserId: 5, employeeId: 'e5', outcome: 'manager_changed', reason: null, name: null, details: { managerId: 'e2', managerBitrix24UserId: 2, previousManagerId: null, bitrix24DepartmentId: 2 } },
    ]);
    const [head] = planDepartmentPeople(TREE, SETTLED, true).items;
    expect(head).toEqual({ bitrix24UserId: 4, employeeId: 'e4', outcome: 'head_unresolved', reason: 'not_active', name: 'D4', details: { bitrix24DepartmentId: 4, headBitrix24UserId: 4 } });
  });

  it('managers planned page by page are the managers planned at once (the heads need only the heads’ links)', () => {
    const people = [...replace(SETTLED, person(5, 2)), person(6, 3), person(7, 1, { managerId: 'e2' }), person(8, null, { managerId: 'e1' })];
    const heads = planDepartmentHeads(SETTLED_TREE, people.filter((p) => SETTLED_TREE.some((d) => d.headUserId === p.bitrix24UserId)), true);
    const pages = [people.slice(0, 3), people.slice(3, 5), people.slice(5)].flatMap((page) => planManagers(page, heads).managers);
    expect(pages).toEqual(planManagers(people, heads).managers);
    expect(pages.map((m) => `${m.employeeId}→${m.managerId}`)).toEqual(['e5→e2', 'e6→e2', 'e7→e1', 'e8→null']);
  });
});

describe('plannedManager: one person’s manager, changed or not (the check of one person shows it)', () => {
  const heads = planDepartmentHeads(SETTLED_TREE, SETTLED, true);
  const shown = (p: PortalPerson, plan = heads) => {
    const m = plannedManager(p, plan);
    return `${m.decidedBy}:${String(m.managerId)}:${String(m.managerBitrix24UserId)}:${String(m.headProblem)}`;
  };
  it.each<[string, PortalPerson, string]>([
    ['a member of a department with a head: the head', person(5, 2), 'this_portal:e2:2:null'],
    ['the same, already set (no change): still shown', person(5, 2, { managerId: 'e2' }), 'this_portal:e2:2:null'],
    ['the head of their department: its supervisor', person(2, 2), 'this_portal:e1:1:null'],
    ['a department without a head: the nearest head above', person(6, 3), 'this_portal:e2:2:null'],
    ['the head of the top department: nobody, and no problem', person(1, 1), 'this_portal:null:null:null'],
    ['a member of a department whose head left: nobody, with the head_unresolved reason', person(5, 4, { managerId: 'e1' }), 'this_portal:null:null:not_active'],
    ['no department: nobody', person(8, null, { managerId: 'e1' }), 'this_portal:null:null:null'],
    ['a deleted link: the manager stays as it is', person(3, 3, { state: 'deleted', managerId: 'x' }), 'link_deleted:x:null:null'],
    ['managed by another portal: stays as it is', person(6, 2, { managedElsewhere: true, managerId: 'x' }), 'managed_elsewhere:x:null:null'],
  ])('%s', (_name, p, expected) => {
    expect(shown(p)).toBe(expected);
  });
  it('sync managers off: nobody, for everyone', () => {
    const off = planDepartmentHeads(SETTLED_TREE, SETTLED, false);
    expect([person(5, 2), person(2, 2), person(5, 4)].map((p) => shown(p, off))).toEqual(Array(3).fill('this_portal:null:null:null'));
  });
  it('is what planManagers writes when it differs from the stored manager', () => {
    const people = [person(5, 2), person(6, 3, { managerId: 'e2' }), person(7, 4, { managerId: 'e1' }), person(2, 2)];
    expect(planManagers(people, heads).managers).toEqual(people.filter((p) => plannedManager(p, heads).managerId !== p.managerId).map((p) => ({ employeeId: p.employeeId, managerId: plannedManager(p, heads).managerId })));
  });
});

describe('plannedPortalPeople, plannedNewPeople', () => {
  const none: PlannedLinkChanges = { newLinks: [], linkUpdates: new Map(), removals: new Map(), removalsApplied: true };
  const joining = new Map<string, JoiningEmployee>([
    ['manual', { managerId: 'boss', linkedElsewhere: false }],
    ['twin', { managerId: 'other-boss', linkedElsewhere: true }],
  ]);
  const stored = [person(1, 1), person(2, 2, { managerId: 'e1' })];
  const view = (people: PortalPerson[]) => people.map((p) => `${p.bitrix24UserId}:${p.employeeId}:${p.state}:${p.firstDepartmentId}:${p.managerId}:${p.managedElsewhere ? 'elsewhere' : 'here'}:${p.createdThisRun ? 'new' : 'old'}`).sort();
  const planned = (changes: PlannedLinkChanges) => view([...plannedPortalPeople(stored, changes), ...plannedNewPeople(changes, joining)]);
  const newLinks: PlannedLinkChanges['newLinks'] = [
    { bitrix24UserId: 7, employeeId: 'fresh', state: 'active', departmentIds: [2], created: true },
    { bitrix24UserId: 8, employeeId: 'manual', state: 'active', departmentIds: [], created: false },
    { bitrix24UserId: 9, employeeId: 'twin', state: 'dismissed', departmentIds: [1], created: false },
  ];

  it.each<[string, PlannedLinkChanges, string[]]>([
    ['nothing planned: the stored links', none, ['1:e1:active:1:null:here:old', '2:e2:active:2:e1:here:old']],
    ['a link update moves the user and follows the state', { ...none, linkUpdates: new Map([[2, { state: 'active', departmentIds: [3, 1] }]]) }, ['1:e1:active:1:null:here:old', '2:e2:active:3:e1:here:old']],
    [
      'new links: a created employee, one joining a manual employee, one joining an employee another portal links',
      { ...none, newLinks },
      ['1:e1:active:1:null:here:old', '2:e2:active:2:e1:here:old', '7:fresh:active:2:null:here:new', '8:manual:active:null:boss:here:old', '9:twin:dismissed:1:other-boss:elsewhere:old'],
    ],
    [
      'removals the guard lets through are applied, to stored and new links',
      { ...none, newLinks: newLinks.slice(1, 2), removals: new Map([[2, 'deleted'], [8, 'dismissed']]) },
      ['1:e1:active:1:null:here:old', '2:e2:deleted:2:e1:here:old', '8:manual:dismissed:null:boss:here:old'],
    ],
    ['removals the guard would hold are not', { ...none, removals: new Map([[2, 'out_of_scope']]), removalsApplied: false }, ['1:e1:active:1:null:here:old', '2:e2:active:2:e1:here:old']],
  ])('%s', (_name, changes, expected) => {
    expect(planned(changes)).toEqual(expected);
  });

  it('does not change the stored list it was given', () => {
    const copy = structuredClone(stored);
    plannedPortalPeople(stored, { ...none, linkUpdates: new Map([[1, { state: 'dismissed', departmentIds: [2] }]]) });
    expect(stored).toEqual(copy);
  });
});
