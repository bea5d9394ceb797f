import { evaluateRemovalGuard, isExportTrustworthy, type ExportSummary, type RemovalGuardResult } from './removal-guard.rule';

describe('evaluateRemovalGuard', () => {
  it.each<[number, number, number, RemovalGuardResult]>([
    // [linkedActiveCount, pendingRemovals, thresholdPercent, expected]
    [100, 0, 20, { hold: false, sharePercent: 0 }],
    [100, 19, 20, { hold: false, sharePercent: 19 }],
    [100, 20, 20, { hold: false, sharePercent: 20 }], // exactly at the threshold passes
    [100, 21, 20, { hold: true, sharePercent: 21 }],
    [100, 7, 7, { hold: false, sharePercent: 7 }], // 7 / 100 * 100 is 7.000000000000001 in floating point; the integer comparison is exact
    [10, 3, 30, { hold: false, sharePercent: 30 }],
    [10, 4, 30, { hold: true, sharePercent: 40 }],
    [3, 1, 33, { hold: true, sharePercent: 33.33 }],
    [3, 1, 34, { hold: false, sharePercent: 33.33 }],
    [7, 2, 28.5, { hold: true, sharePercent: 28.57 }],
    [7, 2, 28.6, { hold: false, sharePercent: 28.57 }],
    [1, 1, 50, { hold: true, sharePercent: 100 }],
    // 0 linked → never hold
    [0, 0, 20, { hold: false, sharePercent: 0 }],
    [0, 5, 0, { hold: false, sharePercent: 0 }],
    // threshold 100 → never hold, even past 100 %
    [10, 10, 100, { hold: false, sharePercent: 100 }],
    [10, 15, 100, { hold: false, sharePercent: 150 }],
    // threshold 0 → any removal holds
    [1000, 1, 0, { hold: true, sharePercent: 0.1 }],
    [1000, 0, 0, { hold: false, sharePercent: 0 }],
  ])('linked %i, removing %i, threshold %s%% → %j', (linkedActiveCount, pendingRemovals, thresholdPercent, expected) => {
    expect(evaluateRemovalGuard({ linkedActiveCount, pendingRemovals, thresholdPercent })).toEqual(expected);
  });

  it.each<[string, number, number, number]>([
    ['negative linked count', -1, 0, 20],
    ['fractional removals', 10, 1.5, 20],
    ['negative threshold', 10, 1, -1],
    ['threshold above 100', 10, 1, 101],
    ['NaN threshold', 10, 1, Number.NaN],
  ])('throws on %s', (_name, linkedActiveCount, pendingRemovals, thresholdPercent) => {
    expect(() => evaluateRemovalGuard({ linkedActiveCount, pendingRemovals, thresholdPercent })).toThrow(RangeError);
  });
});

describe('isExportTrustworthy', () => {
  it.each<[string, ExportSummary, boolean]>([
    ['complete, users returned, links exist', { complete: true, readByAdministrator: true, returnedCount: 40, linkedCount: 35 }, true],
    ['complete, fewer users than links', { complete: true, readByAdministrator: true, returnedCount: 1, linkedCount: 35 }, true],
    ['errored mid-way', { complete: false, readByAdministrator: true, returnedCount: 40, linkedCount: 35 }, false],
    ['errored mid-way, no links', { complete: false, readByAdministrator: true, returnedCount: 0, linkedCount: 0 }, false],
    ['empty while links exist', { complete: true, readByAdministrator: true, returnedCount: 0, linkedCount: 35 }, false],
    ['empty while one link exists', { complete: true, readByAdministrator: true, returnedCount: 0, linkedCount: 1 }, false],
    ['empty and no links', { complete: true, readByAdministrator: true, returnedCount: 0, linkedCount: 0 }, true],
    ['complete but read without administrator rights', { complete: true, readByAdministrator: false, returnedCount: 40, linkedCount: 35 }, false],
    ['read without administrator rights, no links', { complete: true, readByAdministrator: false, returnedCount: 3, linkedCount: 0 }, false],
  ])('%s → %s', (_name, summary, expected) => {
    expect(isExportTrustworthy(summary)).toBe(expected);
  });
});
