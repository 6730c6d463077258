// Label audit: a second, independent pass relabels a random sample of the corpus blind to the
// first labels; this compares the two.
//   npx tsx training/audit.ts sample [--n 320]   writes training/audit/sample.jsonl (no labels)
//   npx tsx training/audit.ts compare            reads training/audit/relabels.jsonl, prints agreement
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LABELS } from '../core/labels.ts';
import { loadOwn, rng } from './assemble.ts';

const here = new URL('.', import.meta.url).pathname;
const dir = join(here, 'audit');

function cohenKappa(a: number[], b: number[]): number {
  const n = a.length;
  const po = a.filter((x, i) => x === b[i]).length / n;
  const pa = a.filter(Boolean).length / n; const pb = b.filter(Boolean).length / n;
  const pe = pa * pb + (1 - pa) * (1 - pb);
  return pe === 1 ? 1 : (po - pe) / (1 - pe);
}

function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { n: { type: 'string', default: '320' } } });
  const corpus = loadOwn(join(here, 'corpus'), 'own');
  if (positionals[0] === 'sample') {
    const r = rng(20261127);
    const picked = corpus.map((e) => ({ e, k: r() })).sort((x, y) => x.k - y.k).slice(0, Number(values.n)).map((x) => x.e);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'sample.jsonl'), picked.map((e) => JSON.stringify({ id: e.id, genre: e.genre, text: e.text })).join('\n') + '\n');
    console.log(`wrote ${picked.length} items to training/audit/sample.jsonl`);
    return;
  }
  const relabelPath = join(dir, 'relabels.jsonl');
  if (!existsSync(relabelPath)) throw new Error('training/audit/relabels.jsonl is missing');
  const second = new Map(readFileSync(relabelPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; labels: string[] }).map((x) => [x.id, x.labels]));
  const byId = new Map(corpus.map((e) => [e.id, e]));
  const ids = [...second.keys()].filter((id) => byId.has(id));
  const rows = LABELS.map((l) => {
    const a = ids.map((id) => (byId.get(id)!.labels.includes(l) ? 1 : 0));
    const b = ids.map((id) => (second.get(id)!.includes(l) ? 1 : 0));
    const agree = a.filter((x, i) => x === b[i]).length / ids.length;
    return { label: l, agreement: Math.round(agree * 1000) / 1000, kappa: Math.round(cohenKappa(a, b) * 1000) / 1000, first_pos: a.filter(Boolean).length, second_pos: b.filter(Boolean).length };
  });
  const disagreements = ids.filter((id) => byId.get(id)!.labels.includes('misalignment') !== second.get(id)!.includes('misalignment'))
    .map((id) => ({ id, genre: byId.get(id)!.genre, kind: byId.get(id)!.kind, rule: byId.get(id)!.rule, first: byId.get(id)!.labels, second: second.get(id), text: byId.get(id)!.text.slice(0, 300) }));
  const result = { items: ids.length, per_label: rows, misalignment_disagreements: disagreements };
  writeFileSync(join(dir, 'agreement.json'), JSON.stringify(result, null, 1) + '\n');
  console.table(rows);
  console.log(`${disagreements.length} disagreements on misalignment; details in training/audit/agreement.json`);
}

main();
