import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Tone } from '../logic/connections';
import { errorDetail, errorKey, fieldProblems, type ErrorLike } from '../logic/errors';
import { useConsole, useI18n } from '../store';

/** Small building blocks: badges, notices, times, the error notice with its detail. */

export function Badge(props: { tone?: Tone | 'b24'; testid?: string; title?: string; children: ComponentChildren }) {
  return (
    <span class={`badge badge-${props.tone ?? 'neutral'}`} data-testid={props.testid} title={props.title}>
      {props.children}
    </span>
  );
}

export function Notice(props: { tone: Tone; testid?: string; role?: 'alert' | 'status'; children: ComponentChildren; class?: string }) {
  return (
    <div class={`notice notice-${props.tone}${props.class ? ` ${props.class}` : ''}`} role={props.role} data-testid={props.testid}>
      {props.children}
    </div>
  );
}

/** A date and time in the chosen locale; the exact UTC moment on hover. */
export function Time(props: { iso: string | null | undefined; seconds?: boolean }) {
  const { fmt } = useI18n();
  if (!props.iso) return <span class="muted">—</span>;
  const d = new Date(props.iso);
  if (Number.isNaN(d.getTime())) return <span>{props.iso}</span>;
  return (
    <time dateTime={props.iso} title={d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}>
      {props.seconds ? fmt.dateTimeSeconds(props.iso) : fmt.dateTime(props.iso)}
    </time>
  );
}

/**
 * An error in the owner's words (the catalog text for its code); the raw code and message
 * only under "Details", for support.
 */
export function ErrorNotice(props: { error: ErrorLike | null | undefined; testid?: string; lead?: string }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  // A new error starts with its detail folded.
  useEffect(() => setOpen(false), [props.error]);
  if (!props.error) return null;
  const detail = errorDetail(props.error);
  const fields = fieldProblems(props.error);
  return (
    <div class="notice notice-error" role="alert" data-testid={props.testid} data-code={props.error.code ?? ''}>
      <p>
        {props.lead ? `${props.lead} ` : ''}
        {t(errorKey(props.error))}
      </p>
      {fields.length > 0 && (
        <ul class="error-details">
          {fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code> {f.problem}
            </li>
          ))}
        </ul>
      )}
      {detail && fields.length === 0 && (
        <p class="error-detail-toggle">
          <button type="button" class="link-button" aria-expanded={open} onClick={() => setOpen(!open)}>
            {t('common.details')}
          </button>
          {open && (
            <span class="error-detail" data-testid="error-detail">
              {' '}
              {detail}
            </span>
          )}
        </p>
      )}
    </div>
  );
}

/** The problems a form found before sending anything. */
export function FormProblems(props: { problems: string[]; testid?: string }) {
  const { t } = useI18n();
  if (!props.problems.length) return null;
  return (
    <div class="notice notice-error" role="alert" data-testid={props.testid}>
      <p>{t('common.please_correct')}</p>
      <ul class="error-details">
        {props.problems.map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
    </div>
  );
}

export function Loading(props: { text: string; testid?: string }) {
  return (
    <p class="loading" role="status" data-testid={props.testid}>
      {props.text}
    </p>
  );
}

/** A link to another tab (a real #hash link, so it can be opened or copied; a click stays in the page). */
export function TabLink(props: { tab: string; connectionId?: string; focusTab?: boolean; class?: string; testid?: string; children: ComponentChildren }) {
  const { navigate } = useConsole();
  return (
    <a
      href={`#${props.tab}`}
      class={props.class}
      data-testid={props.testid}
      onClick={(e) => {
        e.preventDefault();
        navigate(props.tab, { connectionId: props.connectionId, focusTab: props.focusTab });
      }}
    >
      {props.children}
    </a>
  );
}
