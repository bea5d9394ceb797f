/**
 * The portal's offline event queue (api-reference/events/offline-events.md), played as
 * the `rest` module keeps it: rest/lib/eventoffline.php (the b_rest_event_offline table)
 * and rest/lib/api/event.php (event.offline.get / clear / error / list). Plain TypeScript,
 * no HTTP: the simulator hands it the parsed parameters of a call.
 *
 * - A record is keyed by MESSAGE_ID = md5(EVENT_NAME|json(EVENT_DATA)) and its PROCESS_ID:
 *   the same change again updates the unreserved record (TIMESTAMP_X, data) instead of
 *   adding one ("the queue keeps the current state, not the history"); a record reserved
 *   by a process is left alone and a new unreserved one appears beside it (callEvent's MERGE).
 * - event.offline.get marks the first `limit` unreserved records (ERROR as asked) with a new
 *   process id, returns them, and deletes them unless clear=0; with a process_id it re-reads
 *   that process's records (nothing new is marked). clear=0 needs the `rest_offline_extended`
 *   feature, else 403 WRONG_LICENSE.
 * - event.offline.clear deletes a process's records (all, or by id / message_id);
 *   event.offline.error turns a process's records into error records (PROCESS_ID '', ERROR 1)
 *   and drops unreserved duplicates; event.offline.list reads everything, 50 a page.
 * - Filters accept the operations '', '=', '>', '<', '>=', '<=', '@', '%' on the documented
 *   fields only (rest/classes/general/rest.php sanitizeFilter): anything else is 400 ERROR_ARGUMENT.
 */
import { createHash, randomBytes } from 'node:crypto';
import { asList, phpToPlain } from './php-wire';

export interface OfflineRecord {
  id: number;
  timestamp: number;
  messageId: string;
  eventName: string;
  data: unknown;
  additional: unknown;
  processId: string;
  error: 0 | 1;
}

/** What the queue throws for a refused call: the simulator turns it into `{ error, error_description }`. */
export class OfflineQueueError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${code}: ${description}`);
  }
}

const GET_FIELDS = ['ID', 'TIMESTAMP_X', 'EVENT_NAME', 'MESSAGE_ID'];
const LIST_FIELDS = [...GET_FIELDS, 'PROCESS_ID', 'ERROR'];
const OPERATIONS = ['', '=', '>', '<', '>=', '<=', '@', '%'];
/** rest/lib/api/event.php: LIST_LIMIT. */
const DEFAULT_LIMIT = 50;
const PAGE = 50;

const argument = (description: string) => new OfflineQueueError(400, 'ERROR_ARGUMENT', description);

type Condition = { op: string; field: string; value: unknown };

function parseFilter(raw: unknown, fields: string[]): Condition[] {
  if (raw === undefined || raw === null || raw === '') return [];
  const plain = phpToPlain(raw);
  if (typeof plain !== 'object' || Array.isArray(plain)) throw argument('The filter is not an array.');
  const out: Condition[] = [];
  for (const [key, value] of Object.entries(plain as Record<string, unknown>)) {
    const [, op, name] = /^([^a-zA-Z]*)(.*)$/.exec(key)!;
    const field = name.toUpperCase();
    if (!OPERATIONS.includes(op)) throw argument(`Filter operation not allowed: ${op}`);
    if (!fields.includes(field)) throw argument(`Filter field not allowed: ${field}`);
    if (typeof value === 'object' && value !== null && op !== '@') throw argument(`The filter value of ${key} must be a scalar`);
    out.push({ op, field, value });
  }
  return out;
}

function parseOrder(raw: unknown, fields: string[], fallback: [string, 'ASC' | 'DESC']): Array<[string, 'ASC' | 'DESC']> {
  if (raw === undefined || raw === null || raw === '') return [fallback];
  const plain = phpToPlain(raw);
  if (typeof plain !== 'object' || Array.isArray(plain)) throw argument('The order is not an array.');
  const out: Array<[string, 'ASC' | 'DESC']> = [];
  for (const [key, direction] of Object.entries(plain as Record<string, unknown>)) {
    const field = key.toUpperCase();
    if (!fields.includes(field)) throw argument(`Order field not allowed: ${field}`);
    out.push([field, String(direction).toUpperCase() === 'DESC' ? 'DESC' : 'ASC']);
  }
  return out.length ? out : [fallback];
}

function fieldValue(record: OfflineRecord, field: string): string | number {
  switch (field) {
    case 'ID':
      return record.id;
    case 'TIMESTAMP_X':
      return record.timestamp;
    case 'EVENT_NAME':
      return record.eventName;
    case 'MESSAGE_ID':
      return record.messageId;
    case 'PROCESS_ID':
      return record.processId;
    default:
      return record.error;
  }
}

function matches(record: OfflineRecord, conditions: Condition[], parseTime: (value: string) => number): boolean {
  return conditions.every(({ op, field, value }) => {
    const have = fieldValue(record, field);
    const wanted = field === 'TIMESTAMP_X' ? parseTime(String(value)) : typeof have === 'number' ? Number(value) : String(value ?? '');
    if (op === '@') return asList(phpToPlain(value)).some((v) => String(v) === String(have));
    if (op === '%') return String(have).toLowerCase().includes(String(value).toLowerCase());
    const cmp = typeof have === 'number' ? have - Number(wanted) : String(have) < String(wanted) ? -1 : String(have) > String(wanted) ? 1 : 0;
    switch (op) {
      case '>':
        return cmp > 0;
      case '<':
        return cmp < 0;
      case '>=':
        return cmp >= 0;
      case '<=':
        return cmp <= 0;
      default:
        return typeof have === 'number' ? cmp === 0 : String(have).toLowerCase() === String(wanted).toLowerCase();
    }
  });
}

function sorter(order: Array<[string, 'ASC' | 'DESC']>): (a: OfflineRecord, b: OfflineRecord) => number {
  return (a, b) => {
    for (const [field, direction] of order) {
      const x = fieldValue(a, field);
      const y = fieldValue(b, field);
      const cmp = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      if (cmp !== 0) return direction === 'DESC' ? -cmp : cmp;
    }
    return a.id - b.id;
  };
}

/** PHP intval() of a parameter. */
function intval(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = parseInt(String(value), 10);
  return Number.isNaN(n) ? 0 : n;
}

export class OfflineEventQueue {
  private records: OfflineRecord[] = [];
  private nextId = 1;
  /** The `rest_offline_extended` feature (reservation with clear=0): on by default. */
  extendedMode = true;

  constructor(
    private readonly now: () => number,
    private readonly isoAt: (ms: number) => string,
  ) {}

  /** Everything queued, oldest first (for tests). */
  get all(): OfflineRecord[] {
    return this.records.map((r) => ({ ...r }));
  }

  /** rest/lib/eventoffline.php callEvent(): add, or refresh the unreserved record of the same change. */
  record(eventName: string, data: unknown, additional: unknown): void {
    const messageId = createHash('md5').update(`${eventName}|${JSON.stringify(data)}`).digest('hex');
    const existing = this.records.find((r) => r.messageId === messageId && r.processId === '');
    if (existing) {
      existing.timestamp = this.now();
      existing.data = data;
      existing.additional = additional;
      return;
    }
    this.records.push({ id: this.nextId++, timestamp: this.now(), messageId, eventName, data, additional, processId: '', error: 0 });
  }

  /** Drops the whole queue (the app was uninstalled: EventOfflineTable::deleteByApp). */
  clearAll(): void {
    this.records = [];
  }

  /** event.offline.get (api-reference/events/event-offline-get.md). */
  get(params: Record<string, unknown>): { process_id: string | null; events: unknown[] } {
    const clear = params.clear === undefined ? 1 : intval(params.clear, 1);
    const givenProcess = typeof params.process_id === 'string' ? params.process_id.trim() : null;
    if (!clear && !this.extendedMode) {
      throw new OfflineQueueError(403, 'WRONG_LICENSE', 'This feature is not enabled for the current license: extended offline events handling');
    }
    const limit = intval(params.limit, DEFAULT_LIMIT);
    if (limit <= 0) throw argument('Value must be positive integer');
    const conditions = parseFilter(params.filter, GET_FIELDS);
    const order = parseOrder(params.order, GET_FIELDS, ['TIMESTAMP_X', 'ASC']);
    const wantErrors = intval(params.error, 0) === 1 ? 1 : 0;
    const parseTime = (value: string) => Date.parse(value);
    let processId = givenProcess;
    if (processId === null) {
      processId = randomBytes(16).toString('hex');
      const free = this.records.filter((r) => r.processId === '' && r.error === wantErrors && matches(r, conditions, parseTime)).sort(sorter(order)).slice(0, limit);
      for (const record of free) record.processId = processId;
    }
    const picked = this.records
      .filter((r) => r.processId === processId && r.error === wantErrors && matches(r, conditions, parseTime))
      .sort(sorter(order))
      .slice(0, limit);
    const events = picked.map((r) => this.view(r, false));
    if (clear && picked.length) this.records = this.records.filter((r) => r.processId !== processId);
    return { process_id: !clear || givenProcess !== null ? processId : null, events };
  }

  /** event.offline.clear (event-offline-clear.md). */
  clear(params: Record<string, unknown>): true {
    const processId = typeof params.process_id === 'string' ? params.process_id.trim() : null;
    if (!processId) throw argument('Required argument PROCESS_ID is empty');
    let keep: (r: OfflineRecord) => boolean = () => false;
    if (params.message_id !== undefined) {
      const raw = phpToPlain(params.message_id);
      if (typeof raw !== 'object' || raw === null) throw argument('Value must be array of MESSAGE_ID values');
      const ids = asList(raw).map((v) => String(v).trim());
      if (ids.some((id) => id.length !== 32)) throw argument('Value must be array of MESSAGE_ID values');
      keep = (r) => !ids.includes(r.messageId);
    } else if (params.id !== undefined) {
      const raw = phpToPlain(params.id);
      if (typeof raw !== 'object' || raw === null) throw argument('Value must be array of integers');
      const ids = asList(raw).map((v) => intval(v, 0));
      if (ids.some((id) => id <= 0)) throw argument('Value must be array of integers');
      keep = (r) => !ids.includes(r.id);
    }
    this.records = this.records.filter((r) => r.processId !== processId || keep(r));
    return true;
  }

  /** event.offline.error (event-offline-error.md; eventoffline.php markError). */
  error(params: Record<string, unknown>): true {
    const processId = typeof params.process_id === 'string' ? params.process_id.trim() : null;
    if (!processId) throw argument('Required argument PROCESS_ID is empty');
    const raw = phpToPlain(params.message_id);
    if (typeof raw !== 'object' || raw === null) throw argument('Value must be array of MESSAGE_ID values');
    const ids = new Set(asList(raw).map((v) => String(v)));
    this.records = this.records.filter((r) => !(ids.has(r.messageId) && r.error === 0 && r.processId !== processId));
    for (const record of this.records) {
      if (ids.has(record.messageId) && record.error === 0 && record.processId === processId) {
        record.error = 1;
        record.processId = '';
      }
    }
    return true;
  }

  /** event.offline.list (event-offline-list.md): no reservation, 50 a page with total/next. */
  list(params: Record<string, unknown>): { result: unknown[]; total: number; next?: number } {
    const conditions = parseFilter(params.filter, LIST_FIELDS);
    const order = parseOrder(params.order, LIST_FIELDS, ['ID', 'ASC']);
    const all = this.records.filter((r) => matches(r, conditions, (value) => Date.parse(value))).sort(sorter(order));
    const start = Math.max(0, intval(params.start, 0));
    const page = all.slice(start, start + PAGE).map((r) => this.view(r, true));
    return start + PAGE < all.length ? { result: page, total: all.length, next: start + PAGE } : { result: page, total: all.length };
  }

  /** The record as the methods print it: string ID, ISO time; list adds PROCESS_ID and ERROR. */
  private view(record: OfflineRecord, withState: boolean): Record<string, unknown> {
    // event.php: EVENT_ADDITIONAL with a local user becomes { user_id }.
    const additional = record.additional && typeof record.additional === 'object' && 'user_id' in record.additional ? { user_id: (record.additional as { user_id: unknown }).user_id } : false;
    const view: Record<string, unknown> = {
      ID: String(record.id),
      TIMESTAMP_X: this.isoAt(record.timestamp),
      EVENT_NAME: record.eventName,
      EVENT_DATA: record.data ?? false,
      EVENT_ADDITIONAL: additional,
      MESSAGE_ID: record.messageId,
    };
    if (withState) {
      view.PROCESS_ID = record.processId;
      view.ERROR = String(record.error);
    }
    return view;
  }
}
