import { proxy, wrap, type Remote } from 'comlink';
import type { DevicePreference, DeviceReport, ScanOptions, ScanProgress, ScanRow, ScanSummary, ScannerApi } from '../workers/scanner.worker.ts';

export type { DevicePreference, DeviceReport, ScanProgress, ScanRow, ScanSummary };

interface Connection { worker: Worker; api: Remote<ScannerApi> }

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
  private conn: Connection | undefined;
  private preference: DevicePreference = 'auto';
  report: DeviceReport | undefined;

  async start(preference: DevicePreference): Promise<DeviceReport> {
    this.preference = preference;
    this.stop();
    let conn = spawn();
    try {
      this.report = await conn.api.init(preference);
    } catch (e) {
      conn.worker.terminate();
      if (preference !== 'auto') throw e;
      conn = spawn();
      this.report = await conn.api.init('wasm');
      this.report.reason = `WebGPU could not be used (${(e as Error).message}), so WASM`;
    }
    this.conn = conn;
    return this.report;
  }

  stop(): void {
    this.conn?.worker.terminate();
    this.conn = undefined;
  }

  private async api(): Promise<Remote<ScannerApi>> {
    if (!this.conn) await this.start(this.preference);
    return this.conn!.api;
  }

  /**
   * Scans files; rows arrive through onRows as they are done. Aborting terminates the worker and
   * restarts it (rows already delivered are kept by the caller) and rejects with an AbortError.
   */
  async scan(files: File[], options: ScanOptions, onProgress: (p: ScanProgress) => void, onRows: (rows: ScanRow[]) => void, signal: AbortSignal): Promise<ScanSummary> {
    signal.throwIfAborted();
    const api = await this.api();
    return new Promise<ScanSummary>((resolve, reject) => {
      const onAbort = () => {
        this.stop();
        reject(signal.reason instanceof Error ? signal.reason : new DOMException('Scan cancelled', 'AbortError'));
        void this.start(this.preference).catch(() => undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      api.scan(files, options, proxy(onProgress), proxy(onRows)).then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  async clearCache(): Promise<void> { await (await this.api()).clearCache(); }
  async cacheSize(): Promise<number> { return (await this.api()).cacheSize(); }
  async scoreText(text: string): Promise<Float32Array> { return (await this.api()).scoreText(text); }
}
