import { useEffect, useState } from 'preact/hooks';
import { connectionPath, isQuiet, userLinkPath } from '../api';
import { checkQuery, FIELD_LABELS, managerLine, stepLines } from '../logic/review';
import type { ErrorLike } from '../logic/errors';
import { useConsole } from '../store';
import type { Connection, Employee, Page, UserCheck } from '../types';
import { useWords } from './run-summary';
import { useAction } from './use-async';
import { Badge, ErrorNotice, Notice, TabLink } from './ui';

/** Marks a preview run wherever runs are listed. */
export function PreviewBadge() {
  const { t } = useConsole();
  return (
    <Badge tone="info" testid="run-preview-badge">
      {t('review.preview_badge')}
    </Badge>
  );
}

/**
 * "Check one person": what the next synchronization would do with one Bitrix24 user, step
 * by step (the API reads the engine's own plan), and "Import this person now".
 */
export function UserCheckPanel(props: { connection: Connection }) {
  const { api, t, can, dataChanged } = useConsole();
  const words = useWords();
  const [input, setInput] = useState('');
  const [problem, setProblem] = useState('');
  const [result, setResult] = useState<UserCheck | null>(null);
  const [applied, setApplied] = useState(false);
  const check = useAction();
  const apply = useAction();
  const path = `${connectionPath(props.connection.id)}/check-user`;

  const submit = async (event: Event) => {
    event.preventDefault();
    const query = checkQuery(input);
    if (!query) {
      setProblem(t('review.check_invalid'));
      return;
    }
    setProblem('');
    setApplied(false);
    const answer = await check.run(() => api.request<UserCheck>('POST', path, { body: query }));
    if (answer) setResult(answer);
  };
  const importNow = async () => {
    if (!result?.bitrix24UserId) return;
    const answer = await apply.run(() => api.request<UserCheck>('POST', path, { body: { bitrix24UserId: result.bitrix24UserId, apply: true } }));
    if (answer?.run) {
      setApplied(true);
      dataChanged();
    }
  };

  return (
    <section class="card stack" aria-labelledby="check-title" data-testid="user-check">
      <h3 id="check-title">{t('review.check_title')}</h3>
      <p class="muted">{t('review.check_intro')}</p>
      <form class="form-inline" data-testid="user-check-form" noValidate onSubmit={submit}>
        <div class="field field-inline">
          <label for="user-check-input">{t('review.check_label')}</label>
          <input
            id="user-check-input"
            type="text"
            autoComplete="off"
            spellcheck={false}
            maxLength={254}
            placeholder={t('review.check_placeholder')}
            data-testid="user-check-input"
            value={input}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? 'user-check-problem' : undefined}
            onInput={(e) => setInput((e.currentTarget as HTMLInputElement).value)}
          />
        </div>
        <button type="submit" data-testid="user-check-submit" disabled={check.busy} aria-busy={check.busy || undefined}>
          {check.busy ? t('review.checking') : t('review.check_submit')}
        </button>
      </form>
      {problem && (
        <p class="notice notice-error" id="user-check-problem" role="alert" data-testid="user-check-problem">
          {problem}
        </p>
      )}
      <ErrorNotice error={check.error} testid="user-check-error" />
      {result && (
        <div class="stack-sm" data-testid="user-check-result" data-outcome={result.outcome ?? ''} data-reason={result.reason ?? ''}>
          <h4>{result.name ? t('review.check_result', { name: result.name }) : t('review.check_result_nobody')}</h4>
          <ol class="check-steps">
            {stepLines(result, words.outcome).map((line) => (
              <li key={line.step} class={`check-step check-step-${line.status}`} data-testid="user-check-step" data-step={line.step} data-status={line.status}>
                <strong>{t(line.label)}</strong> — {t(line.statusLabel)}
                {line.note && <span class="check-note"> {'reason' in line.note ? words.reason(line.note.reason) : t(line.note.key, line.note.vars)}</span>}
              </li>
            ))}
          </ol>
          {result.outcome && result.outcome !== 'skipped' && result.outcome !== 'created' && (
            <ChangesTable changes={result.changes} />
          )}
          <PlannedManager manager={result.manager} />
          {can('sync:run') && result.bitrix24UserId !== null && result.outcome !== null && (
            <div class="form-actions">
              <button type="button" class="button-primary" data-testid="user-check-apply" disabled={apply.busy || applied} aria-busy={apply.busy || undefined} onClick={importNow}>
                {apply.busy ? t('review.applying') : t('review.apply')}
              </button>
            </div>
          )}
          <ErrorNotice error={apply.error} testid="user-check-apply-error" />
          {applied && (
            <Notice tone="ok" role="status" testid="user-check-applied">
              {t('review.applied')} <TabLink tab="history">{t('tabs.history')}</TabLink>
            </Notice>
          )}
        </div>
      )}
    </section>
  );
}

/** The manager the import gives the person (the head of their first department, or its supervisor for its head). */
function PlannedManager(props: { manager: UserCheck['manager'] }) {
  const { t } = useConsole();
  const line = managerLine(props.manager);
  if (!line || !props.manager) return null;
  return (
    <p data-testid="user-check-manager" data-changed={String(props.manager.changed)} data-reason={props.manager.reason ?? ''} data-manager={props.manager.managerBitrix24UserId ?? ''}>
      <strong>{t('review.manager_title')}</strong> {t(line.who.key, line.who.vars)}
      {line.change && <span class="muted"> ({t(line.change)})</span>}
      {line.reason && <span class="check-note"> {t(line.reason)}</span>}
    </p>
  );
}

function ChangesTable(props: { changes: UserCheck['changes'] }) {
  const { t } = useConsole();
  if (!props.changes.length) return <p class="muted" data-testid="user-check-no-changes">{t('review.no_changes')}</p>;
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={t('review.changes_caption')}>
      <table class="table" data-testid="user-check-changes">
        <caption>{t('review.changes_caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('review.col_field')}</th>
            <th scope="col">{t('review.col_from')}</th>
            <th scope="col">{t('review.col_to')}</th>
          </tr>
        </thead>
        <tbody>
          {props.changes.map((c) => (
            <tr key={c.field} data-testid="user-check-change" data-field={c.field}>
              <td data-label={t('review.col_field')}>{FIELD_LABELS[c.field] ? t(FIELD_LABELS[c.field]) : c.field}</td>
              <td data-label={t('review.col_from')}>{c.from ?? '—'}</td>
              <td data-label={t('review.col_to')}>{c.to ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Settles a skipped person (ambiguous_email, email_linked_elsewhere) by linking them to an
 * employee the owner picks; every later synchronization keeps the link.
 */
export function LinkPicker(props: { connectionId: string; bitrix24UserId: number; onClose: () => void }) {
  const { api, t, dataChanged } = useConsole();
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Employee[] | null>(null);
  const [error, setError] = useState<ErrorLike | null>(null);
  const [done, setDone] = useState('');
  const link = useAction();
  const id = `link-${props.bitrix24UserId}`;
  useEffect(() => {
    const query = q.trim();
    if (!query) {
      setFound(null);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api.request<Page<Employee>>('GET', '/employees', { query: { q: query.slice(0, 100), limit: 10 }, signal: controller.signal }).then(
        (page) => {
          setFound(page.items);
          setError(null);
        },
        (e: unknown) => !isQuiet(e) && setError(e as ErrorLike),
      );
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [q]);
  const name = (e: Employee) => [e.lastName, e.firstName].filter(Boolean).join(' ') + (e.email ? ` <${e.email}>` : '');
  const choose = async (e: Employee) => {
    const ok = await link.run(() => api.request('PUT', userLinkPath(props.connectionId, props.bitrix24UserId), { body: { employeeId: e.id } }));
    if (ok) {
      setDone(t('review.link_done', { name: name(e) }));
      dataChanged();
    }
  };
  return (
    <div class="link-picker stack-sm" data-testid="link-picker" role="group" aria-labelledby={`${id}-title`}>
      <p id={`${id}-title`}>
        <strong>{t('review.link_title', { id: props.bitrix24UserId })}</strong>
      </p>
      {done ? (
        <Notice tone="ok" role="status" testid="link-done">
          {done}
        </Notice>
      ) : (
        <>
          <div class="field">
            <label for={`${id}-search`}>{t('review.link_search')}</label>
            <input id={`${id}-search`} type="search" autoComplete="off" maxLength={100} data-testid="link-search" value={q} onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)} />
          </div>
          <ErrorNotice error={error ?? link.error} testid="link-error" />
          {found && !found.length && <p class="muted">{t('review.link_none')}</p>}
          {found && found.length > 0 && (
            <ul class="link-results">
              {found.map((e) => (
                <li key={e.id}>
                  <button type="button" data-testid="link-choose" data-employee-id={e.id} disabled={link.busy} onClick={() => choose(e)}>
                    {t('review.link_choose', { name: name(e) })}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <div>
        <button type="button" class="link-button" data-testid="link-close" onClick={props.onClose}>
          {t('review.link_cancel')}
        </button>
      </div>
    </div>
  );
}
