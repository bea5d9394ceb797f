import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Api, ApiError, forgetKey, isQuiet, savedKey, saveKey } from './api';
import { Banners } from './components/banners';
import { ConfirmDialog } from './components/confirm-dialog';
import { Header } from './components/header';
import { SignIn } from './components/sign-in';
import { TabBar } from './components/tab-bar';
import { Notice } from './components/ui';
import { createTranslator, detectLocale, rememberLocale, storedLocale, type Locale } from './i18n/i18n';
import { attentionItems, tabBadges } from './logic/attention';
import { createFormatters } from './logic/format';
import { type Tone } from './logic/connections';
import { ConfirmOptions, Console, ConsoleContext, Flash, I18nContext, NavigateOptions } from './store';
import { parseHash, TABS, type Route } from './tabs/registry';
import type { Connection, Me, Page, SyncRun } from './types';

interface Session {
  api: Api;
  me: Me;
}

/** The page: language, sign-in, and once signed in the console with its tabs. */
export function App() {
  const [locale, setLocaleState] = useState<Locale>(() => detectLocale(storedLocale(), navigator.languages ?? [navigator.language]));
  const i18n = useMemo(() => ({ t: createTranslator(locale), fmt: createFormatters(locale), locale }), [locale]);
  const [session, setSession] = useState<Session | null>(null);
  const [signInMessage, setSignInMessage] = useState<string | null>(null);
  const [starting, setStarting] = useState(true);
  const pendingConnected = useRef<string | null>(null);

  useEffect(() => {
    document.documentElement.lang = locale;
    document.title = i18n.t('header.page_title');
  }, [locale, i18n]);

  const setLocale = (next: Locale) => {
    rememberLocale(next);
    setLocaleState(next);
  };

  const signOut = useCallback((message: string | null) => {
    forgetKey();
    setSession(null);
    setSignInMessage(message);
  }, []);

  const signIn = useCallback(
    async (key: string): Promise<void> => {
      const api = new Api(key);
      const me = await api.request<Me>('GET', '/me', { key });
      saveKey(key);
      api.onUnauthorized = () => signOut(i18n.t('signin.session_ended'));
      setSession({ api, me });
      setSignInMessage(null);
    },
    [signOut, i18n],
  );

  useEffect(() => {
    // After the OAuth callback the service sends the browser to /?connected=<id>#connection.
    const params = new URLSearchParams(location.search);
    if (params.has('connected')) {
      pendingConnected.current = params.get('connected');
      history.replaceState(null, '', location.pathname + location.hash);
    }
    const saved = savedKey();
    if (!saved) {
      setSignInMessage(pendingConnected.current ? i18n.t('signin.connected_sign_in') : null);
      setStarting(false);
      return;
    }
    signIn(saved)
      .catch((error: unknown) => {
        forgetKey();
        setSignInMessage(error instanceof ApiError && error.status === 401 ? i18n.t('signin.saved_session_ended') : i18n.t('errors.service_unreachable'));
      })
      .finally(() => setStarting(false));
    // Only once, at start.
  }, []);

  return (
    <I18nContext.Provider value={i18n}>
      <a class="skip-link" href="#main">
        {i18n.t('header.skip_to_content')}
      </a>
      <Header me={session?.me ?? null} locale={locale} onLocale={setLocale} onSignOut={() => signOut(null)} />
      <main id="main" tabIndex={-1}>
        {starting ? null : session ? (
          <ConsoleView key={session.me.keyId} session={session} pendingConnected={pendingConnected} locale={locale} i18n={i18n} />
        ) : (
          <SignIn message={signInMessage} onSignIn={signIn} />
        )}
      </main>
    </I18nContext.Provider>
  );
}

function ConsoleView(props: { session: Session; pendingConnected: { current: string | null }; locale: Locale; i18n: { t: Console['t']; fmt: Console['fmt'] } }) {
  const { api, me } = props.session;
  const { t, fmt } = props.i18n;
  const can = useCallback((p: string) => me.permissions.includes(p), [me]);
  const allowedTabs = useMemo(() => TABS.filter((tab) => can(tab.permission)), [can]);
  const firstTab = allowedTabs[0]?.id ?? 'connection';
  const [route, setRoute] = useState<Route>(() => {
    const r = parseHash(location.hash);
    return r.tab && allowedTabs.some((x) => x.id === r.tab) ? { tab: r.tab, sub: r.sub } : { tab: firstTab, sub: null };
  });
  const [connections, setConnections] = useState<Connection[]>([]);
  const [connectionsLoaded, setConnectionsLoaded] = useState(false);
  const [heldRuns, setHeldRuns] = useState<SyncRun[]>([]);
  const [selectedConnectionId, setSelectedConnectionId] = useState<string | null>(null);
  const [flash, setFlash] = useState<Flash | null>(null);
  const [dialog, setDialog] = useState<{ options: ConfirmOptions; resolve: (ok: boolean) => void } | null>(null);
  const [dataVersion, setDataVersion] = useState(0);

  const refreshConnections = useCallback(async () => {
    const list = await api.request<Connection[]>('GET', '/bitrix24/connections');
    const items = Array.isArray(list) ? list : [];
    setConnections(items);
    setConnectionsLoaded(true);
    return items;
  }, [api]);

  const refreshAttention = useCallback(async () => {
    const tasks: Array<Promise<unknown>> = [];
    if (can('connections:read')) tasks.push(refreshConnections());
    if (can('sync:read')) {
      tasks.push(api.request<Page<SyncRun>>('GET', '/sync-runs', { query: { status: 'awaiting_confirmation', limit: 20 } }).then((page) => setHeldRuns(page.items)));
    }
    await Promise.all(tasks).catch((error: unknown) => {
      if (!isQuiet(error)) console.warn('attention refresh failed', error);
    });
  }, [api, can, refreshConnections]);

  useEffect(() => {
    void refreshAttention();
  }, [refreshAttention, dataVersion]);

  // Back from the OAuth callback (/?connected=<id>): say which portal is connected.
  useEffect(() => {
    const id = props.pendingConnected.current;
    if (!id) return;
    props.pendingConnected.current = null;
    refreshConnections().then(
      (list) => {
        const c = list.find((x) => x.id === id);
        setFlash({ text: c ? t('connection.connected_flash', { domain: c.domain }) : t('connection.connected_flash_unknown'), tone: 'ok' });
      },
      () => setFlash({ text: t('connection.connected_flash_unknown'), tone: 'ok' }),
    );
  }, []);

  useEffect(() => {
    const onPop = () => {
      const r = parseHash(location.hash);
      const tab = r.tab;
      if (tab && allowedTabs.some((x) => x.id === tab)) setRoute({ tab, sub: r.sub });
    };
    window.addEventListener('popstate', onPop);
    window.addEventListener('hashchange', onPop);
    return () => {
      window.removeEventListener('popstate', onPop);
      window.removeEventListener('hashchange', onPop);
    };
  }, [allowedTabs]);

  useEffect(() => {
    const hash = `#${route.tab}${route.sub ? `/${route.sub}` : ''}`;
    if (location.hash !== hash) history.replaceState(null, '', location.pathname + location.search + hash);
  }, [route]);

  const navigate = useCallback(
    (tab: string, options: NavigateOptions = {}) => {
      if (!allowedTabs.some((x) => x.id === tab)) return;
      const sub = options.sub ?? null;
      const hash = `#${tab}${sub ? `/${sub}` : ''}`;
      if (location.hash !== hash) history[options.replace ? 'replaceState' : 'pushState'](null, '', location.pathname + location.search + hash);
      if (options.connectionId) setSelectedConnectionId(options.connectionId);
      setRoute((current) => {
        if (current.tab !== tab) setFlash(null);
        return { tab, sub };
      });
      if (options.focusTab) requestAnimationFrame(() => document.getElementById(`tab-${tab}`)?.focus());
    },
    [allowedTabs],
  );

  const value: Console = {
    api,
    me,
    locale: props.locale,
    t,
    fmt,
    can,
    connections,
    connectionsLoaded,
    refreshConnections,
    heldRuns,
    refreshAttention,
    selectedConnectionId,
    selectConnection: setSelectedConnectionId,
    flash: (text: string, tone: Tone = 'ok') => setFlash({ text, tone }),
    navigate,
    confirm: (options) => new Promise<boolean>((resolve) => setDialog({ options, resolve })),
    dataVersion,
    dataChanged: () => setDataVersion((v) => v + 1),
  };

  const attention = attentionItems(connections, heldRuns);
  const badges = tabBadges(attention);

  return (
    <ConsoleContext.Provider value={value}>
      <section id="app-view" aria-labelledby="app-title">
        <h1 id="app-title" class="page-title">
          {t('header.app_title')}
        </h1>
        <Banners items={attention} />
        <div id="flash" class="flash" role="status" aria-live="polite" data-testid="flash">
          {flash && <Notice tone={flash.tone}>{flash.text}</Notice>}
        </div>
        <TabBar tabs={allowedTabs} current={route.tab} badges={badges} onSelect={(id, byKeyboard) => navigate(id, { replace: byKeyboard })} />
        {TABS.map((tab) => {
          const selected = tab.id === route.tab;
          const Component = tab.Component;
          return (
            <section
              key={tab.id}
              role="tabpanel"
              id={`panel-${tab.id}`}
              aria-labelledby={`tab-${tab.id}`}
              tabIndex={0}
              class="panel"
              data-testid={`panel-${tab.id}`}
              hidden={!selected}
            >
              {selected && allowedTabs.includes(tab) && <Component sub={route.sub} />}
            </section>
          );
        })}
      </section>
      <ConfirmDialog
        request={dialog?.options ?? null}
        onDone={(ok) => {
          dialog?.resolve(ok);
          setDialog(null);
        }}
      />
    </ConsoleContext.Provider>
  );
}
