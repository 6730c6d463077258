import { proxy, wrap, type Remote } from 'comlink';
import type { RowBatch } from '../core/result-store.ts';
import type { CacheReport, DevicePreference, DeviceReport, EngineOptions, ScanOptions, ScanProgress, ScanRow, ScanSummary, ScannerApi } from '../workers/scanner.worker.ts';

export type { DevicePreference, DeviceReport, EngineOptions, ScanProgress, ScanRow, ScanSummary };

interface Connection { worker: Worker; api: Remote<ScannerApi>; report?: DeviceReport }

const spawn = (): Connection => {
  const worker = new Worker(new URL('../workers/scanner.worker.ts', import.meta.url), { type: 'module', name: 'scanner' });
  return { worker, api: wrap<ScannerApi>(worker) };
};

/**
 * The page's handle on the scanner worker. Picks the device by evidence (the worker runs a canary
 * on WebGPU; on any failure a fresh worker starts on WASM, since a failed GPU session can leave the
 * runtime unusable), and cancels by terminating the worker, which WASM inference needs.
 */
export class ScannerClient {
  private conn: Promise<Connection> | undefined;
  private options: EngineOptions = { device: 'auto', firstStageOnly: false };

  /** (Re)starts the worker on the preferred device and mode; concurrent callers share one start. */
  async start(options: EngineOptions): Promise<DeviceReport> {
    this.options = options;
    this.stop();
    const conn = this.connect(options);
    this.conn = conn;
    // This start's own report: a start still loading from before must not answer for this one.
    return (await conn).report!;
  }

  private async connect(options: EngineOptions): Promise<Connection> {
    let conn: Connection = spawn();
    try {
      conn.report = await conn.api.init(options);
    } catch (e) {
      conn.worker.terminate();
      if (options.device !== 'auto') throw e;
      conn = spawn();
      conn.report = await conn.api.init({ ...options, device: 'wasm' });
      conn.report.reason = `WebGPU could not be used (${(e as Error).message}), so WASM`;
    }
    return conn;
  }

  stop(): void {
    const conn = this.conn;
    this.conn = undefined;
    void conn?.then((c) => c.worker.terminate(), () => undefined);
  }

  private async api(): Promise<Remote<ScannerApi>> {
    this.conn ??= this.connect(this.options);
    return (await this.conn).api;
  }

  /**
   * Scans files; rows arrive through onRows as they are done. Aborting terminates the worker and
   * restarts it (rows already delivered are kept by the caller) and rejects with an AbortError.
   */
  async scan(files: File[], options: ScanOptions, onProgress: (p: ScanProgress) => void, onRows: (rows: RowBatch) => void, signal: AbortSignal): Promise<ScanSummary> {
    signal.throwIfAborted();
    const api = await this.api();
    return new Promise<ScanSummary>((resolve, reject) => {
      const onAbort = () => {
        this.stop();
        reject(signal.reason instanceof DOMException && signal.reason.name === 'AbortError' ? signal.reason : new DOMException('Scan cancelled', 'AbortError'));
        // A fresh worker, loaded in the background, so the next scan does not wait for the model.
        this.conn = this.connect(this.options);
        this.conn.catch(() => undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      api.scan(files, options, proxy(onProgress), proxy(onRows)).then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  async clearCache(): Promise<void> { await (await this.api()).clearCache(); }
  async cacheStatus(): Promise<CacheReport> { return (await this.api()).cacheStatus(); }
}
