import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Api, ApiError, isQuiet } from '../api';
import { useAction } from '../components/use-async';
import { Badge, ErrorNotice, FormProblems, Loading, Notice, TabLink, Time } from '../components/ui';
import type { MessageKey } from '../i18n/i18n';
import { connectionHealth, portalAddress, stateReasonKey } from '../logic/connections';
import { errorKey as errorKeyOf, type ErrorLike } from '../logic/errors';
import { checkPortalAddress } from '../logic/portal-address';
import { retryLine } from '../logic/runs';
import { useConsole } from '../store';
import type { Connection, Page } from '../types';

const PORTAL_PROBLEMS: Record<string, MessageKey> = {
  empty: 'connect.problem_empty',
  scheme: 'connect.problem_scheme',
  insecure: 'connect.problem_insecure',
  invalid: 'connect.problem_invalid',
};

/** Connected portals, and the two ways to connect one: the Bitrix24 application (OAuth) or an incoming webhook. */
export function ConnectionTab() {
  const { t, can, connections, connectionsLoaded, refreshConnections, me } = useConsole();
  const [error, setError] = useState<ErrorLike | null>(null);
  const webhookInput = useRef<HTMLInputElement>(null);
  const [webhookEdition, setWebhookEdition] = useState('on_premise');
  useEffect(() => {
    refreshConnections().catch((e: unknown) => !isQuiet(e) && setError(e as ErrorLike));
  }, [refreshConnections]);
  const manage = can('connections:manage');
  const oauth = me.features?.bitrix24OAuth !== false;
  return (
    <>
      <h2>{t('connection.title')}</h2>
      {!manage && <Notice tone="info">{t('connection.read_only')}</Notice>}
      <section class="stack" aria-labelledby="connections-title">
        <h3 id="connections-title">{t('connection.list_title')}</h3>
        {!connectionsLoaded && !error && <Loading text={t('connection.loading')} testid="connections-status" />}
        <ErrorNotice error={error} testid="connections-error" />
        <ul id="connection-list" class="connection-list" data-testid="connection-list">
          {connectionsLoaded && !connections.length && (
            <li class="empty" data-testid="connections-empty">
              {manage ? t('connection.none_manage') : t('connection.none')}
            </li>
          )}
          {connections.map((c) => (
            <ConnectionCard
              key={c.id}
              connection={c}
              onNewWebhook={() => {
                setWebhookEdition(c.edition === 'cloud' ? 'cloud' : 'on_premise');
                webhookInput.current?.focus();
              }}
            />
          ))}
        </ul>
      </section>
      {manage && (
        <div class="grid-2" id="connect-forms">
          {oauth ? (
            <ConnectForm />
          ) : (
            <section class="card stack" aria-labelledby="connect-title" data-testid="connect-unavailable">
              <h3 id="connect-title">{t('connect.title')}</h3>
              <p>{t('connect.not_configured')}</p>
            </section>
          )}
          <WebhookForm inputRef={webhookInput} edition={webhookEdition} onEdition={setWebhookEdition} />
        </div>
      )}
    </>
  );
}

function ConnectionCard(props: { connection: Connection; onNewWebhook: () => void }) {
  const { t, fmt, can, api, confirm, flash, refreshConnections, dataChanged } = useConsole();
  const c = props.connection;
  const health = connectionHealth(c);
  const reasonKey = stateReasonKey(c.stateReason);
  const retry = retryLine(c, fmt);
  const action = useAction();

  const disconnect = async () => {
    // The dialog says how many employees stay: the number behind "nothing is deleted".
    const page = await action.run(() => api.request<Page<unknown>>('GET', '/employees', { query: { connectionId: c.id, limit: 1 } }));
    if (!page) return;
    const ok = await confirm({
      title: 'connection.disconnect_title',
      titleVars: { domain: c.domain },
      lines: [{ key: 'connection.disconnect_stops' }, { key: 'connection.disconnect_employees_stay', vars: { count: page.total ?? 0 } }, { key: 'connection.disconnect_again' }],
      confirm: 'connection.disconnect',
      danger: true,
    });
    if (!ok) return;
    const done = await action.run(async () => {
      await api.request('DELETE', `/bitrix24/connections/${encodeURIComponent(c.id)}`);
      return true;
    });
    if (!done) return;
    flash(t('connection.disconnected_flash', { domain: c.domain }), 'ok');
    await refreshConnections().catch(() => undefined);
    dataChanged();
  };

  // On success the browser leaves for Bitrix24; busy stays on until it does.
  const reconnect = () => action.run(() => startOAuth(api, portalAddress(c)));

  const titleId = `conn-${c.id}`;
  return (
    <li class={`card connection connection-${c.state}`} data-testid="connection-item" data-connection-id={c.id} data-state={c.state} data-health={health.tone} aria-labelledby={titleId}>
      <div class="connection-head">
        <h4 id={titleId} class="connection-domain break" data-testid="connection-domain">
          {c.domain}
        </h4>
        <Badge tone={health.tone} testid="connection-state">
          {t(health.label, { state: c.state })}
        </Badge>
      </div>
      {health.explanation && (
        <Notice tone={health.tone === 'error' ? 'error' : 'warn'} testid="connection-health">
          {t(health.explanation, { count: c.sync.consecutiveFailures })}
        </Notice>
      )}
      <dl class="facts">
        <Fact label={t('connection.portal_address')}>
          <span class="break" data-testid="connection-portal-url">
            {portalAddress(c)}
          </span>
        </Fact>
        <Fact label={t('connection.connected_with')}>{c.authType === 'webhook' ? t('connection.auth_webhook') : t('connection.auth_oauth')}</Fact>
        {c.webhookUrl && (
          <Fact label={t('connection.webhook')}>
            <code class="break">{c.webhookUrl}</code>
          </Fact>
        )}
        <Fact label={t('connection.edition')}>{c.edition === 'on_premise' ? t('connection.edition_on_premise') : t('connection.edition_cloud')}</Fact>
        <Fact label={t('connection.state_since')}>
          <Time iso={c.stateChangedAt} />
        </Fact>
        {c.stateReason && (
          <Fact label={t('connection.reason')}>
            <span data-testid="connection-state-reason">{reasonKey ? t(reasonKey) : c.stateReason}</span>
          </Fact>
        )}
        <Fact label={t('connection.last_success')}>
          <Time iso={c.sync.lastSuccessAt} />
        </Fact>
        {c.state === 'active' && (
          <Fact label={retry ? t('connection.next_try') : t('connection.next_sync')}>
            <Time iso={c.sync.nextSyncAt} />
          </Fact>
        )}
        {c.state === 'active' && (
          <Fact label={t('connection.new_users')}>
            {c.pushedEvents ? (c.pushedEvents.enabled ? t('connection.events_bound') : t('connection.events_off', { reason: c.pushedEvents.hint ?? c.pushedEvents.reason ?? '' })) : c.eventsBound ? t('connection.events_bound') : t('connection.events_not_bound')}
          </Fact>
        )}
        {c.sync.lastError && (
          <div class="fact fact-wide">
            <dt>{t('connection.last_error')}</dt>
            <dd class="text-error" data-testid="connection-last-error">
              <ErrorText error={c.sync.lastError} /> — <Time iso={c.sync.lastError.at} />
            </dd>
          </div>
        )}
      </dl>
      <ErrorNotice error={action.error} testid="connection-error" />
      <div class="actions">
        {c.state === 'active' && (
          <TabLink tab="data-access" connectionId={c.id} focusTab class="button" testid="connection-open-sync">
            {t('connection.open_sync')}
          </TabLink>
        )}
        {can('connections:manage') && c.state !== 'active' && c.authType === 'oauth' && (
          <button type="button" class="button-primary" data-testid="connection-reconnect" disabled={action.busy} onClick={reconnect}>
            {c.state === 'disconnected' ? t('connection.connect_again') : t('connection.reconnect')}
          </button>
        )}
        {can('connections:manage') && c.state !== 'active' && c.authType === 'webhook' && (
          <button type="button" class="button-primary" data-testid="connection-reconnect" onClick={props.onNewWebhook}>
            {t('connection.new_webhook')}
          </button>
        )}
        {can('connections:manage') && c.state !== 'disconnected' && (
          <button type="button" class="button-danger-quiet" data-testid="connection-disconnect" disabled={action.busy} onClick={disconnect}>
            {t('connection.disconnect')}
          </button>
        )}
      </div>
    </li>
  );
}

function ErrorText(props: { error: { code: string; message: string } }) {
  const { t } = useConsole();
  const [open, setOpen] = useState(false);
  return (
    <>
      {t(errorKeyOf(props.error))}{' '}
      <button type="button" class="link-button" aria-expanded={open} onClick={() => setOpen(!open)}>
        {t('common.details')}
      </button>
      {open && <span class="error-detail"> {`${props.error.message} (${props.error.code})`}</span>}
    </>
  );
}

function Fact(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

/** Asks the service for the authorization address and goes there; every refusal stays on this page. */
async function startOAuth(api: Api, portal: string): Promise<void> {
  const res = await api.request<{ authorizeUrl: string }>('POST', '/bitrix24/oauth/start', { body: { portal } });
  let url: URL;
  try {
    url = new URL(res.authorizeUrl);
  } catch {
    throw new ApiError(0, 'bad_authorize_url', 'unusable authorization address');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ApiError(0, 'bad_authorize_url', 'unusable authorization address');
  location.assign(url.href);
}

function ConnectForm() {
  const { t, api, me } = useConsole();
  const [portal, setPortal] = useState('');
  const [problem, setProblem] = useState<MessageKey | null>(null);
  const start = useAction();
  const input = useRef<HTMLInputElement>(null);
  const insecure = me.features?.insecurePortals ?? false;
  const submit = async (event: Event) => {
    event.preventDefault();
    start.setError(null);
    const check = checkPortalAddress(portal, insecure);
    if (!check.ok) {
      setProblem(PORTAL_PROBLEMS[check.problem]);
      input.current?.focus();
      return;
    }
    setProblem(null);
    await start.run(() => startOAuth(api, check.origin));
  };
  return (
    <section class="card stack" aria-labelledby="connect-title">
      <h3 id="connect-title">{t('connect.title')}</h3>
      <p class="hint">{t('connect.hint')}</p>
      <form id="connect-form" class="stack" data-testid="connect-form" method="post" noValidate onSubmit={submit}>
        <div class="field">
          <label for="connect-portal">{t('connect.portal_label')}</label>
          <input
            ref={input}
            id="connect-portal"
            name="portal"
            type="text"
            inputMode="url"
            autoComplete="off"
            spellcheck={false}
            autoCapitalize="off"
            placeholder={t('connect.portal_placeholder')}
            required
            maxLength={300}
            aria-invalid={problem ? true : undefined}
            aria-describedby="connect-portal-hint"
            data-testid="connect-portal"
            value={portal}
            onInput={(e) => setPortal((e.currentTarget as HTMLInputElement).value)}
          />
          <p class="hint" id="connect-portal-hint">
            {insecure ? t('connect.portal_hint_insecure') : t('connect.portal_hint')}
          </p>
        </div>
        {problem && (
          <p class="notice notice-error" role="alert" data-testid="connect-error" data-code="client">
            {t(problem)}
          </p>
        )}
        <ErrorNotice error={start.error} testid="connect-error" />
        <div>
          <button type="submit" class="button-primary" data-testid="connect-submit" disabled={start.busy} aria-busy={start.busy || undefined}>
            {start.busy ? t('connect.opening') : t('connect.submit')}
          </button>
        </div>
      </form>
    </section>
  );
}

function WebhookForm(props: { inputRef: { current: HTMLInputElement | null }; edition: string; onEdition: (e: string) => void }) {
  const { t, api, flash, refreshConnections, dataChanged } = useConsole();
  const [problems, setProblems] = useState<string[]>([]);
  const check = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    const input = props.inputRef.current!;
    const webhookUrl = input.value.trim();
    check.setError(null);
    if (!webhookUrl) {
      setProblems([t('webhook.problem_empty')]);
      input.focus();
      return;
    }
    if (!/^https?:\/\/[^/\s]+\/rest\/\d+\/[A-Za-z0-9]+\/?$/.test(webhookUrl)) {
      setProblems([t('webhook.problem_shape')]);
      input.focus();
      return;
    }
    setProblems([]);
    await check.run(async () => {
      const c = await api.request<Connection>('POST', '/bitrix24/connections', { body: { webhookUrl, edition: props.edition } });
      input.value = ''; // it holds a secret
      flash(t('webhook.connected_flash', { domain: c.domain }), 'ok');
      await refreshConnections();
      dataChanged();
    });
  };
  return (
    <section class="card stack" aria-labelledby="webhook-title">
      <h3 id="webhook-title">{t('webhook.title')}</h3>
      <p class="hint">{t('webhook.hint')}</p>
      <form id="webhook-form" class="stack" data-testid="webhook-form" method="post" noValidate onSubmit={submit}>
        <div class="field">
          <label for="webhook-url">{t('webhook.url_label')}</label>
          <input
            ref={props.inputRef}
            id="webhook-url"
            name="webhookUrl"
            type="text"
            inputMode="url"
            autoComplete="off"
            spellcheck={false}
            autoCapitalize="off"
            placeholder={t('webhook.url_placeholder')}
            required
            maxLength={500}
            data-testid="webhook-url"
          />
        </div>
        <div class="field">
          <label for="webhook-edition">{t('connection.edition')}</label>
          <select id="webhook-edition" name="edition" data-testid="webhook-edition" value={props.edition} onChange={(e) => props.onEdition((e.currentTarget as HTMLSelectElement).value)}>
            <option value="on_premise">{t('webhook.edition_on_premise')}</option>
            <option value="cloud">{t('connection.edition_cloud')}</option>
          </select>
        </div>
        <FormProblems problems={problems} testid="webhook-error" />
        <ErrorNotice error={check.error} testid="webhook-error" />
        <div>
          <button type="submit" class="button-primary" data-testid="webhook-submit" disabled={check.busy} aria-busy={check.busy || undefined}>
            {check.busy ? t('webhook.checking') : t('webhook.submit')}
          </button>
        </div>
      </form>
    </section>
  );
}
