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
import type { DocumentResult, FailedDocument, InputDocument } from '../core/results.ts';
import { firstStageFromConfig, Scorer, type StageTimes } from '../core/scorer.ts';
import { WordPieceTokenizer, type TokenizerJson } from '../core/tokenizer.ts';
import { CacheUnavailableError, ScoreCache, type CacheStatus } from './cache.ts';

/** What the page is told about the cache: what it holds, or why it cannot be used. */
export type CacheReport = CacheStatus | { unavailable: string };

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

/** A line of input: a document to score, or why it could not be read. */
type ScanRecord = { doc: InputDocument } | { failure: FailedDocument };

/** What the cache knows of one batch's documents (in order), and the keys to store new scores under. */
interface BatchLookup {
  docs: InputDocument[];
  batchKey?: string;
  /** The whole batch, found under batchKey. */
  wholeBatch?: StoredScores[];
  keys: string[];
  hits: (StoredScores | undefined)[];
}

/**
 * Batches whose cache lookups run ahead of the batch being scored (see scan's flush). A document
 * repeated within that distance is scored again: its first copy is not in the cache yet.
 */
const LOOKAHEAD_BATCHES = 2;

/**
 * Scans whose files add up to more than this are large (a pretraining shard): they keep text and
 * passages for flagged documents only (see packRows), and are cached by batch only. Per-document
 * cache entries cost a SHA-256 digest and an IndexedDB write each, and a new batch's per-document
 * lookups a read each: on a 64 MB shard these took a third of the tab's time. A re-scan of the same
 * file still finds every batch; a large scan's documents met again in another file are scored again.
 */
const LARGE_SCAN_BYTES = 32 * 1024 * 1024;

/**
 * Where a scan's time went, in ms: the scorer's stages, and the worker's own work around them.
 * `read`: reading, decompressing and parsing the files; `lookup`: waiting for a batch's cache keys
 * and cache reads (begun while the two batches before it were scored);
 * `cacheWrite`: handing batches to IndexedDB and waiting for the previous commit; `deliver`: packing
 * rows and waiting for the page to take the previous batch.
 */
export interface ScanTimes extends StageTimes { read: number; lookup: number; cacheWrite: number; deliver: number }

export interface ScanSummary {
  documents: number; scored: number; failed: number; cached: number; ms: number; times: ScanTimes;
  /** Why this scan's results were not (all) cached, if so: the scan went on without the cache. */
  cacheProblem?: string;
}

const CANARY_TOLERANCE = 1e-3;

/** The little of WebGPU this file touches (the full typings are a dependency we do not need). */
interface NavigatorWithGpu { gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string; description?: string } } | null> } }

let engine: Promise<{ scorer: Scorer; config: ModelConfig; report: DeviceReport }> | undefined;
/** The options the engine was created with: one worker loads one model, once. */
let engineOptions: EngineOptions | undefined;
/** The cache's connection, opened once (again after a failure). */
let cache: ReturnType<typeof ScoreCache.open> | undefined;

/**
 * The cache, or why there is none. An upgrade held up by an old tab is not waited for (the scan goes
 * on without the cache), but stays under way: once that tab closes, the next scan has the cache.
 */
async function openCache(): Promise<ScoreCache | CacheUnavailableError> {
  const opening = (cache ??= ScoreCache.open());
  try {
    const opened = await Promise.race([opening.ready, opening.blocked.then(() => 'blocked' as const)]);
    return opened === 'blocked' ? new CacheUnavailableError('another tab has the scanner open in an older version; close or reload it to use the cache') : opened;
  } catch (e) {
    if (cache === opening) cache = undefined;
    return e instanceof CacheUnavailableError ? e : new CacheUnavailableError((e as Error).message);
  }
}

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
    const opened = await openCache();
    // The cache only saves work: when it cannot be opened, or a read or write fails (a full disk, a
    // newer version of the app upgrading it in another tab), the scan goes on without it.
    let store = opened instanceof ScoreCache ? opened : undefined;
    const batchSize = options.batchSize ?? 128;
    const started = performance.now();
    // The scorer's stage times add up over the worker's life: this scan's are the difference.
    const timesBefore = { ...scorer.times };
    const times: ScanTimes = { tokenize: 0, infer: 0, aggregate: 0, read: 0, lookup: 0, cacheWrite: 0, deliver: 0 };
    const summary: ScanSummary = { documents: 0, scored: 0, failed: 0, cached: 0, ms: 0, times };
    if (opened instanceof CacheUnavailableError) summary.cacheProblem = opened.message;
    const withoutCache = (e: unknown) => {
      summary.cacheProblem ??= `the cache failed (${(e as Error).message})`;
      store = undefined;
      cache = undefined;
    };
    /** Adds the time since `since` to a stage, and returns now (the next stage's start). */
    const lap = (stage: keyof ScanTimes, since: number): number => {
      const now = performance.now();
      times[stage] += now - since;
      return now;
    };
    const bytesTotal = files.reduce((a, f) => a + f.size, 0);
    const large = bytesTotal > LARGE_SCAN_BYTES;
    let bytesBefore = 0;
    let lastProgress = 0;
    let delivering: void | Promise<void> = undefined;
    // The cache write of the previous batch: one in flight while the next batch is read and scored
    // (an IndexedDB commit is a round trip to the browser process; awaiting each in turn made the
    // worker wait on it for every batch).
    let writing: Promise<void> | undefined;

    /**
     * A batch's cache keys and cached scores. A re-scan of the same file finds each whole batch under
     * one key and needs no per-document key; otherwise, in a scan that is not large, every document
     * is looked up by its own.
     */
    const lookUp = async (records: ScanRecord[]): Promise<BatchLookup> => {
      const docs = records.flatMap((r) => ('doc' in r ? [r.doc] : []));
      const none: BatchLookup = { docs, keys: [], hits: docs.map(() => undefined) };
      const from = store;
      if (docs.length === 0 || !from) return none;
      try {
        const batchKey = await batchCacheKey(docs.map((d) => d.text), scorer.model);
        const found = await from.getBatch(batchKey);
        const wholeBatch = found?.length === docs.length ? found : undefined;
        if (wholeBatch) return { docs, batchKey, wholeBatch, keys: [], hits: wholeBatch };
        if (large) return { ...none, batchKey };
        const keys = await Promise.all(docs.map((d) => cacheKey(d.text, scorer.model)));
        return { docs, batchKey, keys, hits: await from.findMany(keys) };
      } catch (e) {
        withoutCache(e);
        return none;
      }
    };

    for (const [fileIndex, file] of files.entries()) {
      let bytesRead = 0;
      const report = (force = false) => {
        const now = performance.now();
        if (!force && now - lastProgress < 100) return;
        lastProgress = now;
        onProgress({ file: file.name, fileIndex, files: files.length, documents: summary.documents, bytesRead: bytesBefore + bytesRead, bytesTotal });
      };
      let batch: ScanRecord[] = [];
      const score = async (records: ScanRecord[], { docs, batchKey, wholeBatch, keys, hits }: BatchLookup) => {
        const fresh: (DocumentResult | undefined)[] = [];
        const missing = docs.flatMap((_, i) => (hits[i] ? [] : [i]));
        if (missing.length > 0) {
          // Progress after every model call, not only every batch: at ~100 docs/s a batch of 128
          // takes over a second, and the page must show progress at least twice a second.
          const results = await scorer.scoreDocuments(missing.map((i) => docs[i]!), { onModelCall: () => report() });
          missing.forEach((i, j) => { fresh[i] = results[j]; });
        }
        // The scorer keeps its own stage times.
        let t = performance.now();
        if (batchKey && !wholeBatch) {
          const newEntries: { key: string; scores: StoredScores }[] = [];
          const entries = docs.map((_, i): StoredScores | undefined => {
            const result = fresh[i];
            if (hits[i] || !result || 'error' in result) return hits[i];
            if (!large) newEntries.push({ key: keys[i]!, scores: result });
            return result;
          });
          // The batch record only when every document in it has scores (a failed one is tried again next time).
          const complete = entries.every((e): e is StoredScores => e !== undefined);
          // A failed previous write drops the cache (withoutCache), hence `store?.`. In a large scan a
          // batch with a document that failed (an empty text) is not cached, and a re-scan scores it again.
          await writing;
          writing = store?.putMany(newEntries, complete ? { key: batchKey, entries } : undefined).catch(withoutCache);
        }
        t = lap('cacheWrite', t);
        let k = 0;
        const rows: ScanRow[] = records.map((r): ScanRow => {
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
        const packed = packRows(rows, { detailForAll: !large });
        delivering = onRows(transfer(packed, batchBuffers(packed)));
        report(true);
        lap('deliver', t);
      };
      /** Batches read but not yet scored, their cache lookups under way. */
      const ahead: { records: ScanRecord[]; lookup: Promise<BatchLookup> }[] = [];
      /** Starts the lookup of the batch just read, and scores batches read LOOKAHEAD_BATCHES before it (all at the end of a file). */
      const flush = async (final = false) => {
        // Lookups start well before the previous batches' cache writes are queued: IndexedDB runs a
        // read after the writes queued before it on the same stores, and a lookup queued behind each
        // batch's write waited for that commit (a sixth of the tab's time on a 64 MB shard). Keys and
        // reads are chains of async steps that advance only while the scorer yields, so they get
        // several batches' time.
        if (batch.length > 0) {
          const lookup = lookUp(batch);
          lookup.catch(() => undefined);
          ahead.push({ records: batch, lookup });
          batch = [];
        }
        while (ahead.length > (final ? 0 : LOOKAHEAD_BATCHES)) {
          const current = ahead.shift()!;
          const t = performance.now();
          const found = await current.lookup;
          lap('lookup', t);
          await score(current.records, found);
        }
      };
      let readStart = performance.now();
      for await (const record of readDocuments(file, { ...options, onBytes: (n) => { bytesRead = n; report(); } })) {
        batch.push(record.doc ? { doc: record.doc } : { failure: record.failure! });
        if (batch.length >= batchSize) {
          lap('read', readStart);
          await flush();
          readStart = performance.now();
        }
      }
      lap('read', readStart);
      await flush(true);
      bytesBefore += file.size;
    }
    const end = performance.now();
    await delivering;
    await writing;
    // The page taking the last batch, then the last commit.
    lap('cacheWrite', lap('deliver', end));
    summary.ms = performance.now() - started;
    Object.assign(times, { tokenize: scorer.times.tokenize - timesBefore.tokenize, infer: scorer.times.infer - timesBefore.infer, aggregate: scorer.times.aggregate - timesBefore.aggregate });
    return summary;
  },

  /** What the cache holds, or why it cannot be used. */
  async cacheStatus(): Promise<CacheReport> {
    const opened = await openCache();
    if (opened instanceof CacheUnavailableError) return { unavailable: opened.message };
    return opened.status();
  },

  async clearCache(): Promise<void> {
    const opened = await openCache();
    if (opened instanceof CacheUnavailableError) throw opened;
    await opened.clear();
  },
};

export type ScannerApi = typeof api;
expose(api);
