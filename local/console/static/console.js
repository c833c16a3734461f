/* The local console's page (served by local/console/server.ts). Everything from the API is put in the page as
 * text (textContent), never as HTML: a message body or an e-mail address cannot become markup. No inline script:
 * the CSP forbids it. */
/* global document, fetch, setTimeout, window */
'use strict';

const POLL_MS = 2000;

async function api(path, init) {
  const res = await fetch(path, { cache: 'no-store', ...init });
  const body = await res.json();
  if (!res.ok) throw new Error(body.message || `HTTP ${res.status}`);
  return body;
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '' : String(text);
  if (className) td.className = className;
  return td;
}

function fill(section, rows) {
  const tbody = document.querySelector(`#${section} tbody`);
  tbody.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement('tr');
      tr.append(...cells);
      return tr;
    }),
  );
}

async function loadParts() {
  const { parts } = await api('/api/parts');
  fill(
    'parts',
    parts.map((p) => {
      const health = cell(p.health + (p.detail ? ` (${p.detail})` : ''), p.health);
      const url = document.createElement('td');
      if (p.url) {
        const a = document.createElement('a');
        a.href = p.url;
        a.textContent = p.url;
        a.rel = 'noreferrer';
        url.append(a);
      }
      return [cell(p.name), health, url, cell(p.notes.join('\n'), 'notes')];
    }),
  );
}

async function loadQueues() {
  const { queues } = await api('/api/queues');
  fill(
    'queues',
    queues.map((q) => [cell(q.name), cell(q.visible, 'num'), cell(q.inFlight, 'num'), cell(q.delayed, 'num')]),
  );
  for (const [i, q] of queues.entries()) document.querySelectorAll('#queues tbody tr')[i].dataset.queue = q.name;
}

const status = (text) => (document.getElementById('dlq-status').textContent = text);

async function loadDlq() {
  const dlq = await api('/api/dlq');
  if (dlq.redriveRunning) return status('A redrive is running; the list follows when it is done.');
  if (dlq.error) status(dlq.error);
  else status(`${dlq.messages.length} message(s) in the dead-letter queue.`);
  fill(
    'dlq',
    dlq.messages.map((m) => [cell(m.id, 'mono'), cell(m.receives, 'num'), cell(m.sent), cell(m.source), cell(m.body, 'body mono')]),
  );
}

async function loadUsers() {
  const { users } = await api('/api/users');
  fill(
    'users',
    users.map((u) => [cell(u.email), cell(u.enabled ? u.status : `${u.status} (disabled)`), cell(u.groups.join(', ')), cell(u.sub, 'mono')]),
  );
}

async function loadSecrets() {
  const { secrets } = await api('/api/secrets');
  const list = document.querySelector('#secrets ul');
  list.replaceChildren(
    ...secrets.map((s) => {
      const li = document.createElement('li');
      li.textContent = s.name;
      return li;
    }),
  );
  if (secrets.length === 0) list.append(Object.assign(document.createElement('li'), { textContent: '(none)' }));
}

/* The traces view: GET /api/traces answers { available: false } until the span store exists (local/console/traces.ts). */
async function loadTraces() {
  const { available, traces } = await api('/api/traces');
  if (!available) return;
  document.getElementById('traces-status').textContent = `${traces.length} recent trace(s).`;
  document.querySelector('#traces table').hidden = false;
  fill(
    'traces',
    traces.map((t) => [cell(t.traceId, 'mono'), cell(t.name, t.error ? 'failing' : ''), cell(t.startedAt), cell(`${t.durationMs} ms`, 'num'), cell(t.spans, 'num')]),
  );
}

function showJob(job) {
  const pre = document.getElementById('redrive-progress');
  pre.hidden = false;
  pre.textContent = [`redrive #${job.id}: ${job.state}`, ...job.lines].join('\n');
  document.getElementById('dlq-redrive').disabled = job.state === 'running';
}

async function followRedrive() {
  const { job } = await api('/api/dlq/redrive');
  if (!job) return;
  showJob(job);
  if (job.state === 'running') return void setTimeout(() => void followRedrive().catch(report), 300);
  await Promise.all([loadDlq(), loadQueues()]);
}

async function redrive() {
  document.getElementById('dlq-redrive').disabled = true;
  try {
    // The custom header and the page's Origin are the POST's CSRF defence (server.ts).
    const { job } = await api('/api/dlq/redrive', { method: 'POST', headers: { 'x-pier-console': '1' } });
    showJob(job);
    await followRedrive();
  } catch (err) {
    document.getElementById('dlq-redrive').disabled = false;
    report(err);
  }
}

function report(err) {
  status(`Error: ${err.message}`);
}

async function poll() {
  try {
    await Promise.all([loadParts(), loadQueues()]);
    document.getElementById('updated').textContent = `Updated ${new Date().toLocaleTimeString()}.`;
  } catch (err) {
    document.getElementById('updated').textContent = `Could not reach the console: ${err.message}`;
  }
  setTimeout(() => void poll(), POLL_MS);
}

window.addEventListener('DOMContentLoaded', () => {
  document.getElementById('dlq-refresh').addEventListener('click', () => void loadDlq().catch(report));
  document.getElementById('dlq-redrive').addEventListener('click', () => void redrive());
  void poll();
  void Promise.all([loadDlq(), loadUsers(), loadSecrets(), loadTraces(), followRedrive()]).catch(report);
});
