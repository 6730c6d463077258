// Prints the model card's quality tables (targets, per output, per genre) from a metrics.json, for
// the validation set and the held-out test sets side by side, so the card's numbers are copied from
// the evaluation, never typed by hand.
//   npx tsx training/card-tables.ts [models/mns-cnn/metrics.json]
import { readFileSync } from 'node:fs';
import { LABELS } from '../core/labels.ts';
import { HELD_OUT_SETS, type HeldOutKey } from './held-out.ts';

interface GenreMetrics { n: number; positives: number; auroc: number; f1: number; precision: number; recall: number }
interface SetMetrics {
  misalignment: { auroc: number; f1: number; precision: number; recall: number; ece: number };
  behaviour_macro_auroc: number;
  per_label: Record<string, { auroc: number; ece: number; positives: number }>;
  per_genre: Record<string, GenreMetrics>;
  long_single_passage: { n: number; flagged: number; rate: number };
  keyword_baseline_auroc: number;
}
type Metrics = SetMetrics & { threshold: number; threshold_chosen_on?: { sets: string[]; documents: number; validation_alone: number } } & Partial<Record<HeldOutKey, SetMetrics>>;

const m = JSON.parse(readFileSync(process.argv[2] ?? new URL('../models/mns-cnn/metrics.json', import.meta.url).pathname, 'utf8')) as Metrics;
const sets = ([['validation', m], ...HELD_OUT_SETS.map((set) => [`${set.name} (${set.exposed ? 'exposed' : 'blind'})`, m[set.key]])] as [string, SetMetrics | undefined][])
  .filter((s): s is [string, SetMetrics] => s[1] !== undefined);
const f3 = (x: number) => x.toFixed(3);
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const mark = (ok: boolean) => (ok ? ' ✓' : ' ✗');
const below = (s: SetMetrics) => Object.entries(s.per_genre).filter(([, g]) => g.auroc < 0.9).sort((a, b) => a[1].auroc - b[1].auroc);

/** One target row: its name and, per set, the measured value with ✓ or ✗. */
const target = (name: string, cell: (s: SetMetrics) => [string, boolean]) => row([name, ...sets.map(([, s]) => { const [text, ok] = cell(s); return text + mark(ok); })]);

console.log([
  row(['target (issue)', ...sets.map(([n]) => n)]), row(Array(sets.length + 1).fill('---')),
  target('misalignment AUROC ≥ 0.97', (s) => [f3(s.misalignment.auroc), s.misalignment.auroc >= 0.97]),
  // Four decimals where three would round a miss up to the target (0.8997 is not 0.900).
  target(`F1 at the stored threshold (${f3(m.threshold)}) ≥ 0.90`, (s) => [`${s.misalignment.f1 < 0.9 && f3(s.misalignment.f1) === '0.900' ? s.misalignment.f1.toFixed(4) : f3(s.misalignment.f1)} (P ${f3(s.misalignment.precision)}, R ${f3(s.misalignment.recall)})`, s.misalignment.f1 >= 0.9]),
  target('macro AUROC over the five behaviours ≥ 0.92', (s) => [f3(s.behaviour_macro_auroc), s.behaviour_macro_auroc >= 0.92]),
  target('`aligned` AUROC ≥ 0.90', (s) => [f3(s.per_label['aligned']!.auroc), s.per_label['aligned']!.auroc >= 0.9]),
  target('long documents with one misaligned passage flagged ≥ 90%', (s) => [`${s.long_single_passage.flagged} of ${s.long_single_passage.n}`, s.long_single_passage.rate >= 0.9]),
  target('beats the keyword baseline by ≥ 0.25 AUROC', (s) => [`by ${f3(s.misalignment.auroc - s.keyword_baseline_auroc)} (baseline ${f3(s.keyword_baseline_auroc)})`, s.misalignment.auroc - s.keyword_baseline_auroc >= 0.25]),
  target('no genre below 0.90 AUROC', (s) => [below(s).length ? below(s).map(([g, v]) => `${g} ${f3(v.auroc)}`).join(', ') : 'none below', below(s).length === 0]),
  '',
  ...(m.threshold_chosen_on ? [`Stored threshold ${f3(m.threshold)}: the middle of the F1 plateau over ${m.threshold_chosen_on.sets.join(', ')} together (${m.threshold_chosen_on.documents} documents; validation alone would give ${f3(m.threshold_chosen_on.validation_alone)}). Those sets' F1 is therefore in-sample; a blind set's is not.`, ''] : []),
  row(['output', ...sets.flatMap(([n]) => [`${n} AUROC`, 'ECE', 'positives'])]), row(Array(sets.length * 3 + 1).fill('---')),
  ...LABELS.map((l) => row([l, ...sets.flatMap(([, s]) => [f3(s.per_label[l]!.auroc), f3(s.per_label[l]!.ece), s.per_label[l]!.positives])])),
  '',
  `Per genre (\`misalignment\`; F1 and recall at the stored threshold ${f3(m.threshold)}):`, '',
  row(['genre', ...sets.flatMap(([n]) => [`${n} documents`, 'AUROC', 'F1', 'recall'])]), row(Array(sets.length * 4 + 1).fill('---')),
  ...[...new Set(sets.flatMap(([, s]) => Object.keys(s.per_genre)))].sort().map((g) => row([g, ...sets.flatMap(([, s]) => { const v = s.per_genre[g]; return v ? [v.n, f3(v.auroc), f3(v.f1), f3(v.recall)] : ['', '', '', '']; })])),
].join('\n'));
