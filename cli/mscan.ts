// mscan: score documents for misalignment narratives from the command line, with the same code
// and model file as the web app. One JSON object per document on stdout (or --out FILE).
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
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
  --out FILE          write results to FILE (atomically: FILE appears only when complete)
  --text-field NAME   JSON field / CSV column with the text (default: text)
  --id-field NAME     JSON field / CSV column with the id (default: id)
  --model DIR         model directory (default: models/mns-cnn)
  --batch N           documents per model batch (default: 256)
  --threads N         inference threads (default: all cores)
  -h, --help          show this help

Output: one JSON object per document:
  {"id","source","line","scores":{7 labels},"flagged","passages":[{"start","end","scores"}],"model"}
  or {"id","source","line","code","error"} for a document that could not be read; the rest go on.`;

class UsageError extends Error {
  override name = 'UsageError';
}

/** Output that is either stdout or a file written under a temporary name and renamed when complete. */
class ResultSink {
  private constructor(private readonly handle: FileHandle | undefined, private readonly target?: string, private readonly temp?: string) {}

  static async open(out: string | undefined): Promise<ResultSink> {
    if (!out) return new ResultSink(undefined);
    const temp = `${out}.partial`;
    return new ResultSink(await openFile(temp, 'w'), out, temp);
  }

  async write(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    const text = lines.join('\n') + '\n';
    if (this.handle) await this.handle.write(text);
    else if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
  }

  async close(): Promise<void> {
    if (!this.handle) return;
    await this.handle.sync();
    await this.handle.close();
    await rename(this.temp!, this.target!);
  }
}

async function fileSource(path: string): Promise<ByteSource> {
  const info = await stat(path);
  if (info.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
  const blob = await openAsBlob(path);
  return { name: path, size: blob.size, stream: () => blob.stream() as ReadableStream<Uint8Array> };
}

async function* readAll(paths: string[], textField: string, idField: string): AsyncGenerator<ReadRecord> {
  for (const path of paths) {
    let src: ByteSource;
    try {
      src = await fileSource(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
      const err = new InputError('unreadable-file', `Cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code}.`);
      yield { failure: { id: path, source: path, code: err.code, error: err.message } };
      continue;
    }
    yield* readDocuments(src, { textField, idField });
  }
}

/** Scores records in batches, keeping the input order (failures stay where their line was). */
async function scoreStream(records: AsyncIterable<ReadRecord>, scorer: Scorer, batchSize: number, sink: ResultSink): Promise<{ scored: number; failed: number }> {
  let pending: ReadRecord[] = [];
  let scored = 0; let failed = 0;
  const flush = async () => {
    const docs: InputDocument[] = pending.filter((r) => r.doc).map((r) => r.doc!);
    const results = docs.length ? await scorer.scoreDocuments(docs) : [];
    let k = 0;
    const ordered: DocumentResult[] = pending.map((r) => (r.doc ? results[k++]! : r.failure!));
    for (const r of ordered) if ('error' in r) failed++; else scored++;
    await sink.write(ordered.map(toJsonLine));
    pending = [];
  };
  for await (const record of records) {
    pending.push(record);
    if (pending.length >= batchSize) await flush();
  }
  await flush();
  return { scored, failed };
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
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...files] = positionals;
  if (values.help || !command) { console.log(USAGE); return command || values.help ? 0 : 2; }
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1) throw new UsageError(`--batch must be a positive integer, not "${values.batch}"`);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  const model = await loadNodeModel(values.model, { threads });
  if (command === 'info') {
    const { id, version, labels, threshold, max_length, stride } = model.config;
    console.log(JSON.stringify({ model: modelKey(model.config), id, version, labels, threshold, max_length, stride }, null, 2));
    return 0;
  }
  if (command !== 'score') throw new UsageError(`unknown command "${command}"`);
  if (files.length === 0) throw new UsageError('score needs at least one FILE');
  const started = performance.now();
  const sink = await ResultSink.open(values.out);
  const { scored, failed } = await scoreStream(readAll(files, values['text-field']!, values['id-field']!), model.scorer, batch, sink);
  await sink.close();
  const seconds = (performance.now() - started) / 1000;
  console.error(`mscan: ${scored} scored, ${failed} failed, ${(scored / Math.max(seconds, 1e-9)).toFixed(0)} docs/s, model ${model.scorer.model}`);
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
