import type { Attention } from '../logic/attention';
import { useConsole } from '../store';

/**
 * What needs the owner, at the top of every tab: held removals, failing connections,
 * connections waiting for re-authorization. Each has a button that goes to it.
 */
export function Banners(props: { items: Attention[] }) {
  const { t, navigate } = useConsole();
  if (!props.items.length) return null;
  return (
    <section class="banners" aria-label={t('attention.region')} data-testid="attention">
      {props.items.map((item) => (
        <div key={item.id} class={`banner notice notice-${item.tone}`} data-testid="attention-banner" data-kind={item.id.split('-')[0]} data-connection-id={item.connectionId}>
          <p>{t(item.message.key, item.message.vars)}</p>
          <button type="button" class="button-small" data-testid="attention-go" onClick={() => navigate(item.tab, { connectionId: item.connectionId, sub: null })}>
            {t(item.action)}
          </button>
        </div>
      ))}
    </section>
  );
}
