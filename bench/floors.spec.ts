import { ExportFloor, floorRatios, formatExportFloor, formatRatio, formatWriteFloor, WriteFloor, writeFloorApplies } from './floors';
import { floorsTable } from './report';
import { xminWindow } from './write-floor';

describe('bench floors: ratios', () => {
  it.each([
    // importMs, exportMs, writeMs, importToExport, importToExportPlusWrite
    [20_000, 8_000, 4_000, 2.5, 1.67],
    [3_000, 3_000, 0, 1, 1],
    [12_560, 6_280, null, 2, null],
    [100, 0, 50, null, 2],
    [100, 0, null, null, null],
    [0, 10, 10, 0, 0],
    [Number.NaN, 10, 10, null, null],
  ])('import %p ms, export %p ms, write %p ms → %p / %p', (importMs, exportMs, writeMs, toExport, toBoth) => {
    expect(floorRatios(importMs, exportMs, writeMs)).toEqual({ importToExport: toExport, importToExportPlusWrite: toBoth });
  });

  it.each([
    [null, 'n/a'],
    [2.5, '2.50×'],
    [1, '1.00×'],
    [77, '77.00×'],
  ])('formats ratio %p as %p', (value, text) => {
    expect(formatRatio(value)).toBe(text);
  });

  it.each([
    [0, false],
    [6, false],
    [99, false],
    [100, true],
    [412_000, true],
  ])('%p rows written → timed write floor: %p', (rows, applies) => {
    expect(writeFloorApplies(rows)).toBe(applies);
  });
});

describe('bench floors: the 32-bit xmin window', () => {
  it.each([
    // from (xid8), to (xid8), 32-bit from, span
    ['1000', '1005', '1000', '5'],
    // xid8 carries an epoch above 2^32; xmin is its low 32 bits
    [String(3n * 2n ** 32n + 7n), String(3n * 2n ** 32n + 9n), '7', '2'],
    // across a wraparound of the 32-bit counter: the span stays right
    [String(2n ** 32n - 3n), String(2n ** 32n + 4n), String(2n ** 32n - 3n), '7'],
  ])('%s..%s → xmin from %s, span %s', (fromXid, toXid, from, span) => {
    expect(xminWindow({ fromXid, toXid })).toEqual({ from, span });
  });

  it.each([
    ['10', '10'],
    ['10', '9'],
    ['1', String(2n ** 32n + 1n)],
  ])('refuses the window %s..%s', (fromXid, toXid) => {
    expect(() => xminWindow({ fromXid, toXid })).toThrow(/bad write window/);
  });
});

describe('bench floors: printed figures', () => {
  const fullExport: ExportFloor = { kind: 'full_export', wallMs: 8_100, requests: 43, users: 100_000, departments: 5_000, cpuMs: 2_000 };
  const timedWrite: WriteFloor = { rows: 412_000, wallMs: 4_200, tables: [{ table: 'employee', rows: 90_000, ms: 1_200 }] };
  const untimedWrite: WriteFloor = { rows: 12, wallMs: null, tables: [{ table: 'sync_run', rows: 1, ms: null }] };

  it.each([
    [fullExport, '8.100 s (43 req)'],
    [{ ...fullExport, kind: 'users_by_id', wallMs: 4, requests: 1, users: 1, departments: 0 } as ExportFloor, '0.004 s (1 req)'],
  ])('export floor %#', (floor, text) => {
    expect(formatExportFloor(floor)).toBe(text);
  });

  it.each([
    [timedWrite, '4.200 s (412,000 rows)'],
    [untimedWrite, '≈ 0 (12 rows)'],
  ])('write floor %#', (floor, text) => {
    expect(formatWriteFloor(floor)).toBe(text);
  });

  it('lays out one row per scenario with the import, both floors and both ratios, right-aligned', () => {
    const text = floorsTable([
      { size: 100_000, n: 1, scenario: 'initial', wallMs: 20_000, floors: { export: fullExport, write: timedWrite, ratios: floorRatios(20_000, 8_100, 4_200) } },
      { size: 100_000, n: 3, scenario: 'resync_unchanged', wallMs: 12_560, floors: { export: fullExport, write: untimedWrite, ratios: floorRatios(12_560, 8_100, null) } },
      { size: 1_000, n: 5, scenario: 'event_new_user', wallMs: 300, floors: null },
    ]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^\| +people \| # \| scenario +\| +import \| +export floor \| +write floor \| import ÷ export \| import ÷ \(export \+ write\) \|$/);
    expect(lines[1]).toMatch(/^\|-+:\|-+:\|-+\|-+:\|-+:\|-+:\|-+:\|-+:\|$/);
    const cells = (line: string) => line.split('|').slice(1, -1).map((c) => c.trim());
    expect(cells(lines[2])).toEqual(['100,000', '1', 'initial', '20.000 s', '8.100 s (43 req)', '4.200 s (412,000 rows)', '2.47×', '1.63×']);
    expect(cells(lines[3])).toEqual(['100,000', '3', 'resync_unchanged', '12.560 s', '8.100 s (43 req)', '≈ 0 (12 rows)', '1.55×', 'n/a']);
    expect(cells(lines[4])).toEqual(['1,000', '5', 'event_new_user', '0.300 s', 'not measured', 'not measured', 'n/a', 'n/a']);
    // Every line is as wide as the header (the columns are padded to one width).
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});
