/**
 * Where the Bitrix24 module hands work that belongs to the import (provided by the sync
 * module, so the connection module does not depend on it).
 */
export interface Bitrix24EventSink {
  /** ONUSERADD: durably queue the import of these users; must commit before returning. */
  usersAdded(connectionId: string, accountId: string, bitrix24UserIds: number[]): Promise<void>;
  /** A connection became usable (connected, reconnected): schedule a full run soon. */
  connectionReady(connectionId: string): Promise<void>;
  /** Settings that decide who is imported changed (the department selection): queue a full run now. */
  fullRunNeeded(accountId: string, connectionId: string, keyId: string): Promise<void>;
}

export const BITRIX24_EVENT_SINK = Symbol('BITRIX24_EVENT_SINK');
