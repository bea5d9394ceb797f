import { type BatchPlanInput, type MethodBudget, planBatch, UNKNOWN_COMMAND_SECONDS } from './batch-pacing';

const NOW = 1_800_000_000_000;
const seen = (commandSeconds: number | null, operatingSeconds: number | null = null, operatingResetAt: number | null = null): MethodBudget => ({ commandSeconds, operatingSeconds, operatingResetAt });

function plan(overrides: Partial<BatchPlanInput>) {
  return planBatch({
    now: NOW,
    fixed: [],
    wanted: [{ method: 'user.get', count: 200 }],
    budgets: {},
    requestBudgetSeconds: 20,
    operatingLimitSeconds: 480,
    maxCommands: 50,
    ...overrides,
  });
}

describe('planBatch (limits.md: 60 s per request, 480 s per method per 10 minutes)', () => {
  it.each<[string, Partial<BatchPlanInput>, number[]]>([
    ['fast commands fill the batch', { budgets: { 'user.get': seen(0.05) } }, [50]],
    ['never more than wanted', { wanted: [{ method: 'user.get', count: 3 }], budgets: { 'user.get': seen(0.05) } }, [3]],
    ['a never-seen method is assumed to cost UNKNOWN_COMMAND_SECONDS', { budgets: {} }, [Math.floor(20 / UNKNOWN_COMMAND_SECONDS)]],
    ['heavy commands: as many as the request budget pays for', { budgets: { 'user.get': seen(1.5) } }, [13]],
    ['a command heavier than the whole budget still goes alone', { budgets: { 'user.get': seen(45) } }, [1]],
    ['fixed commands take slots and seconds first', { fixed: ['user.admin', 'user.get'], budgets: { 'user.get': seen(2), 'user.admin': seen(0.01) } }, [8]],
    ['fixed commands take slots', { fixed: ['user.admin', 'user.get', 'department.get'], budgets: { 'user.get': seen(0.01), 'user.admin': seen(0.01), 'department.get': seen(0.01) } }, [47]],
    ['the method budget left caps the batch (0.9 × 480 − 400 = 32 s → 16 at 2 s, under the request budget)', { requestBudgetSeconds: 50, budgets: { 'user.get': seen(2, 400, NOW + 60_000) } }, [16]],
    ['the method budget left caps the batch below the request budget', { budgets: { 'user.get': seen(1, 425, NOW + 60_000) } }, [7]],
  ])('%s', (_name, input, counts) => {
    expect(plan(input)).toEqual({ kind: 'send', counts });
  });

  it('fills free slots with the next wanted method, within the seconds left', () => {
    expect(plan({ wanted: [{ method: 'user.get', count: 30 }, { method: 'department.get', count: 40 }], budgets: { 'user.get': seen(0.1), 'department.get': seen(0.1) } })).toEqual({ kind: 'send', counts: [30, 20] });
    expect(plan({ wanted: [{ method: 'user.get', count: 30 }, { method: 'department.get', count: 40 }], budgets: { 'user.get': seen(0.5), 'department.get': seen(1) } })).toEqual({ kind: 'send', counts: [30, 5] });
  });

  it('a method with its budget spent gives way to the others', () => {
    const budgets = { 'user.get': seen(2, 470, NOW + 30_000), 'department.get': seen(0.1) };
    expect(plan({ wanted: [{ method: 'user.get', count: 30 }, { method: 'department.get', count: 5 }], budgets })).toEqual({ kind: 'send', counts: [0, 5] });
  });

  it('waits until one second after the earliest reset when nothing fits', () => {
    const budgets = { 'user.get': seen(2, 470, NOW + 30_000), 'department.get': seen(2, 479, NOW + 10_000) };
    expect(plan({ wanted: [{ method: 'user.get', count: 30 }, { method: 'department.get', count: 5 }], budgets })).toEqual({ kind: 'wait', until: NOW + 11_000, method: 'department.get' });
  });

  it('probes with one command when the recorded figure is stale (its reset has passed)', () => {
    expect(plan({ budgets: { 'user.get': seen(2, 470, NOW - 1000) } })).toEqual({ kind: 'send', counts: [1] });
    expect(plan({ budgets: { 'user.get': seen(2, 470, null) } })).toEqual({ kind: 'send', counts: [1] });
  });

  it('sends just the fixed commands when nothing else is wanted, and nothing when nothing is', () => {
    expect(plan({ fixed: ['user.get'], wanted: [{ method: 'user.get', count: 0 }] })).toEqual({ kind: 'send', counts: [0] });
    expect(plan({ wanted: [{ method: 'user.get', count: 0 }] })).toEqual({ kind: 'send', counts: [0] });
  });
});
