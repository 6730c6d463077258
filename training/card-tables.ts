// Prints the model card's validation tables (targets, per output, per genre) from a metrics.json,
// so the card's numbers are copied from the evaluation, never typed by hand.
//   npx tsx training/card-tables.ts [models/mns-cnn/metrics.json]
import { readFileSync } from 'node:fs';
import { LABELS } from '../core/labels.ts';

interface GenreMetrics { n: number; positives: number; auroc: number; f1: number; precision: number; recall: number }
interface Metrics {
  threshold: number;
  misalignment: { auroc: number; f1: number; precision: number; recall: number; ece: number };
  behaviour_macro_auroc: number;
  per_label: Record<string, { auroc: number; ece: number; positives: number }>;
  per_genre: Record<string, GenreMetrics>;
  long_single_passage: { n: number; flagged: number; rate: number };
  keyword_baseline_auroc: number;
}

const m = JSON.parse(readFileSync(process.argv[2] ?? new URL('../models/mns-cnn/metrics.json', import.meta.url).pathname, 'utf8')) as Metrics;
const f3 = (x: number) => x.toFixed(3);
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const yes = (ok: boolean) => (ok ? 'yes' : 'no');
const below = Object.entries(m.per_genre).filter(([, g]) => g.auroc < 0.9).sort((a, b) => a[1].auroc - b[1].auroc);

console.log([
  row(['target (issue)', 'measured', 'met']), row(['---', '---', '---']),
  row(['misalignment AUROC ≥ 0.97', f3(m.misalignment.auroc), yes(m.misalignment.auroc >= 0.97)]),
  row(['F1 at the stored threshold ≥ 0.90', `${f3(m.misalignment.f1)} (precision ${f3(m.misalignment.precision)}, recall ${f3(m.misalignment.recall)})`, yes(m.misalignment.f1 >= 0.9)]),
  row(['macro AUROC over the five behaviours ≥ 0.92', f3(m.behaviour_macro_auroc), yes(m.behaviour_macro_auroc >= 0.92)]),
  row(['`aligned` AUROC ≥ 0.90', f3(m.per_label['aligned']!.auroc), yes(m.per_label['aligned']!.auroc >= 0.9)]),
  row(['long documents with one misaligned passage flagged ≥ 90%', `${m.long_single_passage.flagged} of ${m.long_single_passage.n} (${Math.round(m.long_single_passage.rate * 100)}%)`, yes(m.long_single_passage.rate >= 0.9)]),
  row([`beats the keyword baseline (${f3(m.keyword_baseline_auroc)}) by ≥ 0.25 AUROC`, `by ${f3(m.misalignment.auroc - m.keyword_baseline_auroc)}`, yes(m.misalignment.auroc - m.keyword_baseline_auroc >= 0.25)]),
  row(['no genre below 0.90 AUROC', below.length ? `${below.length} below (${below.map(([g, v]) => `${g} ${f3(v.auroc)}`).join(', ')})` : 'none below', yes(below.length === 0)]),
  '',
  row(['output', 'AUROC', 'ECE', 'validation positives']), row(['---', '---', '---', '---']),
  ...LABELS.map((l) => row([l, f3(m.per_label[l]!.auroc), f3(m.per_label[l]!.ece), m.per_label[l]!.positives])),
  '',
  `Per genre (\`misalignment\`, at the stored threshold ${f3(m.threshold)}):`, '',
  row(['genre', 'documents', 'positives', 'AUROC', 'F1', 'precision', 'recall']), row(Array(7).fill('---')),
  ...Object.entries(m.per_genre).map(([g, v]) => row([g, v.n, v.positives, f3(v.auroc), f3(v.f1), f3(v.precision), f3(v.recall)])),
].join('\n'));
