/*
 * b24-employee-sync — the owner's settings page.
 * Plain browser JavaScript, no framework, no build step. Talks only to /api/v1 with
 * "Authorization: Bearer <key>"; the key lives in sessionStorage and never in a URL.
 * Every text from the API is put on the page with textContent / createElement.
 *
 * Stable data-testid attributes (for browser tests):
 *   Sign-in and header
 *     signin-form, signin-key, signin-submit, signin-error, whoami, sign-out, flash
 *   Tabs (role=tab, URL hash in parentheses) and panels
 *     tablist, tab-connection (#connection), tab-data-access (#data-access), tab-employees (#employees),
 *     tab-responsible (#responsible), tab-history (#history, a report: #history/<runId>);
 *     panel-connection, panel-data-access, panel-employees, panel-responsible, panel-history
 *   Connection
 *     connect-form, connect-portal, connect-submit, connect-error,
 *     webhook-form, webhook-url, webhook-edition, webhook-submit, webhook-error,
 *     connections-status, connection-list, connection-item (data-connection-id, data-state), connection-domain,
 *     connection-state, connection-state-reason, connection-last-error, connection-reconnect,
 *     connection-disconnect, connection-open-sync, connections-empty
 *   Confirmation dialog
 *     confirm-dialog, confirm-ok, confirm-cancel
 *   Data Access (Employee Synchronization)
 *     da-empty, da-connection, da-connection-info, sync-button, sync-error,
 *     sync-progress-box, sync-progress (role=progressbar, aria-valuenow/aria-valuemax), sync-progress-text,
 *     last-run, settings-form, schedule-kind-interval, schedule-minutes, schedule-kind-daily, schedule-times,
 *     setting-edition, setting-country, setting-guard, setting-extranet, settings-save, settings-error, settings-status
 *   Run summaries (Data Access "Last run" and the History report)
 *     run-summary (data-run-id, data-status), run-status, run-error, summary-counters,
 *     summary-created, summary-linked_by_email, summary-updated, summary-unchanged, summary-skipped,
 *     summary-dismissed, summary-deleted, summary-reactivated, summary-removed_from_responsible,
 *     summary-phone_rejected (each holds a <dd> with the number; data-count has it too),
 *     skipped-list, skipped-item (data-reason), skipped-load-more, skipped-empty,
 *     guard-box, pending-list, pending-item, confirm-removals, discard-removals
 *   Employees
 *     employee-search, employee-filter-all, employee-filter-unlinked, employee-filter-linked,
 *     employee-filter-dismissed, employee-filter-deleted, employee-filter-source, employee-filter-active,
 *     employee-table, employee-row (data-employee-id), employee-name, employee-badge, employee-phones,
 *     employee-extension, employee-link-state, employees-status, employees-error, employees-empty,
 *     employees-load-more
 *   Responsible employees
 *     responsible-search, responsible-results, responsible-result, responsible-add, responsible-list,
 *     responsible-row (data-employee-id), responsible-remove, responsible-status, responsible-error,
 *     responsible-empty
 *   History
 *     history-filter-connection, history-filter-status, history-filter-trigger, history-table, history-row
 *     (data-run-id, data-status), history-open, history-status, history-error, history-empty, history-load-more,
 *     run-report, run-report-close, report-outcome-filter, report-items, report-item, report-load-more
 */
(function () {
  'use strict';

  const KEY_STORAGE = 'b24sync.apiKey';
  const API = '/api/v1';
  const POLL_MS = 700;
  const TABS = ['connection', 'data-access', 'employees', 'responsible', 'history'];
  const TAB_READ_PERMISSION = {
    connection: 'connections:read',
    'data-access': 'connections:read',
    employees: 'employees:read',
    responsible: 'responsible:read',
    history: 'sync:read',
  };

  // ---------------------------------------------------------------- words

  const COUNTERS = [
    ['created', 'Created'],
    ['linked_by_email', 'Linked by email'],
    ['updated', 'Updated'],
    ['unchanged', 'Unchanged'],
    ['skipped', 'Skipped'],
    ['dismissed', 'Dismissed'],
    ['deleted', 'Deleted'],
    ['reactivated', 'Reactivated'],
    ['removed_from_responsible', 'Removed from responsible'],
    ['phone_rejected', 'Phones rejected'],
  ];
  const OUTCOME_WORDS = Object.fromEntries(COUNTERS);
  OUTCOME_WORDS.phone_rejected = 'Phone rejected';

  const REASON_WORDS = {
    missing_last_name: 'No last name in Bitrix24',
    missing_email: 'No email address in Bitrix24',
    invalid_email: 'The email address is not valid',
    missing_department: 'No department (required for on-premise portals)',
    ambiguous_email: 'Several employees here have this email address',
    email_linked_elsewhere: 'The employee with this email is already linked to another Bitrix24 user',
    out_of_scope: 'Not an employee of the portal (extranet, bot or other account type)',
    not_a_phone_number: 'Not a phone number',
    dismissed: 'Dismissed in Bitrix24',
    deleted: 'Deleted in Bitrix24',
  };

  const STATUS_WORDS = {
    queued: 'Queued',
    running: 'Running',
    awaiting_confirmation: 'Waiting for confirmation',
    succeeded: 'Succeeded',
    failed: 'Failed',
  };
  const TRIGGER_WORDS = { manual: 'Synchronize button', schedule: 'Schedule', event: 'New user in Bitrix24' };
  const CONNECTION_STATE_WORDS = {
    active: 'Active',
    reauth_required: 'Needs re-authorization',
    uninstalled: 'Application uninstalled',
    disconnected: 'Disconnected',
  };
  const STATE_REASON_WORDS = {
    app_uninstalled: 'The application was uninstalled from the portal.',
    disconnected_by_owner: 'Disconnected from this page.',
    invalid_grant: 'Bitrix24 no longer accepts the saved authorization.',
    invalid_token: 'Bitrix24 no longer accepts the saved authorization.',
    invalid_client: 'Bitrix24 does not recognise the application any more.',
    NO_AUTH_FOUND: 'Bitrix24 no longer accepts the saved authorization.',
    INVALID_CREDENTIALS: 'Bitrix24 rejected the credentials.',
    PAYMENT_REQUIRED: 'The portal’s plan does not allow REST access (payment required).',
    CONNECTION_NOT_ACTIVE: 'The connection has no usable tokens.',
  };
  const LINK_STATE_WORDS = { active: 'Working', dismissed: 'Dismissed', deleted: 'Deleted' };
  const PHONE_SOURCE_WORDS = { work: 'work', mobile: 'mobile', personal: 'personal', manual: '' };
  const ACTIVE_RUN = new Set(['queued', 'running']);
  /** The last-name tag the import adds (seeds/002): shown as a badge. */
  const BITRIX_TAG = /^\(bitrix24\)\s*/i;

  const lowerFirst = (text) => (text ? text[0].toLowerCase() + text.slice(1) : text);
  const reasonText = (code) => (code ? REASON_WORDS[code] || code.replace(/_/g, ' ') : '');

  // ---------------------------------------------------------------- state

  const state = {
    key: null,
    me: null,
    tab: null,
    connections: [],
    connectionsLoaded: false,
    selectedConnectionId: null,
    pendingConnected: null,
    employees: { gen: 0, cursor: null, loaded: false, stale: true },
    history: { gen: 0, cursor: null },
    report: { runId: null, gen: 0, cursor: null },
    pollers: new Set(),
    session: 0,
  };

  // ---------------------------------------------------------------- DOM helpers

  const $ = (id) => document.getElementById(id);

  /** createElement with attributes and children; strings become text nodes, never markup. */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [name, value] of Object.entries(attrs)) {
        if (value === undefined || value === null || value === false) continue;
        if (name === 'class') node.className = value;
        else if (name === 'text') node.textContent = value;
        else if (name === 'testid') node.setAttribute('data-testid', value);
        else if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? '' : String(value));
      }
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  function setText(node, text) {
    node.textContent = text || '';
  }

  function showError(node, error) {
    if (!error) {
      node.textContent = '';
      node.hidden = true;
      return;
    }
    node.replaceChildren(...errorParts(error));
    node.hidden = false;
  }

  function errorParts(error) {
    const parts = [h('span', null, error.message || 'Something went wrong')];
    if (Array.isArray(error.details) && error.details.length) {
      parts.push(h('ul', { class: 'error-details' }, error.details.slice(0, 10).map((d) => h('li', null, typeof d === 'string' ? d : JSON.stringify(d)))));
    }
    return parts;
  }

  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  /** Runs can start a few seconds apart: their times show seconds. */
  const runDateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  const numberFormat = new Intl.NumberFormat();

  function time(iso) {
    if (!iso) return h('span', { class: 'muted' }, '—');
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return h('span', null, iso);
    return h('time', { datetime: iso, title: d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') }, dateFormat.format(d));
  }

  function duration(fromIso, toIso) {
    if (!fromIso) return '—';
    const ms = (toIso ? new Date(toIso) : new Date()).getTime() - new Date(fromIso).getTime();
    if (!Number.isFinite(ms) || ms < 0) return '—';
    const s = Math.round(ms / 1000);
    if (s < 60) return `${s} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min ${s % 60} s`;
    return `${Math.floor(m / 60)} h ${m % 60} min`;
  }

  const num = (n) => numberFormat.format(Number(n) || 0);

  /** Digits-only phone numbers, made readable. The digits stay the data (tel: link, data-digits). */
  function formatPhone(digits) {
    const d = String(digits || '').replace(/\D/g, '');
    if (d.length === 11 && (d[0] === '7' || d[0] === '8')) return `+7 ${d.slice(1, 4)} ${d.slice(4, 7)}-${d.slice(7, 9)}-${d.slice(9)}`;
    if (d.length === 11 && d[0] === '1') return `+1 ${d.slice(1, 4)} ${d.slice(4, 7)}-${d.slice(7)}`;
    if (d.length <= 6) return d;
    if (d.length <= 10) return d.replace(/(\d{3})(?=\d{3,})/g, '$1 ').trim();
    // Country code unknown: +CC then groups of three, the last group of up to four.
    const head = d.slice(0, d.length - 10);
    const rest = d.slice(-10);
    return `+${head} ${rest.slice(0, 3)} ${rest.slice(3, 6)} ${rest.slice(6)}`;
  }

  function badge(text, kind, testid) {
    return h('span', { class: `badge badge-${kind || 'neutral'}`, testid }, text);
  }

  function statusBadge(status) {
    const kind = { succeeded: 'ok', failed: 'error', awaiting_confirmation: 'warn', running: 'info', queued: 'info' }[status];
    return badge(STATUS_WORDS[status] || status, kind, 'run-status');
  }

  function flash(message, kind) {
    const box = $('flash');
    box.replaceChildren(h('p', { class: `notice notice-${kind || 'ok'}` }, message));
  }

  function clearFlash() {
    $('flash').replaceChildren();
  }

  function setBusy(button, busy, busyText) {
    if (!button) return;
    if (busy) {
      button.dataset.label = button.dataset.label || button.textContent;
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      if (busyText) button.textContent = busyText;
    } else {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      if (button.dataset.label) button.textContent = button.dataset.label;
      delete button.dataset.label;
    }
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details;
    }
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    const s = q.toString();
    return s ? `?${s}` : '';
  }

  async function api(method, path, options) {
    const opts = options || {};
    const key = opts.key || state.key;
    const session = state.session;
    const headers = { Accept: 'application/json' };
    if (key) headers.Authorization = `Bearer ${key}`;
    const init = { method, headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' };
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    let res;
    try {
      res = await fetch(API + path + query(opts.query), init);
    } catch {
      throw new ApiError(0, 'network', 'The service cannot be reached. Check your connection and try again.');
    }
    let body = null;
    const text = await res.text();
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    if (!res.ok) {
      const err = body && body.error ? body.error : {};
      const error = new ApiError(res.status, err.code || `http_${res.status}`, err.message || `The service answered ${res.status}`, err.details);
      if (res.status === 401 && !opts.key && session === state.session && state.key) {
        signOut('Your session has ended: the API key is unknown or was revoked. Sign in again.');
      }
      throw error;
    }
    if (session !== state.session && !opts.key) throw new ApiError(0, 'signed_out', 'Signed out');
    return body;
  }

  const can = (permission) => Boolean(state.me && state.me.permissions.includes(permission));

  /** Errors not worth showing: the page signed out (401 is handled by api()) or the session changed. */
  function quietly(error) {
    return error instanceof ApiError && (error.status === 401 || error.code === 'signed_out');
  }

  // ---------------------------------------------------------------- sign-in

  async function signIn(key) {
    const me = await api('GET', '/me', { key });
    state.key = key;
    state.me = me;
    state.session += 1;
    sessionStorage.setItem(KEY_STORAGE, key);
    return me;
  }

  function signOut(message) {
    stopAllPolls();
    state.session += 1;
    state.key = null;
    state.me = null;
    state.tab = null; // the next sign-in loads its tab afresh
    state.connections = [];
    state.connectionsLoaded = false;
    state.selectedConnectionId = null;
    state.employees = { gen: 0, cursor: null, loaded: false, stale: true };
    state.history = { gen: 0, cursor: null };
    state.report = { runId: null, gen: 0, cursor: null };
    state.responsibleIds = new Set();
    sessionStorage.removeItem(KEY_STORAGE);
    resetRenderedData();
    show($('app-view'), false);
    show($('who'), false);
    setText($('whoami'), '');
    show($('signin-view'), true);
    const err = $('signin-error');
    if (message) {
      err.textContent = message;
      err.hidden = false;
    } else {
      err.hidden = true;
    }
    const input = $('signin-key');
    input.value = '';
    input.focus();
  }

  function resetRenderedData() {
    for (const id of ['connection-list', 'last-run', 'employee-rows', 'responsible-rows', 'responsible-results', 'history-rows', 'run-items-rows', 'run-report-body', 'flash']) {
      $(id).replaceChildren();
    }
    for (const id of ['connections-status', 'da-status', 'employees-status', 'responsible-status', 'history-status-text', 'run-items-status', 'sync-progress-text', 'settings-status', 'responsible-search-status']) {
      setText($(id), '');
    }
    for (const id of ['connections-error', 'da-error', 'sync-error', 'employees-error', 'responsible-error', 'history-error', 'run-items-error']) {
      showError($(id), null);
    }
    for (const id of ['employees-empty', 'responsible-empty', 'history-empty', 'run-items-empty', 'run-report', 'sync-progress-box', 'employees-more', 'history-more', 'run-items-more', 'da-body', 'da-empty']) {
      show($(id), false);
    }
    for (const id of ['employee-search', 'responsible-search', 'webhook-url', 'connect-portal']) $(id).value = '';
    $('da-connection').replaceChildren();
  }

  function enterApp() {
    const me = state.me;
    setText($('whoami'), `${me.accountName} · ${me.keyName} (${me.role})`);
    $('whoami').title = `Account ${me.accountId}`;
    show($('who'), true);
    show($('signin-view'), false);
    show($('app-view'), true);
    applyPermissions();
    const { tab, sub } = parseHash();
    selectTab(tab || firstAllowedTab(), { updateHash: !tab, sub });
    if (state.pendingConnected && state.tab !== 'connection') fetchConnections().then(announceConnected, () => null);
  }

  /** Hides what the key's role may not do (the API refuses it anyway). */
  function applyPermissions() {
    for (const node of document.querySelectorAll('[data-requires]')) node.hidden = !can(node.getAttribute('data-requires'));
    for (const node of document.querySelectorAll('[data-lacks]')) node.hidden = can(node.getAttribute('data-lacks'));
    for (const tab of TABS) show($(`tab-${tab}`), can(TAB_READ_PERMISSION[tab]));
    const syncButton = $('sync-button');
    syncButton.hidden = !can('sync:run');
    for (const input of $('settings-form').querySelectorAll('input, select')) input.disabled = !can('connections:manage');
  }

  function firstAllowedTab() {
    return TABS.find((t) => can(TAB_READ_PERMISSION[t])) || 'connection';
  }

  // ---------------------------------------------------------------- tabs

  function parseHash() {
    let raw = location.hash.replace(/^#/, '');
    try {
      raw = decodeURIComponent(raw);
    } catch {
      /* keep it as it is */
    }
    const [tab, sub] = raw.split('/');
    // Only a run id may follow a tab (#history/<runId>).
    const runId = tab === 'history' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sub || '') ? sub : null;
    return { tab: TABS.includes(tab) ? tab : null, sub: runId };
  }

  function selectTab(name, options) {
    const opts = options || {};
    if (!can(TAB_READ_PERMISSION[name])) name = firstAllowedTab();
    const changed = state.tab !== name;
    state.tab = name;
    for (const tab of TABS) {
      const button = $(`tab-${tab}`);
      const selected = tab === name;
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
      show($(`panel-${tab}`), selected);
    }
    if (opts.focus) $(`tab-${name}`).focus();
    if (opts.updateHash) {
      const hash = `#${name}${opts.sub ? `/${opts.sub}` : ''}`;
      if (location.hash !== hash) history.replaceState(null, '', location.pathname + location.search + hash);
    }
    if (changed || opts.reload) loadTab(name, opts.sub);
    else if (name === 'history' && opts.sub && opts.sub !== state.report.runId) openReport(opts.sub, { focus: false });
  }

  function loadTab(name, sub) {
    if (name === 'connection') loadConnections();
    else if (name === 'data-access') loadDataAccess();
    else if (name === 'employees') {
      if (state.employees.stale || !state.employees.loaded) loadEmployees(false);
    } else if (name === 'responsible') loadResponsible();
    else if (name === 'history') {
      loadHistory(false);
      if (sub) openReport(sub, { focus: true });
    }
  }

  function onTabKey(event) {
    const visible = TABS.filter((t) => !$(`tab-${t}`).hidden);
    const index = visible.indexOf(state.tab);
    let next = null;
    if (event.key === 'ArrowRight' || event.key === 'ArrowDown') next = visible[(index + 1) % visible.length];
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') next = visible[(index - 1 + visible.length) % visible.length];
    else if (event.key === 'Home') next = visible[0];
    else if (event.key === 'End') next = visible[visible.length - 1];
    if (!next) return;
    event.preventDefault();
    goToTab(next, true, true);
  }

  /** Clicks add a history entry (Back returns to the previous tab); arrow keys replace it. */
  function goToTab(name, focus, replace) {
    const hash = `#${name}`;
    if (location.hash !== hash) history[replace ? 'replaceState' : 'pushState'](null, '', location.pathname + location.search + hash);
    if (state.tab !== name) clearFlash();
    selectTab(name, { focus });
  }

  // ---------------------------------------------------------------- confirmation dialog

  function confirmDialog({ title, text, ok }) {
    const dialog = $('confirm-dialog');
    setText($('confirm-title'), title);
    setText($('confirm-text'), text);
    setText($('confirm-ok'), ok || 'Confirm');
    const opener = document.activeElement;
    return new Promise((resolve) => {
      const done = (value) => {
        $('confirm-ok').removeEventListener('click', onOk);
        $('confirm-cancel').removeEventListener('click', onCancel);
        dialog.removeEventListener('close', onClose);
        if (dialog.open) dialog.close();
        if (opener && opener.focus && document.contains(opener)) opener.focus();
        resolve(value);
      };
      const onOk = () => done(true);
      const onCancel = () => done(false);
      const onClose = () => done(false); // Escape
      $('confirm-ok').addEventListener('click', onOk);
      $('confirm-cancel').addEventListener('click', onCancel);
      dialog.addEventListener('close', onClose);
      dialog.showModal();
      $('confirm-cancel').focus();
    });
  }

  // ---------------------------------------------------------------- connections

  async function fetchConnections() {
    const list = await api('GET', '/bitrix24/connections');
    state.connections = Array.isArray(list) ? list : [];
    state.connectionsLoaded = true;
    fillConnectionSelects();
    return state.connections;
  }

  function connectionById(id) {
    return state.connections.find((c) => c.id === id) || null;
  }

  function domainOf(id) {
    const c = connectionById(id);
    return c ? c.domain : 'Unknown portal';
  }

  function fillConnectionSelects() {
    const select = $('history-connection');
    const current = select.value;
    select.replaceChildren(h('option', { value: '' }, 'All portals'), ...state.connections.map((c) => h('option', { value: c.id }, connectionLabel(c))));
    if (state.connections.some((c) => c.id === current)) select.value = current;
  }

  function connectionLabel(c) {
    return c.state === 'active' ? c.domain : `${c.domain} (${(CONNECTION_STATE_WORDS[c.state] || c.state).toLowerCase()})`;
  }

  async function loadConnections() {
    const status = $('connections-status');
    if (!state.connectionsLoaded) setText(status, 'Loading portals…');
    showError($('connections-error'), null);
    try {
      await fetchConnections();
      setText(status, '');
      renderConnections();
      announceConnected();
    } catch (error) {
      if (quietly(error)) return;
      setText(status, '');
      showError($('connections-error'), error);
    }
  }

  function renderConnections() {
    const list = $('connection-list');
    if (!state.connections.length) {
      list.replaceChildren(
        h('li', { class: 'empty', testid: 'connections-empty' },
          can('connections:manage') ? 'No portal connected yet — connect one with the forms below.' : 'No portal connected yet.'),
      );
      return;
    }
    list.replaceChildren(...state.connections.map(renderConnection));
  }

  function renderConnection(c) {
    const stateKind = { active: 'ok', reauth_required: 'warn', uninstalled: 'error', disconnected: 'neutral' }[c.state];
    const facts = [];
    const fact = (label, ...value) => facts.push(h('div', { class: 'fact' }, h('dt', null, label), h('dd', null, ...value)));
    fact('Connected with', c.authType === 'webhook' ? 'Incoming webhook' : 'Bitrix24 application (OAuth)');
    if (c.webhookUrl) fact('Webhook', h('code', { class: 'break' }, c.webhookUrl));
    fact('Edition', c.edition === 'on_premise' ? 'On-premise' : 'Cloud');
    fact('State since', time(c.stateChangedAt));
    if (c.stateReason) fact('Reason', h('span', { testid: 'connection-state-reason' }, STATE_REASON_WORDS[c.stateReason] || c.stateReason));
    const sync = c.sync || {};
    fact('Last successful sync', time(sync.lastSuccessAt));
    if (c.state === 'active') fact('Next scheduled sync', time(sync.nextSyncAt));
    if (c.state === 'active') {
      fact('New users', c.eventsBound ? 'arrive within seconds (Bitrix24 notifies the service)' : `wait for the next sync${c.eventsError ? ` (events not bound: ${c.eventsError})` : ''}`);
    }
    if (sync.lastError) {
      facts.push(h('div', { class: 'fact fact-wide' }, h('dt', null, 'Last error'),
        h('dd', { class: 'text-error', testid: 'connection-last-error' }, `${sync.lastError.message} (${sync.lastError.code}) — `, time(sync.lastError.at))));
    }

    const actions = [];
    if (c.state === 'active') {
      actions.push(h('a', { class: 'button', href: '#data-access', testid: 'connection-open-sync', onclick: (e) => { e.preventDefault(); state.selectedConnectionId = c.id; goToTab('data-access', true); } }, 'Employee Synchronization'));
    }
    if (can('connections:manage')) {
      if (c.state !== 'active' && c.authType === 'oauth') {
        actions.push(h('button', { type: 'button', class: 'button-primary', testid: 'connection-reconnect', onclick: (e) => startOAuth(c.portalUrl || c.domain, e.currentTarget, null) },
          c.state === 'disconnected' ? 'Connect again' : 'Reconnect'));
      } else if (c.state !== 'active' && c.authType === 'webhook') {
        actions.push(h('button', { type: 'button', class: 'button-primary', testid: 'connection-reconnect', onclick: () => { $('webhook-edition').value = c.edition; $('webhook-url').focus(); } },
          'Enter a new webhook'));
      }
      if (c.state !== 'disconnected') {
        actions.push(h('button', { type: 'button', class: 'button-danger-quiet', testid: 'connection-disconnect', onclick: (e) => disconnect(c, e.currentTarget) }, 'Disconnect'));
      }
    }
    const titleId = `conn-${c.id}`;
    return h('li', { class: `card connection connection-${c.state}`, testid: 'connection-item', 'data-connection-id': c.id, 'data-state': c.state, 'aria-labelledby': titleId },
      h('div', { class: 'connection-head' },
        h('h4', { id: titleId, class: 'connection-domain break', testid: 'connection-domain' }, c.domain),
        badge(CONNECTION_STATE_WORDS[c.state] || c.state, stateKind, 'connection-state')),
      c.state === 'reauth_required' ? h('p', { class: 'notice notice-warn' }, 'Synchronization is paused until the portal is authorized again.') : null,
      h('dl', { class: 'facts' }, facts),
      actions.length ? h('div', { class: 'actions' }, actions) : null);
  }

  async function startOAuth(portal, button, errorBox) {
    setBusy(button, true, 'Opening Bitrix24…');
    if (errorBox) showError(errorBox, null);
    try {
      const res = await api('POST', '/bitrix24/oauth/start', { body: { portal } });
      const url = new URL(res.authorizeUrl);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ApiError(0, 'bad_url', 'The service returned an unusable authorization address.');
      location.assign(url.href);
    } catch (error) {
      setBusy(button, false);
      if (quietly(error)) return;
      if (errorBox) showError(errorBox, error);
      else flash(error.message, 'error');
    }
  }

  async function disconnect(c, button) {
    const ok = await confirmDialog({
      title: `Disconnect ${c.domain}?`,
      text: 'Synchronization stops and the saved credentials are forgotten. Every imported employee stays. You can connect the portal again later.',
      ok: 'Disconnect',
    });
    if (!ok) return;
    setBusy(button, true, 'Disconnecting…');
    try {
      await api('DELETE', `/bitrix24/connections/${encodeURIComponent(c.id)}`);
      flash(`${c.domain} was disconnected. Its employees stay in the Employees list.`, 'ok');
      await loadConnections();
    } catch (error) {
      setBusy(button, false);
      if (quietly(error)) return;
      flash(error.message, 'error');
    }
  }

  function announceConnected() {
    if (!state.pendingConnected) return;
    const c = connectionById(state.pendingConnected);
    state.pendingConnected = null;
    flash(c ? `${c.domain} is connected. Open Data Access and press Synchronize to import its employees now.` : 'The portal is connected.', 'ok');
  }

  async function onConnectSubmit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const input = $('connect-portal');
    const errorBox = form.querySelector('[data-role="form-error"]');
    const portal = input.value.trim();
    if (!portal) {
      showError(errorBox, { message: 'Enter the portal address, for example yourcompany.bitrix24.com.' });
      input.focus();
      return;
    }
    await startOAuth(portal, form.querySelector('button[type="submit"]'), errorBox);
  }

  async function onWebhookSubmit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const input = $('webhook-url');
    const errorBox = form.querySelector('[data-role="form-error"]');
    const button = form.querySelector('button[type="submit"]');
    const webhookUrl = input.value.trim();
    if (!webhookUrl) {
      showError(errorBox, { message: 'Paste the incoming webhook address.' });
      input.focus();
      return;
    }
    showError(errorBox, null);
    setBusy(button, true, 'Checking the webhook…');
    try {
      const c = await api('POST', '/bitrix24/connections', { body: { webhookUrl, edition: $('webhook-edition').value } });
      input.value = ''; // it holds a secret
      flash(`${c.domain} is connected through its webhook. Open Data Access and press Synchronize to import its employees now.`, 'ok');
      await loadConnections();
    } catch (error) {
      if (!quietly(error)) showError(errorBox, error);
    } finally {
      setBusy(button, false);
    }
  }

  // ---------------------------------------------------------------- data access

  async function loadDataAccess() {
    const status = $('da-status');
    if (!state.connectionsLoaded) setText(status, 'Loading…');
    showError($('da-error'), null);
    try {
      await fetchConnections();
      setText(status, '');
      renderDataAccess();
    } catch (error) {
      if (quietly(error)) return;
      setText(status, '');
      showError($('da-error'), error);
    }
  }

  function renderDataAccess() {
    const usable = state.connections.filter((c) => c.state !== 'disconnected');
    show($('da-empty'), usable.length === 0);
    show($('da-body'), usable.length > 0);
    if (!usable.length) {
      stopPoll('data-access');
      return;
    }
    if (!usable.some((c) => c.id === state.selectedConnectionId)) {
      state.selectedConnectionId = (usable.find((c) => c.state === 'active') || usable[0]).id;
    }
    const select = $('da-connection');
    select.replaceChildren(...usable.map((c) => h('option', { value: c.id }, connectionLabel(c))));
    select.value = state.selectedConnectionId;
    show($('da-connection-field'), usable.length > 1);
    const c = connectionById(state.selectedConnectionId);
    renderConnectionInfo(c);
    fillSettings(c);
    loadLastRun(c.id);
  }

  function renderConnectionInfo(c) {
    const info = $('da-connection-info');
    const sync = c.sync || {};
    const parts = [h('strong', null, c.domain), ' — ', CONNECTION_STATE_WORDS[c.state] || c.state];
    if (c.state === 'active') {
      parts.push('. Last successful sync: ', time(sync.lastSuccessAt), '. Next scheduled sync: ', time(sync.nextSyncAt), '.');
    } else {
      parts.push('. ', h('a', { href: '#connection' }, 'Reconnect the portal'), ' to synchronize again.');
    }
    info.replaceChildren(...parts);
    const button = $('sync-button');
    if (!button.getAttribute('aria-busy')) button.disabled = c.state !== 'active';
  }

  function fillSettings(c) {
    const s = c.settings || {};
    const schedule = s.schedule || { kind: 'interval' };
    $('schedule-kind-interval').checked = schedule.kind !== 'daily';
    $('schedule-kind-daily').checked = schedule.kind === 'daily';
    $('schedule-minutes').value = schedule.intervalMinutes != null ? String(schedule.intervalMinutes) : '30';
    $('schedule-times').value = (schedule.dailyTimesUtc || []).join(', ');
    $('setting-edition').value = c.edition === 'on_premise' ? 'on_premise' : 'cloud';
    $('setting-country').value = s.defaultCountry || '';
    $('setting-guard').value = s.removalGuardPercent != null ? String(s.removalGuardPercent) : '';
    $('setting-extranet').checked = Boolean(s.includeExtranet);
    syncScheduleInputs();
    setText($('settings-status'), '');
    showError($('settings-form').querySelector('[data-role="form-error"]'), null);
    const minutes = schedule.kind === 'daily' ? null : schedule.intervalMinutes;
    setText($('sync-hint'), '');
    $('sync-hint').append(
      schedule.kind === 'daily'
        ? `New Bitrix24 employees are imported automatically every day at ${(schedule.dailyTimesUtc || []).join(' and ')} UTC. `
        : `New Bitrix24 employees are imported automatically every ${minutes || 30} minutes. `,
      ...(can('sync:run') ? ['Press ', h('strong', null, 'Synchronize'), ' to import them now.'] : ['Your key’s role cannot start a synchronization.']),
    );
  }

  function syncScheduleInputs() {
    const daily = $('schedule-kind-daily').checked;
    const editable = can('connections:manage');
    $('schedule-minutes').disabled = !editable || daily;
    $('schedule-times').disabled = !editable || !daily;
  }

  async function onSettingsSubmit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const errorBox = form.querySelector('[data-role="form-error"]');
    const c = connectionById(state.selectedConnectionId);
    if (!c) return;
    const problems = [];
    const body = {};
    if ($('schedule-kind-daily').checked) {
      const times = $('schedule-times').value.split(/[\s,;]+/).filter(Boolean).map((t) => (/^\d:\d\d$/.test(t) ? `0${t}` : t));
      if (!times.length) problems.push('Enter at least one UTC time, for example 06:00.');
      const bad = times.filter((t) => !/^([01]\d|2[0-3]):[0-5]\d$/.test(t));
      if (bad.length) problems.push(`Not a 24-hour HH:MM time: ${bad.join(', ')}`);
      if (times.length > 24) problems.push('At most 24 times a day.');
      body.schedule = { kind: 'daily', dailyTimesUtc: Array.from(new Set(times)).sort() };
    } else {
      const minutes = Number($('schedule-minutes').value);
      if (!Number.isInteger(minutes) || minutes < 5 || minutes > 1440) problems.push('Minutes between runs must be a whole number from 5 to 1440.');
      body.schedule = { kind: 'interval', intervalMinutes: minutes };
    }
    body.edition = $('setting-edition').value;
    body.includeExtranet = $('setting-extranet').checked;
    const country = $('setting-country').value.trim().toUpperCase();
    if (!/^[A-Z]{2}$/.test(country)) problems.push('Default phone country must be two letters, such as RU.');
    body.defaultCountry = country;
    const guardText = $('setting-guard').value.trim();
    if (guardText === '') body.removalGuardPercent = null;
    else {
      const guard = Number(guardText);
      if (!Number.isFinite(guard) || guard < 0 || guard > 100) problems.push('Removal guard must be a number from 0 to 100.');
      body.removalGuardPercent = guard;
    }
    if (problems.length) {
      showError(errorBox, { message: 'Please correct these settings:', details: problems });
      return;
    }
    // Send only what changed, so saving the schedule does not pin the other settings' defaults.
    const current = c.settings || {};
    const cur = current.schedule || {};
    const sameSchedule = body.schedule.kind === cur.kind && (body.schedule.kind === 'daily'
      ? JSON.stringify(body.schedule.dailyTimesUtc) === JSON.stringify([...(cur.dailyTimesUtc || [])].sort())
      : body.schedule.intervalMinutes === cur.intervalMinutes);
    if (sameSchedule) delete body.schedule;
    if (body.edition === c.edition) delete body.edition;
    if (body.includeExtranet === Boolean(current.includeExtranet)) delete body.includeExtranet;
    if (body.defaultCountry === current.defaultCountry) delete body.defaultCountry;
    if (body.removalGuardPercent === current.removalGuardPercent) delete body.removalGuardPercent;
    if (!Object.keys(body).length) {
      showError(errorBox, null);
      setText($('settings-status'), 'Nothing changed.');
      return;
    }
    showError(errorBox, null);
    const button = form.querySelector('button[type="submit"]');
    setBusy(button, true, 'Saving…');
    setText($('settings-status'), '');
    try {
      const updated = await api('PATCH', `/bitrix24/connections/${encodeURIComponent(c.id)}`, { body });
      state.connections = state.connections.map((x) => (x.id === updated.id ? updated : x));
      fillSettings(updated);
      renderConnectionInfo(updated);
      setText($('settings-status'), 'Saved.');
    } catch (error) {
      if (!quietly(error)) showError(errorBox, error);
    } finally {
      setBusy(button, false);
    }
  }

  async function loadLastRun(connectionId) {
    const box = $('last-run');
    if (!box.childNodes.length || box.dataset.connectionId !== connectionId) {
      box.replaceChildren(h('p', { class: 'loading', role: 'status' }, 'Loading the last run…'));
    }
    box.dataset.connectionId = connectionId;
    try {
      const page = await api('GET', '/sync-runs', { query: { connectionId, trigger: 'manual,schedule', limit: 1 } });
      if (state.selectedConnectionId !== connectionId) return;
      const run = page.items[0];
      if (!run) {
        stopPoll('data-access');
        show($('sync-progress-box'), false);
        box.replaceChildren(h('p', { class: 'empty' }, 'No run yet. Press Synchronize to import the portal’s employees.'));
        return;
      }
      renderRunInto(box, run, { context: 'data-access' });
      if (ACTIVE_RUN.has(run.status)) watchRun(run);
      else {
        stopPoll('data-access');
        show($('sync-progress-box'), false);
      }
    } catch (error) {
      if (quietly(error)) return;
      box.replaceChildren(h('p', { class: 'notice notice-error', role: 'alert' }, ...errorParts(error)));
    }
  }

  async function onSynchronize() {
    const c = connectionById(state.selectedConnectionId);
    if (!c) return;
    const button = $('sync-button');
    showError($('sync-error'), null);
    setBusy(button, true, 'Starting…');
    try {
      const run = await api('POST', `/bitrix24/connections/${encodeURIComponent(c.id)}/sync`);
      setBusy(button, false);
      renderRunInto($('last-run'), run, { context: 'data-access' });
      watchRun(run);
    } catch (error) {
      setBusy(button, false);
      if (!quietly(error)) showError($('sync-error'), error);
    }
  }

  // ---- progress polling

  function stopPoll(slot) {
    for (const p of state.pollers) {
      if (p.slot === slot) {
        p.stopped = true;
        clearTimeout(p.timer);
        state.pollers.delete(p);
      }
    }
  }

  function stopAllPolls() {
    for (const p of state.pollers) {
      p.stopped = true;
      clearTimeout(p.timer);
    }
    state.pollers.clear();
  }

  /** Polls a run every ~700 ms while it is queued or running; calls onUpdate each time and onDone once. */
  function poll(slot, run, onUpdate, onDone) {
    stopPoll(slot);
    const poller = { slot, runId: run.id, stopped: false, timer: null, failures: 0 };
    state.pollers.add(poller);
    const tick = async () => {
      if (poller.stopped) return;
      let current;
      try {
        current = await api('GET', `/sync-runs/${encodeURIComponent(run.id)}`);
        poller.failures = 0;
      } catch (error) {
        if (poller.stopped || quietly(error)) return;
        poller.failures += 1;
        onUpdate(null, error);
        poller.timer = setTimeout(tick, Math.min(10_000, POLL_MS * 2 ** poller.failures));
        return;
      }
      if (poller.stopped) return;
      onUpdate(current, null);
      if (ACTIVE_RUN.has(current.status)) poller.timer = setTimeout(tick, POLL_MS);
      else {
        poller.stopped = true;
        state.pollers.delete(poller);
        onDone(current);
      }
    };
    poller.timer = setTimeout(tick, POLL_MS);
  }

  function watchRun(run) {
    const c = connectionById(run.connectionId);
    renderProgress(run);
    const button = $('sync-button');
    button.disabled = true;
    poll(
      'data-access',
      run,
      (current, error) => {
        if (error) showError($('sync-error'), { message: `Could not read the run’s progress (${error.message}); retrying…` });
        else {
          showError($('sync-error'), null);
          renderProgress(current);
          if (state.tab === 'data-access' && state.selectedConnectionId === current.connectionId) renderRunInto($('last-run'), current, { context: 'data-access' });
        }
      },
      async (done) => {
        renderProgress(done);
        button.disabled = !c || connectionById(done.connectionId)?.state !== 'active';
        state.employees.stale = true;
        if (state.tab === 'data-access' && state.selectedConnectionId === done.connectionId) {
          renderRunInto($('last-run'), done, { context: 'data-access' });
          setTimeout(() => {
            if (!state.pollers.size) show($('sync-progress-box'), false);
          }, 1500);
          try {
            await fetchConnections();
            const fresh = connectionById(done.connectionId);
            if (fresh && state.selectedConnectionId === fresh.id) renderConnectionInfo(fresh);
          } catch {
            /* the summary is shown; the connection facts refresh next time */
          }
        }
      },
    );
  }

  function renderProgress(run) {
    const box = $('sync-progress-box');
    const bar = $('sync-progress');
    const fill = $('sync-progress-fill');
    show(box, true);
    box.dataset.status = run.status;
    const processed = (run.progress && run.progress.processed) || 0;
    const total = run.progress ? run.progress.total : null;
    const known = total !== null && total !== undefined;
    const active = ACTIVE_RUN.has(run.status);
    const max = known ? Math.max(total, processed, 0) : 100;
    bar.classList.toggle('progress-indeterminate', active && !known);
    bar.setAttribute('aria-valuemax', String(max));
    if (known) {
      bar.setAttribute('aria-valuenow', String(Math.min(processed, max)));
      bar.setAttribute('aria-valuetext', `${num(processed)} of ${num(max)} Bitrix24 users`);
      fill.style.width = `${max ? Math.round((Math.min(processed, max) / max) * 1000) / 10 : 100}%`;
    } else if (active) {
      bar.removeAttribute('aria-valuenow'); // indeterminate until the first page tells the total
      bar.setAttribute('aria-valuetext', run.status === 'queued' ? 'Queued' : 'Starting');
      fill.style.width = '';
    } else {
      bar.setAttribute('aria-valuenow', '0');
      bar.setAttribute('aria-valuetext', 'No users were read');
      fill.style.width = '0%';
    }
    let label;
    let text;
    if (active) {
      label = run.status === 'queued' ? 'Waiting to start…' : 'Synchronizing…';
      text = known ? `${num(processed)} of ${num(total)} Bitrix24 users processed` : run.status === 'queued' ? 'Queued: starts as soon as the portal allows.' : 'Reading users from Bitrix24…';
    } else {
      label = `Finished: ${(STATUS_WORDS[run.status] || run.status).toLowerCase()}`;
      text = known ? `${num(processed)} of ${num(total)} Bitrix24 users processed` : 'No users were read.';
    }
    setText($('sync-progress-label'), label);
    setText($('sync-progress-text'), text);
  }

  // ---- run summary (shared by Data Access and History)

  function renderRunInto(box, run, options) {
    box.replaceChildren(renderRun(run, options));
  }

  function renderRun(run, options) {
    const ctx = (options && options.context) || 'data-access';
    const counters = run.counters || {};
    const root = h('div', { class: 'run stack', testid: 'run-summary', 'data-run-id': run.id, 'data-status': run.status });
    const meta = h('p', { class: 'run-meta' },
      statusBadge(run.status), ' ',
      TRIGGER_WORDS[run.trigger] || run.trigger, ' · ',
      domainOf(run.connectionId), ' · queued ', time(run.queuedAt),
      run.finishedAt ? [' · finished ', time(run.finishedAt), ` (${duration(run.startedAt || run.queuedAt, run.finishedAt)})`] : null);
    root.append(meta);
    if (run.bitrix24UserIds && run.bitrix24UserIds.length) {
      root.append(h('p', { class: 'muted' }, `Run for Bitrix24 user${run.bitrix24UserIds.length > 1 ? 's' : ''} #${run.bitrix24UserIds.join(', #')}`));
    }
    if (run.error) {
      root.append(h('p', { class: 'notice notice-error', role: 'alert', testid: 'run-error' }, `The run failed: ${run.error.message} (${run.error.code})`));
    }
    if (counters.exportUntrusted) {
      root.append(h('p', { class: 'notice notice-warn' }, 'Bitrix24 returned no users at all, so nobody was marked deleted. Check the application’s permissions in the portal.'));
    } else if (run.exportComplete === false && !ACTIVE_RUN.has(run.status) && run.status !== 'failed') {
      root.append(h('p', { class: 'notice notice-warn' }, 'The user list was not read to its end, so nobody was marked deleted in this run.'));
    }
    if (ACTIVE_RUN.has(run.status)) {
      root.append(h('p', { class: 'muted' }, 'Counts so far (the run is still going):'));
    }
    root.append(h('dl', { class: 'counters', testid: 'summary-counters' },
      COUNTERS.map(([key, label]) => {
        const n = Number(counters[key]) || 0;
        return h('div', { class: `counter counter-${key}${n ? '' : ' counter-zero'}`, testid: `summary-${key}`, 'data-count': String(n) },
          h('dt', null, label), h('dd', null, num(n)));
      })));

    const byReason = counters.skippedByReason || {};
    const reasons = Object.entries(byReason).filter(([, n]) => n);
    if (reasons.length) {
      root.append(h('p', { class: 'muted', testid: 'skipped-by-reason' }, 'Skipped: ', reasons.map(([r, n], i) => [i ? '; ' : '', `${lowerFirst(reasonText(r))} — ${num(n)}`])));
    }
    if (run.guardResolution) {
      const words = { confirmed: 'The held removals were confirmed and applied.', discarded: 'The held removals were discarded.', superseded: 'A newer run replaced this run’s held removals.' };
      root.append(h('p', { class: 'notice notice-info' }, words[run.guardResolution] || run.guardResolution));
    }
    if (run.status === 'awaiting_confirmation') root.append(renderGuard(run, ctx));
    if (run.itemsPruned) {
      root.append(h('p', { class: 'muted' }, 'The per-person report of this run was removed by the retention setting; the counts remain.'));
    } else if (ctx === 'data-access' && !ACTIVE_RUN.has(run.status) && (Number(counters.skipped) || 0) > 0) {
      root.append(renderSkipped(run));
    }
    return root;
  }

  function renderSkipped(run) {
    const section = h('section', { class: 'stack-sm skipped', 'aria-label': 'Skipped people' });
    const list = h('ul', { class: 'skipped-list', testid: 'skipped-list' });
    const status = h('p', { class: 'loading', role: 'status' }, 'Loading the skipped people…');
    const more = h('button', { type: 'button', testid: 'skipped-load-more', hidden: true }, 'Show more skipped');
    const error = h('p', { class: 'notice notice-error', role: 'alert', hidden: true });
    section.append(h('h4', null, `Skipped (${num(run.counters.skipped)}) — not imported, and why`), status, error, list, h('div', { class: 'more' }, more));
    let cursor = null;
    const load = async () => {
      setBusy(more, true, 'Loading…');
      try {
        const page = await api('GET', `/sync-runs/${encodeURIComponent(run.id)}/items`, { query: { outcome: 'skipped', limit: 50, cursor } });
        setText(status, '');
        for (const item of page.items) {
          list.append(h('li', { testid: 'skipped-item', 'data-reason': item.reason || '' },
            h('span', { class: 'skipped-name' }, item.name || `Bitrix24 user #${item.bitrix24UserId}`),
            item.bitrix24UserId != null ? h('span', { class: 'muted' }, ` (Bitrix24 #${item.bitrix24UserId})`) : null,
            h('span', { class: 'skipped-reason' }, reasonText(item.reason))));
        }
        if (!list.childNodes.length) list.append(h('li', { class: 'empty', testid: 'skipped-empty' }, 'The run skipped nobody.'));
        cursor = page.nextCursor;
        setBusy(more, false);
        more.hidden = !cursor;
      } catch (e) {
        setText(status, '');
        setBusy(more, false);
        if (!quietly(e)) showError(error, e);
      }
    };
    more.addEventListener('click', load);
    load();
    return section;
  }

  function renderGuard(run, ctx) {
    const g = run.guard || {};
    const box = h('section', { class: 'guard notice notice-warn stack-sm', testid: 'guard-box', 'aria-label': 'Removals waiting for confirmation' });
    const dismissals = Number(g.dismissals) || 0;
    const deletions = Number(g.deletions) || 0;
    box.append(
      h('h4', null, 'Removals held for your confirmation'),
      h('p', null,
        `This run would mark ${num(dismissals)} ${dismissals === 1 ? 'person' : 'people'} dismissed and ${num(deletions)} deleted — `,
        `${g.sharePercent ?? '?'}% of the ${num(g.linkedActive)} employees linked to this portal, above the removal guard of ${g.thresholdPercent ?? '?'}%. `,
        'Nothing has been changed yet. If these people really left, confirm; if Bitrix24 returned an incomplete list (for example after a permission change), discard.'),
    );
    const list = h('ul', { class: 'pending-list', testid: 'pending-list' }, h('li', { class: 'loading' }, 'Loading the list…'));
    box.append(list);
    const error = h('p', { class: 'notice notice-error', role: 'alert', hidden: true });
    box.append(error);
    if (can('sync:confirm_removals')) {
      const confirm = h('button', { type: 'button', class: 'button-danger', testid: 'confirm-removals' }, 'Confirm removals');
      const discard = h('button', { type: 'button', testid: 'discard-removals' }, 'Discard');
      const act = async (what, button) => {
        setBusy(confirm, true);
        setBusy(discard, true);
        try {
          const updated = await api('POST', `/sync-runs/${encodeURIComponent(run.id)}/${what}-removals`);
          flash(what === 'confirm' ? 'The held removals were applied.' : 'The held removals were discarded; the next run checks them again.', 'ok');
          state.employees.stale = true;
          const host = box.closest('.run').parentElement;
          host.replaceChildren(renderRun(updated, { context: ctx }));
          if (ctx === 'history') {
            loadHistory(false);
            loadReportItems(false);
          }
        } catch (e) {
          setBusy(confirm, false);
          setBusy(discard, false);
          if (!quietly(e)) showError(error, e);
          button.focus();
        }
      };
      confirm.addEventListener('click', () => act('confirm', confirm));
      discard.addEventListener('click', () => act('discard', discard));
      box.append(h('div', { class: 'actions' }, confirm, discard));
    } else {
      box.append(h('p', null, 'An owner or admin of the account must confirm or discard these removals.'));
    }
    (async () => {
      try {
        const pending = await api('GET', `/sync-runs/${encodeURIComponent(run.id)}/pending-removals`);
        const rows = pending.map((p) => h('li', { testid: 'pending-item', 'data-kind': p.kind },
          p.name && BITRIX_TAG.test(p.name) ? [badge('(bitrix24)', 'b24'), ' '] : null,
          h('span', { class: 'skipped-name' }, p.name ? p.name.replace(BITRIX_TAG, '') : `Bitrix24 user #${p.bitrix24UserId}`), ' — ', REASON_WORDS[p.kind] || p.kind,
          h('span', { class: 'muted' }, ` (Bitrix24 #${p.bitrix24UserId})`)));
        if (!rows.length) rows.push(h('li', { class: 'empty' }, 'The list is empty.'));
        const limit = 100;
        list.replaceChildren(...rows.slice(0, limit));
        if (rows.length > limit) {
          const all = h('button', { type: 'button', class: 'button-quiet' }, `Show all ${num(rows.length)}`);
          all.addEventListener('click', () => {
            list.replaceChildren(...rows);
            all.remove();
          });
          list.after(all);
        }
      } catch (e) {
        if (!quietly(e)) list.replaceChildren(h('li', { class: 'text-error' }, e.message));
      }
    })();
    return box;
  }

  // ---------------------------------------------------------------- employees

  function employeeFilters() {
    const linkState = (document.querySelector('input[name="linkState"]:checked') || {}).value || '';
    return {
      q: $('employee-search').value.trim(),
      bitrix24State: linkState,
      source: $('employee-source').value,
      active: $('employee-active').value,
    };
  }

  async function loadEmployees(append) {
    const emp = state.employees;
    const gen = ++emp.gen;
    const filters = employeeFilters();
    const status = $('employees-status');
    const more = $('employees-more');
    showError($('employees-error'), null);
    if (append) setBusy(more, true, 'Loading…');
    else setText(status, 'Loading employees…');
    $('employee-table').setAttribute('aria-busy', 'true');
    try {
      if (!state.connectionsLoaded && can('connections:read')) await fetchConnections().catch(() => null);
      const page = await api('GET', '/employees', { query: { ...filters, limit: 50, cursor: append ? emp.cursor : undefined } });
      if (gen !== emp.gen) return;
      emp.cursor = page.nextCursor;
      emp.loaded = true;
      emp.stale = false;
      const rows = page.items.map(renderEmployeeRow);
      if (append) $('employee-rows').append(...rows);
      else $('employee-rows').replaceChildren(...rows);
      const count = $('employee-rows').childNodes.length;
      setText(status, count ? `${num(count)} employee${count === 1 ? '' : 's'} shown${page.nextCursor ? ' (more available)' : ''}` : '');
      const empty = $('employees-empty');
      const filtered = Boolean(filters.q || filters.bitrix24State || filters.source || filters.active);
      if (!count) {
        empty.replaceChildren(filtered
          ? h('p', null, 'No employees match these filters.')
          : h('p', null, 'No employees yet — press ', h('a', { href: '#data-access' }, 'Synchronize'), ' on the Data Access tab to import them from Bitrix24.'));
      }
      show(empty, !count);
      show($('employee-table').closest('.table-wrap'), count > 0);
      show(more, Boolean(page.nextCursor));
    } catch (error) {
      if (gen !== emp.gen || quietly(error)) return;
      setText(status, '');
      showError($('employees-error'), error);
    } finally {
      if (gen === emp.gen) {
        setBusy(more, false);
        $('employee-table').removeAttribute('aria-busy');
      }
    }
  }

  function nameCell(e, testid) {
    const tagged = BITRIX_TAG.test(e.lastName);
    const last = e.lastName.replace(BITRIX_TAG, '');
    const full = [last, e.firstName, e.middleName].filter(Boolean).join(' ');
    return h('span', { class: 'person', testid },
      tagged || e.source === 'bitrix24' ? [badge('(bitrix24)', 'b24', 'employee-badge'), ' '] : null,
      h('span', { class: 'person-name' }, full));
  }

  function phonesCell(e) {
    if (!e.phones || !e.phones.length) return h('span', { class: 'muted' }, '—');
    return h('ul', { class: 'phones', testid: 'employee-phones' }, e.phones.map((p) =>
      h('li', null,
        h('a', { href: `tel:+${String(p.number).replace(/\D/g, '')}`, 'data-digits': p.number, class: 'phone' }, formatPhone(p.number)),
        PHONE_SOURCE_WORDS[p.source] ? h('span', { class: 'muted' }, ` ${PHONE_SOURCE_WORDS[p.source]}`) : null)));
  }

  function linkCell(e) {
    if (!e.bitrix24Links || !e.bitrix24Links.length) return h('span', { class: 'muted', testid: 'employee-link-state', 'data-state': 'unlinked' }, 'Not linked');
    return h('ul', { class: 'links', testid: 'employee-link-state', 'data-state': e.bitrix24Links.map((l) => l.state).join(' ') }, e.bitrix24Links.map((l) => {
      const kind = { active: 'ok', dismissed: 'warn', deleted: 'error' }[l.state];
      const domain = state.connections.length > 1 ? domainOf(l.connectionId) : null;
      return h('li', null,
        badge(LINK_STATE_WORDS[l.state] || l.state, kind),
        h('span', { class: 'muted' }, ` ID ${l.bitrix24UserId}${domain ? ` on ${domain}` : ''}${l.matchedBy === 'email' ? ', linked by email' : ''}`));
    }));
  }

  function renderEmployeeRow(e) {
    return h('tr', { testid: 'employee-row', 'data-employee-id': e.id, 'data-source': e.source, class: e.active ? '' : 'row-inactive' },
      h('td', null, nameCell(e, 'employee-name')),
      h('td', { class: 'nowrap', 'data-label': 'Email' }, e.email || h('span', { class: 'muted' }, '—')),
      h('td', { 'data-label': 'Phones' }, phonesCell(e)),
      h('td', { testid: 'employee-extension', 'data-label': 'Ext.' }, e.extension || h('span', { class: 'muted' }, '—')),
      h('td', { 'data-label': 'Bitrix24' }, linkCell(e)),
      h('td', { 'data-label': 'Status' },
        e.active ? badge('Active', 'ok') : badge('Deactivated', 'neutral'),
        e.responsible ? [' ', badge('Responsible', 'info')] : null));
  }

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  // ---------------------------------------------------------------- responsible employees

  async function loadResponsible() {
    const status = $('responsible-status');
    if (!$('responsible-rows').childNodes.length) setText(status, 'Loading the list…');
    showError($('responsible-error'), null);
    try {
      const list = await api('GET', '/responsible-employees');
      renderResponsible(list.items);
    } catch (error) {
      if (quietly(error)) return;
      setText(status, '');
      showError($('responsible-error'), error);
    }
  }

  function renderResponsible(items) {
    const rows = items.map((e) => h('tr', { testid: 'responsible-row', 'data-employee-id': e.id },
      h('td', null, nameCell(e, 'employee-name')),
      h('td', { class: 'nowrap', 'data-label': 'Email' }, e.email || h('span', { class: 'muted' }, '—')),
      h('td', { 'data-label': 'Phones' }, phonesCell(e)),
      h('td', { 'data-label': 'Ext.' }, e.extension || h('span', { class: 'muted' }, '—')),
      h('td', { class: 'cell-actions' }, can('responsible:write')
        ? h('button', { type: 'button', class: 'button-danger-quiet', testid: 'responsible-remove', 'aria-label': `Remove ${displayName(e)} from the list`, onclick: (ev) => removeResponsible(e, ev.currentTarget) }, 'Remove')
        : null)));
    $('responsible-rows').replaceChildren(...rows);
    state.responsibleIds = new Set(items.map((e) => e.id));
    setText($('responsible-status'), items.length ? `${num(items.length)} on the list` : '');
    show($('responsible-empty'), !items.length);
    show($('responsible-rows').closest('.table-wrap'), items.length > 0);
    refreshResultButtons();
  }

  function displayName(e) {
    return [e.lastName.replace(BITRIX_TAG, ''), e.firstName].filter(Boolean).join(' ');
  }

  async function removeResponsible(e, button) {
    setBusy(button, true, 'Removing…');
    try {
      const list = await api('DELETE', `/responsible-employees/${encodeURIComponent(e.id)}`);
      renderResponsible(list.items);
      flash(`${displayName(e)} was removed from the responsible list.`, 'ok');
      state.employees.stale = true;
      $('responsible-search').focus();
    } catch (error) {
      setBusy(button, false);
      if (!quietly(error)) showError($('responsible-error'), error);
    }
  }

  async function addResponsible(e, button) {
    setBusy(button, true, 'Adding…');
    try {
      const list = await api('POST', `/responsible-employees/${encodeURIComponent(e.id)}`);
      renderResponsible(list.items);
      flash(`${displayName(e)} was added to the responsible list.`, 'ok');
      state.employees.stale = true;
    } catch (error) {
      setBusy(button, false);
      if (!quietly(error)) showError($('responsible-error'), error);
    }
  }

  let responsibleSearchGen = 0;
  async function searchResponsible() {
    const q = $('responsible-search').value.trim();
    const gen = ++responsibleSearchGen;
    const results = $('responsible-results');
    const status = $('responsible-search-status');
    if (!q) {
      results.replaceChildren();
      results.removeAttribute('aria-busy');
      results.dataset.query = '';
      setText(status, '');
      return;
    }
    setText(status, 'Searching…');
    try {
      const page = await api('GET', '/employees', { query: { q, active: 'true', limit: 10 } });
      if (gen !== responsibleSearchGen) return;
      results.removeAttribute('aria-busy');
      results.dataset.query = q;
      setText(status, page.items.length ? `${page.items.length}${page.nextCursor ? '+' : ''} found` : 'No active employee matches.');
      results.replaceChildren(...page.items.map((e) => h('li', { testid: 'responsible-result', 'data-employee-id': e.id },
        nameCell(e, 'employee-name'),
        e.email ? h('span', { class: 'muted break' }, ` ${e.email}`) : null,
        h('button', { type: 'button', class: 'button-small', testid: 'responsible-add', 'data-employee-id': e.id, onclick: (ev) => addResponsible(e, ev.currentTarget) }, 'Add'))));
      refreshResultButtons();
    } catch (error) {
      if (gen !== responsibleSearchGen || quietly(error)) return;
      setText(status, '');
      results.replaceChildren(h('li', { class: 'text-error' }, error.message));
    }
  }

  function refreshResultButtons() {
    const ids = state.responsibleIds || new Set();
    for (const button of $('responsible-results').querySelectorAll('button[data-employee-id]')) {
      const on = ids.has(button.getAttribute('data-employee-id'));
      button.disabled = on;
      button.textContent = on ? 'On the list' : 'Add';
      delete button.dataset.label;
      button.removeAttribute('aria-busy');
    }
  }

  // ---------------------------------------------------------------- history

  async function loadHistory(append) {
    const hist = state.history;
    const gen = ++hist.gen;
    const status = $('history-status-text');
    const more = $('history-more');
    showError($('history-error'), null);
    if (append) setBusy(more, true, 'Loading…');
    else if (!$('history-rows').childNodes.length) setText(status, 'Loading runs…');
    try {
      if (!state.connectionsLoaded && can('connections:read')) await fetchConnections().catch(() => null);
      const page = await api('GET', '/sync-runs', {
        query: {
          connectionId: $('history-connection').value,
          status: $('history-status').value,
          trigger: $('history-trigger').value,
          limit: 20,
          cursor: append ? hist.cursor : undefined,
        },
      });
      if (gen !== hist.gen) return;
      hist.cursor = page.nextCursor;
      const rows = page.items.map(renderHistoryRow);
      if (append) $('history-rows').append(...rows);
      else $('history-rows').replaceChildren(...rows);
      const count = $('history-rows').childNodes.length;
      setText(status, count ? `${num(count)} run${count === 1 ? '' : 's'} shown${page.nextCursor ? ' (more available)' : ''}` : '');
      const filtered = Boolean($('history-connection').value || $('history-status').value || $('history-trigger').value);
      $('history-empty').replaceChildren(filtered ? h('p', null, 'No run matches these filters.') : h('p', null, 'No synchronization has run yet — press Synchronize on the ', h('a', { href: '#data-access' }, 'Data Access'), ' tab.'));
      show($('history-empty'), !count);
      show($('history-rows').closest('.table-wrap'), count > 0);
      show(more, Boolean(page.nextCursor));
      markSelectedRun();
    } catch (error) {
      if (gen !== hist.gen || quietly(error)) return;
      setText(status, '');
      showError($('history-error'), error);
    } finally {
      if (gen === hist.gen) setBusy(more, false);
    }
  }

  function renderHistoryRow(run) {
    const c = run.counters || {};
    const open = () => {
      history.pushState(null, '', `${location.pathname}${location.search}#history/${run.id}`);
      openReport(run.id, { focus: true });
    };
    const n = (k) => h('td', { class: 'num' }, num(c[k]));
    const row = h('tr', { testid: 'history-row', 'data-run-id': run.id, 'data-status': run.status, class: 'row-clickable' },
      h('td', null, h('button', { type: 'button', class: 'link-button', testid: 'history-open', 'aria-label': `Open the report of the run queued ${runDateFormat.format(new Date(run.queuedAt))}`, onclick: (e) => { e.stopPropagation(); open(); } }, runDateFormat.format(new Date(run.queuedAt)))),
      h('td', null, statusBadge(run.status), run.guardResolution ? h('div', { class: 'muted small' }, `removals ${run.guardResolution}`) : null),
      h('td', { class: 'nowrap' }, domainOf(run.connectionId)),
      h('td', null, TRIGGER_WORDS[run.trigger] || run.trigger),
      h('td', null, ACTIVE_RUN.has(run.status) ? '…' : duration(run.startedAt || run.queuedAt, run.finishedAt)),
      h('td', { class: 'num' }, run.progress && run.progress.total != null ? `${num(run.progress.processed)} / ${num(run.progress.total)}` : num(run.progress ? run.progress.processed : 0)),
      n('created'), n('linked_by_email'), n('updated'), n('skipped'), n('dismissed'), n('deleted'));
    row.addEventListener('click', open);
    return row;
  }

  function markSelectedRun() {
    for (const row of $('history-rows').children) {
      const selected = row.getAttribute('data-run-id') === state.report.runId;
      row.classList.toggle('row-selected', selected);
      if (selected) row.setAttribute('aria-current', 'true');
      else row.removeAttribute('aria-current');
    }
  }

  async function openReport(runId, options) {
    const rep = state.report;
    rep.runId = runId;
    const gen = ++rep.gen;
    stopPoll('report');
    const section = $('run-report');
    const body = $('run-report-body');
    show(section, true);
    setText($('run-report-title'), 'Run report');
    body.replaceChildren(h('p', { class: 'loading', role: 'status' }, 'Loading the run…'));
    markSelectedRun();
    try {
      const run = await api('GET', `/sync-runs/${encodeURIComponent(runId)}`);
      if (gen !== rep.gen) return;
      setText($('run-report-title'), `Run of ${runDateFormat.format(new Date(run.queuedAt))} — ${domainOf(run.connectionId)}`);
      renderRunInto(body, run, { context: 'history' });
      fillOutcomeFilter(run);
      loadReportItems(false);
      if (ACTIVE_RUN.has(run.status)) {
        poll('report', run, (current) => { if (current && gen === rep.gen) renderRunInto(body, current, { context: 'history' }); }, (done) => {
          if (gen !== rep.gen) return;
          renderRunInto(body, done, { context: 'history' });
          loadReportItems(false);
          loadHistory(false);
        });
      }
      if (options && options.focus) {
        $('run-report-title').focus();
        section.scrollIntoView({ block: 'start', behavior: 'smooth' });
      }
    } catch (error) {
      if (gen !== rep.gen || quietly(error)) return;
      body.replaceChildren(h('p', { class: 'notice notice-error', role: 'alert' }, ...errorParts(error)));
      $('run-items-rows').replaceChildren();
    }
  }

  function fillOutcomeFilter(run) {
    const select = $('run-items-outcome');
    const counters = run.counters || {};
    const current = select.value;
    select.replaceChildren(h('option', { value: '' }, 'All outcomes'),
      ...COUNTERS.map(([key]) => h('option', { value: key }, `${OUTCOME_WORDS[key]} (${num(counters[key])})`)));
    select.value = COUNTERS.some(([k]) => k === current) ? current : '';
  }

  function closeReport() {
    stopPoll('report');
    state.report.runId = null;
    state.report.gen += 1;
    show($('run-report'), false);
    markSelectedRun();
    history.pushState(null, '', `${location.pathname}${location.search}#history`);
    const first = $('history-rows').querySelector('button');
    if (first) first.focus();
  }

  async function loadReportItems(append) {
    const rep = state.report;
    if (!rep.runId) return;
    const runId = rep.runId;
    const gen = rep.gen;
    const more = $('run-items-more');
    const status = $('run-items-status');
    showError($('run-items-error'), null);
    if (append) setBusy(more, true, 'Loading…');
    else {
      $('run-items-rows').replaceChildren();
      setText(status, 'Loading people…');
    }
    const outcome = $('run-items-outcome').value;
    try {
      const page = await api('GET', `/sync-runs/${encodeURIComponent(runId)}/items`, { query: { outcome, limit: 100, cursor: append ? rep.cursor : undefined } });
      if (gen !== rep.gen || runId !== rep.runId) return;
      rep.cursor = page.nextCursor;
      $('run-items-rows').append(...page.items.map(renderItemRow));
      const count = $('run-items-rows').childNodes.length;
      setText(status, count ? `${num(count)} shown${page.nextCursor ? ' (more available)' : ''}` : '');
      $('run-items-empty').replaceChildren(h('p', null, outcome ? `Nobody with the outcome “${OUTCOME_WORDS[outcome] || outcome}” in this run.` : 'This run has no per-person entries.'));
      show($('run-items-empty'), !count);
      show($('run-items-rows').closest('.table-wrap'), count > 0);
      show(more, Boolean(page.nextCursor));
    } catch (error) {
      if (quietly(error)) return;
      setText(status, '');
      showError($('run-items-error'), error);
    } finally {
      setBusy(more, false);
    }
  }

  function itemDetails(item) {
    const parts = [];
    if (item.reason) parts.push(reasonText(item.reason));
    const d = item.details || {};
    if (item.outcome === 'updated' && Array.isArray(d.changedFields)) parts.push(`Changed: ${d.changedFields.join(', ')}`);
    if (item.outcome === 'phone_rejected' && d.field) parts.push(`${d.field}: “${d.value ?? ''}”`);
    if ((item.outcome === 'dismissed' || item.outcome === 'deleted') && d.previousState) parts.push(`was ${LINK_STATE_WORDS[d.previousState] ? LINK_STATE_WORDS[d.previousState].toLowerCase() : d.previousState}`);
    if (d.notReturnedByBitrix24) parts.push('Bitrix24 did not return this user');
    return parts.join(' · ');
  }

  function renderItemRow(item) {
    return h('tr', { testid: 'report-item', 'data-outcome': item.outcome, 'data-reason': item.reason || '' },
      h('td', null, item.name || h('span', { class: 'muted' }, '—')),
      h('td', null, item.bitrix24UserId != null ? String(item.bitrix24UserId) : '—'),
      h('td', null, OUTCOME_WORDS[item.outcome] || item.outcome),
      h('td', null, itemDetails(item) || h('span', { class: 'muted' }, '—')));
  }

  // ---------------------------------------------------------------- start

  function wire() {
    $('signin-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const input = $('signin-key');
      const key = input.value.trim();
      const err = $('signin-error');
      if (!key) {
        err.textContent = 'Enter your API key.';
        err.hidden = false;
        input.focus();
        return;
      }
      const button = $('signin-submit');
      setBusy(button, true, 'Signing in…');
      err.hidden = true;
      try {
        await signIn(key);
        input.value = '';
        enterApp();
      } catch (error) {
        err.textContent = error.status === 401 ? 'That API key is unknown or revoked.' : error.message;
        err.hidden = false;
        input.select();
      } finally {
        setBusy(button, false);
      }
    });
    $('sign-out').addEventListener('click', () => signOut(null));

    const tablist = $('tablist');
    tablist.addEventListener('keydown', onTabKey);
    for (const tab of TABS) $(`tab-${tab}`).addEventListener('click', () => goToTab(tab, false));
    window.addEventListener('hashchange', () => {
      if (!state.me) return;
      const { tab, sub } = parseHash();
      if (tab) selectTab(tab, { sub });
    });
    window.addEventListener('popstate', () => {
      if (!state.me) return;
      const { tab, sub } = parseHash();
      if (!tab) return;
      if (tab === 'history' && !sub && state.report.runId) {
        stopPoll('report');
        state.report.runId = null;
        show($('run-report'), false);
        markSelectedRun();
      }
      selectTab(tab, { sub });
    });

    $('connect-form').addEventListener('submit', onConnectSubmit);
    $('webhook-form').addEventListener('submit', onWebhookSubmit);

    $('da-connection').addEventListener('change', (e) => {
      state.selectedConnectionId = e.target.value;
      stopPoll('data-access');
      show($('sync-progress-box'), false);
      showError($('sync-error'), null);
      renderDataAccess();
    });
    $('sync-button').addEventListener('click', onSynchronize);
    $('settings-form').addEventListener('submit', onSettingsSubmit);
    $('schedule-kind-interval').addEventListener('change', syncScheduleInputs);
    $('schedule-kind-daily').addEventListener('change', syncScheduleInputs);

    const reloadEmployees = () => loadEmployees(false);
    $('employee-filters').addEventListener('submit', (e) => {
      e.preventDefault();
      reloadEmployees();
    });
    const searchEmployeesSoon = debounce(reloadEmployees, 300);
    $('employee-search').addEventListener('input', () => {
      $('employee-table').setAttribute('aria-busy', 'true');
      searchEmployeesSoon();
    });
    for (const input of document.querySelectorAll('input[name="linkState"]')) input.addEventListener('change', reloadEmployees);
    $('employee-source').addEventListener('change', reloadEmployees);
    $('employee-active').addEventListener('change', reloadEmployees);
    $('employees-more').addEventListener('click', () => loadEmployees(true));

    $('responsible-search-form').addEventListener('submit', (e) => {
      e.preventDefault();
      searchResponsible();
    });
    const searchSoon = debounce(searchResponsible, 300);
    $('responsible-search').addEventListener('input', () => {
      $('responsible-results').setAttribute('aria-busy', 'true'); // stale until the new results arrive
      searchSoon();
    });

    const reloadHistory = () => loadHistory(false);
    $('history-filters').addEventListener('submit', (e) => {
      e.preventDefault();
      reloadHistory();
    });
    for (const id of ['history-connection', 'history-status', 'history-trigger']) $(id).addEventListener('change', reloadHistory);
    $('history-more').addEventListener('click', () => loadHistory(true));
    $('run-report-close').addEventListener('click', closeReport);
    $('run-items-outcome').addEventListener('change', () => loadReportItems(false));
    $('run-items-more').addEventListener('click', () => loadReportItems(true));
  }

  async function start() {
    wire();
    // After the OAuth callback the service sends the browser to /?connected=<id>#connection.
    const params = new URLSearchParams(location.search);
    if (params.has('connected')) {
      state.pendingConnected = params.get('connected');
      history.replaceState(null, '', location.pathname + location.hash);
    }
    const saved = sessionStorage.getItem(KEY_STORAGE);
    if (saved) {
      try {
        await signIn(saved);
        enterApp();
        return;
      } catch (error) {
        sessionStorage.removeItem(KEY_STORAGE);
        signOut(error.status === 401 ? 'Your saved session has ended. Sign in again.' : error.message);
        return;
      }
    }
    signOut(state.pendingConnected ? 'The portal is connected. Sign in to see it.' : null);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
