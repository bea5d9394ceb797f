import { useEffect, useRef } from 'preact/hooks';
import type { ConfirmOptions } from '../store';
import { useI18n } from '../store';

/**
 * The one confirmation dialog: a native modal <dialog> (the rest of the page is inert),
 * focus kept inside it (Tab wraps), Escape cancels, Cancel has the focus first so Enter
 * never confirms by surprise, and focus returns to the button that opened it.
 */
export function ConfirmDialog(props: { request: ConfirmOptions | null; onDone: (ok: boolean) => void }) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const { request, onDone } = props;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (request && !dialog.open) {
      opener.current = document.activeElement as HTMLElement | null;
      dialog.showModal();
      cancelRef.current?.focus();
    } else if (!request && dialog.open) {
      dialog.close();
    }
  }, [request]);

  const finish = (ok: boolean) => {
    const back = opener.current;
    ref.current?.close();
    onDone(ok);
    if (back && document.contains(back)) back.focus();
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Tab' || !ref.current) return;
    const focusable = Array.from(ref.current.querySelectorAll<HTMLElement>('button:not([disabled])'));
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-text"
      data-testid="confirm-dialog"
      onCancel={(event) => {
        event.preventDefault();
        finish(false);
      }}
      onKeyDown={onKeyDown}
    >
      {request && (
        <>
          <h2 id="confirm-title">{t(request.title, request.titleVars)}</h2>
          <div id="confirm-text" data-testid="confirm-text">
            {request.lines.map((line, i) => (
              <p key={i}>{t(line.key, line.vars)}</p>
            ))}
          </div>
          <div class="dialog-actions">
            <button type="button" ref={cancelRef} data-testid="confirm-cancel" onClick={() => finish(false)}>
              {t('common.cancel')}
            </button>
            <button type="button" class={request.danger ? 'button-danger' : 'button-primary'} data-testid="confirm-ok" onClick={() => finish(true)}>
              {t(request.confirm)}
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}
