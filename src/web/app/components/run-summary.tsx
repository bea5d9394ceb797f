import { useEffect, useState } from 'preact/hooks';
import { connectionPath, isQuiet } from '../api';
import type { MessageKey } from '../i18n/i18n';
import type { ErrorLike } from '../logic/errors';
import { BITRIX_TAG } from '../logic/format';
import { count, DEPARTMENT_OUTCOMES, FOLLOW_UP_OUTCOMES, isActive, itemFacts, outcomeKey, PRIMARY_OUTCOMES, processedTotal, reasonKey, retryLine, runStory, stalledLine, statusKey, statusTone, triggerKey } from '../logic/runs';
import { useConsole } from '../store';
import type { Connection, Page, PendingRemoval, RunItem, SyncRun } from '../types';
import { useAction } from './use-async';
import { Badge, ErrorNotice, Notice, Time } from './ui';
import { LinkPicker, PreviewBadge } from './review';
import { useUserDecisions } from './user-decisions';
import { LINKABLE_REASONS, problemAsItem, type Problem } from '../logic/review';

export function RunStatusBadge(props: { status: string }) {
  const { t } = useConsole();
  const key = statusKey(props.status);
  return (
    <Badge tone={statusTone(props.status)} testid="run-status">
      {key ? t(key) : props.status}
    </Badge>
  );
}

export function useWords() {
  const { t } = useConsole();
  return {
    outcome: (o: string) => {
      const key = outcomeKey(o);
      return key ? t(key) : o.replace(/_/g, ' ');
    },
    /** details: the item's, so a skip for the department selection reads as such (issue 13). */
    reason: (r: string | null | undefined, details?: Record<string, unknown> | null) => {
      if (!r) return '';
      if (r === 'out_of_scope' && details?.cause === 'departments') return t('reasons.out_of_selection');
      const key = reasonKey(r);
      return key ? t(key) : r.replace(/_/g, ' ');
    },
    trigger: (tr: string) => {
      const key = triggerKey(tr);
      return key ? t(key) : tr;
    },
  };
}

/**
 * One run: what happened in plain words, how far it got and when it retries (failed runs),
 * the counts that add up to "processed", the follow-ups beside them, held removals, skipped people.
 */
export function RunSummary(props: { run: SyncRun; connection: Connection | null; showSkipped: boolean; onChanged: (run: SyncRun) => void }) {
  const { t, fmt, connections } = useConsole();
  const words = useWords();
  const { run } = props;
  const story = runStory(run);
  const domain = connections.find((c) => c.id === run.connectionId)?.domain ?? t('common.unknown_portal');
  const counters = run.counters ?? {};
  const processed = processedTotal(counters);
  const retry = run.status === 'failed' ? retryLine(props.connection, fmt) : undefined;
  const reasons = Object.entries(counters.skippedByReason ?? {}).filter(([, n]) => n);
  const stalled = stalledLine(run, fmt);
  const counter = (key: string) => {
    const n = count(counters, key);
    return (
      <div key={key} class={`counter counter-${key}${n ? '' : ' counter-zero'}`} data-testid={`summary-${key}`} data-count={String(n)}>
        <dt>{words.outcome(key)}</dt>
        <dd>{fmt.number(n)}</dd>
      </div>
    );
  };
  return (
    <div class="run stack" data-testid="run-summary" data-run-id={run.id} data-status={run.status} data-dry-run={run.dryRun ? 'true' : 'false'}>
      <p class="run-meta">
        <RunStatusBadge status={run.status} /> {run.dryRun && <PreviewBadge />} {words.trigger(run.trigger)} · {domain} · {t('run.queued_at')} <Time iso={run.queuedAt} seconds />
        {run.finishedAt && (
          <>
            {' '}
            · {t('run.finished_at')} <Time iso={run.finishedAt} seconds /> ({fmt.duration(run.startedAt ?? run.queuedAt, run.finishedAt)})
          </>
        )}
      </p>
      {run.dryRun && (
        <Notice tone="info" testid="run-preview">
          {t('review.preview_notice')}
        </Notice>
      )}
      {run.dryRun && run.proposedDepartmentScope && (
        <Notice tone="info" testid="run-preview-scope">
          {run.proposedDepartmentScope.mode === 'all'
            ? t('review.preview_scope_notice_all')
            : t('review.preview_scope_notice', { count: run.proposedDepartmentScope.bitrix24DepartmentIds.length })}
        </Notice>
      )}
      {run.bitrix24UserIds && run.bitrix24UserIds.length > 0 && <p class="muted">{t('run.for_users', { count: run.bitrix24UserIds.length, ids: run.bitrix24UserIds.join(', #') })}</p>}
      {run.status === 'failed' ? (
        <div class="notice notice-error" role="alert" data-testid="run-error" data-code={run.error?.code ?? ''}>
          <p class="run-story">
            <strong>{t(story.headline.key, story.headline.vars)}</strong> {story.cause && t(story.cause.key, story.cause.vars)}
          </p>
          {story.progress && <p data-testid="run-progress-story">{t(story.progress.key, story.progress.vars)}</p>}
          {retry && <p data-testid="run-retry">{t(retry.key, retry.vars)}</p>}
          {run.error && <RawDetail text={`${run.error.message} (${run.error.code})`} />}
        </div>
      ) : (
        <p class={`run-story run-story-${story.tone}`} data-testid="run-story">
          {t(story.headline.key, story.headline.vars)}
        </p>
      )}
      {stalled && (
        <Notice tone="warn" role="status" testid="run-stalled">
          {t(stalled.key, stalled.vars)}
        </Notice>
      )}
      {counters.exportUntrusted && <Notice tone="warn">{t('run.export_untrusted')}</Notice>}
      {!counters.exportUntrusted && run.exportComplete === false && !isActive(run) && run.status !== 'failed' && <Notice tone="warn">{t('run.export_incomplete')}</Notice>}
      {isActive(run) && <p class="muted">{t('run.counts_so_far')}</p>}
      <div class="counters-wrap" data-testid="summary-counters">
        <section class="counter-group" aria-label={t('run.processed_group', { count: processed })}>
          <h4 class="counter-title" data-testid="summary-processed" data-processed={String(processed)}>
            {t('run.processed_group', { count: processed })}
          </h4>
          <dl class="counters">{PRIMARY_OUTCOMES.map(counter)}</dl>
        </section>
        <section class="counter-group" aria-label={t('run.follow_ups')}>
          <h4 class="counter-title">{t('run.follow_ups')}</h4>
          <dl class="counters counters-follow-up">{FOLLOW_UP_OUTCOMES.map(counter)}</dl>
        </section>
        {DEPARTMENT_OUTCOMES.some((o) => count(counters, o)) && (
          <section class="counter-group" aria-label={t('run.departments_group')} data-testid="summary-departments">
            <h4 class="counter-title">{t('run.departments_group')}</h4>
            <dl class="counters counters-follow-up">{DEPARTMENT_OUTCOMES.map(counter)}</dl>
          </section>
        )}
      </div>
      {reasons.length > 0 && (
        <p class="muted" data-testid="skipped-by-reason">
          {t('run.skipped_by_reason')} {reasons.map(([r, n]) => `${words.reason(r)} — ${fmt.number(n ?? 0)}`).join('; ')}
        </p>
      )}
      {run.guardResolution && <Notice tone="info">{t(guardResolutionKey(run.guardResolution))}</Notice>}
      {run.status === 'awaiting_confirmation' && <GuardBox run={run} domain={domain} onChanged={props.onChanged} />}
      {run.itemsPruned ? (
        <p class="muted">{t('run.items_pruned')}</p>
      ) : (
        props.showSkipped && !isActive(run) && count(counters, 'skipped') > 0 && <SkippedList run={run} />
      )}
    </div>
  );
}

function guardResolutionKey(resolution: string): MessageKey {
  return resolution === 'confirmed' ? 'guard.resolution_confirmed' : resolution === 'discarded' ? 'guard.resolution_discarded' : 'guard.resolution_superseded';
}

export function RawDetail(props: { text: string }) {
  const { t } = useConsole();
  const [open, setOpen] = useState(false);
  return (
    <p class="error-detail-toggle">
      <button type="button" class="link-button" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="error-detail-toggle">
        {t('common.details')}
      </button>
      {open && (
        <span class="error-detail" data-testid="error-detail">
          {' '}
          {props.text}
        </span>
      )}
    </p>
  );
}

/** Skipped people with the reason and, where the run recorded it, the value behind it; by name. */
function SkippedList(props: { run: SyncRun }) {
  const { api, t, fmt, can } = useConsole();
  const [linking, setLinking] = useState<number | null>(null);
  const decide = useUserDecisions();
  const problemsPath = `${connectionPath(props.run.connectionId)}/problems`;
  const words = useWords();
  const [items, setItems] = useState<RunItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [busy, setBusy] = useState(true);
  const [error, setError] = useState<ErrorLike | null>(null);
  const load = async (from: string | null) => {
    setBusy(true);
    try {
      // A real run's skipped people are the connection's standing problems (problemAsItem).
      const page: Page<RunItem> = props.run.dryRun
        ? await api.request<Page<RunItem>>('GET', `/sync-runs/${encodeURIComponent(props.run.id)}/items`, { query: { outcome: 'skipped', sort: 'name', limit: 50, cursor: from ?? undefined } })
        : await api.request<Page<Problem>>('GET', problemsPath, { query: { kind: 'skipped', limit: 50, cursor: from ?? undefined } }).then((p) => ({ ...p, items: p.items.map(problemAsItem) }));
      setItems((list) => (from ? [...list, ...page.items] : page.items));
      setCursor(page.nextCursor);
      setError(null);
    } catch (e) {
      if (!isQuiet(e)) setError(e as ErrorLike);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    void load(null);
  }, [props.run.id]);
  return (
    <section class="stack-sm skipped" aria-labelledby={`skipped-title-${props.run.id}`}>
      <h4 id={`skipped-title-${props.run.id}`}>{t('run.skipped_title', { count: count(props.run.counters, 'skipped') })}</h4>
      {busy && !items.length && <p class="loading" role="status">{t('run.loading_skipped')}</p>}
      <ErrorNotice error={error} />
      <ErrorNotice error={decide.error} testid="skipped-decision-error" />
      <ul class="skipped-list" data-testid="skipped-list">
        {items.map((item) => {
          const facts = itemFacts(item);
          return (
            <li key={item.id} data-testid="skipped-item" data-reason={item.reason ?? ''}>
              <span class="skipped-name">{item.name || t('common.bitrix24_user', { id: item.bitrix24UserId ?? '?' })}</span>
              {item.bitrix24UserId !== null && <span class="muted"> {t('common.bitrix24_id', { id: item.bitrix24UserId })}</span>}
              <span class="skipped-reason">{words.reason(item.reason, item.details)}</span>
              {facts.length > 0 && (
                <span class="skipped-value" data-testid="skipped-value">
                  {facts.map((f) => t(f.key, f.vars)).join('; ')}
                </span>
              )}
              {can('employees:write') && item.bitrix24UserId !== null && LINKABLE_REASONS.has(item.reason ?? '') && linking !== item.bitrix24UserId && (
                <button type="button" class="link-button" data-testid="skipped-link" onClick={() => setLinking(item.bitrix24UserId)}>
                  {t('review.link_open')}
                </button>
              )}
              {can('employees:write') && item.bitrix24UserId !== null && !props.run.dryRun && (
                <button
                  type="button"
                  class="link-button"
                  data-testid={item.reason === 'excluded_by_owner' ? 'skipped-include' : 'skipped-exclude'}
                  disabled={decide.busy}
                  onClick={() => (item.reason === 'excluded_by_owner' ? decide.allowMatching(props.run.connectionId, item.bitrix24UserId!, item.name) : decide.unlink(props.run.connectionId, item.bitrix24UserId!))}
                >
                  {item.reason === 'excluded_by_owner' ? t('review.include_open') : t('review.exclude_open')}
                </button>
              )}
              {linking !== null && linking === item.bitrix24UserId && <LinkPicker connectionId={props.run.connectionId} bitrix24UserId={linking} onClose={() => setLinking(null)} />}
            </li>
          );
        })}
        {!busy && !error && !items.length && (
          <li class="empty" data-testid="skipped-empty">
            {t('run.skipped_nobody')}
          </li>
        )}
      </ul>
      {cursor && (
        <div class="more">
          <button type="button" data-testid="skipped-load-more" disabled={busy} aria-busy={busy || undefined} onClick={() => load(cursor)}>
            {busy ? t('common.loading') : t('run.show_more_skipped', { shown: fmt.number(items.length) })}
          </button>
        </div>
      )}
    </section>
  );
}

/**
 * Removals the mass-removal guard held. Confirming says exactly what it will do, with the
 * numbers, in a dialog; nothing changes before the owner says so.
 */
function GuardBox(props: { run: SyncRun; domain: string; onChanged: (run: SyncRun) => void }) {
  const { api, t, fmt, can, confirm, flash, dataChanged } = useConsole();
  const { run } = props;
  const g = run.guard ?? {};
  const dismissals = Number(g.dismissals) || 0;
  const deletions = Number(g.deletions) || 0;
  const [pending, setPending] = useState<PendingRemoval[] | null>(null);
  const [showAll, setShowAll] = useState(false);
  const [loadError, setLoadError] = useState<ErrorLike | null>(null);
  const action = useAction();
  useEffect(() => {
    api.request<PendingRemoval[]>('GET', `/sync-runs/${encodeURIComponent(run.id)}/pending-removals`).then(setPending, (e: unknown) => !isQuiet(e) && setLoadError(e as ErrorLike));
  }, [run.id]);

  const act = async (what: 'confirm' | 'discard') => {
    const ok =
        what === 'confirm'
          ? await confirm({
              title: 'guard.confirm_title',
              titleVars: { count: dismissals + deletions },
              lines: [
                { key: 'guard.confirm_dismissals', vars: { count: dismissals } },
                { key: 'guard.confirm_deletions', vars: { count: deletions } },
                { key: 'guard.confirm_responsible' },
                { key: 'guard.confirm_never_deleted' },
              ],
              confirm: 'guard.confirm_ok',
              danger: true,
            })
          : await confirm({
              title: 'guard.discard_title',
              lines: [{ key: 'guard.discard_line', vars: { count: dismissals + deletions } }],
              confirm: 'guard.discard_ok',
            });
    if (!ok) return;
    const updated = await action.run(() => api.request<SyncRun>('POST', `/sync-runs/${encodeURIComponent(run.id)}/${what}-removals`));
    if (!updated) return;
    flash(what === 'confirm' ? t('guard.applied_flash', { count: dismissals + deletions }) : t('guard.discarded_flash'), 'ok');
    dataChanged();
    props.onChanged(updated);
  };

  const limit = 100;
  const shown = pending ? (showAll ? pending : pending.slice(0, limit)) : [];
  return (
    <section class="guard notice notice-warn stack-sm" data-testid="guard-box" aria-labelledby={`guard-title-${run.id}`} id="guard">
      <h4 id={`guard-title-${run.id}`}>{t('guard.title')}</h4>
      <p>
        {t('guard.explain', {
          dismissals,
          deletions,
          share: fmt.percent(g.sharePercent),
          linked: fmt.number(g.linkedActive),
          threshold: fmt.percent(g.thresholdPercent),
        })}
      </p>
      <p>{t('guard.nothing_changed')}</p>
      <ul class="pending-list" data-testid="pending-list">
        {!pending && !loadError && <li class="loading">{t('common.loading')}</li>}
        {shown.map((p) => (
          <li key={`${p.kind}-${p.bitrix24UserId}`} data-testid="pending-item" data-kind={p.kind}>
            {p.name && BITRIX_TAG.test(p.name) && (
              <>
                <Badge tone="b24">(bitrix24)</Badge>{' '}
              </>
            )}
            <span class="skipped-name">{p.name ? p.name.replace(BITRIX_TAG, '') : t('common.bitrix24_user', { id: p.bitrix24UserId })}</span> — {t(p.kind === 'deleted' ? 'reasons.deleted' : p.kind === 'out_of_scope' ? 'reasons.out_of_selection' : 'reasons.dismissed')}
            <span class="muted"> {t('common.bitrix24_id', { id: p.bitrix24UserId })}</span>
          </li>
        ))}
        {pending && !pending.length && <li class="empty">{t('guard.list_empty')}</li>}
      </ul>
      {pending && pending.length > limit && !showAll && (
        <button type="button" class="button-quiet" onClick={() => setShowAll(true)}>
          {t('guard.show_all', { count: pending.length })}
        </button>
      )}
      <ErrorNotice error={loadError ?? action.error} />
      {can('sync:confirm_removals') ? (
        <div class="actions">
          <button type="button" class="button-danger" data-testid="confirm-removals" disabled={action.busy} onClick={() => act('confirm')}>
            {t('guard.confirm_button', { count: dismissals + deletions })}
          </button>
          <button type="button" data-testid="discard-removals" disabled={action.busy} onClick={() => act('discard')}>
            {t('guard.discard_button')}
          </button>
        </div>
      ) : (
        <p>{t('guard.needs_owner')}</p>
      )}
    </section>
  );
}

const IDLE_RUN: SyncRun = {
  id: '',
  connectionId: '',
  trigger: 'manual',
  status: 'idle',
  queuedAt: '',
  startedAt: null,
  finishedAt: null,
  progress: { processed: 0, total: null },
  counters: {},
  bitrix24UserIds: null,
  exportComplete: null,
  guard: null,
  guardResolution: null,
  error: null,
  itemsPruned: false,
};

/** The progress bar of a run; its label and text say what the run is doing or how it ended. */
export function RunProgress(props: { run: SyncRun | null; hidden: boolean }) {
  const { t, fmt } = useConsole();
  // Always in the page (hidden until a run starts), so a screen reader or a test can watch it.
  const run: SyncRun = props.run ?? IDLE_RUN;
  const processed = run.progress?.processed ?? 0;
  const total = run.progress?.total ?? null;
  const known = total !== null;
  const active = isActive(run);
  const max = known ? Math.max(total, processed, 0) : 100;
  const now = Math.min(processed, max);
  let label: string;
  let text: string;
  if (active) {
    label = run.status === 'queued' ? t('progress.waiting') : t('progress.synchronizing');
    text = known ? t('progress.processed_of', { processed, total }) : run.status === 'queued' ? t('progress.queued') : t('progress.reading');
  } else if (run.status === 'failed') {
    label = t('progress.stopped_failed');
    text = known ? t('progress.stopped_at', { processed, total }) : t('progress.nothing_read');
  } else {
    label = t('progress.finished', { status: statusKey(run.status) ? t(statusKey(run.status)!).toLowerCase() : run.status });
    text = known ? t('progress.processed_of', { processed, total }) : t('progress.nothing_read');
  }
  const valueText = known ? t('progress.value_text', { processed: fmt.number(now), total: fmt.number(max) }) : active ? label : t('progress.nothing_read');
  return (
    <div class="progress-box" data-testid="sync-progress-box" data-status={props.run ? run.status : undefined} hidden={props.hidden || !props.run}>
      <p class="progress-label" id="sync-progress-label">
        {label}
      </p>
      <div
        class={`progress${active && !known ? ' progress-indeterminate' : ''}${run.status === 'failed' ? ' progress-failed' : ''}`}
        id="sync-progress"
        role="progressbar"
        aria-labelledby="sync-progress-label"
        aria-valuemin={0}
        aria-valuemax={max}
        aria-valuenow={known ? now : active ? undefined : 0}
        aria-valuetext={valueText}
        data-testid="sync-progress"
      >
        {/* Set through the CSSOM, which the strict CSP allows (no style attribute in markup). */}
        <div class="progress-fill" style={known ? { width: `${max ? Math.round((now / max) * 1000) / 10 : 100}%` } : undefined} />
      </div>
      <p class="muted" id="sync-progress-text" data-testid="sync-progress-text">
        {text}
      </p>
    </div>
  );
}
