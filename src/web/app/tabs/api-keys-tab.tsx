import { useEffect, useRef, useState } from 'preact/hooks';
import { isQuiet } from '../api';
import { DataTable } from '../components/data-table';
import { useAction } from '../components/use-async';
import { roleName } from '../components/header';
import { Badge, ErrorNotice, FormProblems, Loading, Notice, Time } from '../components/ui';
import type { ErrorLike } from '../logic/errors';
import { useConsole } from '../store';
import type { ApiKey, CreatedApiKey } from '../types';

const ROLES = ['owner', 'admin', 'integrator', 'viewer'] as const;

/**
 * The account's API keys: create one with a role (the secret is shown once, with a copy
 * button), revoke with confirmation, see when each was last used. Roles are Bitrix24's own
 * rules for hired integrators (seeds/004): a role can only make keys it may manage.
 */
export function ApiKeysTab() {
  const { api, t, me, can, confirm, flash } = useConsole();
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [error, setError] = useState<ErrorLike | null>(null);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const manageable = ROLES.filter((r) => can(`keys:manage:${r}`));

  const reload = () =>
    api.request<ApiKey[]>('GET', '/api-keys').then(
      (list) => setKeys(list),
      (e: unknown) => !isQuiet(e) && setError(e as ErrorLike),
    );
  useEffect(() => {
    void reload();
  }, []);

  const revoke = async (key: ApiKey) => {
    const self = key.id === me.keyId;
    const ok = await confirm({
      title: 'api_keys.revoke_title',
      titleVars: { name: key.name },
      lines: [{ key: 'api_keys.revoke_line', vars: { role: roleName(t, key.role) } }, ...(self ? [{ key: 'api_keys.revoke_self' as const }] : [])],
      confirm: 'api_keys.revoke',
      danger: true,
    });
    if (!ok) return;
    setBusyId(key.id);
    setError(null);
    try {
      await api.request('DELETE', `/api-keys/${encodeURIComponent(key.id)}`);
      flash(t('api_keys.revoked_flash', { name: key.name }), 'ok');
      await reload();
    } catch (e) {
      if (!isQuiet(e)) setError(e as ErrorLike);
    } finally {
      setBusyId(null);
    }
  };

  const active = (keys ?? []).filter((k) => !k.revokedAt);
  const revoked = (keys ?? []).filter((k) => k.revokedAt);
  return (
    <>
      <h2>{t('api_keys.title')}</h2>
      <p class="hint">{t('api_keys.intro')}</p>
      {created && <CreatedKey created={created} onDone={() => setCreated(null)} />}
      {manageable.length > 0 ? (
        <CreateKeyForm
          roles={manageable}
          onCreated={(k) => {
            setCreated(k);
            void reload();
          }}
        />
      ) : (
        <Notice tone="info">{t('api_keys.read_only')}</Notice>
      )}
      {keys === null && !error && <Loading text={t('api_keys.loading')} />}
      <ErrorNotice error={error} testid="api-keys-error" />
      {keys !== null && (
        <DataTable
          id="api-keys"
          caption={t('api_keys.caption')}
          testid="api-keys-list"
          columns={[t('api_keys.col_name'), t('api_keys.col_role'), t('api_keys.col_prefix'), t('api_keys.col_created'), t('api_keys.col_last_used'), { label: t('common.actions'), visuallyHidden: true }]}
        >
          {[...active, ...revoked].map((k) => (
            <tr key={k.id} data-testid="api-key-row" data-key-id={k.id} data-revoked={k.revokedAt ? 'true' : 'false'} class={k.revokedAt ? 'row-inactive' : ''}>
              <td data-label={t('api_keys.col_name')}>
                <span class="break">{k.name}</span>
                {k.id === me.keyId && (
                  <>
                    {' '}
                    <Badge tone="info">{t('api_keys.this_key')}</Badge>
                  </>
                )}
                {k.revokedAt && (
                  <>
                    {' '}
                    <Badge tone="neutral" testid="api-key-revoked">
                      {t('api_keys.revoked')}
                    </Badge>
                  </>
                )}
              </td>
              <td data-label={t('api_keys.col_role')}>{roleName(t, k.role)}</td>
              <td data-label={t('api_keys.col_prefix')}>
                <code>{`b24s_${k.prefix}_…`}</code>
              </td>
              <td data-label={t('api_keys.col_created')}>
                <Time iso={k.createdAt} />
              </td>
              <td data-label={t('api_keys.col_last_used')} data-testid="api-key-last-used">
                {k.lastUsedAt ? <Time iso={k.lastUsedAt} /> : <span class="muted">{t('api_keys.never_used')}</span>}
              </td>
              <td class="cell-actions">
                {!k.revokedAt && can(`keys:manage:${k.role}`) && (
                  <button type="button" class="button-danger-quiet" data-testid="api-key-revoke" aria-label={t('api_keys.revoke_label', { name: k.name })} disabled={busyId === k.id} onClick={() => revoke(k)}>
                    {t('api_keys.revoke')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </>
  );
}

function CreateKeyForm(props: { roles: readonly string[]; onCreated: (k: CreatedApiKey) => void }) {
  const { api, t } = useConsole();
  const [name, setName] = useState('');
  const [role, setRole] = useState(props.roles.includes('viewer') ? 'viewer' : props.roles[props.roles.length - 1]);
  const [problems, setProblems] = useState<string[]>([]);
  const create = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    create.setError(null);
    const clean = name.trim();
    const found: string[] = [];
    if (!clean) found.push(t('api_keys.problem_name_empty'));
    else if (clean.length > 100) found.push(t('api_keys.problem_name_long'));
    else if (/[\u0000-\u001f\u007f]/.test(clean)) found.push(t('api_keys.problem_name_control'));
    setProblems(found);
    if (found.length) return;
    await create.run(async () => {
      const created = await api.request<CreatedApiKey>('POST', '/api-keys', { body: { name: clean, role } });
      setName('');
      props.onCreated(created);
    });
  };
  return (
    <section class="card stack" aria-labelledby="api-key-create-title">
      <h3 id="api-key-create-title">{t('api_keys.create_title')}</h3>
      <form class="grid-settings" data-testid="api-key-form" method="post" noValidate onSubmit={submit}>
        <div class="field">
          <label for="api-key-name">{t('api_keys.col_name')}</label>
          <input id="api-key-name" type="text" maxLength={100} autoComplete="off" data-testid="api-key-name" placeholder={t('api_keys.name_placeholder')} value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="api-key-role">{t('api_keys.col_role')}</label>
          <select id="api-key-role" data-testid="api-key-role" value={role} aria-describedby="api-key-role-hint" onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value)}>
            {props.roles.map((r) => (
              <option key={r} value={r}>
                {roleName(t, r)}
              </option>
            ))}
          </select>
          <p class="hint" id="api-key-role-hint">
            {t(`api_keys.role_hint_${role as 'viewer'}`)}
          </p>
        </div>
        <div class="form-actions field-wide">
          <FormProblems problems={problems} testid="api-key-form-error" />
          <ErrorNotice error={create.error} testid="api-key-form-error" />
          <button type="submit" class="button-primary" data-testid="api-key-create" disabled={create.busy}>
            {create.busy ? t('api_keys.creating') : t('api_keys.create')}
          </button>
        </div>
      </form>
    </section>
  );
}

/** The secret, once: a copy button, and a warning that it will not be shown again. */
function CreatedKey(props: { created: CreatedApiKey; onDone: () => void }) {
  const { t } = useConsole();
  const [copied, setCopied] = useState<boolean | null>(null);
  const field = useRef<HTMLInputElement>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => box.current?.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.created.key);
      setCopied(true);
    } catch {
      field.current?.select();
      setCopied(false);
    }
  };
  return (
    <div class="notice notice-ok stack-sm" data-testid="api-key-created" tabIndex={-1} ref={box} role="region" aria-labelledby="api-key-created-title">
      <h3 id="api-key-created-title">{t('api_keys.created_title', { name: props.created.name })}</h3>
      <p>{t('api_keys.created_once')}</p>
      <div class="secret-row">
        <label class="visually-hidden" for="api-key-secret">
          {t('api_keys.secret_label')}
        </label>
        <input id="api-key-secret" ref={field} class="secret" readOnly value={props.created.key} data-testid="api-key-secret" onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
        <button type="button" class="button-primary" data-testid="api-key-copy" onClick={copy}>
          {t('api_keys.copy')}
        </button>
      </div>
      <p role="status" class="muted" data-testid="api-key-copy-status">
        {copied === true ? t('api_keys.copied') : copied === false ? t('api_keys.copy_failed') : ''}
      </p>
      {props.created.revokedKeyIds.length > 0 && <p>{t('api_keys.replaced', { count: props.created.revokedKeyIds.length })}</p>}
      <button type="button" data-testid="api-key-created-done" onClick={props.onDone}>
        {t('api_keys.created_done')}
      </button>
    </div>
  );
}
