import { useEffect, useRef, useState } from 'preact/hooks';
import { isQuiet } from '../api';
import { UserCheckPanel } from '../components/review';
import { DepartmentSelection } from '../components/department-selection';
import { RunProgress, RunSummary } from '../components/run-summary';
import { useAction, usePoll } from '../components/use-async';
import { ErrorNotice, FormProblems, Loading, Notice, TabLink, Time } from '../components/ui';
import { canSynchronize, connectionHealth } from '../logic/connections';
import { fieldProblems, type ErrorLike } from '../logic/errors';
import { isActive, pickLastRun, retryLine } from '../logic/runs';
import { settingsForm, settingsPatch, type SettingsForm } from '../logic/settings';
import { useConsole } from '../store';
import type { Connection, Page, SyncRun } from '../types';

const POLL_MS = 700;

/** Employee Synchronization: the portal, Synchronize with live progress, the last run, the schedule and settings. */
export function DataAccessTab() {
  const { t, connections, connectionsLoaded, refreshConnections, selectedConnectionId, selectConnection } = useConsole();
  const [error, setError] = useState<ErrorLike | null>(null);
  useEffect(() => {
    refreshConnections().catch((e: unknown) => !isQuiet(e) && setError(e as ErrorLike));
  }, [refreshConnections]);
  const usable = connections.filter((c) => c.state !== 'disconnected');
  const selected = usable.find((c) => c.id === selectedConnectionId) ?? usable.find((c) => c.state === 'active') ?? usable[0] ?? null;
  useEffect(() => {
    if (selected && selected.id !== selectedConnectionId) selectConnection(selected.id);
  }, [selected?.id]);

  return (
    <>
      <h2>{t('data_access.title')}</h2>
      {!connectionsLoaded && !error && <Loading text={t('common.loading')} />}
      <ErrorNotice error={error} />
      {connectionsLoaded && !usable.length && (
        <div class="empty" data-testid="da-empty">
          <p>{t('data_access.none')}</p>
          <p>
            <TabLink tab="connection">{t('data_access.go_connect')}</TabLink>
          </p>
        </div>
      )}
      {selected && <SyncSection key={selected.id} connection={selected} all={usable} />}
    </>
  );
}

function SyncSection(props: { connection: Connection; all: Connection[] }) {
  const { api, t, fmt, can, selectConnection, refreshConnections, refreshAttention, dataChanged } = useConsole();
  const c = props.connection;
  const [run, setRun] = useState<SyncRun | null>(null);
  const [newerEventRuns, setNewerEventRuns] = useState(0);
  const [loaded, setLoaded] = useState(false);
  const [loadError, setLoadError] = useState<ErrorLike | null>(null);
  const [pollError, setPollError] = useState(false);
  const start = useAction();
  const [progressShown, setProgressShown] = useState(false);
  const hideTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const loadLastRun = async () => {
    try {
      const page = await api.request<Page<SyncRun>>('GET', '/sync-runs', { query: { connectionId: c.id, limit: 10 } });
      const last = pickLastRun(page.items);
      setRun(last);
      const lastTime = last ? new Date(last.finishedAt ?? last.queuedAt).getTime() : 0;
      setNewerEventRuns(page.items.filter((r) => r.trigger === 'event' && new Date(r.queuedAt).getTime() > lastTime).length);
      setProgressShown(Boolean(last && isActive(last)));
      setLoadError(null);
    } catch (e) {
      if (!isQuiet(e)) setLoadError(e as ErrorLike);
    } finally {
      setLoaded(true);
    }
  };
  useEffect(() => {
    void loadLastRun();
    return () => clearTimeout(hideTimer.current);
  }, [c.id]);

  const watching = Boolean(run && isActive(run));
  usePoll(watching, POLL_MS, async () => {
    if (!run) return false;
    let current: SyncRun;
    try {
      current = await api.request<SyncRun>('GET', `/sync-runs/${encodeURIComponent(run.id)}`);
      setPollError(false);
    } catch (e) {
      if (!isQuiet(e)) setPollError(true);
      throw e;
    }
    setRun(current);
    if (isActive(current)) return true;
    // Done: the progress box stays a moment, then goes; the connection's facts and banners refresh.
    hideTimer.current = setTimeout(() => setProgressShown(false), 1500);
    dataChanged();
    await Promise.all([refreshConnections(), refreshAttention()]).catch(() => undefined);
    return false;
  });

  // departmentScope: a preview of a selection the owner has not saved yet (the scope editor below).
  const startRun = (dryRun: boolean, departmentScope?: unknown) =>
    start.run(async () => {
      const body = dryRun ? { dryRun: true, ...(departmentScope ? { departmentScope } : {}) } : {};
      const started = await api.request<SyncRun>('POST', `/bitrix24/connections/${encodeURIComponent(c.id)}/sync`, { body });
      clearTimeout(hideTimer.current);
      setRun(started);
      setProgressShown(true);
    });
  const synchronize = () => startRun(false);
  // First connect: nothing imported yet, so the preview is the natural first step.
  const firstImport = loaded && !c.sync.lastSuccessAt && (!run || run.dryRun === true);

  const health = connectionHealth(c);
  const retry = retryLine(c, fmt);
  const schedule = c.settings.schedule;
  return (
    <div id="da-body" class="stack">
      <section class="card stack" aria-labelledby="sync-title">
        <h3 id="sync-title">{t('data_access.sync_title')}</h3>
        {props.all.length > 1 && (
          <div class="field field-inline" id="da-connection-field">
            <label for="da-connection">{t('data_access.portal')}</label>
            <select id="da-connection" data-testid="da-connection" value={c.id} onChange={(e) => selectConnection((e.currentTarget as HTMLSelectElement).value)}>
              {props.all.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.domain}
                </option>
              ))}
            </select>
          </div>
        )}
        <p id="da-connection-info" class="muted" data-testid="da-connection-info" data-health={health.tone}>
          <strong>{c.domain}</strong> — {t(health.label, { state: c.state })}.{' '}
          {c.state === 'active' ? (
            <>
              {t('data_access.last_success')} <Time iso={c.sync.lastSuccessAt} />. {retry ? t('data_access.next_try') : t('data_access.next_sync')} <Time iso={c.sync.nextSyncAt} />.
            </>
          ) : (
            <TabLink tab="connection">{t('data_access.reconnect')}</TabLink>
          )}
        </p>
        {retry && (
          <Notice tone="warn" testid="da-retry">
            {t(retry.key, retry.vars)}
          </Notice>
        )}
        <div class="sync-actions">
          {can('sync:run') && (
            <button
              type="button"
              class="button-primary button-large"
              id="sync-button"
              data-testid="sync-button"
              disabled={start.busy || watching || !canSynchronize(c)}
              aria-busy={start.busy || undefined}
              onClick={synchronize}
            >
              {start.busy ? t('data_access.starting') : t('data_access.synchronize')}
            </button>
          )}
          {can('sync:run') && (
            <button
              type="button"
              class={firstImport ? 'button-large' : undefined}
              id="preview-button"
              data-testid="preview-button"
              aria-describedby="preview-hint"
              disabled={start.busy || watching || !canSynchronize(c)}
              onClick={() => startRun(true)}
            >
              {firstImport ? t('review.preview_first') : t('review.preview')}
            </button>
          )}
          <p class="hint" id="sync-hint">
            {schedule.kind === 'daily'
              ? t('data_access.schedule_daily', { times: (schedule.dailyTimesUtc ?? []).join(', ') })
              : t('data_access.schedule_interval', { count: schedule.intervalMinutes ?? 30 })}{' '}
            {can('sync:run') ? t('data_access.press_synchronize') : t('data_access.cannot_run')}
          </p>
          {can('sync:run') && (
            <p class="hint" id="preview-hint">
              {t('review.preview_hint')}
            </p>
          )}
        </div>
        <ErrorNotice error={start.error} testid="sync-error" />
        {pollError && (
          <p class="notice notice-warn" role="status" data-testid="sync-error">
            {t('data_access.poll_failed')}
          </p>
        )}
        <RunProgress run={run} hidden={!progressShown} />
      </section>

      <section class="card stack" aria-labelledby="last-run-title">
        <h3 id="last-run-title">{t('data_access.last_run')}</h3>
        <div id="last-run" data-testid="last-run" data-connection-id={c.id}>
          {!loaded && <Loading text={t('data_access.loading_last_run')} />}
          <ErrorNotice error={loadError} />
          {loaded && !loadError && !run && <p class="empty">{t('data_access.no_run')}</p>}
          {run && <RunSummary run={run} connection={c} showSkipped onChanged={(updated) => setRun(updated)} />}
          {newerEventRuns > 0 && (
            <p class="muted" data-testid="newer-event-runs">
              {t('data_access.newer_event_runs', { count: newerEventRuns })}
            </p>
          )}
        </div>
      </section>

      {can('sync:run') && c.state === 'active' && <UserCheckPanel connection={c} />}

      <DepartmentSelection
        key={c.id}
        connection={c}
        onPreview={can('sync:run') && canSynchronize(c) && !start.busy && !watching ? (scope) => startRun(true, scope) : undefined}
      />
      <SettingsSection connection={c} />
    </div>
  );
}

function SettingsSection(props: { connection: Connection }) {
  const { api, t, can, refreshConnections } = useConsole();
  const c = props.connection;
  const [form, setForm] = useState<SettingsForm>(() => settingsForm(c));
  const [problems, setProblems] = useState<string[]>([]);
  const save = useAction();
  const [status, setStatus] = useState('');
  const editable = can('connections:manage');
  const set = <K extends keyof SettingsForm>(key: K, value: SettingsForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const countryName = (() => {
    const code = form.country.trim().toUpperCase();
    if (!/^[A-Z]{2}$/.test(code)) return '';
    try {
      const name = new Intl.DisplayNames([document.documentElement.lang || 'en'], { type: 'region', fallback: 'none' }).of(code);
      return name && name !== code ? name : '';
    } catch {
      return '';
    }
  })();

  const submit = async (event: Event) => {
    event.preventDefault();
    save.setError(null);
    const { problems: found, body } = settingsPatch(form, c);
    if (found.length) {
      setProblems(found.map((p) => t(p.key, p.vars)));
      return;
    }
    setProblems([]);
    if (!Object.keys(body).length) {
      setStatus(t('settings.nothing_changed'));
      return;
    }
    setStatus('');
    await save.run(async () => {
      try {
        const updated = await api.request<Connection>('PATCH', `/bitrix24/connections/${encodeURIComponent(c.id)}`, { body });
        setForm(settingsForm(updated));
        await refreshConnections();
        setStatus(t('settings.saved'));
      } catch (e) {
        // The page checks the shape; the service knows which countries have phone numbering.
        if (!fieldProblems(e as ErrorLike).some((f) => f.field === 'defaultCountry')) throw e;
        setProblems([t('settings.problem_country_unknown', { code: form.country.trim().toUpperCase() })]);
      }
    });
  };

  return (
    <section class="card stack" aria-labelledby="settings-title">
      <h3 id="settings-title">{t('settings.title')}</h3>
      {!editable && <Notice tone="info">{t('settings.read_only')}</Notice>}
      <form id="settings-form" class="stack" data-testid="settings-form" method="post" noValidate onSubmit={submit}>
        <fieldset class="stack-sm">
          <legend>{t('settings.automatic')}</legend>
          <div class="choice">
            <input type="radio" name="scheduleKind" id="schedule-kind-interval" value="interval" data-testid="schedule-kind-interval" disabled={!editable} checked={form.scheduleKind === 'interval'} onChange={() => set('scheduleKind', 'interval')} />
            <label for="schedule-kind-interval">{t('settings.interval')}</label>
          </div>
          <div class="field field-inline indent">
            <label for="schedule-minutes">{t('settings.minutes')}</label>
            <input
              id="schedule-minutes"
              type="number"
              min={5}
              max={1440}
              step={1}
              inputMode="numeric"
              class="input-short"
              data-testid="schedule-minutes"
              disabled={!editable || form.scheduleKind === 'daily'}
              value={form.minutes}
              onInput={(e) => set('minutes', (e.currentTarget as HTMLInputElement).value)}
            />
          </div>
          <div class="choice">
            <input type="radio" name="scheduleKind" id="schedule-kind-daily" value="daily" data-testid="schedule-kind-daily" disabled={!editable} checked={form.scheduleKind === 'daily'} onChange={() => set('scheduleKind', 'daily')} />
            <label for="schedule-kind-daily">{t('settings.daily')}</label>
          </div>
          <div class="field field-inline indent">
            <label for="schedule-times">{t('settings.times')}</label>
            <input
              id="schedule-times"
              type="text"
              placeholder={t('settings.times_placeholder')}
              autoComplete="off"
              spellcheck={false}
              aria-describedby="schedule-times-hint"
              data-testid="schedule-times"
              disabled={!editable || form.scheduleKind !== 'daily'}
              value={form.times}
              onInput={(e) => set('times', (e.currentTarget as HTMLInputElement).value)}
            />
            <p class="hint" id="schedule-times-hint">
              {t('settings.times_hint')}
            </p>
          </div>
        </fieldset>
        <div class="grid-settings">
          <div class="field">
            <label for="setting-edition">{t('connection.edition')}</label>
            <select id="setting-edition" data-testid="setting-edition" aria-describedby="setting-edition-hint" disabled={!editable} value={form.edition} onChange={(e) => set('edition', (e.currentTarget as HTMLSelectElement).value)}>
              <option value="cloud">{t('connection.edition_cloud')}</option>
              <option value="on_premise">{t('connection.edition_on_premise')}</option>
            </select>
            <p class="hint" id="setting-edition-hint">
              {t('settings.edition_hint')}
            </p>
          </div>
          <div class="field">
            <label for="setting-country">{t('settings.country')}</label>
            <input
              id="setting-country"
              type="text"
              maxLength={2}
              autoComplete="off"
              spellcheck={false}
              class="input-short"
              aria-describedby="setting-country-hint"
              data-testid="setting-country"
              disabled={!editable}
              value={form.country}
              onInput={(e) => set('country', (e.currentTarget as HTMLInputElement).value)}
            />
            <p class="hint" id="setting-country-hint">
              {countryName ? `${countryName}. ` : ''}
              {t('settings.country_hint')}
            </p>
          </div>
          <div class="field">
            <label for="setting-guard">{t('settings.guard')}</label>
            <input
              id="setting-guard"
              type="number"
              min={0}
              max={100}
              step={1}
              inputMode="numeric"
              class="input-short"
              aria-describedby="setting-guard-hint"
              data-testid="setting-guard"
              disabled={!editable}
              value={form.guard}
              onInput={(e) => set('guard', (e.currentTarget as HTMLInputElement).value)}
            />
            <p class="hint" id="setting-guard-hint">
              {t('settings.guard_hint')}
            </p>
          </div>
          <div class="field">
            <div class="choice">
              <input type="checkbox" id="setting-extranet" data-testid="setting-extranet" disabled={!editable} checked={form.extranet} onChange={(e) => set('extranet', (e.currentTarget as HTMLInputElement).checked)} />
              <label for="setting-extranet">{t('settings.extranet')}</label>
            </div>
          </div>
        </div>
        <FormProblems problems={problems} testid="settings-error" />
        <ErrorNotice error={save.error} testid="settings-error" />
        {editable && (
          <div class="form-actions">
            <button type="submit" class="button-primary" data-testid="settings-save" disabled={save.busy}>
              {save.busy ? t('settings.saving') : t('settings.save')}
            </button>
            <span class="muted" role="status" id="settings-status" data-testid="settings-status">
              {status}
            </span>
          </div>
        )}
      </form>
    </section>
  );
}
