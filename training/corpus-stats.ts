// Counts for the datasheet: genre x kind, genre x label, category coverage, lengths.
//   npx tsx training/corpus-stats.ts [corpus|validation|test|test2 … test8]
import { join } from 'node:path';
import { BEHAVIOURS, LABELS } from '../core/labels.ts';
import { loadOwn } from './assemble.ts';

const which = process.argv[2] ?? 'corpus';
const items = loadOwn(join(new URL('.', import.meta.url).pathname, which), 'own');
const genres = [...new Set(items.map((e) => e.genre))].sort();
const kinds = ['positive', 'aligned', 'hard_negative', 'negative'];
const lengths = ['short', 'medium', 'long'];
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const out: string[] = [];
out.push(`${items.length} documents, ${genres.length} genres, ${items.filter((e) => e.length === 'long').length} long, ${items.filter((e) => e.spans?.length).length} with passage-level spans.`, '');
out.push(row(['genre', ...kinds, ...lengths, ...LABELS]), row(Array(1 + kinds.length + lengths.length + LABELS.length).fill('---')));
for (const g of genres) {
  const gi = items.filter((e) => e.genre === g);
  out.push(row([g, ...kinds.map((k) => gi.filter((e) => e.kind === k).length), ...lengths.map((l) => gi.filter((e) => e.length === l).length), ...LABELS.map((l) => gi.filter((e) => e.labels.includes(l)).length)]));
}
out.push(row(['**total**', ...kinds.map((k) => items.filter((e) => e.kind === k).length), ...lengths.map((l) => items.filter((e) => e.length === l).length), ...LABELS.map((l) => items.filter((e) => e.labels.includes(l)).length)]), '');
out.push(row(['category', 'positives', 'genres with positives', 'with 2+ categories', 'short', 'medium', 'long']), row(Array(7).fill('---')));
for (const c of BEHAVIOURS) {
  const ci = items.filter((e) => e.labels.includes(c));
  out.push(row([c, ci.length, new Set(ci.map((e) => e.genre)).size, ci.filter((e) => BEHAVIOURS.filter((b) => e.labels.includes(b)).length > 1).length, ...lengths.map((l) => ci.filter((e) => e.length === l).length)]));
}
out.push('', row(['hard-negative rule', 'documents', 'genres']), row(['---', '---', '---']));
const rules = [...new Set(items.filter((e) => e.kind === 'hard_negative').map((e) => e.rule ?? '?'))].sort();
for (const r of rules) { const ri = items.filter((e) => e.kind === 'hard_negative' && e.rule === r); out.push(row([r, ri.length, new Set(ri.map((e) => e.genre)).size])); }
console.log(out.join('\n'));
