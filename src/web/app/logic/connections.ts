import { knownKey, type MessageKey } from '../i18n/i18n';
import type { Connection } from '../types';

export type Tone = 'ok' | 'warn' | 'error' | 'info' | 'neutral';

export interface ConnectionHealth {
  tone: Tone;
  /** The badge text. */
  label: MessageKey;
  /** A sentence under the badge, when something needs saying. */
  explanation?: MessageKey;
  /** Something the owner should act on (a banner at the top and a badge on the tab). */
  needsAttention: boolean;
}

/**
 * What the connection's badge says. An active connection whose runs keep failing is a
 * warning, never a green "Active"; a state the page does not know yet (other streams add
 * some) gets a generic warning, not a blank.
 */
export function connectionHealth(c: Pick<Connection, 'state' | 'sync'>): ConnectionHealth {
  const failures = c.sync?.consecutiveFailures ?? 0;
  switch (c.state) {
    case 'active':
      return failures > 0
        ? { tone: 'warn', label: 'connection.state_failing', explanation: 'connection.failing_explained', needsAttention: true }
        : { tone: 'ok', label: 'connection.state_active', needsAttention: false };
    case 'reauth_required':
      return { tone: 'warn', label: 'connection.state_reauth_required', explanation: 'connection.reauth_explained', needsAttention: true };
    case 'insufficient_rights':
      return { tone: 'warn', label: 'connection.state_insufficient_rights', explanation: 'connection.insufficient_rights_explained', needsAttention: true };
    case 'uninstalled':
      return { tone: 'error', label: 'connection.state_uninstalled', explanation: 'connection.uninstalled_explained', needsAttention: true };
    case 'disconnected':
      return { tone: 'neutral', label: 'connection.state_disconnected', needsAttention: false };
    default:
      return { tone: 'warn', label: 'connection.state_unknown', explanation: 'connection.unknown_explained', needsAttention: true };
  }
}

/** Why the connection is in its state, in words; undefined for a reason the catalog lacks (shown raw as a detail). */
export function stateReasonKey(reason: string | null | undefined): MessageKey | undefined {
  if (!reason) return undefined;
  return knownKey('connection_reasons', reason) ?? knownKey('errors', reason.toLowerCase());
}

/** The portal with its scheme, as typed into Connect (the Connection card shows it so). */
export function portalAddress(c: Pick<Connection, 'portalUrl' | 'domain'>): string {
  return c.portalUrl || `https://${c.domain}`;
}

export const canSynchronize = (c: Pick<Connection, 'state'> | null | undefined): boolean => c?.state === 'active';
