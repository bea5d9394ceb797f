import { treeParents } from './department-tree.rule';
import { managerOf, resolveHeads, type DepartmentHeads, type LinkedPerson } from './heads.rule';

// 1 Company (head: user 100) ─┬─ 2 Sales (head 200) ── 3 Sales East (no head) ── 4 Team A (head 400, dismissed)
//                             │                                                └─ 5 Team B (head 500, not imported)
//                             ├─ 6 Support (head 100: the director heads it too)
//                             └─ 7 Lab (head 700, out of scope) ── 8 Bench (head 800)
const departments = [
  { bitrix24Id: 1, bitrix24ParentId: null, headUserId: 100 },
  { bitrix24Id: 2, bitrix24ParentId: 1, headUserId: 200 },
  { bitrix24Id: 3, bitrix24ParentId: 2, headUserId: null },
  { bitrix24Id: 4, bitrix24ParentId: 3, headUserId: 400 },
  { bitrix24Id: 5, bitrix24ParentId: 3, headUserId: 500 },
  { bitrix24Id: 6, bitrix24ParentId: 1, headUserId: 100 },
  { bitrix24Id: 7, bitrix24ParentId: 1, headUserId: 700 },
  { bitrix24Id: 8, bitrix24ParentId: 7, headUserId: 800 },
];
const parents = treeParents(departments);
const people = new Map<number, LinkedPerson>([
  [100, { employeeId: 'director', state: 'active' }],
  [200, { employeeId: 'sales-head', state: 'active' }],
  [400, { employeeId: 'gone', state: 'dismissed' }],
  [700, { employeeId: 'lab-head', state: 'out_of_scope' }],
  [800, { employeeId: 'bench-head', state: 'active' }],
  [900, { employeeId: 'clerk', state: 'active' }],
]);

describe('resolveHeads', () => {
  const heads = resolveHeads(departments, parents, people, true);
  it.each<[number, DepartmentHeads]>([
    [1, { headEmployeeId: 'director', supervisorEmployeeId: null, headProblem: null, membersManagerId: 'director' }],
    [2, { headEmployeeId: 'sales-head', supervisorEmployeeId: 'director', headProblem: null, membersManagerId: 'sales-head' }],
    // no head: the nearest ancestor with one supervises it and manages its members
    [3, { headEmployeeId: null, supervisorEmployeeId: 'sales-head', headProblem: null, membersManagerId: 'sales-head' }],
    // a dismissed head leaves the field empty with a reason; members get no manager
    [4, { headEmployeeId: null, supervisorEmployeeId: 'sales-head', headProblem: 'not_active', membersManagerId: null }],
    [5, { headEmployeeId: null, supervisorEmployeeId: 'sales-head', headProblem: 'not_imported', membersManagerId: null }],
    // the same person heading parent and child is not their own supervisor
    [6, { headEmployeeId: 'director', supervisorEmployeeId: null, headProblem: null, membersManagerId: 'director' }],
    [7, { headEmployeeId: null, supervisorEmployeeId: 'director', headProblem: 'out_of_scope', membersManagerId: null }],
    // the parent has a head who is not imported: the supervisor is empty too
    [8, { headEmployeeId: 'bench-head', supervisorEmployeeId: null, headProblem: null, membersManagerId: 'bench-head' }],
  ])('department %i → %j', (id, expected) => {
    expect(heads.get(id)).toEqual(expected);
  });

  it('sync managers off: nothing is set and nothing is a problem', () => {
    const off = resolveHeads(departments, parents, people, false);
    expect([...off.values()].every((h) => h.headEmployeeId === null && h.supervisorEmployeeId === null && h.headProblem === null && h.membersManagerId === null)).toBe(true);
    expect(off.size).toBe(departments.length);
  });
});

describe('managerOf', () => {
  const heads = resolveHeads(departments, parents, people, true);
  it.each<[string, string, number | null, string | null]>([
    ['a member: the head of their first department', 'clerk', 2, 'sales-head'],
    ['the head: the department’s supervisor', 'sales-head', 2, 'director'],
    ['the top head has nobody above', 'director', 1, null],
    ['first department without a head: the nearest head above', 'clerk', 3, 'sales-head'],
    ['first department’s head dismissed: empty', 'clerk', 4, null],
    ['first department’s head not imported: empty', 'clerk', 5, null],
    ['no first department', 'clerk', null, null],
    ['nobody manages themselves', 'director', 6, null],
  ])('%s', (_name, employeeId, first, expected) => {
    expect(managerOf(employeeId, first === null ? undefined : heads.get(first))).toBe(expected);
  });
});
