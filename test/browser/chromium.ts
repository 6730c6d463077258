import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

// Flags measured to keep Debian's Chromium off the closed network and give a (software) WebGPU adapter.
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-quic', '--enable-unsafe-webgpu', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });

export interface RecordedPage { context: BrowserContext; page: Page; requests: string[]; consoleErrors: string[] }

/** A fresh context whose every request (page, workers, service worker) is recorded. */
/** Opens the app in a fresh context; `initScript` runs in every page of it before the app's own scripts. */
export async function openApp(browser: Browser, url: string, initScript?: string): Promise<RecordedPage> {
  const context = await browser.newContext({ acceptDownloads: true });
  if (initScript) await context.addInitScript(initScript);
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(url);
  return { context, page, requests, consoleErrors };
}

/** Waits until the worker reports which device it loaded the model on, and returns that report. */
export async function waitForModel(page: Page): Promise<{ device: string; status: string }> {
  const status = page.getByTestId('device-status');
  await page.waitForFunction(() => document.querySelector('[data-testid=device-status]')?.getAttribute('data-device'), null, { timeout: 60_000 });
  return { device: (await status.getAttribute('data-device'))!, status: (await status.textContent())! };
}

/** Serves a production build (dist/ unless `outDir` says otherwise) on a free local port. */
export async function serveBuild(options: { root?: string; outDir?: string } = {}): Promise<{ server: PreviewServer; url: string }> {
  const server = await preview({ root: options.root, build: options.outDir ? { outDir: options.outDir } : undefined, preview: { host: '127.0.0.1', port: 0, strictPort: false }, logLevel: 'warn' });
  const address = server.httpServer.address();
  if (typeof address !== 'object' || !address) throw new Error('vite preview did not start listening');
  return { server, url: `http://127.0.0.1:${address.port}/` };
}
