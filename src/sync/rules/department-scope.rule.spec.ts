import { ALL_DEPARTMENTS, departmentsInScope, isUserInDepartmentScope, readDepartmentScope, sameDepartmentScope, type DepartmentScope } from './department-scope.rule';
import { treeParents } from './department-tree.rule';

// 1 Company ─┬─ 2 Sales ── 3 Sales East ── 4 Team A
//            ├─ 5 Support
//            └─ 6 Sales West (new: first seen after the selection was saved) ── 7 Team W (new)
//   9 Marketing (new, under 1)
const saved = new Date('2026-01-10T00:00:00Z');
const before = new Date('2026-01-01T00:00:00Z');
const after = new Date('2026-01-20T00:00:00Z');
const departments = [
  { bitrix24Id: 1, bitrix24ParentId: null, firstSeenAt: before },
  { bitrix24Id: 2, bitrix24ParentId: 1, firstSeenAt: before },
  { bitrix24Id: 3, bitrix24ParentId: 2, firstSeenAt: before },
  { bitrix24Id: 4, bitrix24ParentId: 3, firstSeenAt: before },
  { bitrix24Id: 5, bitrix24ParentId: 1, firstSeenAt: before },
  { bitrix24Id: 6, bitrix24ParentId: 2, firstSeenAt: after },
  { bitrix24Id: 7, bitrix24ParentId: 6, firstSeenAt: after },
  { bitrix24Id: 9, bitrix24ParentId: 1, firstSeenAt: after },
];
const parents = treeParents(departments);
const selected = (ids: number[], includeNewDepartments: boolean): DepartmentScope => ({ mode: 'selected', bitrix24DepartmentIds: ids, includeNewDepartments });

describe('departmentsInScope', () => {
  it.each<[string, DepartmentScope, Date | null, number[]]>([
    ['all: everything', ALL_DEPARTMENTS, saved, [1, 2, 3, 4, 5, 6, 7, 9]],
    ['all ignores include-new off', { mode: 'all', bitrix24DepartmentIds: [], includeNewDepartments: false }, saved, [1, 2, 3, 4, 5, 6, 7, 9]],
    ['a selected department includes its subdepartments', selected([2], false), saved, [2, 3, 4]],
    ['a leaf alone', selected([4], false), saved, [4]],
    ['include new on: new departments join wherever they appear', selected([3], true), saved, [3, 4, 6, 7, 9]],
    ['include new off: a new subdepartment of a selected one waits', selected([2], false), saved, [2, 3, 4]],
    ['include new on, under a selected department', selected([2], true), saved, [2, 3, 4, 6, 7, 9]],
    ['a new department listed explicitly is in scope', selected([6], false), saved, [6]],
    ['the root selected, include new off: only what existed', selected([1], false), saved, [1, 2, 3, 4, 5]],
    ['nothing selected, include new off: nothing', selected([], false), saved, []],
    ['never saved: nothing is new', selected([2], false), null, [2, 3, 4, 6, 7]],
    ['an unknown selected ID selects nothing else', selected([404], false), saved, []],
  ])('%s', (_name, scope, savedAt, expected) => {
    expect([...departmentsInScope(departments, parents, scope, savedAt)].sort((a, b) => a - b)).toEqual(expected);
  });
});

describe('isUserInDepartmentScope', () => {
  const known = new Set(departments.map((d) => d.bitrix24Id));
  it.each<[string, number[], DepartmentScope, boolean]>([
    ['all: anyone', [5], ALL_DEPARTMENTS, true],
    ['one department in scope is enough', [5, 3], selected([2], false), true],
    ['none in scope: out', [5, 9], selected([2], false), false],
    ['no department at all is not judged here', [], selected([2], false), true],
    ['an unknown department is new: include new on', [77], selected([2], true), true],
    ['an unknown department is new: include new off', [77], selected([2], false), false],
    ['an unknown department listed explicitly', [77], selected([77], false), true],
  ])('%s', (_name, userDepartments, scope, expected) => {
    const inScope = departmentsInScope(departments, parents, scope, saved);
    expect(isUserInDepartmentScope(userDepartments, inScope, known, scope)).toBe(expected);
  });
});

describe('readDepartmentScope / sameDepartmentScope', () => {
  it.each<[unknown, DepartmentScope]>([
    [null, ALL_DEPARTMENTS],
    ['selected', ALL_DEPARTMENTS],
    [{ mode: 'all', bitrix24DepartmentIds: [1] }, ALL_DEPARTMENTS],
    [{ mode: 'selected', bitrix24DepartmentIds: [3, 1, 3, -2, 'x', 1.5], includeNewDepartments: true }, { mode: 'selected', bitrix24DepartmentIds: [1, 3], includeNewDepartments: true }],
    [{ mode: 'selected' }, { mode: 'selected', bitrix24DepartmentIds: [], includeNewDepartments: false }],
  ])('%j → %j', (raw, expected) => {
    expect(readDepartmentScope(raw)).toEqual(expected);
  });

  it.each<[DepartmentScope, DepartmentScope, boolean]>([
    [ALL_DEPARTMENTS, { mode: 'all', bitrix24DepartmentIds: [5], includeNewDepartments: false }, true],
    [ALL_DEPARTMENTS, selected([1], true), false],
    [selected([1, 2], true), selected([1, 2], true), true],
    [selected([1, 2], true), selected([1, 2], false), false],
    [selected([1, 2], true), selected([1], true), false],
  ])('%j vs %j → %s', (a, b, expected) => {
    expect(sameDepartmentScope(a, b)).toBe(expected);
  });
});
