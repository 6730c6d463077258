import Papa from 'papaparse';
import { InputError, formatBytes } from './errors.ts';
import { htmlToText } from './html.ts';
import type { FailedDocument, InputDocument } from './results.ts';

/** What the readers need of a file: a browser `File` and a Node `Blob` from `fs.openAsBlob` both fit. */
export interface ByteSource {
  readonly name: string;
  readonly size: number;
  stream(): ReadableStream<Uint8Array>;
}

export interface ReadOptions {
  /** JSON/JSONL field or CSV column holding the document text. */
  textField?: string;
  /** JSON/JSONL field or CSV column holding the document id. */
  idField?: string;
  /** Largest single document accepted; larger ones get a `document-too-large` error. */
  maxDocumentBytes?: number;
  /** Called with the number of (compressed) bytes consumed so far, for progress. */
  onBytes?: (bytesRead: number) => void;
  signal?: AbortSignal;
}

export type ReadRecord = { doc: InputDocument; failure?: undefined } | { doc?: undefined; failure: FailedDocument };

export type InputFormat = 'text' | 'markdown' | 'html' | 'json' | 'jsonl' | 'csv';

export const DEFAULT_MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;

const EXTENSIONS: Record<string, InputFormat> = {
  txt: 'text', text: 'text', md: 'markdown', markdown: 'markdown', html: 'html', htm: 'html',
  json: 'json', jsonl: 'jsonl', ndjson: 'jsonl', csv: 'csv',
};

/** Format from the file name; `.gz` is looked through. Unknown extensions are read as plain text. */
export function detectFormat(name: string): { format: InputFormat; gzip: boolean } {
  const lower = name.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const base = gzip ? lower.slice(0, -3) : lower;
  const ext = base.includes('.') ? base.slice(base.lastIndexOf('.') + 1) : '';
  return { format: EXTENSIONS[ext] ?? 'text', gzip };
}

const failure = (source: string, id: string, e: InputError, line?: number): ReadRecord =>
  ({ failure: { id, source, line, code: e.code, error: e.message } });

function decodeUtf8(bytes: Uint8Array, where: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    throw new InputError('invalid-utf8', `${where} is not valid UTF-8 (first bad byte at offset ${offset}). Re-save it as UTF-8.`);
  }
}

/** Byte offset of the first byte that breaks UTF-8, for an error message a person can act on. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 1 : (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return i;
    for (let k = 1; k < n; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += n;
  }
  return bytes.length;
}

function looksBinary(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 8192);
  return head.includes(0);
}

function byteStream(src: ByteSource, gzip: boolean, onBytes?: (n: number) => void): ReadableStream<Uint8Array> {
  let read = 0;
  const counted = src.stream().pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      read += chunk.byteLength;
      onBytes?.(read);
      controller.enqueue(chunk);
    },
  }));
  return gzip ? counted.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>) : counted;
}

async function readAll(stream: ReadableStream<Uint8Array>, limit: number, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new InputError('document-too-large',
        `${what} is over ${formatBytes(limit)}, the largest single document the scanner reads. Split it into smaller files, or into JSONL lines (one document per line), which have no total size limit.`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}

/**
 * Splits a byte stream into lines without decoding the whole file, so a multi-gigabyte JSONL shard
 * is never held in memory. A line longer than `limit` is skipped (reported, not buffered).
 */
export async function* splitLines(stream: ReadableStream<Uint8Array>, limit: number): AsyncGenerator<{ line: number; bytes?: Uint8Array; tooLong?: number }> {
  const reader = stream.getReader();
  let parts: Uint8Array[] = [];
  let partBytes = 0;
  let overflow = 0;
  let line = 0;
  const take = (piece: Uint8Array) => {
    if (overflow || partBytes + piece.byteLength > limit) { overflow += partBytes + piece.byteLength; parts = []; partBytes = 0; return; }
    parts.push(piece); partBytes += piece.byteLength;
  };
  const finish = () => {
    line++;
    if (overflow) { const n = overflow; overflow = 0; return { line, tooLong: n }; }
    const bytes = parts.length === 1 ? parts[0]! : concat(parts, partBytes);
    parts = []; partBytes = 0;
    return { line, bytes };
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      let from = 0;
      for (let nl = value.indexOf(10, from); nl >= 0; nl = value.indexOf(10, from)) {
        take(value.subarray(from, nl));
        yield finish();
        from = nl + 1;
      }
      if (from < value.byteLength) take(value.slice(from));
    }
    if (partBytes > 0 || overflow) yield finish();
  } finally {
    reader.releaseLock();
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.byteLength; }
  return out;
}

const describeFields = (obj: Record<string, unknown>) => Object.keys(obj).slice(0, 12).join(', ') || 'none';

/** The text and id of one JSON value (a JSONL line or a JSON array element). */
function documentFromJson(value: unknown, opts: { textField: string; idField: string }, where: string): { text: string; id?: string } {
  if (typeof value === 'string') return { text: value };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError('not-an-object', `${where} is ${Array.isArray(value) ? 'an array' : String(value === null ? 'null' : typeof value)}, not an object with a "${opts.textField}" field.`);
  }
  const obj = value as Record<string, unknown>;
  const text = obj[opts.textField];
  if (text === undefined) {
    throw new InputError('missing-text-field', `${where} has no "${opts.textField}" field (its fields: ${describeFields(obj)}). Choose the text field (--text-field in the CLI).`);
  }
  if (typeof text !== 'string') throw new InputError('text-not-a-string', `${where}: field "${opts.textField}" is a ${typeof text}, not a string.`);
  const rawId = obj[opts.idField];
  const id = typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : undefined;
  return { text, id };
}

/**
 * Reads every document of one file. Problems with the file, a line or a row are yielded as
 * failures and reading goes on, so every input document appears in the results.
 */
export async function* readDocuments(src: ByteSource, options: ReadOptions = {}): AsyncGenerator<ReadRecord> {
  const { format, gzip } = detectFormat(src.name);
  const textField = options.textField ?? 'text';
  const idField = options.idField ?? 'id';
  const limit = options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
  const source = src.name;
  if (src.size === 0) {
    yield failure(source, source, new InputError('empty-file', `${source} is empty (0 bytes).`));
    return;
  }
  try {
    if (format === 'jsonl') {
      yield* readJsonLines(src, gzip, { textField, idField, limit, onBytes: options.onBytes, signal: options.signal });
      return;
    }
    // A JSON or CSV file holds many documents, so it may be larger than one document.
    const fileLimit = format === 'json' || format === 'csv' ? Math.max(limit, 256 * 1024 * 1024) : limit;
    const bytes = await readAll(byteStream(src, gzip, options.onBytes), fileLimit, source);
    if (bytes.byteLength === 0) throw new InputError('empty-file', `${source} is empty.`);
    if (looksBinary(bytes)) throw new InputError('binary-file', `${source} looks like a binary file (it contains NUL bytes). Convert it to plain text, HTML, Markdown, JSONL or CSV first.`);
    const text = decodeUtf8(bytes, source);
    if (format === 'json') yield* readJsonArray(text, source, { textField, idField });
    else if (format === 'csv') yield* readCsv(text, source, { textField, idField });
    else yield { doc: { id: source, source, text: format === 'html' ? htmlToText(text) : text } };
  } catch (e) {
    if (e instanceof InputError) yield failure(source, source, e);
    else if (e instanceof TypeError && gzip) yield failure(source, source, new InputError('invalid-gzip', `${source} is not a valid gzip file (${e.message}).`));
    else throw e;
  }
}

async function* readJsonLines(src: ByteSource, gzip: boolean, o: { textField: string; idField: string; limit: number; onBytes?: (n: number) => void; signal?: AbortSignal }): AsyncGenerator<ReadRecord> {
  const source = src.name;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let sawLine = false;
  for await (const { line, bytes, tooLong } of splitLines(byteStream(src, gzip, o.onBytes), o.limit)) {
    o.signal?.throwIfAborted();
    const id = `${source}:${line}`;
    if (tooLong !== undefined) {
      yield failure(source, id, new InputError('document-too-large', `Line ${line} is ${formatBytes(tooLong)}, over the ${formatBytes(o.limit)} limit for one document.`), line);
      continue;
    }
    let text: string;
    try {
      text = decoder.decode(bytes!);
    } catch {
      yield failure(source, id, new InputError('invalid-utf8', `Line ${line} is not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8(bytes!)} of the line).`), line);
      continue;
    }
    if (text.trim() === '') continue; // blank lines separate nothing in JSONL; skipping them loses no document
    sawLine = true;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      yield failure(source, id, new InputError('malformed-json', `Line ${line} is not valid JSON: ${(e as Error).message}`), line);
      continue;
    }
    try {
      const d = documentFromJson(value, o, `Line ${line}`);
      yield { doc: { id: d.id ?? id, source, line, text: d.text } };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const rawId = (value as Record<string, unknown> | null)?.[o.idField];
      yield failure(source, typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : id, e, line);
    }
  }
  if (!sawLine) yield failure(source, source, new InputError('empty-file', `${source} has no JSON lines.`));
}

function* readJsonArray(text: string, source: string, o: { textField: string; idField: string }): Generator<ReadRecord> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError('malformed-json', `${source} is not valid JSON: ${(e as Error).message}. For one document per line, name the file .jsonl.`);
  }
  const items = Array.isArray(value) ? value : [value];
  for (let i = 0; i < items.length; i++) {
    const line = i + 1;
    const fallbackId = `${source}:${line}`;
    try {
      const d = documentFromJson(items[i], o, `Item ${line}`);
      yield { doc: { id: d.id ?? (items.length === 1 ? source : fallbackId), source, line, text: d.text } };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      yield failure(source, fallbackId, e, line);
    }
  }
}

function* readCsv(text: string, source: string, o: { textField: string; idField: string }): Generator<ReadRecord> {
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  const columns = parsed.meta.fields ?? [];
  if (!columns.includes(o.textField)) {
    throw new InputError('missing-text-column', `${source} has no "${o.textField}" column (its columns: ${columns.slice(0, 12).join(', ') || 'none'}). Choose the text column (--text-field in the CLI).`);
  }
  const badRows = new Map<number, string>();
  for (const err of parsed.errors) if (err.row !== undefined && err.code !== 'TooManyFields' && err.code !== 'TooFewFields') badRows.set(err.row, err.message);
  for (let i = 0; i < parsed.data.length; i++) {
    const row = parsed.data[i]!;
    const line = i + 1;
    const id = row[o.idField] || `${source}:${line}`;
    const bad = badRows.get(i);
    if (bad) { yield failure(source, id, new InputError('malformed-csv', `Row ${line}: ${bad}`), line); continue; }
    const value = row[o.textField];
    if (value === undefined) { yield failure(source, id, new InputError('missing-text-field', `Row ${line} has no value in the "${o.textField}" column.`), line); continue; }
    yield { doc: { id, source, line, text: value } };
  }
}
