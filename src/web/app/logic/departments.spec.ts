import type { Department } from '../types';
import { buildTree, countNodes, filterTree, scopePatch, selectionMark, toggleSelection, type DepartmentNode } from './departments';

const d = (id: string, parentId: string | null, name: string, employeeCount = 0, kind: Department['kind'] = 'bitrix24', bitrix24DepartmentId: number | null = Number(id.replace(/\D/g, '')) || null): Department => ({
  id, parentId, name, kind, connectionId: kind === 'root' ? null : 'c1', bitrix24DepartmentId: kind === 'bitrix24' ? bitrix24DepartmentId : null,
  headEmployeeId: null, supervisorEmployeeId: null, headName: null, supervisorName: null, headProblem: null, present: true, inScope: true, employeeCount,
});
const names = (nodes: DepartmentNode[]): unknown[] => nodes.map((n) => (n.children.length ? [n.department.name, names(n.children)] : n.department.name));

const items = [
  d('r', null, 'Tel Co', 0, 'root'),
  d('p', 'r', 'acme.bitrix24.ru', 0, 'portal'),
  d('d1', 'p', 'Acme', 1),
  d('d2', 'd1', 'Sales', 2),
  d('d3', 'd2', 'Sales East', 3),
  d('d5', 'd1', 'Support', 4),
];

describe('buildTree', () => {
  it('nests by parentId, sorts by name and sums the people beneath', () => {
    const roots = buildTree(items);
    expect(names(roots)).toEqual([['Tel Co', [['acme.bitrix24.ru', [['Acme', [['Sales', ['Sales East']], 'Support']]]]]]]);
    expect(roots[0].total).toBe(10);
    expect(roots[0].children[0].children[0].children[0].total).toBe(5);
  });

  it.each<[string, Department[], unknown[]]>([
    ['a missing parent makes a root', [d('d2', 'gone', 'Sales'), d('d3', 'd2', 'East')], [['Sales', ['East']]]],
    ['a loop is broken, nothing lost', [d('a1', 'b2', 'A'), d('b2', 'a1', 'B')], [['B', ['A']]]],
    ['its own parent', [d('a1', 'a1', 'A')], ['A']],
    ['empty', [], []],
  ])('%s', (_name, list, expected) => {
    expect(names(buildTree(list))).toEqual(expected);
  });
});

describe('filterTree', () => {
  const roots = buildTree(items);
  it.each<[string, unknown[], number]>([
    ['', [['Tel Co', [['acme.bitrix24.ru', [['Acme', [['Sales', ['Sales East']], 'Support']]]]]]], 6],
    ['east', [['Tel Co', [['acme.bitrix24.ru', [['Acme', [['Sales', ['Sales East']]]]]]]]], 5],
    ['SALES', [['Tel Co', [['acme.bitrix24.ru', [['Acme', [['Sales', ['Sales East']]]]]]]]], 5],
    ['nothing', [], 0],
  ])('%j', (query, expected, count) => {
    const filtered = filterTree(roots, query);
    expect(names(filtered)).toEqual(expected);
    expect(countNodes(filtered)).toBe(count);
  });
});

describe('selection', () => {
  const roots = buildTree(items);
  const acme = roots[0].children[0].children[0];
  const sales = acme.children[0];
  it.each<[number, number[], number[], string]>([
    [2, [1], [2], 'selected'],
    [3, [2, 1], [2], 'inherited'],
    [5, [1], [2], 'none'],
  ])('department %i under %j with %j selected → %s', (id, ancestors, selected, expected) => {
    expect(selectionMark(id, ancestors, new Set(selected))).toBe(expected);
  });

  it('ticking drops the descendants’ own ticks; unticking removes it', () => {
    expect(toggleSelection(new Set([3, 5]), sales)).toEqual([2, 5]);
    expect(toggleSelection(new Set([2, 5]), sales)).toEqual([5]);
    expect(toggleSelection(new Set([3, 5]), acme)).toEqual([1]);
  });

  it.each<[string, Parameters<typeof scopePatch>[1], Record<string, unknown> | null]>([
    ['nothing changed', { mode: 'all', bitrix24DepartmentIds: [], includeNewDepartments: true, syncManagers: true }, null],
    ['to selected', { mode: 'selected', bitrix24DepartmentIds: [2], includeNewDepartments: false, syncManagers: true }, { departmentScope: { mode: 'selected', bitrix24DepartmentIds: [2], includeNewDepartments: false } }],
    ['managers off only', { mode: 'all', bitrix24DepartmentIds: [2], includeNewDepartments: false, syncManagers: false }, { syncManagers: false }],
  ])('%s', (_name, form, expected) => {
    expect(scopePatch({ mode: 'all', bitrix24DepartmentIds: [], includeNewDepartments: true, syncManagers: true }, form)).toEqual(expected);
  });
});
