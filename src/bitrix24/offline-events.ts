/**
 * What event.offline.get / event.offline.list answer (api-reference/events/event-offline-get.md):
 * `{ process_id, events: [{ ID, TIMESTAMP_X, EVENT_NAME, EVENT_DATA, EVENT_ADDITIONAL, MESSAGE_ID }] }`.
 * For ONUSERADD, EVENT_DATA is the event's own data block (rest/lib/event/provideroffline.php
 * stores the data the online handler would get; on-user-add.md: `ID` and the user's fields).
 * The portal is the source, still every field is checked: a record we cannot read is
 * reported with event.offline.error instead of being imported or retried for ever.
 */
export interface OfflineBatch {
  processId: string | null;
  /** Bitrix24 user ids of the readable ONUSERADD records, deduplicated. */
  userIds: number[];
  /** MESSAGE_IDs of records that are not a readable ONUSERADD. */
  unreadable: string[];
  /** How many records the answer held (a full page means: read again). */
  count: number;
}

const MESSAGE_ID = /^[0-9a-f]{32}$/i;

function userIdOf(data: unknown): number | null {
  if (typeof data !== 'object' || data === null) return null;
  const raw = (data as Record<string, unknown>).ID;
  const id = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

export function readOfflineBatch(result: unknown): OfflineBatch {
  const body = typeof result === 'object' && result !== null ? (result as Record<string, unknown>) : {};
  const events = Array.isArray(body.events) ? body.events : [];
  const ids = new Set<number>();
  const unreadable: string[] = [];
  for (const event of events) {
    const record = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
    const id = String(record.EVENT_NAME ?? '').toUpperCase() === 'ONUSERADD' ? userIdOf(record.EVENT_DATA) : null;
    if (id !== null) ids.add(id);
    else if (typeof record.MESSAGE_ID === 'string' && MESSAGE_ID.test(record.MESSAGE_ID)) unreadable.push(record.MESSAGE_ID);
  }
  const processId = typeof body.process_id === 'string' && body.process_id.length > 0 && body.process_id.length <= 255 ? body.process_id : null;
  return { processId, userIds: [...ids], unreadable, count: events.length };
}

/** PROCESS_IDs of reserved records in an event.offline.list page (event-offline-list.md). */
export function reservedProcessIds(result: unknown): string[] {
  const rows = Array.isArray(result) ? result : [];
  const ids = new Set<string>();
  for (const row of rows) {
    const processId = typeof row === 'object' && row !== null ? (row as Record<string, unknown>).PROCESS_ID : undefined;
    if (typeof processId === 'string' && processId.length > 0 && processId.length <= 255) ids.add(processId);
  }
  return [...ids];
}
