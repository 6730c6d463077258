// Keeps `npm run bench` from rotting: the quick mode must run end to end and report every figure.
// It asserts that figures exist and are positive, never how fast they are (timings are for the benchmark).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

describe('npm run bench -- --quick', () => {
  it('measures the CLI, the naive path and both browser devices, and writes comparable JSON', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mscan-bench-')), 'bench.json');
    execFileSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--docs', '60', '--out', out], { cwd: root, stdio: 'pipe' });
    const r = JSON.parse(readFileSync(out, 'utf8'));
    expect(r.cli.docs_per_second_end_to_end.median).toBeGreaterThan(0);
    expect(r.cli.peak_rss_mb.median).toBeGreaterThan(0);
    expect(r.naive_transformers_js.docs_per_second).toBeGreaterThan(0);
    for (const device of ['wasm', 'webgpu']) {
      const b = r.browser[device];
      expect(b.docs_per_second_end_to_end.median).toBeGreaterThan(0);
      expect(b.rescan_from_cache_docs_per_second.median).toBeGreaterThan(0);
      expect(b.model_load_ms.median).toBeGreaterThan(0);
      expect(b.cold_start_to_first_score_ms.empty_http_cache.median).toBeGreaterThan(0);
      expect(b.cold_start_to_first_score_ms.warm_http_cache.median).toBeGreaterThan(0);
    }
  });

  it('streams a shard over the large-scan line through the tab in fast mode and re-scans it wholly from the cache', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mscan-bench-')), 'bench.json');
    // 33 MB: large scans are cached by batch only, and the bench fails unless the re-scan finds every document.
    execFileSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--fast', '--no-cli', '--no-webgpu', '--docs', '20', '--tab-shard-mb', '33', '--text', 'web', '--out', out], { cwd: root, stdio: 'pipe' });
    const t = JSON.parse(readFileSync(out, 'utf8')).tab_shard;
    expect(t.documents).toBeGreaterThan(15_000);
    expect(t.docs_per_second).toBeGreaterThan(0);
    expect(t.rescan_docs_per_second).toBeGreaterThan(0);
    expect(t.tab_peak_private_mb).toBeGreaterThan(t.tab_idle_private_mb);
    for (const stage of ['tokenize', 'infer', 'read', 'cacheWrite', 'deliver']) expect(t.worker_ms_per_1000_docs[stage]).toBeGreaterThan(0);
    // Lookups run ahead of scoring, so waiting for them can round to nothing.
    expect(t.worker_ms_per_1000_docs.lookup).toBeGreaterThanOrEqual(0);
  });
});
