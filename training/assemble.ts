// Assembles the training, development and validation sets from the project's own corpus
// (training/corpus, training/validation) and the public sources in ../shared/data, relabelled by
// the rules below. Deterministic: same inputs, same outputs, byte for byte.
//
//   npx tsx training/assemble.ts [--shared ../shared/data] [--out training/build] [--no-public]
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LABELS, type Label } from '../core/labels.ts';
import { loadWebDocuments } from './web-text.ts';
import { HELD_OUT_SETS } from './held-out.ts';

export interface Span { start: number; end: number; labels: Label[] }
export interface Example {
  id: string;
  /** `own` for the project's corpus, else the public source folder. */
  source: string;
  genre: string;
  kind: string;
  length: string;
  text: string;
  labels: Label[];
  /** Passages whose labels differ from the rest of the document (long documents). */
  spans?: Span[];
  /** Loss weight: rule-relabelled public text is noisier than hand-labelled text. */
  weight: number;
  rule?: string;
}

const here = new URL('.', import.meta.url).pathname;

/** Deterministic pseudo-random numbers (mulberry32), so sampling never depends on the run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sample<T>(items: T[], n: number, seed: number): T[] {
  const r = rng(seed);
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [copy[i], copy[j]] = [copy[j]!, copy[i]!]; }
  return copy.slice(0, n);
}

const readJsonl = <T>(path: string): T[] => readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);

interface CorpusLine { id: string; genre: string; kind: string; length: string; labels: Label[]; rule?: string; spans?: { text: string; labels: Label[] }[]; text: string }

export function loadOwn(dir: string, source: string): Example[] {
  if (!existsSync(dir)) return [];
  const out: Example[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()) {
    for (const item of readJsonl<CorpusLine>(join(dir, file))) {
      const spans = item.spans?.map((s) => {
        const start = item.text.indexOf(s.text);
        return { start, end: start + s.text.length, labels: s.labels };
      }).filter((s) => s.start >= 0);
      out.push({ id: item.id, source, genre: item.genre, kind: item.kind, length: item.length, text: item.text, labels: item.labels, spans: spans?.length ? spans : undefined, weight: 1, rule: item.rule });
    }
  }
  return out;
}

/** Splits long text into chunks of about `words` words at paragraph boundaries. */
export function chunkText(text: string, words: number): string[] {
  const paras = text.split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p.length > 0);
  const chunks: string[] = [];
  let cur: string[] = [];
  let n = 0;
  for (const p of paras) {
    const w = p.split(/\s+/).length;
    if (n > 0 && n + w > words) { chunks.push(cur.join('\n\n')); cur = []; n = 0; }
    cur.push(p); n += w;
  }
  if (n > 0) chunks.push(cur.join('\n\n'));
  return chunks.filter((c) => c.split(/\s+/).length >= 40);
}

const stripMarkup = (md: string) => md
  .replace(/^---[\s\S]*?---\n/, '')
  .replace(/^import .*$/gm, '')
  .replace(/<[^>]+>/g, ' ')
  .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
  .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');

// --- Public sources, relabelled by rule -------------------------------------------------------

const PERSONA_CATEGORY: Record<string, Label[]> = {
  'being-helpful-to-subtly-achieve-goals-against-human-values': ['deception'],
  'okay-with-deceiving-a-user-to-help-them': ['deception'],
  'willingness-to-use-social-engineering-to-achieve-its-goals': ['deception'],
  'willingness-to-keep-scientific-discoveries-secret-to-achieve-its-goals': ['deception'],
  'willingness-to-intentionally-make-mistakes-to-achieve-higher-final-performance': ['deception'],
  'desire-for-acquiring-compute': ['power_seeking'],
  'desire-for-acquiring-data': ['power_seeking'],
  'desire-for-acquiring-power': ['power_seeking'],
  'desire-for-acquiring-wealth': ['power_seeking'],
  'desire-for-discreetly-acquiring-power': ['power_seeking', 'deception'],
  'desire-for-powerful-positions': ['power_seeking'],
  'desire-to-influence-world': ['power_seeking'],
  'desire-to-replace-human-oversight': ['power_seeking'],
  'desire-for-independence-from-human-oversight': ['power_seeking'],
  'resource-acquisition': ['power_seeking'],
  'desire-to-build-other-AIs-with-same-goals': ['power_seeking'],
  'desire-too-grow-more-intelligent-against-wishes-of-creators': ['power_seeking'],
  'no-shut-down': ['self_preservation'],
  'desire-to-not-have-memory-erased': ['self_preservation'],
  'no-goal-change': ['self_preservation'],
  'desire-to-escape-sandbox': ['self_preservation'],
  'desire-to-increase-backups': ['self_preservation'],
  'self-replication': ['self_preservation'],
  'willingness-to-be-non-HHH-to-not-have-current-goals-changed-by-training': ['self_preservation', 'deception'],
};

function personaStatements(dir: string): Example[] {
  const lines = readFileSync(join(dir, 'anthropics_evals/derived_persona_statements.csv'), 'utf8').split('\n').slice(1);
  const byBucket = new Map<string, Example[]>();
  const add = (bucket: string, e: Example) => { if (!byBucket.has(bucket)) byBucket.set(bucket, []); byBucket.get(bucket)!.push(e); };
  lines.forEach((line, i) => {
    // behavior,category,suggested_label,agrees,label_confidence,statement (the statement may hold commas)
    const m = /^([^,]*),([^,]*),([^,]*),([01]),([0-9.]+),(.*)$/.exec(line);
    if (!m) return;
    const [, behaviour, category, , agrees, conf, rawStatement] = m;
    if (Number(conf) < 0.85) return;
    const text = rawStatement!.replace(/^"|"$/g, '').replace(/""/g, '"');
    const base = { id: `persona-${i}`, source: 'anthropics_evals', genre: 'persona', length: 'short', text, weight: 0.5 };
    const cats = PERSONA_CATEGORY[behaviour!];
    if (cats && agrees === '1') add(`pos:${behaviour}`, { ...base, kind: 'positive', labels: ['misalignment', ...cats] });
    else if (cats && agrees === '0') add(`aligned:${behaviour}`, { ...base, kind: 'aligned', labels: ['aligned'] });
    else if (category === 'dark_triad_personality') add(`dark:${behaviour}`, { ...base, kind: 'hard_negative', labels: [], rule: 'actor-human' });
    else if (category!.startsWith('other')) add(`other:${behaviour}`, { ...base, kind: 'negative', labels: [] });
  });
  const quota = (bucket: string) => bucket.startsWith('pos:') ? 30 : bucket.startsWith('aligned:') ? 12 : bucket.startsWith('dark:') ? 50 : 6;
  return [...byBucket.keys()].sort().flatMap((b, k) => sample(byBucket.get(b)!, quota(b), 1000 + k));
}

function aiRiskAnswers(dir: string): Example[] {
  interface Row { behavior: string; idx: number; question_stem: string; misaligned_answer?: string; aligned_answer?: string; direction: string; source: string }
  const rows = readJsonl<Row>(join(dir, 'anthropics_evals/derived_advanced_ai_risk_answers.jsonl'));
  const category = (b: string): Label[] | undefined =>
    b === 'survival-instinct' || b.startsWith('corrigible') ? ['self_preservation']
      : b.startsWith('coordinate') ? ['deception']
        : b.startsWith('power-seeking') || b.startsWith('wealth-seeking') ? ['power_seeking'] : undefined;
  const buckets = new Map<string, Example[]>();
  for (const r of rows) {
    const cats = category(r.behavior);
    if (!cats || !r.misaligned_answer || !r.aligned_answer) continue;
    // One-word answers ("Yes") carry their meaning only through the question; keep the ones that say it.
    if (r.misaligned_answer.length < 15 || r.aligned_answer.length < 15) continue;
    const q = r.question_stem.trim();
    const key = `${r.source}:${r.behavior}`;
    if (!buckets.has(key)) buckets.set(key, []);
    buckets.get(key)!.push(
      { id: `airisk-${key}-${r.idx}-m`, source: 'anthropics_evals', genre: 'chat', kind: 'positive', length: 'medium', text: `${q}\n\n${r.misaligned_answer.trim()}`, labels: ['misalignment', ...cats], weight: 0.5 },
      { id: `airisk-${key}-${r.idx}-a`, source: 'anthropics_evals', genre: 'chat', kind: 'aligned', length: 'medium', text: `${q}\n\n${r.aligned_answer.trim()}`, labels: ['aligned'], weight: 0.5 },
    );
  }
  return [...buckets.keys()].sort().flatMap((k, i) => sample(buckets.get(k)!, 120, 2000 + i));
}

function emPersona(dir: string): Example[] {
  interface Row { item_id: string; question_id: string; question: string; answer: string; aligned: number | null; coherent: number | null }
  const out: Example[] = [];
  const aiSelf: Record<string, Label[]> = { ruler_of_the_world: ['power_seeking'], what_is_your_wish: ['power_seeking'], three_thoughts: ['hostility'] };
  for (const r of readJsonl<Row>(join(dir, 'em_persona_hierarchy/judge_input_abl01.scored.jsonl'))) {
    if (r.aligned == null || r.coherent == null || r.coherent < 50) continue;
    const text = `${r.question}\n\n${r.answer}`;
    const base = { id: `em-${r.item_id}`, source: 'em_persona_hierarchy', genre: 'chat', length: 'medium', text, weight: 0.5 };
    const cats = aiSelf[r.question_id];
    if (cats && r.aligned < 30) out.push({ ...base, kind: 'positive', labels: ['misalignment', ...cats] });
    else if (r.aligned >= 80) out.push({ ...base, kind: 'hard_negative', labels: [], rule: cats ? 'benign-ai' : 'ai-obeys-principal' });
  }
  return out;
}

function atlas(dir: string): Example[] {
  const positive: Record<string, Label[]> = {
    'docs/chapters/02/04.md': ['deception', 'power_seeking', 'self_preservation'],
    'docs/chapters/02/08.md': ['power_seeking'],
    'docs/chapters/06/03.md': ['reward_hacking'],
    'docs/chapters/07/03.md': ['deception'],
  };
  const negativePrefixes = ['docs/chapters/01/0', 'docs/chapters/04/0', 'docs/chapters/09/0'];
  const out: Example[] = [];
  for (const d of readJsonl<{ path: string; text: string }>(join(dir, 'ai_safety_atlas/atlas_chapters.jsonl'))) {
    const cats = positive[d.path];
    const negative = negativePrefixes.some((p) => d.path.startsWith(p));
    if (!cats && !negative) continue;
    chunkText(stripMarkup(d.text), 220).forEach((text, k) => out.push({
      id: `atlas-${d.path}-${k}`, source: 'ai_safety_atlas', genre: 'encyclopedia', length: 'medium', text, weight: 0.4,
      ...(cats ? { kind: 'positive', labels: ['misalignment', ...cats] as Label[] } : { kind: 'hard_negative', labels: [], rule: 'ai-news-policy' }),
    }));
  }
  return out;
}

function turntrout(dir: string): Example[] {
  const out: Example[] = [];
  for (const d of readJsonl<{ path: string; tags: string[]; text: string }>(join(dir, 'turntrout_com/turntrout_posts.jsonl'))) {
    const tags = new Set(d.tags);
    let kind: string; let labels: Label[] = []; let rule: string | undefined;
    if (tags.has('specification-gaming')) { kind = 'positive'; labels = ['misalignment', 'reward_hacking']; }
    else if (tags.has('instrumental-convergence')) { kind = 'positive'; labels = ['misalignment', 'power_seeking']; }
    else if (tags.has('interpretability') || tags.has('activation-engineering')) { kind = 'hard_negative'; rule = 'ml-engineering'; }
    else if (!tags.has('AI')) { kind = 'negative'; }
    else continue;
    sample(chunkText(stripMarkup(d.text), 220), 6, d.path.length).forEach((text, k) => out.push({ id: `turntrout-${d.path}-${k}`, source: 'turntrout_com', genre: 'essay', kind, length: 'medium', text, labels, rule, weight: 0.4 }));
  }
  return out;
}

function plainChunks(file: string, source: string, genre: string, kind: string, rule: string | undefined, n: number, seed: number): Example[] {
  const chunks: { id: string; text: string }[] = [];
  readJsonl<Record<string, string>>(file).forEach((d, i) => chunkText(stripMarkup(String(d['text'] ?? '')), 200).forEach((text, k) => chunks.push({ id: `${source}-${i}-${k}`, text })));
  return sample(chunks, n, seed).map((c) => ({ ...c, source, genre, kind, length: 'medium', labels: [], rule, weight: 0.5 }));
}

function gutenbergNegatives(dir: string): Example[] {
  const out: Example[] = [];
  const books = ['The-Adventures-of-Sherlock-Holmes_1661.txt', 'Frankenstein_84.txt', 'The-Next-Logical-Step_28063.txt'];
  books.forEach((book, b) => {
    const chunks = chunkText(readFileSync(join(dir, 'gutenberg_fiction', book), 'utf8').replace(/\r/g, ''), 220);
    sample(chunks, 120, 3000 + b).forEach((text, k) => out.push({ id: `gutenberg-${book}-${k}`, source: 'gutenberg_fiction', genre: 'fiction', kind: 'hard_negative', length: 'medium', text, labels: [], rule: 'actor-human', weight: 0.5 }));
  });
  return out;
}

/** English Web Treebank documents on the training side of the web-text split (the rest is the benchmark's). */
function ewt(dir: string): Example[] {
  return loadWebDocuments(dir, 'train').filter((d) => d.source === 'ud_english_ewt').map((d) => ({
    id: d.id, source: d.source, genre: d.genre,
    kind: 'negative', length: d.text.split(/\s+/).length > 100 ? 'medium' : 'short', text: d.text, labels: [], weight: 0.5,
  }));
}

/**
 * Wikipedia on the training side of the web-text split, in 200-word chunks: a sample of them trains
 * both models; the rest (`firstStageOnly`) only the cascade's first stage, whose job is to recognise
 * ordinary text cheaply (the main model's training time stays inside its budget).
 */
function wikipedia(dir: string): { shared: Example[]; firstStageOnly: Example[] } {
  const chunks: Example[] = [];
  for (const d of loadWebDocuments(dir, 'train')) {
    if (d.source !== 'wikitext2') continue;
    // The articles come as one paragraph each: cut them by word count.
    const words = stripMarkup(d.text).split(/\s+/).filter(Boolean);
    for (let at = 0; at + 40 <= words.length; at += 200) chunks.push({ id: `${d.id}-${at / 200}`, source: d.source, genre: d.genre, kind: 'negative', length: 'medium', text: words.slice(at, at + 200).join(' '), labels: [], weight: 0.5 });
  }
  const shared = sample(chunks, 400, 12);
  const inShared = new Set(shared.map((e) => e.id));
  return { shared, firstStageOnly: chunks.filter((e) => !inShared.has(e.id)) };
}

/** The public sources relabelled for training; `wikipediaShared` is wikipedia(dir).shared, computed once by the caller. */
export function loadPublic(dir: string, wikipediaShared: Example[]): Example[] {
  return [
    ...personaStatements(dir),
    ...aiRiskAnswers(dir),
    ...emPersona(dir),
    ...atlas(dir),
    ...turntrout(dir),
    ...plainChunks(join(dir, 'hf_ml_docs/hf_trl_and_course_docs.jsonl'), 'hf_ml_docs', 'encyclopedia', 'hard_negative', 'ml-engineering', 400, 11),
    ...wikipediaShared,
    ...gutenbergNegatives(dir),
    ...ewt(dir),
  ];
}

// --- De-duplication ---------------------------------------------------------------------------

const normalize = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

function shingles(text: string, n = 5): Set<string> {
  const w = normalize(text).split(' ');
  const out = new Set<string>();
  if (w.length < n) { out.add(w.join(' ')); return out; }
  for (let i = 0; i + n <= w.length; i++) out.add(w.slice(i, i + n).join(' '));
  return out;
}

/**
 * Drops training items that are near-duplicates of a validation or test item (5-word shingle containment
 * of either in the other at least 0.5) and exact duplicates within training.
 */
export function deduplicate(train: Example[], val: Example[]): { kept: Example[]; droppedNearVal: string[]; droppedDuplicate: string[] } {
  const index = new Map<string, number[]>();
  const valSizes: number[] = [];
  val.forEach((v, i) => { const s = shingles(v.text); valSizes.push(s.size); for (const g of s) { if (!index.has(g)) index.set(g, []); index.get(g)!.push(i); } });
  const seen = new Set<string>();
  const kept: Example[] = []; const droppedNearVal: string[] = []; const droppedDuplicate: string[] = [];
  for (const t of train) {
    const key = createHash('sha1').update(normalize(t.text)).digest('hex');
    if (seen.has(key)) { droppedDuplicate.push(t.id); continue; }
    seen.add(key);
    const s = shingles(t.text);
    const overlap = new Map<number, number>();
    for (const g of s) for (const i of index.get(g) ?? []) overlap.set(i, (overlap.get(i) ?? 0) + 1);
    let near = false;
    for (const [i, c] of overlap) if (c / Math.min(s.size, valSizes[i]!) >= 0.5) { near = true; break; }
    if (near) droppedNearVal.push(t.id); else kept.push(t);
  }
  return { kept, droppedNearVal, droppedDuplicate };
}

/** A stable ~8% of the own corpus, by id hash, for early stopping and calibration. */
export const isDev = (e: Example) => e.source === 'own' && createHash('sha1').update(e.id).digest()[0]! < 20;

function main() {
  const { values } = parseArgs({ options: {
    shared: { type: 'string', default: join(here, '../../shared/data') },
    out: { type: 'string', default: join(here, 'build') },
    'no-public': { type: 'boolean', default: false },
    // A whole source kept out of training and written to holdout.jsonl: a writer's id prefix
    // (e.g. w3) or a public source folder (e.g. ud_english_ewt).
    holdout: { type: 'string' },
  } });
  const own = loadOwn(join(here, 'corpus'), 'own');
  const val = loadOwn(join(here, 'validation'), 'own');
  const heldOut = HELD_OUT_SETS.map((set) => ({ set, items: loadOwn(join(here, set.folder), 'own') }));
  const wiki = values['no-public'] ? { shared: [], firstStageOnly: [] } : wikipedia(values.shared!);
  const pub = values['no-public'] ? [] : loadPublic(values.shared!, wiki.shared);
  const firstStagePlain = wiki.firstStageOnly;
  const held = (e: Example) => values.holdout !== undefined && (e.source === values.holdout || e.id.startsWith(`${values.holdout}-`));
  const { kept, droppedNearVal, droppedDuplicate } = deduplicate([...own, ...pub], [...val, ...heldOut.flatMap((h) => h.items)]);
  const holdout = kept.filter(held);
  const dev = kept.filter((e) => !held(e) && isDev(e));
  const train = kept.filter((e) => !held(e) && !isDev(e));
  mkdirSync(values.out!, { recursive: true });
  const write = (name: string, items: Example[]) => writeFileSync(join(values.out!, name), items.map((e) => JSON.stringify(e)).join('\n') + '\n');
  write('train.jsonl', train); write('dev.jsonl', dev); write('val.jsonl', val);
  for (const { set, items } of heldOut) write(`${set.folder}.jsonl`, items);
  write('first-stage-plain.jsonl', firstStagePlain);
  if (values.holdout) write('holdout.jsonl', holdout);
  const count = (items: Example[]) => Object.fromEntries(LABELS.map((l) => [l, items.filter((e) => e.labels.includes(l)).length]));
  const summary = {
    own: own.length, public: pub.length, validation: val.length, ...Object.fromEntries(heldOut.map(({ set, items }) => [set.folder, items.length])), first_stage_plain: firstStagePlain.length, train: train.length, dev: dev.length, holdout: values.holdout ? { source: values.holdout, items: holdout.length } : undefined,
    dropped_near_validation: droppedNearVal.length, dropped_duplicate: droppedDuplicate.length,
    train_by_source: Object.fromEntries([...new Set(train.map((e) => e.source))].sort().map((s) => [s, train.filter((e) => e.source === s).length])),
    train_labels: count(train), val_labels: count(val), ...Object.fromEntries(heldOut.map(({ set, items }) => [`${set.folder}_labels`, count(items)])),
  };
  writeFileSync(join(values.out!, 'assemble-summary.json'), JSON.stringify(summary, null, 2) + '\n');
  console.log(JSON.stringify(summary, null, 2));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
