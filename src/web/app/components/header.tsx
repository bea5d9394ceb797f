import { knownKey, LOCALES, type Locale, type Translate } from '../i18n/i18n';
import { useI18n } from '../store';
import type { Me } from '../types';

/** The top bar: product name, language switch (remembered), who is signed in, sign out. Compact on a phone. */
export function Header(props: { me: Me | null; locale: Locale; onLocale: (l: Locale) => void; onSignOut: () => void }) {
  const { t } = useI18n();
  const { me } = props;
  return (
    <header class="topbar">
      <div class="topbar-inner">
        <p class="brand">
          <span class="brand-mark" aria-hidden="true">
            B24
          </span>{' '}
          <span class="brand-name">{t('header.brand')}</span>
        </p>
        <div class="topbar-tools">
          <label class="visually-hidden" for="language-switch">
            {t('header.language')}
          </label>
          <select id="language-switch" class="language-switch" data-testid="language-switch" value={props.locale} onChange={(e) => props.onLocale((e.currentTarget as HTMLSelectElement).value as Locale)}>
            {LOCALES.map((l) => (
              <option key={l} value={l} lang={l}>
                {t(`header.language_${l}`)}
              </option>
            ))}
          </select>
          {me && (
            <div class="who" id="who">
              <span class="who-text" data-testid="whoami" id="whoami" title={t('header.account_id', { id: me.accountId })}>
                {t('header.whoami', { account: me.accountName, key: me.keyName, role: roleName(t, me.role) })}
              </span>
              <button type="button" class="button-quiet" id="sign-out" data-testid="sign-out" onClick={props.onSignOut}>
                {t('header.sign_out')}
              </button>
            </div>
          )}
        </div>
      </div>
    </header>
  );
}

export function roleName(t: Translate, role: string): string {
  const key = knownKey('roles', role);
  return key ? t(key) : role;
}
