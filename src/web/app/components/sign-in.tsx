import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { errorKey } from '../logic/errors';
import { useI18n } from '../store';

/** Sign in with an API key; the key is checked with GET /me before it is kept (in this tab only). */
export function SignIn(props: { message: string | null; onSignIn: (key: string) => Promise<void> }) {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(props.message);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    const key = input.current?.value.trim() ?? '';
    if (!key) {
      setError(t('signin.enter_key'));
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await props.onSignIn(key);
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? t('signin.key_refused') : t(errorKey(e as ApiError)));
      input.current?.select();
      setBusy(false);
    }
  };

  return (
    <section id="signin-view" class="signin" aria-labelledby="signin-title">
      <h1 id="signin-title">{t('signin.title')}</h1>
      <p>{t('signin.intro')}</p>
      <p class="hint">{t('signin.where_keys')}</p>
      <form class="card stack" data-testid="signin-form" method="post" noValidate autoComplete="off" onSubmit={submit}>
        <div class="field">
          <label for="signin-key">{t('signin.key_label')}</label>
          <input
            ref={input}
            id="signin-key"
            name="apiKey"
            type="password"
            autoComplete="off"
            spellcheck={false}
            autoCapitalize="off"
            required
            aria-describedby="signin-key-hint"
            data-testid="signin-key"
            autoFocus
          />
          <p class="hint" id="signin-key-hint">
            {t('signin.key_hint')}
          </p>
        </div>
        <p class="notice notice-error" id="signin-error" role="alert" data-testid="signin-error" hidden={!error}>
          {error}
        </p>
        <div>
          <button type="submit" class="button-primary" id="signin-submit" data-testid="signin-submit" disabled={busy} aria-busy={busy || undefined}>
            {busy ? t('signin.signing_in') : t('signin.submit')}
          </button>
        </div>
      </form>
    </section>
  );
}
