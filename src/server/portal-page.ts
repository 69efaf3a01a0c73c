/**
 * The webhook portal: one self-contained page (HTML, CSS and vanilla JS, no build step), a
 * client of the admin API under /_mock/. The link from POST /webhook carries the portal token,
 * which opens the page; the page's answer sets its admin session as an HttpOnly, SameSite=Strict
 * cookie that the browser sends back to /_mock/ with every call (the page never sees a token).
 */
export function portalPage(nonce: string): string {
  return PAGE.replaceAll('__NONCE__', nonce);
}

const PAGE = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Webhook portal · pulse-mock</title>
<style>
  :root { --fg:#1d2430; --muted:#5b6577; --line:#dde2ea; --bg:#f6f8fb; --card:#fff; --accent:#3150d6; --ok:#17803d; --bad:#b42318; --warn:#9a6700; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
  header { background:#111827; color:#fff; padding:14px 24px; display:flex; gap:16px; align-items:baseline; flex-wrap:wrap; }
  header h1 { font-size:18px; margin:0; }
  header p { margin:0; color:#c7cdd8; font-size:13px; }
  main { display:grid; grid-template-columns: minmax(320px, 440px) minmax(0, 1fr); gap:20px; padding:20px 24px; max-width:1400px; margin:0 auto; }
  @media (max-width: 900px) { main { grid-template-columns: minmax(0, 1fr); padding:12px; } }
  section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px; min-width:0; }
  h2 { font-size:16px; margin:0 0 12px; }
  h3 { font-size:14px; margin:0; word-break:break-all; }
  label { display:block; font-size:13px; color:var(--muted); margin:8px 0 3px; }
  input[type=url], input[type=text], input[type=search], input[type=password], textarea, select { width:100%; font:inherit; padding:7px 9px; border:1px solid var(--line); border-radius:6px; background:#fff; color:var(--fg); }
  textarea { min-height:56px; font-family:ui-monospace,monospace; font-size:13px; }
  fieldset { border:1px solid var(--line); border-radius:6px; margin:10px 0 0; padding:6px 10px 10px; }
  legend { font-size:13px; color:var(--muted); padding:0 4px; }
  fieldset label { display:inline-flex; gap:5px; align-items:center; margin:4px 12px 0 0; color:var(--fg); }
  button { font:inherit; font-size:13px; padding:6px 11px; border-radius:6px; border:1px solid var(--line); background:#fff; color:var(--fg); cursor:pointer; }
  button.primary { background:var(--accent); border-color:var(--accent); color:#fff; }
  button.danger { color:var(--bad); }
  button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline:2px solid var(--accent); outline-offset:1px; }
  .row { display:flex; gap:8px; flex-wrap:wrap; align-items:center; margin-top:10px; }
  .two { display:grid; grid-template-columns:1fr 1fr; gap:8px; }
  .card { border:1px solid var(--line); border-radius:8px; padding:12px; margin-bottom:12px; }
  .meta { color:var(--muted); font-size:13px; margin:4px 0 0; }
  .secret { font-family:ui-monospace,monospace; font-size:12px; background:var(--bg); padding:3px 6px; border-radius:4px; word-break:break-all; }
  .pill { display:inline-block; font-size:12px; padding:1px 8px; border-radius:999px; background:var(--bg); border:1px solid var(--line); }
  .pill.succeeded { color:var(--ok); border-color:#b7e1c4; background:#effaf2; }
  .pill.failed { color:var(--bad); border-color:#f1c2bd; background:#fdf1f0; }
  .pill.pending, .pill.sending { color:var(--warn); border-color:#eddcaa; background:#fdf8ea; }
  .pill.dropped { color:var(--muted); }
  .pill.disabled { color:var(--bad); }
  .filters { display:grid; grid-template-columns:repeat(3, 1fr); gap:8px; }
  @media (max-width: 560px) { .filters, .two { grid-template-columns:1fr; } }
  table { width:100%; border-collapse:collapse; font-size:13px; }
  th, td { text-align:left; padding:7px 6px; border-bottom:1px solid var(--line); vertical-align:top; }
  th { color:var(--muted); font-weight:600; }
  .table-wrap { overflow-x:auto; position:relative; }
  @media (max-width: 560px) {
    thead { display:none; }
    tbody tr { display:block; border-bottom:1px solid var(--line); padding:8px 0; }
    tbody td { display:block; border:0; padding:2px 0; }
  }
  .attempts { margin:6px 0 0; padding:0; list-style:none; }
  .attempts li { font-family:ui-monospace,monospace; font-size:12px; color:var(--muted); padding:2px 0; word-break:break-word; }
  .empty { color:var(--muted); font-size:14px; }
  .toast { position:fixed; bottom:16px; right:16px; background:#111827; color:#fff; padding:8px 14px; border-radius:8px; font-size:13px; opacity:0; transition:opacity .2s; }
  .toast.show { opacity:1; }
  .test-result { font-size:13px; margin-top:6px; }
  .sr-only { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); }
  .filters { grid-template-columns:repeat(4, 1fr); }
  @media (max-width: 1100px) { .filters { grid-template-columns:repeat(2, 1fr); } }
  .pager { display:flex; gap:8px; align-items:center; justify-content:space-between; flex-wrap:wrap; margin:10px 0 4px; font-size:13px; color:var(--muted); }
  .pager .row { margin:0; }
  .mono { font-family:ui-monospace,monospace; font-size:12px; }
  time { white-space:nowrap; }
  dialog { width:min(980px, calc(100vw - 24px)); max-height:calc(100vh - 24px); border:1px solid var(--line); border-radius:10px; padding:0; color:var(--fg); }
  dialog::backdrop { background:rgba(17,24,39,.45); }
  .dlg-head { position:sticky; top:0; background:#fff; border-bottom:1px solid var(--line); padding:12px 16px; display:flex; gap:12px; align-items:flex-start; justify-content:space-between; flex-wrap:wrap; }
  .dlg-body { padding:12px 16px 16px; }
  .dlg-body h4 { font-size:13px; margin:14px 0 4px; color:var(--muted); text-transform:uppercase; letter-spacing:.03em; }
  pre { margin:0; background:var(--bg); border:1px solid var(--line); border-radius:6px; padding:8px 10px; font:12px/1.45 ui-monospace,monospace; white-space:pre-wrap; overflow-wrap:anywhere; max-height:320px; overflow:auto; }
  .attempt { border:1px solid var(--line); border-radius:8px; padding:10px 12px; margin:8px 0; }
  .attempt h5 { margin:0 0 6px; font-size:13px; font-weight:600; }
  .kv { display:grid; grid-template-columns:minmax(0,1fr) minmax(0,1fr); gap:8px; }
  @media (max-width: 700px) { .kv { grid-template-columns:minmax(0,1fr); } dialog { width:100vw; max-width:100vw; max-height:100vh; margin:0; border-radius:0; } }
</style>
</head>
<body>
<header>
  <h1>Webhook portal</h1>
  <p>pulse-mock · a local stand-in for Pulse's Svix portal · <span id="base"></span> · <span id="live" data-live="false">connecting…</span></p>
</header>
<main>
  <section aria-labelledby="h-endpoints">
    <h2 id="h-endpoints">Endpoints</h2>
    <div id="endpoint-list" aria-live="polite"></div>
    <form id="endpoint-form" aria-labelledby="form-title">
      <h3 id="form-title">Add an endpoint</h3>
      <input type="hidden" id="f-id">
      <label for="f-url">Endpoint URL</label>
      <input id="f-url" type="url" required placeholder="http://localhost:3000/webhooks/pulse">
      <label for="f-desc">Description</label>
      <input id="f-desc" type="text" placeholder="optional">
      <fieldset>
        <legend>Events (none selected = all)</legend>
        <div id="f-events"></div>
      </fieldset>
      <label for="f-headers">Custom headers (one "Name: value" per line)</label>
      <textarea id="f-headers" placeholder="x-tenant: acme"></textarea>
      <div class="two">
        <div><label for="f-user">Basic auth username</label><input id="f-user" type="text" autocomplete="off"></div>
        <div><label for="f-pass">Basic auth password</label><input id="f-pass" type="password" autocomplete="new-password"></div>
      </div>
      <p id="form-error" role="alert" class="meta" style="color:var(--bad)"></p>
      <div class="row">
        <button class="primary" type="submit" id="f-submit">Add endpoint</button>
        <button type="button" id="f-cancel" hidden>Cancel editing</button>
      </div>
    </form>
  </section>
  <section aria-labelledby="h-logs">
    <h2 id="h-logs">Message log</h2>
    <div class="filters">
      <div><label for="q-endpoint">Endpoint</label><select id="q-endpoint"><option value="">All endpoints</option></select></div>
      <div><label for="q-event">Event type</label><select id="q-event"><option value="">All events</option></select></div>
      <div><label for="q-status">Status</label><select id="q-status"><option value="">Any status</option><option>succeeded</option><option>failed</option><option>pending</option><option>sending</option><option>dropped</option></select></div>
      <div><label for="q-search">Search by job id</label><input id="q-search" type="search" placeholder="job id or message id" maxlength="200" autocomplete="off"></div>
    </div>
    <nav class="pager" aria-label="Message log pages">
      <span id="page-info" aria-live="polite"></span>
      <div class="row">
        <label class="sr-only" for="q-size">Messages per page</label>
        <select id="q-size" style="width:auto"><option>10</option><option selected>20</option><option>50</option><option>100</option></select>
        <button type="button" id="page-prev">Newer</button>
        <button type="button" id="page-next">Older</button>
      </div>
    </nav>
    <div class="table-wrap">
      <table aria-describedby="h-logs">
        <thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody id="log-body"></tbody>
      </table>
    </div>
    <p id="log-empty" class="empty">No messages yet. Submit an async job, or send a test event.</p>
  </section>
</main>
<dialog id="message" aria-labelledby="m-title">
  <div class="dlg-head">
    <div><h3 id="m-title"></h3><p class="meta" id="m-meta"></p></div>
    <div class="row" style="margin:0">
      <button type="button" class="primary" id="m-resend">Resend</button>
      <button type="button" id="m-copy">Copy payload</button>
      <button type="button" id="m-close">Close</button>
    </div>
  </div>
  <div class="dlg-body">
    <h4 id="h-payload">Payload</h4>
    <pre id="m-payload" aria-labelledby="h-payload" tabindex="0"></pre>
    <h4 id="h-sent">Request headers (sent with every attempt)</h4>
    <pre id="m-headers" aria-labelledby="h-sent"></pre>
    <h4>Attempts</h4>
    <div id="m-attempts"></div>
  </div>
</dialog>
<div class="toast" id="toast" role="status" aria-live="polite"></div>
<script nonce="__NONCE__">
(() => {
  const EVENTS = ['job.created', 'job.processing', 'job.completed', 'job.failed', 'job.cancelled'];
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  // Local date and time, to the second (to the millisecond for attempts); the ISO time in the title.
  const when = (iso, millis) => {
    if (!iso) return '';
    const d = new Date(iso);
    const text = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + (millis ? '.' + pad(d.getMilliseconds(), 3) : '');
    return '<time datetime="' + esc(iso) + '" title="' + esc(iso) + '">' + esc(text) + '</time>';
  };
  const outcome = (a) => (a.status !== null ? 'HTTP ' + a.status : a.error || 'no answer');
  const lines = (o) => Object.entries(o || {}).map(([k, v]) => k + ': ' + v).join('\\n');
  let endpoints = [];
  const revealed = new Set();
  const view = { offset: 0, open: null };

  async function api(method, path, body) {
    const res = await fetch(path, { method, credentials: 'same-origin', headers: body ? { 'content-type': 'application/json' } : {}, ...(body ? { body: JSON.stringify(body) } : {}) });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(json.error ? json.error.message : 'HTTP ' + res.status);
    return json;
  }
  function toast(msg) { const t = $('toast'); t.textContent = msg; t.classList.add('show'); clearTimeout(toast.timer); toast.timer = setTimeout(() => t.classList.remove('show'), 2200); }

  // Re-rendering keeps the keyboard where it was: the focused control's data-key is focused again
  // in the new markup, so a live update never throws a keyboard user back to the top.
  function render(el, html) {
    if (el.__html === html) return;
    const active = document.activeElement;
    const key = active && el.contains(active) ? active.dataset.key : undefined;
    el.innerHTML = html; el.__html = html;
    if (key) { const again = [...el.querySelectorAll('[data-key]')].find((n) => n.dataset.key === key); if (again) again.focus(); }
  }

  $('base').textContent = location.origin;
  $('f-events').innerHTML = EVENTS.map((e) => '<label><input type="checkbox" name="event" value="' + e + '"> ' + e + '</label>').join('');
  $('q-event').innerHTML += EVENTS.map((e) => '<option>' + e + '</option>').join('');

  function renderEndpoints() {
    const list = $('endpoint-list');
    if (!endpoints.length) render(list, '<p class="empty">No endpoints yet: add one below.</p>');
    else render(list, endpoints.map((ep) => {
      const show = revealed.has(ep.id);
      const k = (what) => ' data-key="' + esc(what + ':' + ep.id) + '"';
      return '<article class="card" data-endpoint="' + esc(ep.id) + '" aria-label="Endpoint ' + esc(ep.url) + '">' +
        '<h3>' + esc(ep.url) + '</h3>' +
        '<p class="meta">' + (ep.description ? esc(ep.description) + ' · ' : '') + (ep.eventTypes.length ? esc(ep.eventTypes.join(', ')) : 'all events') +
        (ep.disabled ? ' · <span class="pill disabled">disabled' + (ep.disabledReason ? ': ' + esc(ep.disabledReason) : '') + '</span>' : '') +
        (Object.keys(ep.headers).length ? ' · headers: ' + esc(Object.keys(ep.headers).join(', ')) : '') + (ep.basicAuth ? ' · basic auth' : '') + '</p>' +
        '<p class="meta">Signing secret: <span class="secret" data-role="secret">' + (show ? esc(ep.secret) : 'whsec_' + '•'.repeat(12)) + '</span>' +
        (ep.previousSecrets.length ? ' <span class="pill">old secret still signing until ' + when(ep.previousSecrets[0].expiresAt) + '</span>' : '') + '</p>' +
        '<div class="row">' +
          '<button type="button" data-act="reveal"' + k('reveal') + '>' + (show ? 'Hide secret' : 'Show secret') + '</button>' +
          '<button type="button" data-act="copy"' + k('copy') + '>Copy secret</button>' +
          '<button type="button" data-act="rotate"' + k('rotate') + '>Rotate secret</button>' +
          '<button type="button" data-act="edit"' + k('edit') + '>Edit</button>' +
          '<button type="button" data-act="toggle"' + k('toggle') + '>' + (ep.disabled ? 'Enable' : 'Disable') + '</button>' +
          '<button type="button" class="danger" data-act="delete"' + k('delete') + '>Delete</button>' +
        '</div>' +
        '<div class="row">' +
          '<label class="sr-only" for="test-type-' + esc(ep.id) + '">Test event type for ' + esc(ep.url) + '</label>' +
          '<select id="test-type-' + esc(ep.id) + '" data-role="test-type"' + k('test-type') + ' style="width:auto">' + EVENTS.map((e) => '<option' + (e === 'job.completed' ? ' selected' : '') + '>' + e + '</option>').join('') + '</select>' +
          '<button type="button" class="primary" data-act="test"' + k('test') + '>Send test event</button>' +
        '</div>' +
        '<div class="row">' +
          '<label class="sr-only" for="recover-since-' + esc(ep.id) + '">Recover the failed messages of ' + esc(ep.url) + ' since</label>' +
          '<select id="recover-since-' + esc(ep.id) + '" data-role="recover-since"' + k('recover-since') + ' style="width:auto">' +
            '<option value="10m">from the last 10 minutes</option><option value="1h" selected>from the last hour</option><option value="1d">from the last day</option><option value="">from any time</option></select>' +
          '<button type="button" data-act="recover"' + k('recover') + '>Recover failed messages</button>' +
        '</div>' +
        '<p class="test-result" data-role="test-result" aria-live="polite"></p>' +
      '</article>';
    }).join(''));
    const sel = $('q-endpoint'); const cur = sel.value;
    sel.innerHTML = '<option value="">All endpoints</option>' + endpoints.map((ep) => '<option value="' + esc(ep.id) + '">' + esc(ep.url) + '</option>').join('');
    sel.value = cur;
  }

  async function loadEndpoints() { endpoints = (await api('GET', '/_mock/endpoints')).data; renderEndpoints(); }

  const pageSize = () => Number($('q-size').value);
  const filtered = () => Boolean($('q-search').value.trim() || $('q-endpoint').value || $('q-event').value || $('q-status').value);
  async function loadLog() {
    const q = new URLSearchParams();
    if ($('q-endpoint').value) q.set('endpointId', $('q-endpoint').value);
    if ($('q-event').value) q.set('eventType', $('q-event').value);
    if ($('q-status').value) q.set('status', $('q-status').value);
    if ($('q-search').value.trim()) q.set('search', $('q-search').value.trim());
    q.set('order', 'desc'); q.set('limit', String(pageSize())); q.set('offset', String(view.offset));
    const { data, total } = await api('GET', '/_mock/messages?' + q);
    // Past the end (the log was cleared or evicted): go to the last page there is.
    if (!data.length && view.offset > 0) { view.offset = total ? Math.floor((total - 1) / pageSize()) * pageSize() : 0; return loadLog(); }
    const byUrl = Object.fromEntries(endpoints.map((e) => [e.id, e.url]));
    $('log-empty').hidden = data.length > 0;
    $('log-empty').textContent = filtered() ? 'No message matches these filters.' : 'No messages yet. Submit an async job, or send a test event.';
    const pages = Math.max(1, Math.ceil(total / pageSize()));
    $('page-info').textContent = total ? (view.offset + 1) + '–' + (view.offset + data.length) + ' of ' + total + ' (page ' + (Math.floor(view.offset / pageSize()) + 1) + ' of ' + pages + ')' : '';
    $('page-prev').disabled = view.offset === 0;
    $('page-next').disabled = view.offset + data.length >= total;
    render($('log-body'), data.map((m) => {
      const last = m.attempts[m.attempts.length - 1];
      const k = (what) => ' data-key="' + esc(what + ':' + m.deliveryId) + '"';
      return '<tr data-message="' + esc(m.id) + '" data-status="' + esc(m.status) + '">' +
        '<td>' + when(m.createdAt) + '</td>' +
        '<td>' + esc(m.eventType) + '<div class="meta">' + (m.jobId ? 'job <span class="mono">' + esc(m.jobId) + '</span><br>' : '') + esc(byUrl[m.endpointId] || m.url) + '</div></td>' +
        '<td><span class="pill ' + esc(m.status) + '">' + esc(m.status) + '</span>' + (m.reason ? '<div class="meta">' + esc(m.reason) + '</div>' : '') + (m.faults.length ? '<div class="meta">fault: ' + esc(m.faults.join('; ')) + '</div>' : '') + '</td>' +
        '<td>' + m.attempts.length + (last ? '<div class="meta">last: ' + esc(outcome(last)) + ' · ' + last.durationMs + ' ms</div>' : '') + '</td>' +
        '<td><div class="row" style="margin:0">' +
          '<button type="button" data-act="view" data-message="' + esc(m.id) + '" data-delivery="' + esc(m.deliveryId) + '"' + k('view') + ' aria-label="View ' + esc(m.eventType) + ' ' + esc(m.id) + '">View</button>' +
          (m.status === 'failed' || m.status === 'succeeded' ? '<button type="button" data-act="resend" data-message="' + esc(m.id) + '" data-endpoint="' + esc(m.endpointId) + '"' + k('resend') + ' aria-label="Resend ' + esc(m.eventType) + ' ' + esc(m.id) + '">Resend</button>' : '') +
        '</div></td>' +
      '</tr>';
    }).join(''));
    if (view.open) await loadMessage();
  }

  // One message to one endpoint: its payload, the headers it went with, every attempt.
  async function loadMessage() {
    const { data } = await api('GET', '/_mock/messages/' + encodeURIComponent(view.open.message));
    const m = data.find((d) => d.deliveryId === view.open.delivery) || data[0];
    Object.assign(view.open, { delivery: m.deliveryId, endpoint: m.endpointId, payload: m.payload });
    $('m-title').textContent = m.eventType + ' · ' + m.id;
    $('m-meta').innerHTML = '<span class="pill ' + esc(m.status) + '">' + esc(m.status) + '</span> to ' + esc(m.url) +
      (m.jobId ? ' · job <span class="mono">' + esc(m.jobId) + '</span>' : '') + ' · created ' + when(m.createdAt, true) +
      (m.nextAttemptAt ? ' · next attempt ' + when(m.nextAttemptAt, true) : '') + (m.reason ? ' · ' + esc(m.reason) : '') +
      (m.faults.length ? ' · fault: ' + esc(m.faults.join('; ')) : '') + (m.duplicateOf ? ' · duplicate of ' + esc(m.duplicateOf) : '');
    $('m-payload').textContent = JSON.stringify(m.payload, null, 2);
    $('m-headers').textContent = m.headers ? lines(m.headers) : '(its endpoint was deleted)';
    $('m-resend').hidden = !(m.status === 'failed' || m.status === 'succeeded');
    render($('m-attempts'), m.attempts.length ? m.attempts.map((a) =>
      '<section class="attempt" aria-label="Attempt ' + a.n + '" data-attempt="' + a.n + '">' +
        '<h5>Attempt ' + a.n + ' · ' + esc(a.trigger) + ' · ' + when(a.at, true) + ' · ' + esc(outcome(a)) + ' · ' + a.durationMs + ' ms' +
          (a.retryInMs !== null ? ' · next in ' + esc(a.retryInMs) + ' ms' : '') + '</h5>' +
        (a.fault ? '<p class="meta">fault: ' + esc(a.fault) + '</p>' : '') +
        '<div class="kv">' +
          '<div><h4>Signature headers sent</h4><pre data-role="sent">' + esc(lines(a.requestHeaders) || '(none: a fault left them out)') + '</pre></div>' +
          '<div><h4>Response headers</h4><pre data-role="response-headers">' + esc(a.responseHeaders || (a.status === null ? '(no response)' : '(none)')) + '</pre></div>' +
        '</div>' +
        '<h4>Response body</h4><pre data-role="response-body">' + esc(a.responseBody || (a.status === null ? '(no response)' : '(empty)')) + '</pre>' +
      '</section>').join('') : '<p class="empty">No attempt yet' + (m.nextAttemptAt ? ': the first is due ' + when(m.nextAttemptAt, true) : '') + '.</p>');
  }
  async function openMessage(message, delivery) {
    view.open = { message, delivery };
    await loadMessage();
    if (!$('message').open) $('message').showModal();
    $('m-close').focus();
  }
  // Closing gives the keyboard back to the message's View button (re-rendered meanwhile,
  // perhaps): at once for the Close button, and on the close event for Escape.
  function closed() {
    if (!view.open) return;
    const key = 'view:' + view.open.delivery;
    view.open = null;
    const back = [...$('log-body').querySelectorAll('[data-key]')].find((n) => n.dataset.key === key);
    if (back) back.focus();
  }
  $('m-close').addEventListener('click', () => { $('message').close(); closed(); });
  $('message').addEventListener('close', closed);
  $('m-copy').addEventListener('click', () => navigator.clipboard.writeText(JSON.stringify(view.open.payload, null, 2)).then(() => toast('Payload copied'), () => toast('Copy failed: select the payload instead')));
  $('m-resend').addEventListener('click', async () => {
    try { await api('POST', '/_mock/messages/' + encodeURIComponent(view.open.message) + '/resend', { endpointId: view.open.endpoint }); toast('Message resent'); await loadMessage(); }
    catch (e) { toast(e.message); }
  });

  function resetForm() {
    $('endpoint-form').reset(); $('f-id').value = ''; $('form-title').textContent = 'Add an endpoint';
    $('f-submit').textContent = 'Add endpoint'; $('f-cancel').hidden = true; $('form-error').textContent = '';
  }
  function parseHeaders(text) {
    const out = {};
    for (const line of text.split('\\n').map((l) => l.trim()).filter(Boolean)) {
      const i = line.indexOf(':');
      if (i < 1) throw new Error('Header lines look like "Name: value": ' + line);
      out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    return out;
  }

  $('endpoint-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('form-error').textContent = '';
    try {
      const body = {
        url: $('f-url').value.trim(),
        description: $('f-desc').value.trim(),
        eventTypes: [...document.querySelectorAll('#f-events input:checked')].map((i) => i.value),
        headers: parseHeaders($('f-headers').value),
        basicAuth: $('f-user').value ? { username: $('f-user').value, password: $('f-pass').value } : null,
      };
      const id = $('f-id').value;
      if (id) await api('PATCH', '/_mock/endpoints/' + encodeURIComponent(id), body);
      else await api('POST', '/_mock/endpoints', body);
      toast(id ? 'Endpoint saved' : 'Endpoint added');
      resetForm();
      await loadEndpoints();
    } catch (e) { $('form-error').textContent = e.message; }
  });
  $('f-cancel').addEventListener('click', resetForm);

  // Test events waiting for their outcome, by message id: settled on each refresh.
  const waiting = new Map();
  async function settleTests() {
    for (const [id, { out, type }] of waiting) {
      const m = (await api('GET', '/_mock/messages/' + encodeURIComponent(id))).data[0];
      if (m && m.status !== 'pending' && m.status !== 'sending') {
        const a = m.attempts[m.attempts.length - 1];
        out.textContent = 'Test ' + type + ': ' + m.status + (a ? ' (' + outcome(a) + ' in ' + a.durationMs + ' ms)' : '');
        waiting.delete(id);
      }
    }
  }

  $('endpoint-list').addEventListener('click', async (ev) => {
    const btn = ev.target.closest('button'); if (!btn) return;
    const card = btn.closest('[data-endpoint]'); const id = card.dataset.endpoint;
    const ep = endpoints.find((e) => e.id === id);
    const out = card.querySelector('[data-role=test-result]');
    try {
      switch (btn.dataset.act) {
        case 'reveal': revealed.has(id) ? revealed.delete(id) : revealed.add(id); renderEndpoints(); break;
        case 'copy': await navigator.clipboard.writeText(ep.secret).then(() => toast('Secret copied'), () => toast('Copy failed: select the secret instead')); break;
        case 'rotate': await api('POST', '/_mock/endpoints/' + encodeURIComponent(id) + '/rotate-secret', {}); revealed.add(id); toast('Secret rotated; the old one keeps signing for the grace period'); await loadEndpoints(); break;
        case 'toggle': await api('PATCH', '/_mock/endpoints/' + encodeURIComponent(id), { disabled: !ep.disabled }); await loadEndpoints(); break;
        case 'delete': if (confirm('Delete endpoint ' + ep.url + '?')) { await api('DELETE', '/_mock/endpoints/' + encodeURIComponent(id)); await loadEndpoints(); } break;
        case 'edit':
          $('f-id').value = id; $('f-url').value = ep.url; $('f-desc').value = ep.description;
          for (const i of document.querySelectorAll('#f-events input')) i.checked = ep.eventTypes.includes(i.value);
          $('f-headers').value = Object.entries(ep.headers).map(([k, v]) => k + ': ' + v).join('\\n');
          $('f-user').value = ep.basicAuth ? ep.basicAuth.username : ''; $('f-pass').value = ep.basicAuth ? ep.basicAuth.password : '';
          $('form-title').textContent = 'Edit endpoint'; $('f-submit').textContent = 'Save endpoint'; $('f-cancel').hidden = false; $('f-url').focus();
          break;
        case 'recover': {
          const since = card.querySelector('[data-role=recover-since]').value;
          const { recovered } = await api('POST', '/_mock/endpoints/' + encodeURIComponent(id) + '/recover', since ? { since } : {});
          out.textContent = recovered ? 'Recovering ' + recovered + ' failed message' + (recovered === 1 ? '' : 's') + '.' : 'No failed message to recover.';
          await loadLog();
          break;
        }
        case 'test': {
          const type = card.querySelector('[data-role=test-type]').value;
          out.textContent = 'Sending ' + type + '…';
          const sent = await api('POST', '/_mock/endpoints/' + encodeURIComponent(id) + '/test', { eventType: type });
          waiting.set(sent.id, { out, type });
          await settleTests();
          break;
        }
      }
    } catch (e) { toast(e.message); }
  });

  $('log-body').addEventListener('click', async (ev) => {
    const btn = ev.target.closest('button[data-act]'); if (!btn) return;
    try {
      if (btn.dataset.act === 'view') return await openMessage(btn.dataset.message, btn.dataset.delivery);
      await api('POST', '/_mock/messages/' + encodeURIComponent(btn.dataset.message) + '/resend', { endpointId: btn.dataset.endpoint });
      toast('Message resent');
      await loadLog();
    } catch (e) { toast(e.message); }
  });
  const reload = () => loadLog().catch((e) => toast(e.message));
  const firstPage = () => { view.offset = 0; reload(); };
  for (const id of ['q-endpoint', 'q-event', 'q-status', 'q-size']) $(id).addEventListener('change', firstPage);
  let typing; $('q-search').addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(firstPage, 200); });
  $('page-prev').addEventListener('click', () => { view.offset = Math.max(0, view.offset - pageSize()); reload(); });
  $('page-next').addEventListener('click', () => { view.offset += pageSize(); reload(); });

  async function refresh() { try { await loadEndpoints(); await loadLog(); await settleTests(); } catch (e) { toast(e.message); } }
  refresh();
  // Live: the admin API's event stream says when something changed (a burst makes one reload);
  // while it is down (a proxy that buffers, a restart), a poll every 2 s while the page is visible.
  let queued = false;
  const changed = () => {
    if (queued) return;
    queued = true;
    setTimeout(() => { queued = false; if (!document.hidden) refresh(); }, 250);
  };
  let live = false;
  const stream = new EventSource('/_mock/stream?requests=false');
  const showLive = (on) => { live = on; $('live').dataset.live = String(on); $('live').textContent = on ? 'live' : 'reconnecting (polling every 2 s)'; };
  stream.addEventListener('open', () => showLive(true));
  stream.addEventListener('delivery', changed);
  stream.addEventListener('job', changed);
  stream.addEventListener('error', () => showLive(false));
  setInterval(() => { if (!live && !document.hidden) refresh(); }, 2000);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
})();
</script>
</body>
</html>
`;
