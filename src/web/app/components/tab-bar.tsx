import { useEffect } from 'preact/hooks';
import type { TabDef } from '../tabs/registry';
import { useI18n } from '../store';

/**
 * The tab list (WAI-ARIA tabs): one Tab stop (roving tabindex), arrow keys / Home / End move
 * and select, a badge counts what needs the owner on that tab. It scrolls sideways on a
 * phone instead of wrapping.
 */
export function TabBar(props: { tabs: TabDef[]; current: string; badges: Record<string, number>; onSelect: (id: string, byKeyboard: boolean) => void }) {
  const { t } = useI18n();
  const { tabs, current } = props;
  // On a phone the list scrolls sideways: keep the selected tab in sight.
  useEffect(() => {
    document.getElementById(`tab-${current}`)?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [current]);
  const onKeyDown = (event: KeyboardEvent) => {
    const index = tabs.findIndex((tab) => tab.id === current);
    let next: TabDef | undefined;
    if (event.key === 'ArrowRight' || event.key === 'ArrowDown') next = tabs[(index + 1) % tabs.length];
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') next = tabs[(index - 1 + tabs.length) % tabs.length];
    else if (event.key === 'Home') next = tabs[0];
    else if (event.key === 'End') next = tabs[tabs.length - 1];
    if (!next) return;
    event.preventDefault();
    // Focus moves at once (the tab is already in the page); the panel follows.
    document.getElementById(`tab-${next.id}`)?.focus();
    props.onSelect(next.id, true);
  };
  return (
    <nav class="tabs-scroll" aria-label={t('tabs.navigation')}>
      <div role="tablist" aria-label={t('tabs.label')} id="tablist" class="tablist" data-testid="tablist" onKeyDown={onKeyDown}>
        {tabs.map((tab) => {
          const selected = tab.id === current;
          const badge = props.badges[tab.id] ?? 0;
          return (
            <button
              key={tab.id}
              type="button"
              role="tab"
              id={`tab-${tab.id}`}
              aria-controls={`panel-${tab.id}`}
              aria-selected={selected}
              tabIndex={selected ? 0 : -1}
              data-tab={tab.id}
              data-testid={`tab-${tab.id}`}
              onClick={() => props.onSelect(tab.id, false)}
            >
              {t(tab.label)}
              {badge > 0 && (
                <span class="tab-badge" data-testid={`tab-badge-${tab.id}`}>
                  <span aria-hidden="true">{badge}</span>
                  <span class="visually-hidden">{t('tabs.needs_attention', { count: badge })}</span>
                </span>
              )}
            </button>
          );
        })}
      </div>
    </nav>
  );
}
