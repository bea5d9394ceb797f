import type { Locale } from '../i18n/i18n';

/**
 * Dates, numbers and durations in the chosen locale, all through Intl (no words of our own,
 * so they read right in Russian too). The time zone is the browser's.
 */
export interface Formatters {
  locale: Locale;
  number(n: number | null | undefined): string;
  dateTime(iso: string | null | undefined): string;
  /** Runs can start seconds apart: their times show seconds. */
  dateTimeSeconds(iso: string | null | undefined): string;
  /** "in 5 minutes", "5 minutes ago". */
  relative(iso: string | null | undefined, now?: number): string;
  duration(fromIso: string | null | undefined, toIso: string | null | undefined, now?: number): string;
  percent(n: number | null | undefined): string;
}

const DASH = '—';

export function createFormatters(locale: Locale): Formatters {
  const numbers = new Intl.NumberFormat(locale);
  const dates = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const datesSeconds = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const unit = (u: 'second' | 'minute' | 'hour') => new Intl.NumberFormat(locale, { style: 'unit', unit: u, unitDisplay: 'short' });
  const seconds = unit('second');
  const minutes = unit('minute');
  const hours = unit('hour');
  const parse = (iso: string | null | undefined): Date | null => {
    if (!iso) return null;
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? null : d;
  };
  return {
    locale,
    number: (n) => numbers.format(Number(n) || 0),
    dateTime: (iso) => {
      const d = parse(iso);
      return d ? dates.format(d) : DASH;
    },
    dateTimeSeconds: (iso) => {
      const d = parse(iso);
      return d ? datesSeconds.format(d) : DASH;
    },
    relative: (iso, now = Date.now()) => {
      const d = parse(iso);
      if (!d) return DASH;
      const diff = (d.getTime() - now) / 1000;
      const abs = Math.abs(diff);
      if (abs < 60) return relative.format(Math.round(diff), 'second');
      if (abs < 3600) return relative.format(Math.round(diff / 60), 'minute');
      if (abs < 86400) return relative.format(Math.round(diff / 3600), 'hour');
      return relative.format(Math.round(diff / 86400), 'day');
    },
    duration: (fromIso, toIso, now = Date.now()) => {
      const from = parse(fromIso);
      if (!from) return DASH;
      const to = parse(toIso)?.getTime() ?? now;
      const ms = to - from.getTime();
      if (!Number.isFinite(ms) || ms < 0) return DASH;
      const s = Math.round(ms / 1000);
      if (s < 60) return seconds.format(s);
      const m = Math.floor(s / 60);
      if (m < 60) return `${minutes.format(m)} ${seconds.format(s % 60)}`;
      return `${hours.format(Math.floor(m / 60))} ${minutes.format(m % 60)}`;
    },
    percent: (n) => (n === null || n === undefined || !Number.isFinite(Number(n)) ? '?' : `${numbers.format(Number(n))} %`),
  };
}

/** Digits-only phone numbers, made readable; the digits stay the data (tel: link). */
export function formatPhone(digits: string): string {
  const d = String(digits || '').replace(/\D/g, '');
  if (d.length === 11 && (d[0] === '7' || d[0] === '8')) return `+7 ${d.slice(1, 4)} ${d.slice(4, 7)}-${d.slice(7, 9)}-${d.slice(9)}`;
  if (d.length === 11 && d[0] === '1') return `+1 ${d.slice(1, 4)} ${d.slice(4, 7)}-${d.slice(7)}`;
  if (d.length <= 6) return d;
  if (d.length <= 10) return d.replace(/(\d{3})(?=\d{3,})/g, '$1 ').trim();
  const head = d.slice(0, d.length - 10);
  const rest = d.slice(-10);
  return `+${head} ${rest.slice(0, 3)} ${rest.slice(3, 6)} ${rest.slice(6)}`;
}

/** The last-name tag the import adds (seeds/002 item 2): shown as a badge, not as text. */
export const BITRIX_TAG = /^\s*(\(bitrix24\)\s*)+/i;

export function personName(e: { lastName: string; firstName: string; middleName?: string | null }): { tagged: boolean; name: string } {
  const tagged = BITRIX_TAG.test(e.lastName);
  return { tagged, name: [e.lastName.replace(BITRIX_TAG, ''), e.firstName, e.middleName].filter(Boolean).join(' ') };
}
