import type { MessageKey, Vars } from '../i18n/i18n';
import type { Connection } from '../types';

export interface SettingsForm {
  scheduleKind: 'interval' | 'daily';
  minutes: string;
  times: string;
  edition: string;
  country: string;
  guard: string;
  extranet: boolean;
}

export interface Problem {
  key: MessageKey;
  vars?: Vars;
}

export function settingsForm(c: Connection): SettingsForm {
  const s = c.settings;
  return {
    scheduleKind: s.schedule.kind === 'daily' ? 'daily' : 'interval',
    minutes: String(s.schedule.intervalMinutes ?? 30),
    times: (s.schedule.dailyTimesUtc ?? []).join(', '),
    edition: c.edition === 'on_premise' ? 'on_premise' : 'cloud',
    country: s.defaultCountry ?? '',
    guard: s.removalGuardPercent === null || s.removalGuardPercent === undefined ? '' : String(s.removalGuardPercent),
    extranet: Boolean(s.includeExtranet),
  };
}

/**
 * Checks the form the way the API would and builds a PATCH body of what changed only
 * (saving the schedule must not pin the other settings' defaults).
 */
export function settingsPatch(form: SettingsForm, c: Connection): { problems: Problem[]; body: Record<string, unknown> } {
  const problems: Problem[] = [];
  const body: Record<string, unknown> = {};
  const current = c.settings;
  if (form.scheduleKind === 'daily') {
    const times = form.times
      .split(/[\s,;]+/)
      .filter(Boolean)
      .map((t) => (/^\d:\d\d$/.test(t) ? `0${t}` : t));
    if (!times.length) problems.push({ key: 'settings.problem_no_times' });
    const bad = times.filter((t) => !/^([01]\d|2[0-3]):[0-5]\d$/.test(t));
    if (bad.length) problems.push({ key: 'settings.problem_bad_times', vars: { times: bad.join(', ') } });
    if (times.length > 24) problems.push({ key: 'settings.problem_too_many_times' });
    const sorted = Array.from(new Set(times)).sort();
    const same = current.schedule.kind === 'daily' && JSON.stringify(sorted) === JSON.stringify([...(current.schedule.dailyTimesUtc ?? [])].sort());
    if (!same) body.schedule = { kind: 'daily', dailyTimesUtc: sorted };
  } else {
    const minutes = Number(form.minutes);
    if (!/^\d+$/.test(form.minutes.trim()) || minutes < 5 || minutes > 1440) problems.push({ key: 'settings.problem_minutes' });
    const same = current.schedule.kind === 'interval' && current.schedule.intervalMinutes === minutes;
    if (!same) body.schedule = { kind: 'interval', intervalMinutes: minutes };
  }
  if (form.edition !== c.edition) body.edition = form.edition;
  if (form.extranet !== Boolean(current.includeExtranet)) body.includeExtranet = form.extranet;
  const country = form.country.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) problems.push({ key: 'settings.problem_country' });
  else if (country !== current.defaultCountry) body.defaultCountry = country;
  const guardText = form.guard.trim();
  if (guardText === '') {
    if (current.removalGuardPercent !== null) body.removalGuardPercent = null;
  } else {
    const guard = Number(guardText.replace(',', '.'));
    if (!Number.isFinite(guard) || guard < 0 || guard > 100) problems.push({ key: 'settings.problem_guard' });
    else if (guard !== current.removalGuardPercent) body.removalGuardPercent = guard;
  }
  return { problems, body };
}
