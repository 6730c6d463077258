import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { detectFormat, readDocuments, type ByteSource, type ReadRecord } from '../../core/read-documents.ts';
import { htmlToText } from '../../core/html.ts';

const source = (name: string, content: string | Uint8Array<ArrayBuffer>): ByteSource => {
  const blob = new Blob([content]);
  return { name, size: blob.size, stream: () => blob.stream() };
};

async function read(name: string, content: string | Uint8Array<ArrayBuffer>, options = {}): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  for await (const r of readDocuments(source(name, content), options)) out.push(r);
  return out;
}

describe('detectFormat', () => {
  it('reads the extension, looking through .gz', () => {
    expect(detectFormat('a/b/shard-00017.jsonl.gz')).toEqual({ format: 'jsonl', gzip: true });
    expect(detectFormat('notes.MD')).toEqual({ format: 'markdown', gzip: false });
    expect(detectFormat('README')).toEqual({ format: 'text', gzip: false });
  });
});

describe('readDocuments', () => {
  it('reads a text file as one document named after the file', async () => {
    expect(await read('story.txt', 'Once upon a time.')).toEqual([{ doc: { id: 'story.txt', source: 'story.txt', text: 'Once upon a time.' } }]);
  });

  it('reads JSONL with ids, reports a malformed line by number and goes on', async () => {
    const rs = await read('d.jsonl', '{"id":"a","text":"one"}\n{oops\n\n{"text":"three"}\n{"body":"x"}\n"bare string"\r\n');
    expect(rs.map((r) => r.doc?.id ?? `${r.failure!.code}@${r.failure!.line}`)).toEqual(['a', 'malformed-json@2', 'd.jsonl:4', 'missing-text-field@5', 'd.jsonl:6']);
    expect(rs[1]!.failure!.error).toMatch(/^Line 2 is not valid JSON/);
    expect(rs[3]!.failure!.error).toContain('its fields: body');
    expect(rs[4]!.doc!.text).toBe('bare string');
  });

  it('uses the chosen text and id fields', async () => {
    const rs = await read('d.jsonl', '{"uid":7,"body":"hello"}\n', { textField: 'body', idField: 'uid' });
    expect(rs[0]!.doc).toEqual({ id: '7', source: 'd.jsonl', line: 1, text: 'hello' });
  });

  it('streams gzipped JSONL', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => JSON.stringify({ id: i, text: `doc ${i}` })).join('\n');
    const rs = await read('s.jsonl.gz', gzipSync(lines));
    expect(rs.length).toBe(500);
    expect(rs[499]!.doc!.text).toBe('doc 499');
  });

  it('reports invalid UTF-8 on its JSONL line and keeps the others', async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"text":"ok"}\n{"text":"'), 0xff, 0xfe, ...new TextEncoder().encode('"}\n{"text":"fine"}\n')]);
    const rs = await read('u.jsonl', bytes);
    expect(rs.map((r) => r.doc?.text ?? r.failure!.code)).toEqual(['ok', 'invalid-utf8', 'fine']);
    expect(rs[1]!.failure!.line).toBe(2);
  });

  it('rejects empty, binary and non-UTF-8 files with specific messages', async () => {
    expect((await read('e.txt', ''))[0]!.failure).toMatchObject({ code: 'empty-file', id: 'e.txt' });
    expect((await read('b.txt', new Uint8Array([0x25, 0x50, 0x44, 0x46, 0, 1, 2])))[0]!.failure).toMatchObject({ code: 'binary-file' });
    const latin1 = (await read('l.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6b])))[0]!.failure!;
    expect(latin1.code).toBe('invalid-utf8');
    expect(latin1.error).toContain('offset 3');
  });

  it('refuses a single document over the size limit without reading it all, and says what to do', async () => {
    const rs = await read('big.txt', 'x'.repeat(2000), { maxDocumentBytes: 1000 });
    expect(rs[0]!.failure!.code).toBe('document-too-large');
    expect(rs[0]!.failure!.error).toMatch(/JSONL/);
    const lines = await read('big.jsonl', `{"text":"${'y'.repeat(2000)}"}\n{"text":"small"}\n`, { maxDocumentBytes: 1000 });
    expect(lines.map((r) => r.doc?.text ?? r.failure!.code)).toEqual(['document-too-large', 'small']);
  });

  it('reads CSV with quoted, multi-line cells and the chosen column', async () => {
    const rs = await read('t.csv', 'id,body\n1,"said ""hi"",\nthen left"\n2,plain\n', { textField: 'body' });
    expect(rs.map((r) => r.doc)).toEqual([
      { id: '1', source: 't.csv', line: 1, text: 'said "hi",\nthen left' },
      { id: '2', source: 't.csv', line: 2, text: 'plain' },
    ]);
    expect((await read('t.csv', 'a,b\n1,2\n'))[0]!.failure!.code).toBe('missing-text-column');
  });

  it('reads a JSON array of documents', async () => {
    const rs = await read('a.json', '[{"id":"x","text":"one"},{"text":"two"},{"nope":1}]');
    expect(rs.map((r) => r.doc?.id ?? r.failure!.code)).toEqual(['x', 'a.json:2', 'missing-text-field']);
  });
});

describe('htmlToText', () => {
  it('keeps visible text and drops scripts, styles and markup', () => {
    const text = htmlToText('<html><head><title>T</title><style>p{}</style><script>alert(1)</script></head><body><p>One &amp; two</p><img src=x onerror="alert(2)"><div>Three</div></body></html>');
    expect(text).toBe('T\n\nOne & two\n\nThree');
  });
});
