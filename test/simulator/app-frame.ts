/**
 * What a Bitrix24 portal does when someone opens an application that has its own page.
 *
 * The POST: settings/oauth/simple-way.md ("What the application receives on opening") —
 * DOMAIN, PROTOCOL (0 http, 1 https), LANG and APP_SID in the query string; AUTH_ID,
 * AUTH_EXPIRES, REFRESH_ID, SERVER_ENDPOINT, APPLICATION_TOKEN, APPLICATION_SCOPE,
 * member_id, status and PLACEMENT (plus PLACEMENT_OPTIONS for widgets) in the form body.
 * The installer page receives the same (simple-way.md "Tokens on application installation";
 * settings/app-installation/installation-finish.md).
 *
 * The host page: the portal page that frames the application. The frame is named
 * `DOMAIN|PROTOCOL|APP_SID` and the form is posted into it, and the page answers the
 * frame's postMessage commands — that is the wire the JS libraries speak: the official
 * @bitrix24/b24jssdk (dist MessageManager.send, parseFrameQueryParams, MessageCommands)
 * sends `command[:params]:callbackKey:appSid` to the portal origin and expects
 * `callbackKey:<json>` back; `getInitData` answers the frame's environment, and
 * `setInstallFinish` is BX24.installFinish() / $b24.installFinish()
 * (sdk/bx24-js-sdk/system-functions/bx24-install-finish.md): the portal marks the
 * installation finished and reloads the application ("the page will reload and the
 * application will launch").
 */
import { phpHttpBuildQuery } from './php-wire';

export interface AppFrameOpen {
  domain: string;
  https: boolean;
  lang: string;
  appSid: string;
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  serverEndpoint: string;
  applicationToken: string;
  scope: string[];
  memberId: string;
  status: string;
  placement: string;
  placementOptions?: Record<string, string>;
}

/** The handler URL with the query Bitrix24 adds, and the form body it posts. */
export function appFrameRequest(handlerUrl: string, open: AppFrameOpen): { url: string; fields: Record<string, string> } {
  const url = new URL(handlerUrl);
  url.searchParams.set('DOMAIN', open.domain);
  url.searchParams.set('PROTOCOL', open.https ? '1' : '0');
  url.searchParams.set('LANG', open.lang);
  url.searchParams.set('APP_SID', open.appSid);
  const fields: Record<string, string> = {
    AUTH_ID: open.accessToken,
    AUTH_EXPIRES: String(open.expiresIn),
    REFRESH_ID: open.refreshToken,
    SERVER_ENDPOINT: open.serverEndpoint,
    APPLICATION_TOKEN: open.applicationToken,
    // simple-way.md: "A comma-separated list of scopes granted to the application".
    APPLICATION_SCOPE: open.scope.join(','),
    member_id: open.memberId,
    status: open.status,
    PLACEMENT: open.placement,
  };
  // simple-way.md: "For widgets, the placement code and an additional PLACEMENT_OPTIONS parameter arrive" (a JSON string).
  if (open.placementOptions) fields.PLACEMENT_OPTIONS = JSON.stringify(open.placementOptions);
  return { url: url.toString(), fields };
}

export function appFrameBody(fields: Record<string, string>): string {
  return phpHttpBuildQuery(fields);
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** JSON inside a <script>: no `</script>` breakout. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** installation-finish.md: what a regular user sees until an administrator finishes the installation. */
export const NOT_INSTALLED_MESSAGE = 'The application is not fully installed yet. Please contact your Bitrix24 administrator to complete the installation.';

export function notInstalledPage(): string {
  return `<!DOCTYPE html><html><body><p id="not-installed">${NOT_INSTALLED_MESSAGE}</p></body></html>`;
}

/**
 * The portal page that frames the application (the simulator runs no CSP of its own).
 * `initData` is what `getInitData` answers; `finishUrl` is the portal's own endpoint the
 * page calls on `setInstallFinish`.
 */
export function appHostPage(request: { url: string; fields: Record<string, string> }, open: AppFrameOpen, initData: Record<string, unknown>, finishUrl: string): string {
  const frameName = `${open.domain}|${open.https ? 1 : 0}|${open.appSid}`;
  const inputs = Object.entries(request.fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Bitrix24 (simulated): application</title></head>
<body>
<iframe id="app-frame" name="${escapeHtml(frameName)}" style="width:100%;height:640px;border:0"></iframe>
<form id="app-form" method="POST" target="${escapeHtml(frameName)}" action="${escapeHtml(request.url)}">${inputs}</form>
<script>
(function () {
  var appOrigin = ${scriptJson(new URL(request.url).origin)};
  var appSid = ${scriptJson(open.appSid)};
  var initData = ${scriptJson(initData)};
  var finishUrl = ${scriptJson(finishUrl)};
  var frame = document.getElementById('app-frame');
  window.__commands = [];
  function reply(callback, answer) {
    frame.contentWindow.postMessage(callback + ':' + JSON.stringify(answer), appOrigin);
  }
  window.addEventListener('message', function (event) {
    if (event.origin !== appOrigin || typeof event.data !== 'string') return;
    // command[:params]:callbackKey:appSid — params are JSON and may hold ':' themselves.
    var parts = event.data.split(':');
    if (parts.length < 3 || parts[parts.length - 1] !== appSid) return;
    var command = parts[0];
    var callback = parts[parts.length - 2];
    window.__commands.push(command);
    if (command === 'getInitData') return reply(callback, initData);
    if (command === 'setInstallFinish') {
      fetch(finishUrl, { method: 'POST' }).then(function (res) {
        window.__installFinished = res.ok;
        reply(callback, {});
        // bx24-install-finish.md: "the page will reload and the application will launch".
        if (res.ok) setTimeout(function () { location.reload(); }, 50);
      });
      return;
    }
    reply(callback, {});
  });
  document.getElementById('app-form').submit();
})();
</script>
</body></html>`;
}
