import { readOfflineBatch, reservedProcessIds } from './offline-events';

const msg = (n: number) => n.toString(16).padStart(32, '0');

describe('readOfflineBatch (event-offline-get.md)', () => {
  it.each([
    ['the documented shape', { process_id: 'p1', events: [{ ID: '1', EVENT_NAME: 'ONUSERADD', EVENT_DATA: { ID: 17 }, MESSAGE_ID: msg(1) }] }, { processId: 'p1', userIds: [17], unreadable: [], count: 1 }],
    ['a string id and a lower-case event name', { process_id: null, events: [{ EVENT_NAME: 'onUserAdd', EVENT_DATA: { ID: '42' }, MESSAGE_ID: msg(2) }] }, { processId: null, userIds: [42], unreadable: [], count: 1 }],
    ['duplicates of one user', { events: [{ EVENT_NAME: 'ONUSERADD', EVENT_DATA: { ID: 5 } }, { EVENT_NAME: 'ONUSERADD', EVENT_DATA: { ID: '5' } }] }, { processId: null, userIds: [5], unreadable: [], count: 2 }],
    [
      'EVENT_DATA false (the docs example), another event, a bad id',
      { process_id: 'p', events: [{ EVENT_NAME: 'ONUSERADD', EVENT_DATA: false, MESSAGE_ID: msg(3) }, { EVENT_NAME: 'ONCRMLEADADD', EVENT_DATA: { ID: 1 }, MESSAGE_ID: msg(4) }, { EVENT_NAME: 'ONUSERADD', EVENT_DATA: { ID: '-1' }, MESSAGE_ID: msg(5) }, { EVENT_NAME: 'ONUSERADD', EVENT_DATA: { ID: 0 }, MESSAGE_ID: 'not-a-message-id' }] },
      { processId: 'p', userIds: [], unreadable: [msg(3), msg(4), msg(5)], count: 4 },
    ],
    ['no events at all', { process_id: 'p', events: [] }, { processId: 'p', userIds: [], unreadable: [], count: 0 }],
    ['not an object', 'garbage', { processId: null, userIds: [], unreadable: [], count: 0 }],
    ['events not a list', { events: { 0: {} } }, { processId: null, userIds: [], unreadable: [], count: 0 }],
  ])('%s', (_name, answer, expected) => {
    expect(readOfflineBatch(answer)).toEqual(expected);
  });
});

describe('reservedProcessIds (event-offline-list.md)', () => {
  it.each([
    ['distinct non-empty process ids', [{ PROCESS_ID: 'a' }, { PROCESS_ID: '' }, { PROCESS_ID: 'a' }, { PROCESS_ID: 'b' }], ['a', 'b']],
    ['nothing reserved', [{ PROCESS_ID: '' }], []],
    ['not a list', { PROCESS_ID: 'a' }, []],
    ['a non-string id', [{ PROCESS_ID: 7 }], []],
  ])('%s', (_name, rows, expected) => {
    expect(reservedProcessIds(rows)).toEqual(expected);
  });
});
