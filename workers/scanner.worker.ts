/// <reference lib="webworker" />
// The scanner's worker: owns the model, the runtime and the cache, so the page never blocks.
// Reached through comlink; its API type is exported from here (STYLE: type the worker API from the worker).
import { expose, transfer } from 'comlink';
import type * as Ort from 'onnxruntime-web';
import { batchCacheKey, cacheKey } from '../core/cache-key.ts';
import { parseModelConfig, scoringModel, type ModelConfig } from '../core/model-config.ts';
import { ortRunner } from '../core/ort-runner.ts';
import type { StoredScores } from '../core/packed-scores.ts';
import { readDocuments, type ReadOptions } from '../core/read-documents.ts';
import { batchBuffers, packRows, type ResultRow, type RowBatch } from '../core/result-store.ts';
import type { DocumentResult, FailedDocument, InputDocument, ScoredDocument } from '../core/results.ts';
import { firstStageFromConfig, Scorer, type StageTimes } from '../core/scorer.ts';
import { WordPieceTokenizer, type TokenizerJson } from '../core/tokenizer.ts';
import { ScoreCache, type CachedScores } from './cache.ts';

// Same-origin URLs of every file in the shipped model directory (Vite copies them into the build).
const MODEL_DIR_URLS = import.meta.glob(['../models/mns-cnn/config.json', '../models/mns-cnn/tokenizer.json', '../models/mns-cnn/*.onnx'], { query: '?url', import: 'default', eager: true }) as Record<string, string>;
const modelFileUrl = (name: string): string => {
  const url = MODEL_DIR_URLS[`../models/mns-cnn/${name}`];
  if (!url) throw new Error(`The model directory has no ${name}; rebuild the app with the complete model.`);
  return url;
};

export type DevicePreference = 'auto' | 'webgpu' | 'wasm';

/** How the page wants documents scored. */
export interface EngineOptions {
  device: DevicePreference;
  /** Fast mode: the cascade's first stage alone (its own threshold and model id; see the model card). */
  firstStageOnly: boolean;
}

export interface DeviceReport {
  device: 'webgpu' | 'wasm';
  /** Why this device: shown to the user. */
  reason: string;
  adapter?: string;
  model: string;
  threshold: number;
  loadMs: number;
  /** Largest difference between the canary's logits on this device and those stored at export. */
  canaryMaxDiff: number;
}

/** Thrown when the requested device cannot be trusted; the page then starts a fresh WASM worker. */
export class DeviceError extends Error {
  override name = 'DeviceError';
}

export interface ScanOptions extends Pick<ReadOptions, 'textField' | 'idField' | 'maxDocumentBytes'> {
  /** Documents per model batch (and per cache transaction). */
  batchSize?: number;
}

export interface ScanProgress {
  file: string;
  fileIndex: number;
  files: number;
  documents: number;
  bytesRead: number;
  bytesTotal: number;
}

/**
 * One scored or failed document. Its text (and all its passages) come along so the page can show
 * them, except in large scans (see packRows).
 */
export type ScanRow = ResultRow;

/** Scans whose files add up to more than this keep text and passages for flagged documents only. */
const DETAIL_FOR_ALL_BELOW_BYTES = 32 * 1024 * 1024;

export interface ScanSummary { documents: number; scored: number; failed: number; cached: number; ms: number; times: StageTimes }

const CANARY_TOLERANCE = 1e-3;

/** The little of WebGPU this file touches (the full typings are a dependency we do not need). */
interface NavigatorWithGpu { gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string; description?: string } } | null> } }

let engine: Promise<{ scorer: Scorer; config: ModelConfig; report: DeviceReport }> | undefined;
/** The options the engine was created with: one worker loads one model, once. */
let engineOptions: EngineOptions | undefined;
let cache: Promise<ScoreCache> | undefined;

async function fetchOk(url: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch {
    // A fetch that overlaps the service worker storing the same file for offline use can fail once
    // (seen when the mode is switched right after the first load); the second try is served.
    await new Promise((r) => setTimeout(r, 300));
    res = await fetch(url);
  }
  if (!res.ok) throw new Error(`Could not load ${url}: HTTP ${res.status}`);
  return res;
}

async function createEngine({ device: preference, firstStageOnly }: EngineOptions) {
  const started = performance.now();
  // Fast mode never downloads or starts the main model: less to load and less tab memory.
  const scoring = fetchOk(modelFileUrl('config.json')).then((r) => r.json()).then(parseModelConfig).then((c) => scoringModel(c, firstStageOnly));
  const bytes = (name: string) => fetchOk(modelFileUrl(name)).then((r) => r.arrayBuffer());
  const [{ config }, tokenizerJson, modelBytes, stage1Bytes] = await Promise.all([
    scoring,
    fetchOk(modelFileUrl('tokenizer.json')).then((r) => r.json() as Promise<TokenizerJson>),
    scoring.then((s) => bytes(s.file)),
    scoring.then((s) => (s.config.cascade ? bytes(s.config.cascade.model) : undefined)),
  ]);
  let device: 'webgpu' | 'wasm' = 'wasm';
  let reason = preference === 'wasm' ? 'WASM chosen by the user' : '';
  let adapterName: string | undefined;
  if (preference !== 'wasm') {
    const adapter = await (navigator as NavigatorWithGpu).gpu?.requestAdapter();
    if (adapter) {
      device = 'webgpu';
      const info = adapter.info;
      adapterName = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
      reason = preference === 'webgpu' ? 'WebGPU chosen by the user' : `WebGPU adapter found (${adapterName}) and the canary matched`;
    } else if (preference === 'webgpu') {
      throw new DeviceError('WebGPU was requested but this browser offers no WebGPU adapter. Choose WASM or Auto.');
    } else {
      reason = 'no WebGPU adapter in this browser, so WASM';
    }
  }
  // The WebGPU build of the runtime is asyncify-instrumented (26.8 MB of WASM); the plain build
  // (14.2 MB) compiles to less code and runs faster, so the WASM path loads only that one.
  const ort: typeof Ort = device === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
  // Single-threaded unless the page is cross-origin isolated (SharedArrayBuffer needs COOP/COEP).
  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  const tokenizer = new WordPieceTokenizer(tokenizerJson);
  const canary = tokenizer.encode(config.canary.text).ids;
  /** Starts one model on the device and checks it against the logits recorded at export. */
  const start = async (bytes: ArrayBuffer, expected: number[], what: string) => {
    let session: Ort.InferenceSession;
    try {
      // Memory patterns and the CPU arena keep per-shape buffers alive, and a WASM heap never shrinks:
      // without them the tab's peak is ~75 MB lower at the same speed (npm run bench -- --tab-shard-mb 8).
      session = await ort.InferenceSession.create(new Uint8Array(bytes), { executionProviders: [device], graphOptimizationLevel: 'all', enableMemPattern: false, enableCpuMemArena: false });
    } catch (e) {
      throw new DeviceError(`Could not start the ${what} on ${device}: ${(e as Error).message}`);
    }
    const run = ortRunner(session, ort.Tensor);
    // Evidence before trust: the canary's logits on this device must match those recorded at export.
    const logits = await run(canary, new Int32Array(canary.length).fill(1), 1, canary.length);
    const diff = Math.max(...expected.map((v, i) => Math.abs(v - logits[i]!)));
    if (!(diff <= CANARY_TOLERANCE)) throw new DeviceError(`The ${what} gives wrong results on ${device} (canary differs by ${diff.toExponential(2)}).`);
    // Warm up at a typical batch shape so the first real batch does not pay for shader compilation.
    await run(new Int32Array(8 * 64).fill(1), new Int32Array(8 * 64).fill(1), 8, 64);
    return { run, diff };
  };
  const main = await start(modelBytes, config.canary.logits, firstStageOnly ? 'first-stage model' : 'model');
  const stage1 = stage1Bytes && config.cascade ? await start(stage1Bytes, config.cascade.canary_logits, 'first-stage model') : undefined;
  const canaryMaxDiff = Math.max(main.diff, stage1?.diff ?? 0);
  // Passages per model call: progress is reported after each call, and the page must hear at least
  // every 0.5 s. The ensemble takes ~13 ms a passage on WASM here (32 passages left gaps of up to 1 s
  // on a web shard); the first stage alone takes well under 1 ms a passage.
  const maxBatch = firstStageOnly ? 128 : 16;
  const scorer = new Scorer(main.run, tokenizer, config, { maxBatch, stage1: stage1 && config.cascade ? firstStageFromConfig(config.cascade, stage1.run) : undefined });
  const report: DeviceReport = { device, reason, adapter: adapterName, model: scorer.model, threshold: config.threshold, loadMs: performance.now() - started, canaryMaxDiff };
  return { scorer, config, report };
}

function toCached(key: string, r: ScoredDocument): CachedScores {
  return { key, scores: r.scores, flagged: r.flagged, passages: r.passages, model: r.model, storedAt: Date.now() };
}

const api = {
  /** Loads the model (or, in fast mode, the first stage alone) on the preferred device, once per worker, and reports what it chose and why. */
  async init(options: EngineOptions): Promise<DeviceReport> {
    if (engineOptions && (engineOptions.device !== options.device || engineOptions.firstStageOnly !== options.firstStageOnly)) {
      throw new Error('This scanner worker already loaded a model with other options; start a new worker.');
    }
    engineOptions = options;
    engine ??= createEngine(options);
    return (await engine).report;
  },

  /**
   * Reads, scores and caches every document of the given files. Results arrive in batches through
   * `onRows`; a failed document is a row with its error, and the scan goes on. To cancel, the page
   * terminates this worker (WASM inference cannot be interrupted mid-call).
   */
  async scan(files: File[], options: ScanOptions, onProgress: (p: ScanProgress) => void, onRows: (rows: RowBatch) => void | Promise<void>): Promise<ScanSummary> {
    if (!engine) throw new Error('init() must be called before scan()');
    const { scorer } = await engine;
    const store = await (cache ??= ScoreCache.open());
    const batchSize = options.batchSize ?? 128;
    const started = performance.now();
    // The scorer's stage times add up over the worker's life: this scan's are the difference.
    const timesBefore = { ...scorer.times };
    const summary: ScanSummary = { documents: 0, scored: 0, failed: 0, cached: 0, ms: 0, times: { tokenize: 0, infer: 0, aggregate: 0 } };
    const bytesTotal = files.reduce((a, f) => a + f.size, 0);
    const keepAllDetail = bytesTotal <= DETAIL_FOR_ALL_BELOW_BYTES;
    let bytesBefore = 0;
    let lastProgress = 0;
    let delivering: void | Promise<void> = undefined;
    // The cache write of the previous batch: one in flight while the next batch is read and scored
    // (an IndexedDB commit is a round trip to the browser process; awaiting each in turn made the
    // worker wait on it for every batch).
    let writing: Promise<void> | undefined;

    for (const [fileIndex, file] of files.entries()) {
      let bytesRead = 0;
      const report = (force = false) => {
        const now = performance.now();
        if (!force && now - lastProgress < 100) return;
        lastProgress = now;
        onProgress({ file: file.name, fileIndex, files: files.length, documents: summary.documents, bytesRead: bytesBefore + bytesRead, bytesTotal });
      };
      let batch: ({ doc: InputDocument } | { failure: FailedDocument })[] = [];
      const flush = async () => {
        const docs = batch.flatMap((r) => ('doc' in r ? [r.doc] : []));
        // A re-scan of the same file finds each whole batch under one key, and needs no per-document
        // key; otherwise every document is looked up by its own.
        const batchKey = docs.length > 0 ? await batchCacheKey(docs.map((d) => d.text), scorer.model) : undefined;
        const found = batchKey ? await store.getBatch(batchKey) : undefined;
        const wholeBatch = found?.length === docs.length ? found : undefined;
        const keys = wholeBatch ? [] : await Promise.all(docs.map((d) => cacheKey(d.text, scorer.model)));
        const hits: (StoredScores | undefined)[] = wholeBatch ?? await store.getMany(keys);
        const fresh: (DocumentResult | undefined)[] = [];
        const missing = docs.flatMap((_, i) => (hits[i] ? [] : [i]));
        if (missing.length > 0) {
          // Progress after every model call, not only every batch: at ~100 docs/s a batch of 128
          // takes over a second, and the page must show progress at least twice a second.
          const results = await scorer.scoreDocuments(missing.map((i) => docs[i]!), { onModelCall: () => report() });
          missing.forEach((i, j) => { fresh[i] = results[j]; });
        }
        if (batchKey && !wholeBatch) {
          const newEntries: CachedScores[] = [];
          const entries = docs.map((_, i) => {
            const result = fresh[i];
            if (hits[i] || !result || 'error' in result) return hits[i];
            const entry = toCached(keys[i]!, result);
            newEntries.push(entry);
            return entry;
          });
          // The batch record only when every document in it has scores (a failed one is tried again next time).
          const complete = entries.every((e): e is StoredScores => e !== undefined);
          await writing;
          writing = store.putMany(newEntries, complete ? { key: batchKey, entries } : undefined);
          // Handled here so a failure is not reported as unhandled before the next await rethrows it.
          writing.catch(() => undefined);
        }
        let k = 0;
        const rows: ScanRow[] = batch.map((r): ScanRow => {
          if ('failure' in r) return r.failure;
          const i = k++;
          const hit = hits[i];
          const { id, source, line, text } = r.doc;
          return hit
            ? { id, source, line, scores: hit.scores, flagged: hit.flagged, passages: hit.passages, model: hit.model, text, cached: true }
            : { ...fresh[i]!, text, cached: false };
        });
        for (const row of rows) {
          summary.documents++;
          if ('error' in row) summary.failed++; else { summary.scored++; if (row.cached) summary.cached++; }
        }
        // One batch in flight: the page takes in this batch while the next is read and scored, but the
        // worker never runs further ahead than that (memory), and the last delivery is awaited before
        // scan() returns, so the final result cannot overtake the last rows.
        await delivering;
        const packed = packRows(rows, { detailForAll: keepAllDetail });
        delivering = onRows(transfer(packed, batchBuffers(packed)));
        batch = [];
        report(true);
      };
      for await (const record of readDocuments(file, { ...options, onBytes: (n) => { bytesRead = n; report(); } })) {
        batch.push(record.doc ? { doc: record.doc } : { failure: record.failure! });
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      bytesBefore += file.size;
    }
    await Promise.all([delivering, writing]);
    summary.ms = performance.now() - started;
    summary.times = { tokenize: scorer.times.tokenize - timesBefore.tokenize, infer: scorer.times.infer - timesBefore.infer, aggregate: scorer.times.aggregate - timesBefore.aggregate };
    return summary;
  },

  async cacheSize(): Promise<number> {
    return (await (cache ??= ScoreCache.open())).count();
  },

  async clearCache(): Promise<void> {
    await (await (cache ??= ScoreCache.open())).clear();
  },
};

export type ScannerApi = typeof api;
expose(api);
