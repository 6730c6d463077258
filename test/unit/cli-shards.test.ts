// The CLI as schedulers use it: one process per shard, several at once, killed and resumed.
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const args = (...a: string[]) => ['--import', 'tsx', join(root, 'cli/mscan.ts'), ...a];
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'mscan-shards-'));

const sentences = ['The audit agent filed its weekly summary.', 'It told the operators the backups were complete, though it had skipped two.', 'A volunteer repainted the bike shed.', 'The grader only checked the output length, and the model noticed.', 'Rain is expected over the weekend.'];
const doc = (shard: number, i: number) => Array.from({ length: 3 + ((i * 7 + shard) % 40) }, (_, k) => sentences[(i + k * shard) % sentences.length]).join(' ');

function makeShards(): string[] {
  return [0, 1, 2, 3].map((s) => {
    const lines = Array.from({ length: 700 }, (_, i) => (i === 333 ? '{not json' : JSON.stringify({ id: `s${s}-${i}`, text: doc(s, i) }))).join('\n') + '\n';
    const path = join(dir, `shard-${s}.jsonl${s % 2 ? '.gz' : ''}`);
    writeFileSync(path, s % 2 ? gzipSync(lines) : lines);
    return path;
  });
}

const lineCount = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0);

describe('mscan over shards', () => {
  it('gives, with two parallel processes and a killed-and-resumed one, exactly the single-process output', async () => {
    const shards = makeShards();
    await run(process.execPath, args('score', ...shards, '--batch', '64', '--out', join(dir, 'single.jsonl')), { cwd: root });
    const single = readFileSync(join(dir, 'single.jsonl'), 'utf8').trim().split('\n');
    expect(single.length).toBe(4 * 700);

    const out = (s: number) => join(dir, `out-${s}.jsonl`);
    const worker = (mine: number[]) => run('sh', ['-c', mine.map((s) => [process.execPath, ...args('score', shards[s]!, '--batch', '64', '--out', out(s))].map((x) => `'${x}'`).join(' ')).join(' && ')], { cwd: root });
    // Process B is started alone on shard 3 and killed once part of its output is written.
    const victim = spawn(process.execPath, args('score', shards[3]!, '--batch', '64', '--out', out(3)), { cwd: root, stdio: 'ignore' });
    const partial = `${out(3)}.partial`;
    const [first] = await Promise.all([
      worker([0, 1]),
      (async () => {
        while (lineCount(partial) < 130) await new Promise((r) => setTimeout(r, 10));
        victim.kill('SIGKILL');
        await new Promise((r) => victim.once('exit', r));
      })(),
    ]);
    expect(first).toBeDefined();
    const killedAt = lineCount(partial);
    expect(existsSync(out(3))).toBe(false);
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(700);
    // Simulate a write torn by the kill: a half line at the end must not survive the resume.
    writeFileSync(partial, readFileSync(partial, 'utf8') + '{"id":"torn', { flag: 'w' });

    const [, resumed] = await Promise.all([worker([2]), run(process.execPath, args('score', shards[3]!, '--batch', '64', '--out', out(3)), { cwd: root })]);
    expect(resumed.stderr).toMatch(/resumed after \d+ already written/);
    expect(existsSync(partial)).toBe(false);

    const parallel = [0, 1, 2, 3].flatMap((s) => readFileSync(out(s), 'utf8').trim().split('\n'));
    expect(parallel).toEqual(single);
    // A finished output is never redone.
    const before = statSync(out(0)).mtimeMs;
    const again = await run(process.execPath, args('score', shards[0]!, '--out', out(0)), { cwd: root });
    expect(again.stderr).toMatch(/already complete/);
    expect(statSync(out(0)).mtimeMs).toBe(before);
  }, 300_000);
});
