import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from './api';
import type { Locale, MessageKey, Translate, Vars } from './i18n/i18n';
import type { Formatters } from './logic/format';
import type { Tone } from './logic/connections';
import type { Connection, Me, SyncRun } from './types';

export interface ConfirmOptions {
  title: MessageKey;
  titleVars?: Vars;
  /** Each line a sentence with its numbers: what the action will do. */
  lines: Array<{ key: MessageKey; vars?: Vars }>;
  confirm: MessageKey;
  danger?: boolean;
}

export interface Flash {
  text: string;
  tone: Tone;
}

export interface NavigateOptions {
  sub?: string | null;
  connectionId?: string;
  /** Replace the history entry (arrow keys) instead of adding one (clicks). */
  replace?: boolean;
  focusTab?: boolean;
}

/** What every tab and component may use. One object, built by App, passed by context. */
export interface Console {
  api: Api;
  me: Me;
  locale: Locale;
  t: Translate;
  fmt: Formatters;
  can(permission: string): boolean;
  connections: Connection[];
  connectionsLoaded: boolean;
  refreshConnections(): Promise<Connection[]>;
  /** Runs held by the mass-removal guard, for the banners. */
  heldRuns: SyncRun[];
  refreshAttention(): Promise<void>;
  selectedConnectionId: string | null;
  selectConnection(id: string | null): void;
  flash(text: string, tone?: Tone): void;
  navigate(tab: string, options?: NavigateOptions): void;
  confirm(options: ConfirmOptions): Promise<boolean>;
  /** Bumped when a run finished or removals were applied: lists reload. */
  dataVersion: number;
  dataChanged(): void;
}

export const ConsoleContext = createContext<Console | null>(null);

export function useConsole(): Console {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error('useConsole outside the console');
  return value;
}

/** The translator alone: the sign-in page has it before there is a console. */
export const I18nContext = createContext<{ t: Translate; fmt: Formatters; locale: Locale } | null>(null);

export function useI18n(): { t: Translate; fmt: Formatters; locale: Locale } {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside the app');
  return value;
}
