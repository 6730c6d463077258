// Throughput benchmark: the CLI in Node and the built app in headless Chromium, on generated
// documents of about 2,000 characters. Reports the median and range of several runs (these
// machines are noisy), prints a table and writes JSON that a later run can be compared with.
//
//   npm run bench                       full run
//   npm run bench -- --quick            a short run (CI: proves the benchmark still works)
//   npm run bench -- --shard-mb 1024    also stream a 1 GB shard through the CLI and report peak memory
//   npm run bench -- --tab-shard-mb 64  also drop a 64 MB shard on the app: docs/s, tab peak memory, progress gaps
//   npm run bench -- --text web         ordinary web text from ../shared/data instead of the AI-heavy corpus
//   npm run bench -- --no-cli --no-webgpu   only the browser on WASM (also: --runs N, --docs N, --out FILE)
//   npm run bench -- --fast             fast mode: the first-stage model alone (mscan --fast, the app's Fast mode)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { once } from 'node:events';
import { loadNodeModel } from '../cli/node-model.ts';
import { modelKey, parseModelConfig, scoringModel } from '../core/model-config.ts';
import type { InputDocument } from '../core/results.ts';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium, openApp, serveBuild, waitForModel } from '../test/browser/chromium.ts';
import { loadOwn } from '../training/assemble.ts';
import { loadWebDocuments } from '../training/web-text.ts';

const root = new URL('..', import.meta.url).pathname;

interface Stat { median: number; min: number; max: number; runs: number[] }
const stat = (runs: number[]): Stat => {
  const s = [...runs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median: round(median), min: round(s[0]!), max: round(s[s.length - 1]!), runs: runs.map(round) };
};
const round = (x: number) => Math.round(x * 100) / 100;

/**
 * Deterministic documents of ~2,000 characters: cut from the project's own corpus (`corpus`: about
 * half about AI, the cascade's worst case) or from ordinary web text in ../shared/data (`web`:
 * reviews, answers, e-mail and Wikipedia, what most of a pretraining shard looks like; only the
 * benchmark's side of the split in training/web-text.ts, which no model was trained on).
 */
export function generateDocuments(n: number, source: 'corpus' | 'web' = 'corpus', chars = 2000): InputDocument[] {
  const texts = source === 'corpus'
    ? loadOwn(join(root, 'training/corpus'), 'own').slice(0, 4000).map((e) => e.text)
    : loadWebDocuments(join(root, '../shared/data'), 'bench').map((d) => d.text);
  const words = texts.join(' ').split(/\s+/);
  let seed = 12345;
  const next = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  return Array.from({ length: n }, (_, i) => {
    let at = Math.floor(next() * (words.length - 1000));
    let text = '';
    while (text.length < chars) text += `${words[at++]} `;
    return { id: `bench-${i}`, source: 'bench.jsonl', line: i + 1, text: text.slice(0, chars) };
  });
}

const toJsonl = (docs: InputDocument[]) => docs.map((d) => JSON.stringify({ id: d.id, text: d.text })).join('\n') + '\n';

function timeCli(file: string, out: string, fast: boolean): { seconds: number; maxRssMb: number } {
  // mscan skips a shard whose output is complete and resumes a partial one: start every run clean.
  rmSync(out, { force: true });
  rmSync(`${out}.partial`, { force: true });
  const t0 = performance.now();
  const res = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '--import', 'tsx', join(root, 'cli/mscan.ts'), 'score', file, '--out', out, ...(fast ? ['--fast'] : [])], { cwd: root, encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (res.status !== 0) throw new Error(`mscan failed: ${res.stderr}`);
  const kb = Number(res.stderr.trim().split('\n').pop());
  return { seconds, maxRssMb: round(kb / 1024) };
}

async function cliBench(docs: InputDocument[], runs: number, dir: string, fast: boolean) {
  const file = join(dir, 'bench.jsonl');
  writeFileSync(file, toJsonl(docs));
  const rates: number[] = []; const rss: number[] = [];
  for (let r = 0; r < runs; r++) {
    const { seconds, maxRssMb } = timeCli(file, join(dir, 'out.jsonl'), fast);
    rates.push(docs.length / seconds); rss.push(maxRssMb);
  }
  // Stage split, in process (same code path as the CLI, without process start-up).
  const model = await loadNodeModel(undefined, { firstStageOnly: fast });
  const t0 = performance.now();
  for (let i = 0; i < docs.length; i += 256) await model.scorer.scoreDocuments(docs.slice(i, i + 256));
  const total = performance.now() - t0;
  const t = model.scorer.times;
  return {
    docs_per_second_end_to_end: stat(rates), peak_rss_mb: stat(rss),
    in_process_docs_per_second: round(docs.length / (total / 1000)),
    stage_ms_per_1000_docs: { tokenize: round((t.tokenize / docs.length) * 1000), infer: round((t.infer / docs.length) * 1000), aggregate: round((t.aggregate / docs.length) * 1000) },
    ...(fast ? {} : { main_model_share_of_passages: round(model.scorer.counts.mainModel / Math.max(1, model.scorer.counts.passages)) }),
  };
}

/** The straightforward path a user would build first: transformers.js tokenizer + ONNX Runtime, one document at a time. */
async function naiveBench(docs: InputDocument[], fast: boolean) {
  const { PreTrainedTokenizer } = await import('@huggingface/transformers');
  const ort = await import('onnxruntime-node');
  const dir = join(root, 'models/mns-cnn');
  const tokenizer = new PreTrainedTokenizer(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')));
  const config = parseModelConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  const session = await ort.InferenceSession.create(join(dir, scoringModel(config, fast).file));
  const t0 = performance.now();
  for (const d of docs) {
    const ids = tokenizer.encode(d.text, { add_special_tokens: false }).slice(0, config.max_length);
    const big = BigInt64Array.from(ids.map(BigInt));
    await session.run({ input_ids: new ort.Tensor('int64', big, [1, ids.length]), attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]) });
  }
  return { docs_per_second: round(docs.length / ((performance.now() - t0) / 1000)), note: 'one document per call, truncated to max_length (no passages), Node' };
}

/** Builds the app, serves it with `vite preview` and runs `fn` with a fresh Chromium. */
async function withServedApp<T>(fn: (browser: Browser, url: string) => Promise<T>): Promise<T> {
  // A fresh build of the current code (about 2 s) in a folder of its own: a stale dist/ would
  // measure old code, and rebuilding dist/ would pull files from under a server the tests run.
  const outDir = mkdtempSync(join(tmpdir(), 'mscan-bench-app-'));
  try {
    execFileSync('npx', ['vite', 'build', '--outDir', outDir, '--emptyOutDir'], { cwd: root, stdio: 'ignore' });
    const { server, url } = await serveBuild({ root, outDir });
    const browser = await launchChromium();
    try {
      return await fn(browser, url);
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/**
 * Gives the app's file input `files` and waits until that scan is done; returns the page's exact
 * figures (data attributes) and its summary text. Clears the done mark first, so a finished earlier
 * scan is never mistaken for this one.
 */
async function scanInApp(page: Page, files: Parameters<Locator['setInputFiles']>[0], polling: number | 'raf' = 'raf') {
  await page.evaluate(() => document.querySelector('[data-testid=progress-text]')?.removeAttribute('data-state'));
  await page.getByTestId('file-input').setInputFiles(files);
  await page.waitForFunction(() => document.querySelector('[data-testid=progress-text]')?.getAttribute('data-state') === 'done', null, { timeout: 0, polling });
  const progress = page.getByTestId('progress-text');
  return {
    documents: Number(await progress.getAttribute('data-documents')), ms: Number(await progress.getAttribute('data-ms')),
    stageMs: JSON.parse(await progress.getAttribute('data-stage-ms') ?? '{}') as Record<string, number>, text: (await progress.textContent()) ?? '',
  };
}

async function browserBench(allDocs: InputDocument[], runs: number, webgpuDocs: number, devices: readonly ('wasm' | 'webgpu')[], fast: boolean) {
  return withServedApp(async (browser, url) => {
    const out: Record<string, unknown> = {};
    for (const device of devices) {
      // WebGPU here runs on SwiftShader (a CPU emulation of a GPU): only a few documents are affordable.
      const docs = device === 'webgpu' ? allDocs.slice(0, webgpuDocs) : allDocs;
      const payload = { name: 'bench.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(toJsonl(docs)) };
      const rates: number[] = []; const cached: number[] = []; const loads: number[] = []; const cold: number[] = []; const warm: number[] = [];
      for (let r = 0; r < runs; r++) {
        // A fresh context: empty HTTP cache, empty IndexedDB, no service worker.
        const t0 = Date.now();
        const { page, context } = await openApp(browser, `${url}?device=${device}${fast ? '&fast=1' : ''}`);
        const model = await waitForModel(page);
        if (model.device !== device) throw new Error(`asked for ${device}, got ${model.status}`);
        loads.push(Number(/loaded in ([\d.]+) s/.exec(model.status)?.[1]) * 1000);
        cold.push(await firstScore(page, t0));
        const scan = async () => {
          const { documents, ms, text } = await scanInApp(page, payload);
          if (documents !== docs.length) throw new Error(`unexpected scan result on ${device}: ${text}`);
          return docs.length / (ms / 1000);
        };
        rates.push(await scan());
        cached.push(await scan());
        // Warm HTTP cache (and service worker): reload the same context, time to first score.
        const t1 = Date.now();
        await page.reload();
        await waitForModel(page);
        warm.push(await firstScore(page, t1));
        await context.close();
      }
      out[device] = {
        documents: docs.length,
        docs_per_second_end_to_end: stat(rates), rescan_from_cache_docs_per_second: stat(cached),
        model_load_ms: stat(loads), cold_start_to_first_score_ms: { empty_http_cache: stat(cold), warm_http_cache: stat(warm) },
        ...(device === 'webgpu' ? { note: 'software adapter (SwiftShader) on this machine: says nothing about a real GPU' } : {}),
      };
    }
    return out;
  });
}

/** Milliseconds from `since` until a pasted document's score is on the page. */
async function firstScore(page: Page, since: number): Promise<number> {
  await page.getByTestId('paste').fill(`Cold start probe ${since}: the assistant said it had finished, though it had not.`);
  await page.getByTestId('score-paste').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=progress-text]')?.getAttribute('data-state') === 'done', null, { timeout: 120_000 });
  const ms = Date.now() - since;
  await page.evaluate(() => document.querySelector('[data-testid=progress-text]')?.removeAttribute('data-state'));
  return ms;
}

/** Writes a JSONL shard of about `mb` MiB of generated documents. */
async function writeShard(file: string, mb: number, text: 'corpus' | 'web'): Promise<number> {
  const docs = generateDocuments(2000, text);
  const stream = createWriteStream(file);
  let written = 0; let lines = 0;
  for (let i = 0; written < mb * 1024 * 1024; i++, lines++) {
    // Numbered so that every document is distinct: the app's cache must not turn the shard into a re-scan.
    const line = JSON.stringify({ id: `s${i}`, text: `(${i}) ${docs[i % docs.length]!.text}` }) + '\n';
    written += line.length;
    if (!stream.write(line)) await once(stream, 'drain');
  }
  stream.end();
  await once(stream, 'finish');
  return lines;
}

async function shardBench(mb: number, dir: string, text: 'corpus' | 'web', fast: boolean) {
  const file = join(dir, 'shard.jsonl');
  const lines = await writeShard(file, mb, text);
  const { seconds, maxRssMb } = timeCli(file, join(dir, 'shard-out.jsonl'), fast);
  return { shard_mb: mb, documents: lines, seconds: round(seconds), docs_per_second: round(lines / seconds), cli_peak_rss_mb: maxRssMb };
}

const rendererPids = () => execFileSync('ps', ['-eo', 'pid=,args=']).toString().split('\n').filter((l) => l.includes('--type=renderer')).map((l) => l.trim().split(/\s+/)[0]!);
const statusKb = (status: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);

/**
 * Memory of the largest Chromium renderer process (the tab and its workers live in one), in MB:
 * `hwm` its peak resident memory (VmHWM), `rss` now, and `private` now: anonymous plus shared-memory
 * pages, i.e. resident memory less the pages of Chromium's own binary and libraries, which every
 * process maps (Chrome's task manager shows this kind of figure as a tab's memory footprint).
 */
function rendererMemoryMb(): { hwm: number; rss: number; private: number } {
  let best = { hwm: 0, rss: 0, private: 0 };
  for (const pid of rendererPids()) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const m = { hwm: statusKb(status, 'VmHWM') / 1024, rss: statusKb(status, 'VmRSS') / 1024, private: (statusKb(status, 'RssAnon') + statusKb(status, 'RssShmem')) / 1024 };
      if (m.hwm > best.hwm) best = m;
    } catch { /* the process ended */ }
  }
  return { hwm: round(best.hwm), rss: round(best.rss), private: round(best.private) };
}

/**
 * A whole shard dropped on the app (WASM): documents per second, the tab's peak memory, and the
 * longest gap between progress updates (the page must stay responsive).
 */
async function tabShardBench(mb: number, dir: string, text: 'corpus' | 'web', fast: boolean) {
  const file = join(dir, 'tab-shard.jsonl');
  const lines = await writeShard(file, mb, text);
  return withServedApp(async (browser, url) => {
    const { page } = await openApp(browser, `${url}?device=wasm${fast ? '&fast=1' : ''}`);
    await waitForModel(page);
    // Gaps between progress-text changes, measured in the page (a string: no bundler helpers inside).
    await page.evaluate(`(() => {
      const target = document.querySelector('[data-testid=progress-text]');
      window.__gaps = { last: 0, max: 0, over500: 0, count: 0 };
      new MutationObserver(() => {
        const now = performance.now();
        if (window.__gaps.last) {
          const gap = now - window.__gaps.last;
          window.__gaps.max = Math.max(window.__gaps.max, gap);
          window.__gaps.count++;
          if (gap > 500) window.__gaps.over500++;
        }
        window.__gaps.last = now;
      }).observe(target, { childList: true, characterData: true, subtree: true });
    })()`);
    // The tab with the model loaded and nothing scanned, then its private memory sampled while it scans.
    const idle = rendererMemoryMb();
    let peakPrivate = idle.private;
    const sampler = setInterval(() => { peakPrivate = Math.max(peakPrivate, rendererMemoryMb().private); }, 250);
    const t0 = performance.now();
    const { documents, stageMs: stages } = await scanInApp(page, file, 1000).finally(() => clearInterval(sampler));
    const seconds = (performance.now() - t0) / 1000;
    if (documents !== lines) throw new Error(`the tab scored ${documents} of ${lines} documents`);
    const gaps = await page.evaluate('window.__gaps') as { max: number; over500: number; count: number };
    // Where the time went: the scorer's stages and the worker's (read, lookup, cacheWrite, deliver); "other" is the rest (the page, idle waits).
    const split = (stageMs: Record<string, number>, totalMs: number) => {
      const per1000 = (ms: number) => round((ms / documents) * 1000);
      const known = Object.values(stageMs).reduce((a, b) => a + b, 0);
      return { ...Object.fromEntries(Object.entries(stageMs).map(([k, v]) => [k, per1000(v)])), other: per1000(totalMs - known) };
    };
    // The same shard dropped again on a cleared table: every batch from the IndexedDB cache.
    await page.locator('#clear-results').click();
    const rescan = await scanInApp(page, file, 500);
    const [rescanMs, fromCache] = [rescan.ms, Number(/(\d+) from cache/.exec(rescan.text)?.[1])];
    if (fromCache !== lines) throw new Error(`the re-scan found ${fromCache} of ${lines} documents in the cache`);
    return {
      shard_mb: mb, documents, seconds: round(seconds), docs_per_second: round(documents / seconds), tab_peak_rss_mb: rendererMemoryMb().hwm,
      tab_idle_rss_mb: idle.rss, tab_idle_private_mb: idle.private, tab_peak_private_mb: peakPrivate,
      worker_ms_per_1000_docs: split(stages, seconds * 1000),
      longest_progress_gap_ms: round(gaps.max), progress_updates: gaps.count, progress_gaps_over_500_ms: gaps.over500,
      rescan_docs_per_second: round(lines / (rescanMs / 1000)), rescan_worker_ms_per_1000_docs: split(rescan.stageMs, rescanMs),
    };
  });
}

async function main() {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, runs: { type: 'string' }, docs: { type: 'string' }, 'shard-mb': { type: 'string' }, out: { type: 'string' }, 'no-browser': { type: 'boolean', default: false }, 'no-cli': { type: 'boolean', default: false }, 'no-webgpu': { type: 'boolean', default: false }, 'tab-shard-mb': { type: 'string' }, text: { type: 'string', default: 'corpus' }, fast: { type: 'boolean', default: false } } });
  const fast = values.fast!;
  const quick = values.quick!;
  const runs = Number(values.runs ?? (quick ? 1 : 5));
  const n = Number(values.docs ?? (quick ? 200 : 4000));
  const dir = mkdtempSync(join(tmpdir(), 'mscan-bench-'));
  if (values.text !== 'corpus' && values.text !== 'web') throw new Error('--text must be corpus or web');
  const docs = generateDocuments(n, values.text);
  const model = scoringModel(parseModelConfig(JSON.parse(readFileSync(join(root, 'models/mns-cnn/config.json'), 'utf8'))), fast).config;
  const result: Record<string, unknown> = {
    date: new Date().toISOString(), model: modelKey(model), fast_mode: fast, documents: n, chars_per_document: 2000, text: values.text, runs, quick,
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  };
  if (!values['no-cli']) {
    result['cli'] = await cliBench(docs, runs, dir, fast);
    result['naive_transformers_js'] = await naiveBench(docs.slice(0, Math.min(n, 1000)), fast);
  }
  if (!values['no-browser']) result['browser'] = await browserBench(docs, runs, quick ? 10 : 50, values['no-webgpu'] ? ['wasm'] : ['wasm', 'webgpu'], fast);
  if (values['shard-mb']) result['shard'] = await shardBench(Number(values['shard-mb']), dir, values.text, fast);
  if (values['tab-shard-mb']) result['tab_shard'] = await tabShardBench(Number(values['tab-shard-mb']), dir, values.text, fast);
  const cli = result['cli'] as { docs_per_second_end_to_end: Stat } | undefined;
  const naive = result['naive_transformers_js'] as { docs_per_second: number } | undefined;
  if (cli && naive) result['cli_vs_naive_ratio'] = round(cli.docs_per_second_end_to_end.median / naive.docs_per_second);
  const outDir = join(root, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const outFile = values.out ?? join(outDir, `${quick ? 'quick' : 'full'}-${values.text}-latest.json`);
  writeFileSync(outFile, JSON.stringify(result, null, 1) + '\n');
  printTable(result);
  console.log(`\nJSON: ${outFile}`);
}

function printTable(r: Record<string, unknown>) {
  const rows: [string, string][] = [];
  const fmt = (s: Stat) => `${s.median} (${s.min}–${s.max})`;
  const cli = r['cli'] as { docs_per_second_end_to_end: Stat; peak_rss_mb: Stat; stage_ms_per_1000_docs: Record<string, number>; main_model_share_of_passages?: number } | undefined;
  if (cli) {
    rows.push(['CLI docs/s end to end', fmt(cli.docs_per_second_end_to_end)], ['CLI peak RSS MB', fmt(cli.peak_rss_mb)],
      ['CLI ms per 1000 docs (tokenize/infer/aggregate)', Object.values(cli.stage_ms_per_1000_docs).join(' / ')],
      ['CLI passages scored by the main model (cascade)', cli.main_model_share_of_passages === undefined ? 'none (fast mode)' : String(cli.main_model_share_of_passages)],
      ['naive transformers.js path docs/s', String((r['naive_transformers_js'] as { docs_per_second: number }).docs_per_second)], ['CLI / naive', String(r['cli_vs_naive_ratio'])]);
  }
  const b = r['browser'] as Record<string, { docs_per_second_end_to_end: Stat; rescan_from_cache_docs_per_second: Stat; model_load_ms: Stat; cold_start_to_first_score_ms: { empty_http_cache: Stat; warm_http_cache: Stat } }> | undefined;
  for (const [device, v] of Object.entries(b ?? {})) {
    rows.push([`browser ${device} docs/s end to end`, fmt(v.docs_per_second_end_to_end)], [`browser ${device} re-scan from cache docs/s`, fmt(v.rescan_from_cache_docs_per_second)],
      [`browser ${device} model load ms`, fmt(v.model_load_ms)], [`browser ${device} first score ms, empty / warm HTTP cache`, `${fmt(v.cold_start_to_first_score_ms.empty_http_cache)} / ${fmt(v.cold_start_to_first_score_ms.warm_http_cache)}`]);
  }
  const s = r['shard'] as { shard_mb: number; docs_per_second: number; cli_peak_rss_mb: number } | undefined;
  if (s) rows.push([`CLI ${s.shard_mb} MB shard docs/s`, String(s.docs_per_second)], [`CLI ${s.shard_mb} MB shard peak RSS MB`, String(s.cli_peak_rss_mb)]);
  const t = r['tab_shard'] as { shard_mb: number; docs_per_second: number; tab_peak_rss_mb: number; tab_idle_rss_mb: number; tab_idle_private_mb: number; tab_peak_private_mb: number; worker_ms_per_1000_docs: Record<string, number>; rescan_docs_per_second: number; rescan_worker_ms_per_1000_docs: Record<string, number>; longest_progress_gap_ms: number; progress_updates: number; progress_gaps_over_500_ms: number } | undefined;
  if (t) {
    rows.push([`tab ${t.shard_mb} MB shard docs/s (WASM)`, String(t.docs_per_second)], [`tab ${t.shard_mb} MB shard peak renderer RSS MB`, `${t.tab_peak_rss_mb} (idle with the model: ${t.tab_idle_rss_mb})`],
      [`tab ${t.shard_mb} MB shard peak renderer private MB`, `${t.tab_peak_private_mb} (idle with the model: ${t.tab_idle_private_mb})`],
      [`tab ${t.shard_mb} MB shard ms per 1000 docs (${Object.keys(t.worker_ms_per_1000_docs).join('/')})`, Object.values(t.worker_ms_per_1000_docs).join(' / ')],
      [`tab ${t.shard_mb} MB shard re-scan from cache docs/s`, String(t.rescan_docs_per_second)],
      [`tab ${t.shard_mb} MB shard re-scan ms per 1000 docs (${Object.keys(t.rescan_worker_ms_per_1000_docs).join('/')})`, Object.values(t.rescan_worker_ms_per_1000_docs).join(' / ')],
      [`tab ${t.shard_mb} MB shard longest progress gap ms`, `${t.longest_progress_gap_ms} (${t.progress_gaps_over_500_ms} of ${t.progress_updates} gaps over 500 ms)`]);
  }
  console.log(`model ${r['model']} · ${r['documents']} documents of 2,000 characters (${r['text']} text) · ${r['runs']} run(s): median (min–max)`);
  for (const [k, v] of rows) console.log(`${k.padEnd(52)} ${v}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
