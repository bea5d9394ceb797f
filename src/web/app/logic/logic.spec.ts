import { createTranslator } from '../i18n/i18n';
import type { Connection, SyncRun } from '../types';
import { attentionItems, tabBadges } from './attention';
import { connectionHealth, portalAddress } from './connections';
import { bulkBody, cleanSearch, exportPath, filterParams, linkExplanation, nextSort, NO_FILTERS, sortState } from './employees';
import { errorDetail, errorKey, fieldProblems } from './errors';
import { createFormatters, formatPhone, personName } from './format';
import { checkPortalAddress } from './portal-address';
import { settingsForm, settingsPatch } from './settings';

const en = createTranslator('en');

function connection(patch: Partial<Connection> = {}, sync: Partial<Connection['sync']> = {}): Connection {
  return {
    id: 'c1',
    authType: 'oauth',
    domain: 'acme.bitrix24.ru',
    portalUrl: 'https://acme.bitrix24.ru',
    memberId: 'm',
    edition: 'cloud',
    state: 'active',
    stateReason: null,
    stateChangedAt: '2026-11-30T10:00:00Z',
    webhookUrl: null,
    eventsBound: true,
    eventsError: null,
    settings: { includeExtranet: false, defaultCountry: 'RU', schedule: { kind: 'interval', intervalMinutes: 30, dailyTimesUtc: null }, removalGuardPercent: 20 },
    sync: { nextSyncAt: null, lastSuccessAt: null, consecutiveFailures: 0, lastError: null, polling: true, ...sync },
    createdAt: '2026-11-30T10:00:00Z',
    ...patch,
  };
}

describe('connection state', () => {
  it.each([
    ['active', 0, 'ok', 'Active', false],
    ['active', 2, 'warn', 'Active — runs failing', true],
    ['reauth_required', 0, 'warn', 'Needs re-authorization', true],
    ['insufficient_rights', 0, 'warn', 'Not enough rights', true],
    ['uninstalled', 0, 'error', 'Application uninstalled', true],
    ['disconnected', 0, 'neutral', 'Disconnected', false],
    ['waiting_for_admin', 0, 'warn', 'Needs attention (waiting_for_admin)', true],
  ])('%s with %i failures → %s "%s"', (state, failures, tone, label, attention) => {
    const h = connectionHealth(connection({ state }, { consecutiveFailures: failures }));
    expect({ tone: h.tone, label: en(h.label, { state }), attention: h.needsAttention }).toEqual({ tone, label, attention });
  });

  it('shows the portal with its scheme', () => {
    expect(portalAddress(connection({ portalUrl: 'http://127.0.0.1:4100', domain: '127.0.0.1:4100' }))).toBe('http://127.0.0.1:4100');
    expect(portalAddress(connection({ portalUrl: undefined }))).toBe('https://acme.bitrix24.ru');
  });
});

describe('attention: banners and tab badges', () => {
  it('lists held removals and connections that need the owner, and counts them per tab', () => {
    const held = { id: 'r1', connectionId: 'c1', status: 'awaiting_confirmation', guard: { dismissals: 50, deletions: 7 } } as SyncRun;
    const items = attentionItems([connection(), connection({ id: 'c2', domain: 'b.bitrix24.ru' }, { consecutiveFailures: 3 }), connection({ id: 'c3', domain: 'c.bitrix24.ru', state: 'reauth_required' }), connection({ id: 'c4', state: 'disconnected' })], [held]);
    expect(items.map((i) => [i.tab, en(i.message.key, i.message.vars)])).toEqual([
      ['data-access', 'acme.bitrix24.ru: 57 removals are held until you confirm them.'],
      ['data-access', 'b.bitrix24.ru: the last 3 synchronizations failed.'],
      ['connection', 'c.bitrix24.ru needs you: synchronization is stopped.'],
    ]);
    expect(tabBadges(items)).toEqual({ 'data-access': 2, connection: 1 });
    expect(attentionItems([connection()], [])).toEqual([]);
  });
});

describe('errors in the owner’s words', () => {
  it.each([
    [{ code: 'host_not_found', status: 422 }, 'errors.host_not_found'],
    [{ code: 'portal_unreachable', status: 422 }, 'errors.portal_unreachable'],
    [{ code: 'NETWORK_ERROR' }, 'errors.network_error'],
    [{ code: 'HTTP_502' }, 'errors.bitrix24_unavailable'],
    [{ code: 'QUERY_LIMIT_EXCEEDED' }, 'errors.bitrix24_rate_limited'],
    [{ code: 'ERROR_METHOD_NOT_FOUND' }, 'errors.insufficient_scope'],
    [{ code: 'oauth_not_configured', status: 503 }, 'errors.oauth_not_configured'],
    [{ code: 'database_unavailable', status: 503 }, 'errors.database_unavailable'],
    [{ code: 'token_rotation_lost' }, 'errors.token_rotation_lost'],
    [{ code: 'export_untrusted' }, 'errors.export_untrusted'],
    [{ code: 'OAUTH_SERVER_UNREACHABLE' }, 'errors.bitrix24_unavailable'],
    [{ code: 'something_new', status: 418 }, 'errors.request_refused'],
    [{ code: 'something_new', status: 500 }, 'errors.service_error'],
    [{ code: 'x y z' }, 'errors.unknown'],
    [{ code: '__proto__' }, 'errors.unknown'],
  ])('%j → %s', (error, key) => {
    expect(errorKey(error)).toBe(key);
  });

  it('keeps the raw code and message as a detail, and reads validation problems per field', () => {
    expect(errorDetail({ code: 'NETWORK_ERROR', message: 'ECONNREFUSED' })).toBe('ECONNREFUSED (NETWORK_ERROR)');
    expect(fieldProblems({ code: 'validation_failed', details: [{ field: 'limit', problems: ['must be a whole number from 1 to 500'] }] })).toEqual([{ field: 'limit', problem: 'must be a whole number from 1 to 500' }]);
    expect(fieldProblems({ code: 'other', details: [{ field: 'x', problems: ['y'] }] })).toEqual([]);
  });
});

describe('portal address check (the same reading as the service)', () => {
  it.each([
    ['acme.bitrix24.ru', false, 'https://acme.bitrix24.ru'],
    ['  https://Acme.Bitrix24.ru/crm/deal/  ', false, 'https://acme.bitrix24.ru'],
    ['http://127.0.0.1:4100', true, 'http://127.0.0.1:4100'],
    ['localhost:4100', true, 'https://localhost:4100'],
    ['portal.example.com:8443', false, 'https://portal.example.com:8443'],
  ])('%j (insecure %p) → %s', (input, insecure, origin) => {
    expect(checkPortalAddress(input, insecure)).toMatchObject({ ok: true, origin });
  });

  it.each([
    ['', false, 'empty'],
    ['   ', true, 'empty'],
    ['http://acme.bitrix24.ru', false, 'insecure'],
    ['ftp://acme.bitrix24.ru', false, 'scheme'],
    ['mailto:x@y.ru', false, 'scheme'],
    ['acme bitrix24 ru', false, 'invalid'],
    ['https://user:pw@acme.bitrix24.ru', false, 'invalid'],
    ['localhost', false, 'invalid'],
    ['a_b.bitrix24.ru', false, 'invalid'],
  ])('%j (insecure %p) → %s', (input, insecure, problem) => {
    expect(checkPortalAddress(input, insecure)).toEqual({ ok: false, problem });
  });
});

describe('employees: filters, sort, CSV, link explanations', () => {
  it('turns the filters into API parameters, the same for the list, the CSV and the bulk add', () => {
    const f = { q: ' Иван\tов ', linkState: 'dismissed' as const, source: 'bitrix24' as const, active: 'true' as const };
    expect(filterParams(f)).toEqual({ q: 'Иван ов', bitrix24State: 'dismissed', source: 'bitrix24', active: 'true' });
    expect(exportPath(f, '-created')).toBe('/employees/export.csv?q=%D0%98%D0%B2%D0%B0%D0%BD+%D0%BE%D0%B2&bitrix24State=dismissed&source=bitrix24&active=true&sort=-created');
    expect(bulkBody(f)).toEqual({ q: 'Иван ов', bitrix24State: ['dismissed'], source: 'bitrix24', active: true });
    expect(filterParams(NO_FILTERS)).toEqual({});
    expect(exportPath(NO_FILTERS, 'name')).toBe('/employees/export.csv?sort=name');
    expect(cleanSearch('a\u0000b\nc'.padEnd(200, 'x'))).toHaveLength(100);
  });

  it('flips a column, starts another ascending, and tells aria-sort', () => {
    expect(nextSort('name', 'name')).toBe('-name');
    expect(nextSort('-name', 'name')).toBe('name');
    expect(nextSort('-name', 'email')).toBe('email');
    expect(sortState('-created', 'created')).toBe('descending');
    expect(sortState('email', 'email')).toBe('ascending');
    expect(sortState('email', 'name')).toBe('none');
  });

  it('explains a Dismissed link next to an Active employee', () => {
    const date = () => '1 Dec 2026';
    const e = linkExplanation({ active: true }, { state: 'dismissed', stateSince: '2026-12-01T00:00:00Z' }, date)!;
    expect(en(e.key, e.vars)).toBe('Dismissed in Bitrix24 since 1 Dec 2026. The employee stays active here — the import never deactivates anyone — and has left the responsible list.');
    expect(linkExplanation({ active: true }, { state: 'active', stateSince: '' }, date)).toBeNull();
    expect(linkExplanation({ active: false }, { state: 'deleted', stateSince: '' }, date)!.key).toBe('employees.link_deleted');
  });
});

describe('settings form', () => {
  it('sends only what changed', () => {
    const c = connection();
    expect(settingsPatch(settingsForm(c), c)).toEqual({ problems: [], body: {} });
    expect(settingsPatch({ ...settingsForm(c), minutes: '15', country: 'kz' }, c).body).toEqual({ schedule: { kind: 'interval', intervalMinutes: 15 }, defaultCountry: 'KZ' });
    expect(settingsPatch({ ...settingsForm(c), scheduleKind: 'daily', times: '18:00, 6:00' }, c).body).toEqual({ schedule: { kind: 'daily', dailyTimesUtc: ['06:00', '18:00'] } });
    expect(settingsPatch({ ...settingsForm(c), guard: '' }, c).body).toEqual({ removalGuardPercent: null });
  });

  it('names each problem before anything is sent', () => {
    const c = connection();
    const { problems } = settingsPatch({ ...settingsForm(c), minutes: '2', country: 'R', guard: '150' }, c);
    expect(problems.map((p) => en(p.key, p.vars))).toEqual([
      'Minutes between runs must be a whole number from 5 to 1440.',
      'Default phone country must be two letters, such as RU.',
      'Removal guard must be a number from 0 to 100.',
    ]);
    const daily = settingsPatch({ ...settingsForm(c), scheduleKind: 'daily', times: '25:00, 7' }, c).problems;
    expect(daily.map((p) => en(p.key, p.vars))).toEqual(['Not a 24-hour HH:MM time: 25:00, 7']);
  });
});

describe('formatting', () => {
  it('formats numbers, dates and durations in the chosen locale', () => {
    const en = createFormatters('en');
    const ru = createFormatters('ru');
    expect(en.number(1234567)).toBe('1,234,567');
    expect(ru.number(1234567)).toBe('1\u00a0234\u00a0567');
    expect(en.duration('2026-01-01T00:00:00Z', '2026-01-01T00:02:05Z')).toBe('2 min 5 sec');
    expect(ru.duration('2026-01-01T00:00:00Z', '2026-01-01T00:02:05Z')).toBe('2 мин 5 с');
    expect(en.relative('2026-01-01T00:10:00Z', Date.parse('2026-01-01T00:00:00Z'))).toBe('in 10 minutes');
    expect(ru.relative('2026-01-01T00:10:00Z', Date.parse('2026-01-01T00:00:00Z'))).toBe('через 10 минут');
    expect(en.dateTime(null)).toBe('—');
    expect(en.dateTime('not a date')).toBe('—');
  });

  it('reads phone digits and names', () => {
    expect(formatPhone('74951234567')).toBe('+7 495 123-45-67');
    expect(formatPhone('12025550123')).toBe('+1 202 555-0123');
    expect(formatPhone('12345')).toBe('12345');
    expect(personName({ lastName: '(bitrix24) Иванов', firstName: 'Пётр', middleName: 'Ильич' })).toEqual({ tagged: true, name: 'Иванов Пётр Ильич' });
    expect(personName({ lastName: 'Doe', firstName: 'Jane' })).toEqual({ tagged: false, name: 'Doe Jane' });
  });
});
