import { createTranslator } from '../i18n/i18n';
import type { Connection, SyncRun } from '../types';
import { createFormatters } from './format';
import { itemFacts, pickLastRun, processedTotal, progressBar, retryLine, runStory, stalledLine } from './runs';

const en = createTranslator('en');
const fmt = createFormatters('en');

function run(patch: Partial<SyncRun>): SyncRun {
  return {
    id: 'r1',
    connectionId: 'c1',
    trigger: 'manual',
    status: 'succeeded',
    queuedAt: '2026-11-30T10:00:00.000Z',
    startedAt: '2026-11-30T10:00:01.000Z',
    finishedAt: '2026-11-30T10:00:05.000Z',
    progress: { processed: 0, total: null },
    counters: {},
    bitrix24UserIds: null,
    exportComplete: true,
    guard: null,
    guardResolution: null,
    error: null,
    itemsPruned: false,
    ...patch,
  };
}

const story = (r: SyncRun) => {
  const s = runStory(r);
  return [s.headline, s.cause, s.progress].filter(Boolean).map((l) => en(l!.key, l!.vars)).join(' ');
};

describe('run wording', () => {
  it('adds up: processed is created + linked + updated + unchanged + skipped; follow-ups are not summed in', () => {
    const counters = { created: 10, linked_by_email: 2, updated: 3, unchanged: 1808, skipped: 177, dismissed: 40, deleted: 5, removed_from_responsible: 7, reactivated: 1, phone_rejected: 9 };
    expect(processedTotal(counters)).toBe(2000);
    expect(processedTotal({})).toBe(0);
  });

  it.each([
    // [what, run, the sentence the owner reads]
    ['network failure midway', run({ status: 'failed', progress: { processed: 500, total: 2000 }, error: { code: 'NETWORK_ERROR', message: 'Bitrix24 request user.get failed: ECONNREFUSED' } }),
      "The run failed. Bitrix24 could not be reached: the portal's address did not answer (the server refused the connection, did not answer in time, or does not exist). It got through 500 of 2,000 users; what was imported up to then stays, and nobody was marked deleted."],
    ['failed after the whole list was read', run({ status: 'failed', progress: { processed: 2000, total: 2000 }, error: { code: 'HTTP_503', message: 'Bitrix24 answered 503' } }),
      'The run failed. Bitrix24 had a problem on its side (an internal error or an unexpected answer). All 2,000 users were read before it stopped; what was imported stays, and nobody was marked deleted.'],
    ['failed before reading', run({ status: 'failed', progress: { processed: 0, total: null }, error: { code: 'invalid_token', message: 'x' } }),
      'The run failed. Bitrix24 no longer accepts the saved authorization: reconnect the portal. It stopped before any user was read; nothing was changed.'],
    ['an error code nobody knows yet', run({ status: 'failed', progress: { processed: 0, total: null }, error: { code: 'SOMETHING_NEW', message: 'x' } }),
      'The run failed. Something went wrong. It stopped before any user was read; nothing was changed.'],
    ['an unknown code with a known kind', run({ status: 'failed', progress: { processed: 0, total: null }, error: { code: 'SOMETHING_NEW', message: 'x', kind: 'rate_limited' } }),
      'The run failed. Too many requests with this key; wait a minute and try again. It stopped before any user was read; nothing was changed.'],
    ['success', run({ counters: { created: 280, skipped: 20, dismissed: 3 } }), 'Done: 300 Bitrix24 users processed.'],
    ['one user', run({ counters: { created: 1 } }), 'Done: 1 Bitrix24 user processed.'],
    ['held', run({ status: 'awaiting_confirmation', guard: { dismissals: 50, deletions: 7 } }), 'Imported; 57 removals are held until you confirm them.'],
    ['running', run({ status: 'running', progress: { processed: 100, total: 300 } }), '100 of 300 Bitrix24 users processed so far.'],
    ['a state from the future', run({ status: 'stalled' }), 'Status: stalled.'],
  ])('%s', (_what, r, text) => {
    expect(story(r)).toBe(text);
  });

  it('never reads "Finished: failed — 2,000 of 2,000 processed" and never shows the raw code in the sentence', () => {
    const text = story(run({ status: 'failed', progress: { processed: 2000, total: 2000 }, error: { code: 'NETWORK_ERROR', message: 'ECONNREFUSED' } }));
    expect(text).not.toMatch(/ECONNREFUSED|NETWORK_ERROR|Finished/);
    expect(text).toMatch(/^The run failed\./);
  });

  it('says when the next try comes for a failing connection', () => {
    const c = { state: 'active', sync: { consecutiveFailures: 3, nextSyncAt: '2026-11-30T10:08:00.000Z', lastSuccessAt: null, lastError: null, polling: true } } as unknown as Connection;
    const line = retryLine(c, fmt, Date.parse('2026-11-30T10:00:00.000Z'))!;
    expect(en(line.key, line.vars)).toMatch(/^The service tries again at .+ \(in 8 minutes\); 3 runs have failed in a row\.$/);
    expect(retryLine({ ...c, sync: { ...c.sync, consecutiveFailures: 0 } }, fmt)).toBeUndefined();
    expect(retryLine({ ...c, state: 'reauth_required' }, fmt)).toBeUndefined();
  });

  it.each([
    // [what, run, the warning shown beside the story (null: none)]
    ['stalled', run({ status: 'running', finishedAt: null, stalledSince: '2026-11-30T09:55:00.000Z' }), /^Stalled since .+ \(5 minutes ago\): the service instance running it stopped answering\. Another instance takes it over when its lease expires\.$/],
    ['running and alive', run({ status: 'running', finishedAt: null, stalledSince: null }), null],
    ['an older server without the field', run({ status: 'running', finishedAt: null }), null],
    ['finished runs never stall', run({ status: 'succeeded', stalledSince: '2026-11-30T09:55:00.000Z' }), null],
  ])('a stalled run says since when: %s', (_what, r, text) => {
    const line = stalledLine(r, fmt, Date.parse('2026-11-30T10:00:00.000Z'));
    if (text === null) expect(line).toBeUndefined();
    else expect(en(line!.key, line!.vars)).toMatch(text);
  });

  it('"Last run" is the latest full run: an active one first, else the one that finished last; event runs never replace it', () => {
    const older = run({ id: 'older', queuedAt: '2026-11-30T09:00:00Z', finishedAt: '2026-11-30T11:00:00Z' }); // re-queued, finished last
    const newer = run({ id: 'newer', queuedAt: '2026-11-30T10:00:00Z', finishedAt: '2026-11-30T10:05:00Z' });
    const event = run({ id: 'event', trigger: 'event', queuedAt: '2026-11-30T12:00:00Z', finishedAt: '2026-11-30T12:00:01Z' });
    expect(pickLastRun([event, newer, older])?.id).toBe('older');
    const going = run({ id: 'going', status: 'running', finishedAt: null, queuedAt: '2026-11-30T08:00:00Z' });
    expect(pickLastRun([event, newer, older, going])?.id).toBe('going');
    expect(pickLastRun([event])).toBeNull();
  });

  it('draws the progress bar: indeterminate until the total is known, never past the end', () => {
    expect(progressBar(run({ progress: { processed: 0, total: null } }))).toEqual({ known: false, now: 0, max: 100, percent: 0 });
    expect(progressBar(run({ progress: { processed: 150, total: 300 } }))).toEqual({ known: true, now: 150, max: 300, percent: 50 });
    expect(progressBar(run({ progress: { processed: 310, total: 300 } }))).toMatchObject({ now: 310, max: 310, percent: 100 });
  });

  it.each([
    [{ outcome: 'skipped', reason: 'email_linked_elsewhere', details: { bitrix24UserId: 17 } }, ['the address belongs to the employee linked to Bitrix24 user #17']],
    [{ outcome: 'skipped', reason: 'ambiguous_email', details: { candidates: 2 } }, ['2 employees here have this address']],
    [{ outcome: 'skipped', reason: 'out_of_scope', details: { userType: 'extranet' } }, ['account type: extranet']],
    [{ outcome: 'skipped', reason: 'invalid_email', details: { value: 'ivan@@corp' } }, ['value: “ivan@@corp”']],
    [{ outcome: 'phone_rejected', reason: 'not_a_phone_number', details: { field: 'WORK_PHONE', value: 'call me' } }, ['value: “call me”']],
    [{ outcome: 'skipped', reason: 'missing_email', details: null }, []],
    [{ outcome: 'manager_changed', reason: null, details: { managerId: null, managerBitrix24UserId: 12, previousManagerId: 'e1', bitrix24DepartmentId: 3 } }, ['new manager: Bitrix24 user #12']],
    [{ outcome: 'manager_changed', reason: null, details: { managerId: null, managerBitrix24UserId: null, previousManagerId: 'e1', bitrix24DepartmentId: 3 } }, ['no manager now']],
    [{ outcome: 'head_unresolved', reason: 'not_imported', details: { bitrix24DepartmentId: 3, headBitrix24UserId: 40 } }, ['head: Bitrix24 user #40']],
  ])('says what is behind a skip, a manager change, a head not set: %j', (item, lines) => {
    expect(itemFacts(item).map((l) => en(l.key, l.vars))).toEqual(lines);
  });
});
