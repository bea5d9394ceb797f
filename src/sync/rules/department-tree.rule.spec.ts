import type { Bitrix24Department } from '../../bitrix24/bitrix24-user';
import { ancestorsOf, cleanDepartments, planDepartmentTree, portalNodeName, treeParents, type CleanDepartment, type DepartmentChange, type StoredDepartment } from './department-tree.rule';

const dept = (bitrix24Id: number, bitrix24ParentId: number | null, name = `D${bitrix24Id}`, headUserId: number | null = null): CleanDepartment => ({ bitrix24Id, name, bitrix24ParentId, sort: 500, headUserId });
const stored = (d: CleanDepartment, present = true): StoredDepartment => ({ ...d, present });

describe('cleanDepartments', () => {
  it.each<[string, Bitrix24Department[], CleanDepartment[]]>([
    ['strings become numbers', [{ ID: '5', NAME: ' Sales ', PARENT: '1', UF_HEAD: '12', SORT: '100' }], [{ bitrix24Id: 5, name: 'Sales', bitrix24ParentId: 1, headUserId: 12, sort: 100 }]],
    ['a top department has no parent', [{ ID: 1, NAME: 'Acme', PARENT: null }], [{ bitrix24Id: 1, name: 'Acme', bitrix24ParentId: null, headUserId: null, sort: null }]],
    ['empty UF_HEAD and PARENT read as none', [{ ID: '2', NAME: 'X', PARENT: '', UF_HEAD: '0' }], [{ bitrix24Id: 2, name: 'X', bitrix24ParentId: null, headUserId: null, sort: null }]],
    ['its own parent is no parent', [{ ID: '3', NAME: 'Loop', PARENT: '3' }], [{ bitrix24Id: 3, name: 'Loop', bitrix24ParentId: null, headUserId: null, sort: null }]],
    ['no name gets a nameable one', [{ ID: '4', NAME: '   ' }], [{ bitrix24Id: 4, name: 'Department #4', bitrix24ParentId: null, headUserId: null, sort: null }]],
    ['bad IDs are dropped', [{ ID: 'abc' }, { ID: -1 }, { ID: 0 }, { ID: 1.5 }, { ID: { x: 1 } as never }], []],
    ['the first of duplicate IDs wins', [{ ID: '7', NAME: 'A' }, { ID: 7, NAME: 'B' }], [{ bitrix24Id: 7, name: 'A', bitrix24ParentId: null, headUserId: null, sort: null }]],
    ['hostile parents and heads are none', [{ ID: '8', NAME: 'H', PARENT: 'x' as never, UF_HEAD: [1] as never, SORT: 'big' }], [{ bitrix24Id: 8, name: 'H', bitrix24ParentId: null, headUserId: null, sort: null }]],
  ])('%s', (_name, raw, expected) => {
    expect(cleanDepartments(raw)).toEqual(expected);
  });

  it('cuts long names', () => {
    expect(cleanDepartments([{ ID: 1, NAME: 'x'.repeat(1000) }])[0].name).toHaveLength(300);
  });
});

describe('planDepartmentTree', () => {
  const kinds = (changes: DepartmentChange[]) => changes.map((c) => `${c.kind}:${c.bitrix24Id}`);
  it.each<[string, StoredDepartment[], CleanDepartment[], boolean, { upserts: number[]; absent: number[]; changes: string[] }]>([
    ['first import creates every department', [], [dept(1, null), dept(2, 1)], true, { upserts: [1, 2], absent: [], changes: ['created:1', 'created:2'] }],
    ['nothing changed, nothing written', [stored(dept(1, null)), stored(dept(2, 1))], [dept(1, null), dept(2, 1)], true, { upserts: [], absent: [], changes: [] }],
    ['a rename follows Bitrix24', [stored(dept(2, 1, 'Old'))], [dept(2, 1, 'New')], true, { upserts: [2], absent: [], changes: ['renamed:2'] }],
    ['a move follows Bitrix24', [stored(dept(1, null)), stored(dept(3, 1)), stored(dept(2, 1))], [dept(1, null), dept(3, 1), dept(2, 3)], true, { upserts: [2], absent: [], changes: ['moved:2'] }],
    ['renamed and moved at once', [stored(dept(2, 1, 'A'))], [dept(2, 3, 'B')], true, { upserts: [2], absent: [], changes: ['renamed:2', 'moved:2'] }],
    ['a head change is written but is no tree change', [stored(dept(2, 1, 'A', 5))], [dept(2, 1, 'A', 6)], true, { upserts: [2], absent: [], changes: [] }],
    ['not returned by a complete export: absent, kept', [stored(dept(1, null)), stored(dept(2, 1))], [dept(1, null)], true, { upserts: [], absent: [2], changes: ['absent:2'] }],
    ['an incomplete export proves nobody absent', [stored(dept(1, null)), stored(dept(2, 1))], [dept(1, null)], false, { upserts: [], absent: [], changes: [] }],
    ['already absent is not reported again', [stored(dept(2, 1), false)], [], true, { upserts: [], absent: [], changes: [] }],
    ['an absent department that comes back returns', [stored(dept(2, 1), false)], [dept(2, 1)], true, { upserts: [2], absent: [], changes: ['returned:2'] }],
  ])('%s', (_name, before, fetched, complete, expected) => {
    const plan = planDepartmentTree(before, fetched, complete);
    expect({ upserts: plan.upserts.map((d) => d.bitrix24Id), absent: plan.absent, changes: kinds(plan.changes) }).toEqual(expected);
  });

  it('says where a moved department came from and a renamed one its old name', () => {
    const plan = planDepartmentTree([stored(dept(2, 1, 'Old'))], [dept(2, 3, 'New')], true);
    expect(plan.changes).toEqual([
      { kind: 'renamed', bitrix24Id: 2, name: 'New', details: { from: 'Old', to: 'New' } },
      { kind: 'moved', bitrix24Id: 2, name: 'New', details: { fromBitrix24ParentId: 1, toBitrix24ParentId: 3 } },
    ]);
  });
});

describe('treeParents', () => {
  it.each<[string, CleanDepartment[], Array<[number, number | null]>]>([
    ['a plain tree', [dept(1, null), dept(2, 1), dept(3, 2)], [[1, null], [2, 1], [3, 2]]],
    ['an unknown parent hangs under the portal node', [dept(1, null), dept(2, 99)], [[1, null], [2, null]]],
    ['a loop is cut at its lowest ID', [dept(1, null), dept(5, 6), dept(6, 7), dept(7, 5), dept(8, 6)], [[1, null], [5, null], [6, 7], [7, 5], [8, 6]]],
    ['two departments naming each other', [dept(4, 3), dept(3, 4)], [[4, 3], [3, null]]],
  ])('%s', (_name, departments, expected) => {
    expect([...treeParents(departments).entries()].sort((a, b) => a[0] - b[0])).toEqual(expected.sort((a, b) => a[0] - b[0]));
  });

  it('ancestors come nearest first', () => {
    const parents = treeParents([dept(1, null), dept(2, 1), dept(3, 2), dept(4, 3), dept(5, 4), dept(6, 5)]);
    expect(ancestorsOf(6, parents)).toEqual([5, 4, 3, 2, 1]);
    expect(ancestorsOf(1, parents)).toEqual([]);
    expect(ancestorsOf(42, parents)).toEqual([]);
  });
});

describe('portalNodeName', () => {
  it.each<[string | null | undefined, string, string]>([
    ['Acme LLC', 'acme.bitrix24.ru', 'Acme LLC'],
    ['  ', 'acme.bitrix24.ru', 'acme.bitrix24.ru'],
    [null, 'acme.bitrix24.ru', 'acme.bitrix24.ru'],
    [undefined, 'b.example.com', 'b.example.com'],
  ])('%j, %s → %s', (company, domain, expected) => {
    expect(portalNodeName(company, domain)).toBe(expected);
  });
});
