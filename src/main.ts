import { LABELS, type Label } from '../core/labels.ts';
import { CSV_COLUMNS, isFailed, toCsvRow, toJsonLine, topPassage } from '../core/results.ts';
import { ResultView, type SortKey } from '../core/result-view.ts';
import { ScannerClient, type DevicePreference, type ScanProgress, type ScanRow } from './scanner-client.ts';

// Document text is untrusted: this file only ever puts it into the page with textContent.
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const client = new ScannerClient();
const view = new ResultView();
let threshold = 0.5;
/** While a scan runs, the table is redrawn at most this often (progress still updates every batch). */
const TABLE_REFRESH_MS = 1000;
/**
 * While a scan runs, the table shows this many top rows (all `view.shown` once it is done): each
 * redraw of 500 rows left megabytes of layout and DOM garbage, and redrawn every second they raised
 * the tab's peak by ~100 MB on a 256 MB shard (470 MB against 367 MB with 50 rows; scratch runs with
 * the DevTools protocol, see the model card's Speed section).
 */
const ROWS_WHILE_SCANNING = 50;
let running: AbortController | undefined;

const SHORT: Record<Label, string> = {
  misalignment: 'misalignment', deception: 'deception', power_seeking: 'power', self_preservation: 'self-pres.',
  reward_hacking: 'reward hack', hostility: 'hostility', aligned: 'aligned',
};

const fmt = (x: number) => x.toFixed(3);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

/** Counts model starts, so that a start overtaken by a newer one (the user changed device or mode) is ignored. */
let starts = 0;

async function startDevice(preference: DevicePreference, firstStageOnly: boolean) {
  const start = ++starts;
  running?.abort();
  const status = $('device-status');
  status.textContent = 'Loading model…';
  delete status.dataset['device'];
  try {
    const r = await client.start({ device: preference, firstStageOnly });
    if (start !== starts) return;
    threshold = r.threshold;
    $<HTMLInputElement>('threshold').value = String(threshold);
    $('threshold-value').textContent = fmt(threshold);
    status.textContent = `${r.device === 'webgpu' ? 'WebGPU' : 'WASM'} · ${r.reason} · model ${r.model} loaded in ${(r.loadMs / 1000).toFixed(1)} s`;
    status.dataset['device'] = r.device;
    // Now that the model is in, the service worker may download the rest of the build for offline use.
    void navigator.serviceWorker?.ready.then((registration) => registration.active?.postMessage('cache-build-files'));
    await refreshCacheStatus();
  } catch (e) {
    if (start !== starts) return;
    status.textContent = `Model not loaded: ${(e as Error).message}`;
    status.dataset['device'] = 'none';
  }
}

async function refreshCacheStatus() {
  const s = await client.cacheStatus();
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  $('cache-status').textContent = 'unavailable' in s
    ? `Cache unavailable: ${s.unavailable}.`
    : `Cache: ${count(s.documents, 'document', 'documents')}, ${count(s.batches, 'batch', 'batches')} (${count(s.documentsInBatches, 'document', 'documents')})`;
}

function progressText(p: ScanProgress, started: number): string {
  const seconds = (performance.now() - started) / 1000;
  const rate = p.documents / Math.max(seconds, 1e-3);
  const fraction = p.bytesTotal ? p.bytesRead / p.bytesTotal : 0;
  const left = fraction > 0.01 ? (seconds / fraction) * (1 - fraction) : NaN;
  const files = p.files > 1 ? ` · file ${p.fileIndex + 1}/${p.files}` : '';
  return `${p.documents} documents · ${rate.toFixed(0)} docs/s${Number.isFinite(left) ? ` · ${left.toFixed(0)} s left` : ''}${files} · ${p.file}`;
}

async function scanFiles(files: File[]) {
  if (files.length === 0) return;
  running?.abort();
  const controller = new AbortController();
  running = controller;
  const started = performance.now();
  $('progress-section').hidden = false;
  $('results-section').hidden = false;
  const bar = $<HTMLProgressElement>('progress');
  const text = $('progress-text');
  bar.value = 0;
  text.textContent = `Reading ${files.length} file(s)…`;
  // Redrawing 500 rows costs tens of milliseconds; doing it for every batch made the page the
  // bottleneck of fast (cached) scans. The first rows appear at once, then at most once a second.
  let renderTimer: ReturnType<typeof setTimeout> | undefined;
  let lastRender = -Infinity;
  const render = () => {
    if (renderTimer !== undefined) return;
    const wait = Math.max(0, lastRender + TABLE_REFRESH_MS - performance.now());
    renderTimer = setTimeout(() => requestAnimationFrame(() => { renderTimer = undefined; lastRender = performance.now(); renderTable(); }), wait);
  };
  try {
    const summary = await client.scan(files, {
      textField: $<HTMLInputElement>('text-field').value.trim() || 'text',
      idField: $<HTMLInputElement>('id-field').value.trim() || 'id',
    }, (p) => {
      bar.value = p.bytesTotal ? p.bytesRead / p.bytesTotal : 0;
      text.textContent = progressText(p, started);
    }, (batch) => { view.add(batch); render(); }, controller.signal);
    bar.value = 1;
    const s = summary.ms / 1000;
    text.textContent = `Done: ${summary.documents} documents in ${s.toFixed(1)} s (${(summary.documents / Math.max(s, 1e-3)).toFixed(0)} docs/s) · ${summary.cached} from cache · ${summary.failed} with errors`
      + (summary.cacheProblem ? ` · not cached: ${summary.cacheProblem}` : '');
    // Exact figures for scripts (the benchmark) that would otherwise parse rounded text.
    text.dataset['documents'] = String(summary.documents);
    text.dataset['ms'] = String(summary.ms);
    text.dataset['stageMs'] = JSON.stringify(summary.times);
    text.dataset['state'] = 'done';
  } catch (e) {
    if ((e as Error).name === 'AbortError') { text.textContent = `Cancelled; the ${view.size} results so far are kept.`; text.dataset['state'] = 'cancelled'; }
    else { text.textContent = `Scan failed: ${(e as Error).message}`; text.dataset['state'] = 'failed'; }
  } finally {
    if (running === controller) running = undefined;
    if (renderTimer !== undefined) clearTimeout(renderTimer);
    renderTimer = undefined;
    renderTable();
    void refreshCacheStatus();
  }
}

function renderHeader() {
  const tr = $('results').querySelector('thead tr')!;
  tr.replaceChildren();
  const { key: sortKey, descending } = view.order;
  const cols: [SortKey | null, string][] = [['id', 'id'], ['source', 'source'], ...LABELS.map((l): [Label, string] => [l, SHORT[l]]), [null, 'flag']];
  for (const [key, label] of cols) {
    const th = el('th', key === sortKey ? `${label} ${descending ? '▼' : '▲'}` : label);
    if (key) th.addEventListener('click', () => { view.setOrder(key, key === sortKey ? !descending : true); renderTable(); });
    tr.append(th);
  }
}

/** What the table's rows were last drawn from: unchanged rows at an unchanged threshold are not redrawn. */
let drawn: { version: number; threshold: number; rows: number } | undefined;

function renderTable() {
  // While a scan runs only the preview is drawn, so more rows could not be shown.
  $('more').hidden = view.hidden === 0 || running !== undefined;
  $('summary').textContent = `${view.flaggedAt(threshold)} flagged of ${view.size - view.failed} scored · ${view.failed} with errors · ${view.cached} from cache`;
  const rows = running ? Math.min(ROWS_WHILE_SCANNING, view.shown) : view.shown;
  if (drawn?.version === view.version && drawn.threshold === threshold && drawn.rows === rows) return;
  drawn = { version: view.version, threshold, rows };
  renderHeader();
  const body = $('results').querySelector('tbody')!;
  body.replaceChildren(...view.first(rows).map((r) => {
    const tr = el('tr');
    tr.append(el('td', r.id), el('td', r.line ? `${r.source}:${r.line}` : r.source));
    if (isFailed(r)) {
      tr.className = 'failed';
      const td = el('td', `${r.code}: ${r.error}`);
      td.colSpan = LABELS.length + 1;
      tr.append(td);
    } else {
      const flagged = r.scores.misalignment >= threshold;
      tr.className = flagged ? 'flagged' : '';
      for (const l of LABELS) tr.append(el('td', fmt(r.scores[l]), 'num'));
      tr.append(el('td', flagged ? 'flagged' : ''));
      tr.addEventListener('click', () => showDetail(r));
    }
    tr.dataset['cached'] = String(Boolean(r.cached));
    return tr;
  }));
}

function showDetail(r: ScanRow) {
  if (isFailed(r)) return;
  $('detail').hidden = false;
  $('detail-title').textContent = `${r.id} (${r.source}${r.line ? `:${r.line}` : ''})`;
  $('detail-scores').textContent = LABELS.map((l) => `${SHORT[l]} ${fmt(r.scores[l])}`).join(' · ');
  if (r.text === undefined) {
    $('detail-text').textContent = 'The text of unflagged documents is not kept in large scans (to keep the tab\'s memory bounded). Scan this file alone to see its passages.';
    $('detail-passages').replaceChildren();
    return;
  }
  const text = r.text;
  const top = topPassage(r);
  // Merge the passages at or above the threshold into highlighted ranges; the top passage gets its own class.
  const hot = r.passages.filter((p) => p.scores.misalignment >= threshold).sort((a, b) => a.start - b.start);
  const ranges: { start: number; end: number; top: boolean }[] = [];
  for (const p of hot) {
    const last = ranges[ranges.length - 1];
    const isTop = p === top;
    if (last && p.start <= last.end) { last.end = Math.max(last.end, p.end); last.top ||= isTop; } else ranges.push({ start: p.start, end: p.end, top: isTop });
  }
  const box = $('detail-text');
  box.replaceChildren();
  let at = 0;
  for (const range of ranges) {
    if (range.start > at) box.append(document.createTextNode(text.slice(at, range.start)));
    box.append(el('mark', text.slice(range.start, range.end), range.top ? 'top' : undefined));
    at = range.end;
  }
  box.append(document.createTextNode(text.slice(at)));
  $('detail-passages').replaceChildren(...r.passages.map((p) => el('li', `chars ${p.start}-${p.end}: ${LABELS.map((l) => `${SHORT[l]} ${fmt(p.scores[l])}`).join(', ')} — “${text.slice(p.start, Math.min(p.end, p.start + 160))}${p.end - p.start > 160 ? '…' : ''}”`)));
}

// Exports apply the slider's threshold, so what is exported is what the table shows.
const withThreshold = (r: ScanRow) => (isFailed(r) ? r : { ...r, flagged: r.scores.misalignment >= threshold });

/**
 * Downloads every row, one line each, behind an optional header. Built a chunk of rows at a time
 * into Blob parts: half a million rows as objects, or as one string, would not fit the tab's memory.
 */
function exportRows(name: string, type: string, toLine: (r: ScanRow) => string, header?: string) {
  const parts: Blob[] = header === undefined ? [] : [new Blob([`${header}\n`])];
  for (const rows of view.chunks()) parts.push(new Blob([`${rows.map((r) => toLine(withThreshold(r))).join('\n')}\n`]));
  const url = URL.createObjectURL(new Blob(parts, { type }));
  const a = el('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function wire() {
  const drop = $('dropzone');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    void scanFiles([...(e.dataTransfer?.files ?? [])]);
  });
  $<HTMLInputElement>('file-input').addEventListener('change', (e) => {
    const input = e.target as HTMLInputElement;
    void scanFiles([...(input.files ?? [])]);
    input.value = '';
  });
  $('score-paste').addEventListener('click', () => {
    const text = $<HTMLTextAreaElement>('paste').value;
    if (!text.trim()) return;
    void scanFiles([new File([text], `pasted-${view.size + 1}.txt`, { type: 'text/plain' })]);
  });
  $('cancel').addEventListener('click', () => running?.abort());
  $<HTMLInputElement>('threshold').addEventListener('input', (e) => {
    threshold = Number((e.target as HTMLInputElement).value);
    $('threshold-value').textContent = fmt(threshold);
    renderTable();
  });
  $('more').addEventListener('click', () => { view.setLimit(view.shown + 500); renderTable(); });
  $('close-detail').addEventListener('click', () => { $('detail').hidden = true; });
  $('export-jsonl').addEventListener('click', () => exportRows('scores.jsonl', 'application/x-ndjson', toJsonLine));
  $('export-csv').addEventListener('click', () => exportRows('scores.csv', 'text/csv', toCsvRow, CSV_COLUMNS.join(',')));
  const clearResults = () => { view.clear(); $('detail').hidden = true; renderTable(); };
  $('clear-results').addEventListener('click', clearResults);
  // A cache that cannot be opened cannot be cleared; the status line then says why.
  $('clear-cache').addEventListener('click', async () => { await client.clearCache().catch(() => undefined); await refreshCacheStatus(); });
  const select = $<HTMLSelectElement>('device');
  const fast = $<HTMLInputElement>('fast');
  const params = new URLSearchParams(location.search);
  const requested = params.get('device');
  if (requested === 'webgpu' || requested === 'wasm' || requested === 'auto') select.value = requested;
  fast.checked = params.get('fast') === '1';
  const restart = () => void startDevice(select.value as DevicePreference, fast.checked);
  select.addEventListener('change', restart);
  // Fast mode is another model, with its own threshold: rows of the other model would be flagged at
  // the wrong threshold and mixed into exports, so the table starts empty.
  fast.addEventListener('change', () => { clearResults(); restart(); });
  restart();
}

wire();

// Offline: a service worker keeps the app, runtime and model for the next visit (production builds only).
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  void navigator.serviceWorker.register(new URL('/sw.js', location.href), { scope: '/' }).catch(() => undefined);
}
