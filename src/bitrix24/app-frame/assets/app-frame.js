/*
 * The application page inside Bitrix24. When the server saw that the installation is not
 * finished (app.info INSTALLED false), finish it the documented way — $b24.installFinish()
 * of the official JS SDK (settings/app-installation/installation-finish.md, "JS" tab), loaded
 * from this origin — then ask the server to confirm with app.info and event.get.
 */
(function () {
  'use strict';
  var configElement = document.getElementById('frame-config');
  var status = document.getElementById('install-status');
  if (!configElement || !status) return;
  var config = JSON.parse(configElement.textContent || '{}');
  if (!config.finishInstall) return;

  function show(text, failed) {
    status.textContent = text;
    status.className = failed ? 'status failed' : 'status';
  }

  function confirmInstalled() {
    return fetch('/bitrix24/app/installed', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ ticket: config.ticket }),
    })
      .then(function (res) {
        return res.json().then(function (body) {
          return { ok: res.ok, body: body };
        });
      })
      .then(function (answer) {
        if (!answer.ok) throw new Error(answer.body && answer.body.error ? answer.body.error.message : 'The check failed');
        var installation = answer.body.installation;
        if (installation.installFinished) {
          show('Installation finished. Events bound: ' + (installation.eventsBound || []).join(', ') + (installation.offlineEvents ? '; new hires are also queued offline.' : '.'), false);
        } else {
          show('Bitrix24 does not report the installation as finished yet; open the application again.', true);
        }
      });
  }

  if (!window.B24Js || typeof window.B24Js.initializeB24Frame !== 'function') {
    show('The Bitrix24 library did not load; open the application again.', true);
    return;
  }
  window.B24Js.initializeB24Frame()
    .then(function ($b24) {
      // Bitrix24 may reload the application right after this (bx24-install-finish.md).
      return $b24.installFinish();
    })
    .then(confirmInstalled)
    .catch(function (error) {
      show('The installation could not be finished here: ' + (error && error.message ? error.message : String(error)) + '. Open the application from Bitrix24 as an administrator.', true);
    });
})();
