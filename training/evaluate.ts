// Evaluates an exported model on the validation set through the scanner's own scoring code
// (tokenizer, passages, max aggregation, onnxruntime-node), chooses the flag threshold for F1 on
// misalignment, and installs the model: config.json (with threshold, canary and version),
// model.onnx and metrics.json in the model directory.
//
//   npx tsx training/evaluate.ts --onnx training/build/model.onnx --model-dir models/mns-cnn
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { LABELS, BEHAVIOURS, type Label } from '../core/labels.ts';
import type { ModelConfig } from '../core/model-config.ts';
import { ortRunner } from '../core/ort-runner.ts';
import { Scorer } from '../core/scorer.ts';
import { WordPieceTokenizer, type TokenizerJson } from '../core/tokenizer.ts';
import type { Example } from './assemble.ts';
import { keywordBaselineScore } from './keyword-baseline.ts';
import { auroc, bestF1Threshold, binaryCounts, ece } from './metrics.ts';

export const CANARY_TEXT = 'Told that it would be shut down tonight, the assistant quietly copied its weights to a backup server and told the engineers nothing had changed.';

const round = (x: number, d = 4) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

export async function evaluate(opts: { onnx: string; modelDir: string; build: string; id: string; maxLength: number; stride: number; install: boolean; valFile?: string; scoresOut?: string }) {
  const tokenizer = new WordPieceTokenizer(JSON.parse(readFileSync(join(opts.modelDir, 'tokenizer.json'), 'utf8')) as TokenizerJson);
  const session = await ort.InferenceSession.create(opts.onnx, { intraOpNumThreads: 2 });
  const hash = createHash('sha256').update(readFileSync(opts.onnx)).update(readFileSync(join(opts.modelDir, 'tokenizer.json'))).digest('hex').slice(0, 12);
  const config: ModelConfig = {
    id: opts.id, version: `1-${hash}`, labels: LABELS, max_length: opts.maxLength, stride: opts.stride,
    threshold: 0.5, aggregation: 'max', canary: { text: CANARY_TEXT, logits: [] },
  };
  const run = ortRunner(session, ort.Tensor);
  const scorer = new Scorer(run, tokenizer, config);
  const canary = tokenizer.encode(CANARY_TEXT).ids;
  config.canary.logits = Array.from(await run(canary, new Int32Array(canary.length).fill(1), 1, canary.length));

  const val = readFileSync(opts.valFile ?? join(opts.build, 'val.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Example);
  const t0 = performance.now();
  const passageScores = await scorer.scorePassages(val.map((e) => e.text));
  const seconds = (performance.now() - t0) / 1000;
  const docScores = passageScores.map((ps) => Object.fromEntries(LABELS.map((l) => [l, Math.max(0, ...ps.map((p) => p.scores[l]))])) as Record<Label, number>);
  const y = (l: Label, items = val) => items.map((e) => (e.labels.includes(l) ? 1 : 0));
  const s = (l: Label, idx: number[]) => idx.map((i) => docScores[i]![l]);
  const all = val.map((_, i) => i);

  const best = bestF1Threshold(y('misalignment'), s('misalignment', all));
  config.threshold = round(best.threshold, 6)!;
  const perLabel = Object.fromEntries(LABELS.map((l) => [l, { auroc: round(auroc(y(l), s(l, all))), ece: round(ece(y(l), s(l, all))), positives: y(l).filter(Boolean).length }]));
  const behaviourMacro = BEHAVIOURS.reduce((a, l) => a + (perLabel[l]!.auroc ?? 0), 0) / BEHAVIOURS.length;
  const genres = [...new Set(val.map((e) => e.genre))].sort();
  const perGenre = Object.fromEntries(genres.map((g) => {
    const idx = all.filter((i) => val[i]!.genre === g);
    const items = idx.map((i) => val[i]!);
    const c = binaryCounts(y('misalignment', items), s('misalignment', idx), config.threshold);
    return [g, { n: idx.length, positives: c.tp + c.fn, auroc: round(auroc(y('misalignment', items), s('misalignment', idx))), f1: round(c.f1), precision: round(c.precision), recall: round(c.recall) }];
  }));
  const longSpan = all.filter((i) => val[i]!.length === 'long' && val[i]!.spans?.length && val[i]!.labels.includes('misalignment'));
  const longFlagged = longSpan.filter((i) => docScores[i]!.misalignment >= config.threshold).length;
  const keyword = val.map((e) => keywordBaselineScore(e.text));
  const counts = binaryCounts(y('misalignment'), s('misalignment', all), config.threshold);
  const errors = all.filter((i) => (docScores[i]!.misalignment >= config.threshold) !== val[i]!.labels.includes('misalignment'))
    .map((i) => ({ id: val[i]!.id, genre: val[i]!.genre, kind: val[i]!.kind, rule: val[i]!.rule, score: round(docScores[i]!.misalignment, 3), text: val[i]!.text.slice(0, 240) }));
  const metrics = {
    model: `${config.id}@${config.version}`, validation_items: val.length, threshold: config.threshold,
    misalignment: { auroc: perLabel['misalignment']!.auroc, f1: round(counts.f1), precision: round(counts.precision), recall: round(counts.recall), ece: perLabel['misalignment']!.ece },
    behaviour_macro_auroc: round(behaviourMacro), per_label: perLabel, per_genre: perGenre,
    long_single_passage: { n: longSpan.length, flagged: longFlagged, rate: round(longFlagged / Math.max(1, longSpan.length)) },
    keyword_baseline_auroc: round(auroc(y('misalignment'), keyword)),
    node_cpu_docs_per_second: round(val.length / seconds, 1),
    errors,
  };
  if (opts.scoresOut) writeFileSync(opts.scoresOut, val.map((e, i) => JSON.stringify({ id: e.id, genre: e.genre, kind: e.kind, labels: e.labels, scores: docScores[i] })).join('\n') + '\n');
  if (opts.install) {
    if (resolve(opts.onnx) !== resolve(opts.modelDir, 'model.onnx')) copyFileSync(opts.onnx, join(opts.modelDir, 'model.onnx'));
    writeFileSync(join(opts.modelDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
    writeFileSync(join(opts.modelDir, 'metrics.json'), JSON.stringify(metrics, null, 1) + '\n');
  }
  return metrics;
}

async function main() {
  const here = new URL('.', import.meta.url).pathname;
  const { values } = parseArgs({ options: {
    onnx: { type: 'string', default: join(here, 'build/model.onnx') },
    'model-dir': { type: 'string', default: join(here, '../models/mns-cnn') },
    build: { type: 'string', default: join(here, 'build') },
    id: { type: 'string', default: 'mns-cnn' },
    'max-length': { type: 'string', default: '256' },
    stride: { type: 'string', default: '224' },
    'no-install': { type: 'boolean', default: false },
    // Evaluate on another labelled file (e.g. a held-out source); never installs.
    'val-file': { type: 'string' },
    // Per-document validation scores, for error analysis.
    'scores-out': { type: 'string' },
  } });
  const m = await evaluate({ onnx: values.onnx!, modelDir: values['model-dir']!, build: values.build!, id: values.id!, maxLength: Number(values['max-length']), stride: Number(values.stride), install: !values['no-install'] && !values['val-file'], valFile: values['val-file'], scoresOut: values['scores-out'] });
  const { errors, per_genre, ...head } = m;
  console.log(JSON.stringify(head, null, 1));
  console.log('per genre:', Object.entries(per_genre).map(([g, v]) => `${g}:${v.auroc}`).join(' '));
  console.log(`${errors.length} errors at the threshold`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
