import { AsyncLocalStorage } from 'node:async_hooks';

/** Fields attached to every log line written inside a request or a sync run. */
export interface LogContext {
  requestId?: string;
  runId?: string;
  connectionId?: string;
  accountId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

export function currentLogContext(): LogContext {
  return storage.getStore() ?? {};
}

/** Runs fn with the given fields added to the current log context. */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return storage.run({ ...currentLogContext(), ...fields }, fn);
}

/**
 * Adds fields to the context of the work already running (e.g. the account once the
 * API key is known), visible to every later log line of the same request.
 */
export function addToLogContext(fields: LogContext): void {
  const store = storage.getStore();
  if (store) Object.assign(store, fields);
}
