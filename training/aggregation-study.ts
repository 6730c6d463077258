// Chooses passage windowing and aggregation on the long validation documents (model card).
//   npx tsx training/aggregation-study.ts [--model-dir models/mns-cnn] [--build training/build]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadNodeModel } from '../cli/node-model.ts';
import type { Example } from './assemble.ts';
import { auroc, binaryCounts } from './metrics.ts';

const here = new URL('.', import.meta.url).pathname;
const { values } = parseArgs({ options: { 'model-dir': { type: 'string', default: join(here, '../models/mns-cnn') }, build: { type: 'string', default: join(here, 'build') } } });
const { config, scorer: shipped } = await loadNodeModel(values['model-dir']);
const val = readFileSync(join(values.build!, 'val.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Example);
const long = val.filter((e) => e.length === 'long');
const y = long.map((e) => (e.labels.includes('misalignment') ? 1 : 0));
const aggregations: Record<string, (xs: number[]) => number> = {
  max: (xs) => Math.max(...xs),
  'mean of top 2': (xs) => { const s = [...xs].sort((a, b) => b - a).slice(0, 2); return s.reduce((a, b) => a + b, 0) / s.length; },
  mean: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
};
const rows: string[] = ['| window / stride (tokens) | aggregation | AUROC (long docs) | flagged at the shipped threshold: positives / negatives |', '| --- | --- | --- | --- |'];
for (const [maxLength, stride] of [[128, 112], [256, 224], [256, 192], [256, 128], [384, 352]] as const) {
  const scorer = shipped.withWindows(maxLength, stride);
  const passages = await scorer.scorePassages(long.map((e) => e.text));
  for (const [name, agg] of Object.entries(aggregations)) {
    const s = passages.map((ps) => agg(ps.map((p) => p.scores.misalignment)));
    const c = binaryCounts(y, s, config.threshold);
    rows.push(`| ${maxLength} / ${stride} | ${name} | ${auroc(y, s).toFixed(3)} | ${c.tp}/${c.tp + c.fn} / ${c.fp}/${c.fp + c.tn} |`);
  }
}
console.log(`${long.length} long validation documents (${y.filter(Boolean).length} positive)\n`);
console.log(rows.join('\n'));
