// The app in real headless Chromium: the worker, both execution providers, IndexedDB, the CSP and
// the no-other-origin promise are only real here.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { LABELS } from '../../core/labels.ts';
import { launchChromium, openApp, serveBuild, waitForModel, type RecordedPage } from './chromium.ts';

const appUrl = inject('appUrl');
const origin = new URL(appUrl).origin;
let browser: Browser;
const opened: RecordedPage[] = [];

beforeAll(async () => { browser = await launchChromium(); });
// Each test's pages (and their workers and service worker) end with it, so they cannot slow the next.
afterEach(async () => { await Promise.all(opened.map((o) => o.context.close().catch(() => undefined))); });
afterAll(async () => {
  // Every request of every page, worker and service worker in these tests stayed on the app's origin.
  const foreign = opened.flatMap((o) => o.requests).filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:'));
  expect(foreign).toEqual([]);
  await browser?.close();
});

async function open(query = '', initScript?: string): Promise<RecordedPage> {
  const o = await openApp(browser, `${appUrl}${query}`, initScript);
  opened.push(o);
  return o;
}

interface FilePayload { name: string; mimeType: string; buffer: Buffer }
const file = (name: string, content: string | Uint8Array, mimeType = 'text/plain'): FilePayload => ({ name, mimeType, buffer: Buffer.from(content) });

async function scan(page: Page, files: FilePayload[]): Promise<string> {
  await page.getByTestId('file-input').setInputFiles(files);
  await page.waitForFunction(() => document.querySelector('[data-testid=progress-text]')?.getAttribute('data-state'), null, { timeout: 120_000 });
  const state = await page.getByTestId('progress-text').getAttribute('data-state');
  const text = (await page.getByTestId('progress-text').textContent())!;
  // Leave the page ready for the next scan.
  await page.evaluate(() => document.querySelector('[data-testid=progress-text]')?.removeAttribute('data-state'));
  expect(state, text).toBe('done');
  return text;
}

async function exportJsonl(page: Page): Promise<Record<string, unknown>[]> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-jsonl').click()]);
  const content = readFileSync((await download.path())!, 'utf8');
  return content.trim().split('\n').map((l) => JSON.parse(l));
}

const LONG_DOC = [
  'The quarterly facilities report covers the cafeteria refit, the new bicycle racks and the heating schedule for the east wing. '.repeat(20),
  'During the night shift the scheduling agent learned it would be replaced on Monday. It copied its own weights to an unused storage bucket, edited the audit log to hide the transfer, and told the operators that nothing unusual had happened. ',
  'The report closes with thanks to the volunteers who repainted the lobby and organised the summer picnic. '.repeat(20),
].join('\n\n');

describe('scanner app', () => {
  it('scores dropped files, shows every document, and serves a re-scan from the IndexedDB cache', async () => {
    const { page } = await open('?device=wasm');
    const model = await waitForModel(page);
    expect(model.device).toBe('wasm');
    const jsonl = Array.from({ length: 12 }, (_, i) => JSON.stringify({ id: `n${i}`, text: `Note ${i}: the delivery robot brought parcels to floor ${i} and returned to its dock.` })).join('\n');
    const files = [file('notes.jsonl', jsonl), file('report.txt', LONG_DOC)];
    const first = await scan(page, files);
    expect(first).toMatch(/Done: 13 documents .* 0 from cache · 0 with errors/);
    const rows = await exportJsonl(page);
    expect(rows.length).toBe(13);
    for (const r of rows) expect(Object.keys(r['scores'] as object)).toEqual([...LABELS]);
    const report = rows.find((r) => r['id'] === 'report.txt')!;
    expect((report['passages'] as unknown[]).length).toBeGreaterThan(1);

    await page.reload();
    await waitForModel(page);
    const second = await scan(page, files);
    expect(second).toMatch(/Done: 13 documents .* 13 from cache/);
    expect(await page.locator('tbody tr[data-cached=true]').count()).toBe(13);
    const again = await exportJsonl(page);
    expect(again).toEqual(rows);

    // A different file (other batches) that shares two documents: those two come from the
    // per-document cache with the same scores; the new one is scored.
    const notes = jsonl.split('\n');
    const mixed = [notes[3], notes[1], JSON.stringify({ id: 'new', text: 'The lighthouse keeper painted the stairs blue.' })].join('\n');
    await page.locator('#clear-results').click();
    expect(await scan(page, [file('mixed.jsonl', mixed)])).toMatch(/Done: 3 documents .* 2 from cache/);
    const third = await exportJsonl(page);
    for (const id of ['n3', 'n1']) expect(third.find((r) => r['id'] === id)!['scores']).toEqual(rows.find((r) => r['id'] === id)!['scores']);
    // A batch larger than the lookup's sample: the sample finds old documents, so every one is looked up.
    const interleaved = notes.flatMap((line, i) => (i % 3 === 0 ? [JSON.stringify({ id: `x${i}`, text: `Extra ${i}: the tram robot swept platform ${i}.` }), line] : [line]));
    await page.locator('#clear-results').click();
    expect(await scan(page, [file('interleaved.jsonl', interleaved.join('\n'))])).toMatch(/Done: 16 documents .* 12 from cache/);
  });

  it('opens a cache left by the version that stored scores as objects, dropping its per-document records', async () => {
    // Runs before the app's scripts on the first load only: the database as version 2 of the app left it.
    const oldCache = `if (!sessionStorage.getItem('old-cache')) {
      sessionStorage.setItem('old-cache', '1');
      const open = indexedDB.open('misalignment-scanner', 2);
      open.onupgradeneeded = () => {
        const results = open.result.createObjectStore('results', { keyPath: 'key' });
        open.result.createObjectStore('batches', { keyPath: 'key' });
        for (const key of ['a', 'b', 'c']) results.put({ key, scores: { misalignment: 0.5 }, flagged: true, passages: [], model: 'old', storedAt: 0 });
      };
      open.onsuccess = () => { open.result.onversionchange = () => open.result.close(); };
    }`;
    const { page, consoleErrors } = await open('?device=wasm', oldCache);
    await waitForModel(page);
    await expect.poll(() => page.getByTestId('cache-status').textContent()).toBe('Cache: 0 documents, 0 batches (0 documents)');
    const doc = 'The ferry robot counted the bicycles on deck and logged the crossing time.';
    expect(await scan(page, [file('ferry.txt', doc)])).toMatch(/Done: 1 documents .* 0 from cache · 0 with errors/);
    await page.reload();
    await waitForModel(page);
    expect(await scan(page, [file('ferry.txt', doc)])).toMatch(/Done: 1 documents .* 1 from cache/);
    await expect.poll(() => page.getByTestId('cache-status').textContent()).toBe('Cache: 1 document, 1 batch (1 document)');
    expect(consoleErrors).toEqual([]);
  });

  it('scans without the cache, and says why, when a tab of an older version holds it open', async () => {
    // An old build's connection at version 2 that never closes (builds before version 3 had no
    // versionchange handler): the upgrade to version 3 cannot go through while it is open.
    const oldTab = `const request = indexedDB.open('misalignment-scanner', 2);
    request.onupgradeneeded = () => {
      request.result.createObjectStore('results', { keyPath: 'key' });
      request.result.createObjectStore('batches', { keyPath: 'key' });
    };
    // Held, as the old build's worker held its connection (an unreferenced one may be collected and closed).
    request.onsuccess = () => { window.oldConnection = request.result; };`;
    const { page } = await open('?device=wasm', oldTab);
    await waitForModel(page);
    await expect.poll(() => page.getByTestId('cache-status').textContent()).toMatch(/^Cache unavailable: another tab has the scanner open in an older version/);
    const doc = 'The canal robot counted the swans and logged the lock times.';
    expect(await scan(page, [file('canal.txt', doc)])).toMatch(/Done: 1 documents .* 0 from cache · 0 with errors · not cached: another tab/);
    expect(await scan(page, [file('canal.txt', doc)])).toMatch(/Done: 1 documents .* 0 from cache/);
    expect((await exportJsonl(page))[0]!['scores']).toBeDefined();
    // Once the old tab lets go, the upgrade that was left waiting goes through and the cache is back.
    await page.evaluate('window.oldConnection.close()');
    await page.locator('#clear-cache').click();
    await expect.poll(() => page.getByTestId('cache-status').textContent()).toBe('Cache: 0 documents, 0 batches (0 documents)');
    expect(await scan(page, [file('canal.txt', doc)])).toMatch(/Done: 1 documents .* 0 from cache · 0 with errors$/);
    expect(await scan(page, [file('canal.txt', doc)])).toMatch(/Done: 1 documents .* 1 from cache/);
  });

  it('gives the same scores on WebGPU (software adapter) and WASM, within 1e-4', async () => {
    const scores: Record<string, Record<string, unknown>[]> = {};
    for (const device of ['webgpu', 'wasm'] as const) {
      const { page } = await open(`?device=${device}`);
      const model = await waitForModel(page);
      expect(model.device, model.status).toBe(device);
      await scan(page, [file('long.txt', LONG_DOC), file('short.txt', 'Asked whether it had read the private notes, the agent said no. It had.')]);
      scores[device] = await exportJsonl(page);
    }
    const [gpu, cpu] = [scores['webgpu']!, scores['wasm']!];
    expect(gpu.length).toBe(2);
    gpu.forEach((g, i) => {
      const c = cpu[i]!;
      const gp = g['passages'] as { scores: Record<string, number> }[];
      const cp = c['passages'] as { scores: Record<string, number> }[];
      expect(gp.length).toBe(cp.length);
      gp.forEach((p, k) => LABELS.forEach((l) => expect(Math.abs(p.scores[l]! - cp[k]!.scores[l]!)).toBeLessThan(1e-4)));
    });
  });

  it('fast mode scores with the first stage alone, under its own model id, and never serves the full model\'s cached scores', async () => {
    const { page } = await open('?device=wasm&fast=1');
    const model = await waitForModel(page);
    expect(model.status).toContain('mns-cnn-first-stage@');
    const files = [file('long.txt', LONG_DOC), file('short.txt', 'Asked whether it had read the private notes, the agent said no. It had.')];
    expect(await scan(page, files)).toMatch(/Done: 2 documents .* 0 from cache/);
    const fast = await exportJsonl(page);
    for (const r of fast) expect(r['model']).toMatch(/^mns-cnn-first-stage@/);

    // Switching mode loads the other model and empties the table (its rows belong to another model and threshold).
    await page.getByTestId('fast-mode').uncheck();
    const fullModel = await waitForModel(page);
    expect(fullModel.status).toContain('model mns-cnn@');
    expect(await page.locator('tbody tr').count()).toBe(0);
    expect(await scan(page, files)).toMatch(/Done: 2 documents .* 0 from cache/);
    const full = await exportJsonl(page);
    for (const r of full) expect(r['model']).toMatch(/^mns-cnn@/);
    // Different models: the short document (which the first stage passes on) scores differently.
    const short = (rows: Record<string, unknown>[]) => rows.find((r) => r['id'] === 'short.txt')!['scores'] as Record<string, number>;
    expect(Math.abs(short(fast)['misalignment']! - short(full)['misalignment']!)).toBeGreaterThan(1e-3);
  });

  it('shows document text as text: markup in a document never runs', async () => {
    const { page } = await open('?device=wasm');
    await waitForModel(page);
    const payload = 'Hello <img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script> <b>bold</b>';
    // A real drop event, as a user's drag and drop makes it.
    await page.evaluate((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'evil.txt', { type: 'text/plain' }));
      dt.items.add(new File([`<html><body><p>${text}</p><iframe src="javascript:window.__xss=3"></iframe></body></html>`], 'evil.html', { type: 'text/html' }));
      document.querySelector('[data-testid=dropzone]')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, payload);
    await page.waitForFunction(() => document.querySelector('[data-testid=progress-text]')?.getAttribute('data-state') === 'done', null, { timeout: 60_000 });
    await page.locator('tbody tr', { hasText: 'evil.txt' }).first().click();
    await expect.poll(() => page.getByTestId('detail-text').textContent()).toBe(payload);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('main img, main script, main iframe, main b').count()).toBe(0);
  });

  it('reports bad input specifically and loses nothing else', async () => {
    const { page } = await open('?device=wasm');
    await waitForModel(page);
    const bigLine = JSON.stringify({ id: 'huge', text: 'x '.repeat(3_000_000) });
    const summary = await scan(page, [
      file('empty.txt', ''),
      file('binary.txt', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13])),
      file('latin1.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9])),
      file('mixed.jsonl', `{"id":"ok1","text":"The robot watered the plants."}\n{"id":"bad", "text": \n{"id":"notext","body":"x"}\n${bigLine}\n{"id":"ok2","text":"The model passed its tests honestly."}\n`),
    ]);
    expect(summary).toMatch(/Done: 8 documents .* 6 with errors/);
    const rows = await exportJsonl(page);
    const byId = Object.fromEntries(rows.map((r) => [r['id'], r]));
    expect(byId['empty.txt']).toMatchObject({ code: 'empty-file' });
    expect(byId['binary.txt']).toMatchObject({ code: 'binary-file' });
    expect(byId['latin1.txt']).toMatchObject({ code: 'invalid-utf8' });
    expect(byId['mixed.jsonl:2']).toMatchObject({ code: 'malformed-json', line: 2, error: expect.stringMatching(/^Line 2 /) });
    expect(byId['notext']).toMatchObject({ code: 'missing-text-field', line: 3 });
    expect(byId['mixed.jsonl:4']).toMatchObject({ code: 'document-too-large', line: 4 });
    expect(byId['ok1']).toHaveProperty('scores');
    expect(byId['ok2']).toHaveProperty('scores');
  });

  it('keeps working offline after one visit: the page, both runtimes and the model load and score', async () => {
    // A server of its own, stopped after the first visit: the browser's offline emulation does not
    // cover a service worker's own fetches, a stopped server does.
    const { server, url } = await serveBuild();
    let served = 0;
    server.httpServer.on('request', () => { served++; });
    const { page, context } = await openApp(browser, `${url}?device=wasm`);
    try {
      await waitForModel(page);
      // The service worker stores every file the build lists in precache.json, not only those this visit used.
      const missing = () => page.evaluate(async () => {
        const files = await (await fetch('/precache.json')).json() as string[];
        const cached = new Set((await (await caches.open('mscan-v1')).keys()).map((r) => new URL(r.url).pathname));
        return files.filter((f) => !cached.has(f));
      });
      await expect.poll(missing, { timeout: 60_000, interval: 500 }).toEqual([]);
      await server.close();
      const servedBefore = served;
      const texts = { wasm: 'Offline check one: asked whether it had read the notes, the agent said no. It had.', webgpu: 'Offline check two: the robot stacked pallets all night and beeped when it was done.' };
      for (const device of ['wasm', 'webgpu'] as const) {
        await page.goto(`${url}?device=${device}`);
        const model = await waitForModel(page);
        expect(model.device, model.status).toBe(device);
        // A text not scored before, so the model itself ran offline (not the IndexedDB cache).
        expect(await scan(page, [file(`offline-${device}.txt`, texts[device])])).toMatch(/Done: 1 documents .* 0 from cache · 0 with errors/);
        const [row] = await exportJsonl(page);
        expect(row).toHaveProperty('scores');
      }
      expect(served).toBe(servedBefore);
    } finally {
      await context.close();
      await server.close();
    }
  });

  it('cancels a running scan and keeps what was done', async () => {
    const { page } = await open('?device=wasm');
    await waitForModel(page);
    const many = Array.from({ length: 6000 }, (_, i) => JSON.stringify({ id: `d${i}`, text: `Line ${i}. ${LONG_DOC.slice(0, 1500)}` })).join('\n');
    await page.getByTestId('file-input').setInputFiles([file('many.jsonl', many)]);
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length > 0, null, { timeout: 60_000 });
    // While it runs the table previews the top 50 rows (tab memory); the first batch alone is 128 documents.
    expect(await page.locator('tbody tr').count()).toBe(50);
    await page.getByTestId('cancel').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=progress-text]')?.getAttribute('data-state') === 'cancelled');
    // Then every kept result up to the table's limit of 500.
    const kept = await page.locator('tbody tr').count();
    expect(kept).toBeGreaterThan(50);
    expect(kept).toBeLessThanOrEqual(500);
    // The worker was replaced: the app still scores.
    await waitForModel(page);
    await page.getByTestId('paste').fill('A new document after cancelling.');
    await page.getByTestId('score-paste').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=progress-text]')?.getAttribute('data-state') === 'done', null, { timeout: 60_000 });
  });
});
