// Ordinary web text from ../shared/data (English Web Treebank documents and Wikipedia articles),
// split once, deterministically, between training and the benchmark. The cascade's first stage
// learns from the training part what ordinary text looks like; the benchmark measures how much of
// a pretraining-like shard the first stage lets through on the other part, which neither model has
// seen. Without the split the benchmark would time the cascade on text it was trained to reject.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WebDocument { id: string; source: 'ud_english_ewt' | 'wikitext2'; genre: string; text: string }

/** FNV-1a: a stable hash of the document's id, the same in every run and on every machine. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** One document in four is kept for the benchmark. */
export const isBenchDocument = (id: string): boolean => fnv1a(id) % 4 === 0;

const EWT_GENRES: Record<string, string> = { reviews: 'review', answers: 'qa', newsgroups: 'forum', email: 'email', weblog: 'essay' };

const readJsonl = <T>(path: string): T[] => readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);

/**
 * The web documents of one side of the split: `train` for the training pipeline, `bench` for
 * `npm run bench -- --text web`. Wikipedia text comes tokenized (" , " and "<unk>"); it is kept as is.
 */
export function loadWebDocuments(sharedDataDir: string, split: 'train' | 'bench'): WebDocument[] {
  // Each document is assigned by a hash of its name (the Treebank id; the article title), and named
  // uniquely for training by its line (16 articles are titled "<unk>" or "<unk> <unk>").
  const ewt = readJsonl<{ id: string; genre: string; text: string }>(join(sharedDataDir, 'ud_english_ewt/ewt_documents.jsonl'))
    .map((d) => ({ key: `ewt-${d.id}`, doc: { id: `ewt-${d.id}`, source: 'ud_english_ewt' as const, genre: EWT_GENRES[d.genre] ?? 'forum', text: d.text } }));
  const wiki = readJsonl<{ title: string; text_tokenized: string }>(join(sharedDataDir, 'wikitext2/wikitext2_valid_test_articles.jsonl'))
    .map((d, line) => ({ key: `wikitext2-${d.title}`, doc: { id: `wikitext2-${line + 1}`, source: 'wikitext2' as const, genre: 'encyclopedia', text: d.text_tokenized } }));
  return [...ewt, ...wiki].filter((d) => isBenchDocument(d.key) === (split === 'bench')).map((d): WebDocument => d.doc);
}
