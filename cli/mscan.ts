// mscan: score documents for misalignment narratives from the command line, with the same code
// and model file as the web app. One JSON object per document on stdout (or --out FILE).
import { createReadStream, openAsBlob } from 'node:fs';
import { access, stat, truncate } from 'node:fs/promises';
import { rename, open as openFile, type FileHandle } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { InputError } from '../core/errors.ts';
import { modelKey } from '../core/model-config.ts';
import { readDocuments, type ByteSource, type ReadRecord } from '../core/read-documents.ts';
import { toJsonLine, type DocumentResult, type InputDocument } from '../core/results.ts';
import type { Scorer } from '../core/scorer.ts';
import { DEFAULT_MODEL_DIR, loadNodeModel } from './node-model.ts';

const USAGE = `Usage:
  mscan score FILE... [options]    score .txt .md .html .json .jsonl .csv files (and .gz of them)
  mscan info [--model DIR]         print the model's id, version, labels and threshold

Options:
  --out FILE          write results to FILE (atomically: FILE appears only when complete;
                      an interrupted run resumes from FILE.partial, a complete FILE is skipped)
  --text-field NAME   JSON field / CSV column with the text (default: text)
  --id-field NAME     JSON field / CSV column with the id (default: id)
  --model DIR         model directory (default: models/mns-cnn)
  --batch N           documents per model batch (default: 256)
  --threads N         inference threads (default: all cores)
  --fast              score with the first-stage model alone: about 10x faster, somewhat less
                      accurate (model card: "fast mode"); results name model <id>-first-stage
  -h, --help          show this help

Output: one JSON object per document:
  {"id","source","line","scores":{7 labels},"flagged","passages":[{"start","end","scores"}],"model"}
  or {"id","source","line","code","error"} for a document that could not be read; the rest go on.`;

class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Output that is either stdout or a file written under a temporary name (`FILE.partial`) and
 * renamed when complete, so a finished output is never confused with a partial one. An interrupted
 * run's partial output is resumed: whole batches already written are kept (the input is re-read,
 * not re-scored), and the file is cut back to the first batch that was not completely written.
 */
class ResultSink {
  private handle: FileHandle | undefined;
  private constructor(
    /** Line-end byte offsets of the partial output found at start (index i = end of line i). */
    private readonly lineEnds: number[],
    private readonly target?: string,
    private readonly temp?: string,
  ) {}

  static async open(out: string | undefined): Promise<ResultSink | 'complete'> {
    if (!out) return new ResultSink([0]);
    if (await exists(out)) return 'complete';
    const temp = `${out}.partial`;
    return new ResultSink(await exists(temp) ? await lineEnds(temp) : [0], out, temp);
  }

  /** Complete lines already in the partial output. */
  get writtenLines(): number { return this.lineEnds.length - 1; }

  /** Keeps the first `lines` lines of the partial output and appends after them from now on. */
  async resumeAfter(lines: number): Promise<void> {
    if (!this.temp) return;
    if (lines > 0) await truncate(this.temp, this.lineEnds[lines]!);
    this.handle = await openFile(this.temp, lines > 0 ? 'a' : 'w');
  }

  async write(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    const text = lines.join('\n') + '\n';
    if (this.temp) {
      if (!this.handle) await this.resumeAfter(0);
      await this.handle!.write(text);
    } else if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
  }

  async close(): Promise<void> {
    if (!this.temp) return;
    if (!this.handle) await this.resumeAfter(this.writtenLines);
    await this.handle!.sync();
    await this.handle!.close();
    await rename(this.temp, this.target!);
  }
}

const exists = (path: string) => access(path).then(() => true, () => false);

/** The model named by the first scored line of an earlier output (complete or partial), if any. */
async function modelOfOutput(out: string): Promise<{ file: string; model: string } | undefined> {
  for (const file of [out, `${out}.partial`]) {
    if (!(await exists(file))) continue;
    let head = '';
    for await (const chunk of createReadStream(file, { end: (1 << 20) - 1, encoding: 'utf8' })) head += chunk as string;
    for (const line of head.split('\n')) {
      try {
        const model = (JSON.parse(line) as { model?: unknown }).model;
        if (typeof model === 'string') return { file, model };
      } catch { /* a cut-off last line, or a failure record */ }
    }
  }
  return undefined;
}

async function lineEnds(path: string): Promise<number[]> {
  const ends: number[] = [0];
  let offset = 0;
  for await (const chunk of createReadStream(path)) {
    const buf = chunk as Buffer;
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) ends.push(offset + i + 1);
    offset += buf.length;
  }
  return ends;
}

async function fileSource(path: string): Promise<ByteSource> {
  const info = await stat(path);
  if (info.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
  const blob = await openAsBlob(path);
  return { name: path, size: blob.size, stream: () => blob.stream() as ReadableStream<Uint8Array> };
}

/** Reads one file's records; an unreadable file becomes one failure record. */
async function* readFile(path: string, textField: string, idField: string): AsyncGenerator<ReadRecord> {
  let src: ByteSource;
  try {
    src = await fileSource(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    const err = new InputError('unreadable-file', `Cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code}.`);
    yield { failure: { id: path, source: path, code: err.code, error: err.message } };
    return;
  }
  yield* readDocuments(src, { textField, idField });
}

/**
 * Scores records in batches and writes one line per record, in input order (a failure stays where
 * its line was). Batches start at multiples of batchSize within each file, so a file's scores never
 * depend on other files or on where a run was resumed.
 */
async function scoreFiles(paths: string[], opts: { textField: string; idField: string }, scorer: Scorer, batchSize: number, sink: ResultSink): Promise<{ scored: number; failed: number; skipped: number }> {
  let scored = 0; let failed = 0; let skipped = 0;
  let position = 0; // output lines accounted for so far
  let resumed = false;
  for (const path of paths) {
    let pending: ReadRecord[] = [];
    let inFile = 0;
    const flush = async () => {
      if (pending.length === 0) return;
      if (!resumed) {
        if (position + pending.length <= sink.writtenLines) {
          // This whole batch is already in the partial output.
          position += pending.length; skipped += pending.length; pending = [];
          return;
        }
        await sink.resumeAfter(position);
        resumed = true;
      }
      const docs: InputDocument[] = pending.filter((r) => r.doc).map((r) => r.doc!);
      const results = docs.length ? await scorer.scoreDocuments(docs) : [];
      let k = 0;
      const ordered: DocumentResult[] = pending.map((r) => (r.doc ? results[k++]! : r.failure!));
      for (const r of ordered) if ('error' in r) failed++; else scored++;
      await sink.write(ordered.map(toJsonLine));
      position += pending.length;
      pending = [];
    };
    for await (const record of readFile(path, opts.textField, opts.idField)) {
      pending.push(record);
      if (++inFile % batchSize === 0) await flush();
    }
    await flush();
  }
  return { scored, failed, skipped };
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      'text-field': { type: 'string', default: 'text' },
      'id-field': { type: 'string', default: 'id' },
      model: { type: 'string', default: DEFAULT_MODEL_DIR },
      batch: { type: 'string', default: '256' },
      threads: { type: 'string' },
      fast: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...files] = positionals;
  if (values.help || !command) { console.log(USAGE); return command || values.help ? 0 : 2; }
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1) throw new UsageError(`--batch must be a positive integer, not "${values.batch}"`);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  const model = await loadNodeModel(values.model, { threads, firstStageOnly: values.fast });
  if (command === 'info') {
    const { id, version, labels, threshold, max_length, stride } = model.config;
    console.log(JSON.stringify({ model: modelKey(model.config), id, version, labels, threshold, max_length, stride }, null, 2));
    return 0;
  }
  if (command !== 'score') throw new UsageError(`unknown command "${command}"`);
  if (files.length === 0) throw new UsageError('score needs at least one FILE');
  const started = performance.now();
  // An output is skipped when complete and resumed when partial: only if the same model wrote it.
  const earlier = values.out ? await modelOfOutput(values.out) : undefined;
  if (earlier && earlier.model !== model.scorer.model) {
    throw new Error(`${earlier.file} holds scores of model ${earlier.model}, but this run scores with ${model.scorer.model} (--fast selects the first stage alone). Delete it or choose another --out.`);
  }
  const sink = await ResultSink.open(values.out);
  if (sink === 'complete') {
    console.error(`mscan: ${values.out} is already complete; nothing to do (delete it to score again).`);
    return 0;
  }
  const { scored, failed, skipped } = await scoreFiles(files, { textField: values['text-field']!, idField: values['id-field']! }, model.scorer, batch, sink);
  await sink.close();
  const seconds = (performance.now() - started) / 1000;
  const resumed = skipped ? `, resumed after ${skipped} already written` : '';
  console.error(`mscan: ${scored} scored, ${failed} failed${resumed}, ${(scored / Math.max(seconds, 1e-9)).toFixed(0)} docs/s, model ${model.scorer.model}`);
  return 0;
}

const isEntry = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/cli\//, '/cli/'));
if (isEntry) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: Error) => {
    console.error(`mscan: ${e.message}`);
    if (e instanceof UsageError) console.error(`Run "mscan --help" for usage.`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  });
}
