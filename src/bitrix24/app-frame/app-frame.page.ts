import { escapeHtml } from '../html-page';

/**
 * The application's page inside Bitrix24: the strict policy of our other pages (scripts and
 * styles only from this origin, fetches only to it, no forms, no inline code) except that
 * it may be framed — by the portal only. The JS library is served from this origin too
 * (sdk/b24jssdk/index.md: "The build can be downloaded … and connected from your project"),
 * so no third-party script origin is trusted.
 */
export function appFrameCsp(frameAncestor: string | null): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${frameAncestor ?? "'none'"}`,
  ].join('; ');
}

export interface AppFrameView {
  title: string;
  /** A refusal or a problem, shown as an alert. */
  alert?: string;
  /** Label → value rows about the connection. */
  facts?: Array<[string, string]>;
  /** Next steps for the administrator. */
  hints?: string[];
  /** The page finishes the installation with installFinish (app.info INSTALLED was false). */
  finishInstall?: boolean;
  /** Sealed ticket for POST /bitrix24/app/installed (the check after installFinish). */
  ticket?: string;
}

/** JSON inside a non-executed <script type="application/json">: no `</script>` breakout. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

export function appFramePage(view: AppFrameView): string {
  const facts = view.facts?.length
    ? `<dl>${view.facts.map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>`
    : '';
  const hints = view.hints?.length ? `<ul class="hints">${view.hints.map((hint) => `<li>${escapeHtml(hint)}</li>`).join('')}</ul>` : '';
  const config = view.ticket ? { ticket: view.ticket, finishInstall: Boolean(view.finishInstall) } : { finishInstall: false };
  const scripts = view.ticket
    ? `<script type="application/json" id="frame-config">${scriptJson(config)}</script>
<script src="/bitrix24/app/assets/b24jssdk.js"></script>
<script src="/bitrix24/app/assets/app-frame.js"></script>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(view.title)}</title>
<link rel="stylesheet" href="/bitrix24/app/assets/app-frame.css">
</head><body><main>
<h1>${escapeHtml(view.title)}</h1>
${view.alert ? `<p class="alert" role="alert" id="alert">${escapeHtml(view.alert)}</p>` : ''}
${facts}
${view.finishInstall ? '<p class="status" id="install-status" role="status">Finishing the installation…</p>' : '<p class="status" id="install-status" role="status"></p>'}
${hints}
</main>
${scripts}
</body></html>`;
}
