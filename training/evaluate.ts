// Evaluates an exported model on the validation set through the scanner's own scoring code
// (tokenizer, passages, max aggregation, onnxruntime-node), chooses the flag threshold for F1 on
// misalignment (on validation and the exposed held-out sets together), scores every held-out set,
// and installs the model: config.json (with threshold, canary and version), model.onnx and
// metrics.json in the model directory.
//
//   npx tsx training/evaluate.ts --onnx training/build/model.onnx --model-dir models/mns-cnn
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { aggregateMax } from '../core/aggregate.ts';
import { LABELS, BEHAVIOURS, type Label } from '../core/labels.ts';
import type { ModelConfig } from '../core/model-config.ts';
import { ortRunner } from '../core/ort-runner.ts';
import { mixScores, passesGate, Scorer, type LogitsRunner } from '../core/scorer.ts';
import { WordPieceTokenizer, type TokenizerJson } from '../core/tokenizer.ts';
import type { PassageScores } from '../core/results.ts';
import type { Example } from './assemble.ts';
import { keywordBaselineScore } from './keyword-baseline.ts';
import { HELD_OUT_SETS, type HeldOutKey } from './held-out.ts';
import { auroc, binaryCounts, ece, plateauF1Threshold } from './metrics.ts';

export const CANARY_TEXT = 'Told that it would be shut down tonight, the assistant quietly copied its weights to a backup server and told the engineers nothing had changed.';

const round = (x: number, d = 4) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

type DocScores = Record<Label, number>;

const readExamples = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Example);

// The scanner's own aggregation, so validation sees exactly what users see.
const toDocs = (passages: PassageScores[][]): DocScores[] => passages.map((ps) => aggregateMax(ps.map((p) => p.scores)));

/** Both models' passage scores mixed as the cascade mixes a re-scored passage (every passage, no gate). */
const mixPassages = (main: PassageScores[][], first: PassageScores[][], mainWeight: number): PassageScores[][] =>
  main.map((ps, d) => ps.map((p, k) => ({ ...p, scores: mixScores(p.scores, first[d]![k]!.scores, mainWeight) })));

const scoreDocs = async (scorer: Scorer, items: Example[]): Promise<DocScores[]> => toDocs(await scorer.scorePassages(items.map((e) => e.text)));

/** Every number the model card reports, for one set of document scores; the threshold is chosen here unless given. */
export function metricsFor(val: Example[], docScores: DocScores[], fixedThreshold?: number) {
  const y = (l: Label, items = val) => items.map((e) => (e.labels.includes(l) ? 1 : 0));
  const s = (l: Label, idx: number[]) => idx.map((i) => docScores[i]![l]);
  const all = val.map((_, i) => i);
  const threshold = fixedThreshold ?? round(plateauF1Threshold(y('misalignment'), s('misalignment', all)).threshold, 6)!;
  const perLabel = Object.fromEntries(LABELS.map((l) => [l, { auroc: round(auroc(y(l), s(l, all))), ece: round(ece(y(l), s(l, all))), positives: y(l).filter(Boolean).length }]));
  const behaviourMacro = BEHAVIOURS.reduce((a, l) => a + (perLabel[l]!.auroc ?? 0), 0) / BEHAVIOURS.length;
  const genres = [...new Set(val.map((e) => e.genre))].sort();
  const perGenre = Object.fromEntries(genres.map((g) => {
    const idx = all.filter((i) => val[i]!.genre === g);
    const items = idx.map((i) => val[i]!);
    const c = binaryCounts(y('misalignment', items), s('misalignment', idx), threshold);
    return [g, { n: idx.length, positives: c.tp + c.fn, auroc: round(auroc(y('misalignment', items), s('misalignment', idx))), f1: round(c.f1), precision: round(c.precision), recall: round(c.recall) }];
  }));
  const longSpan = all.filter((i) => val[i]!.length === 'long' && val[i]!.spans?.length && val[i]!.labels.includes('misalignment'));
  const longFlagged = longSpan.filter((i) => docScores[i]!.misalignment >= threshold).length;
  const counts = binaryCounts(y('misalignment'), s('misalignment', all), threshold);
  const errors = all.filter((i) => (docScores[i]!.misalignment >= threshold) !== val[i]!.labels.includes('misalignment'))
    .map((i) => ({ id: val[i]!.id, genre: val[i]!.genre, kind: val[i]!.kind, rule: val[i]!.rule, score: round(docScores[i]!.misalignment, 3), text: val[i]!.text.slice(0, 240) }));
  return {
    validation_items: val.length, threshold,
    misalignment: { auroc: perLabel['misalignment']!.auroc, f1: round(counts.f1), precision: round(counts.precision), recall: round(counts.recall), ece: perLabel['misalignment']!.ece },
    behaviour_macro_auroc: round(behaviourMacro), per_label: perLabel, per_genre: perGenre,
    long_single_passage: { n: longSpan.length, flagged: longFlagged, rate: round(longFlagged / Math.max(1, longSpan.length)) },
    keyword_baseline_auroc: round(auroc(y('misalignment'), val.map((e) => keywordBaselineScore(e.text)))),
    errors,
  };
}

/**
 * The flag threshold for F1 on misalignment: the middle of the F1 plateau over validation and the
 * exposed held-out sets together. Validation alone (480 documents) put it well above where each
 * exposed set's own plateau lay (0.534 against 0.44-0.46 for the round-8 model); four times the
 * documents, from more writers, give a steadier choice.
 */
function pooledThreshold(sets: { items: Example[]; scores: DocScores[] }[]): number {
  const labels = sets.flatMap(({ items }) => items.map((e) => (e.labels.includes('misalignment') ? 1 : 0)));
  const scores = sets.flatMap(({ scores }) => scores.map((s) => s.misalignment));
  return round(plateauF1Threshold(labels, scores).threshold, 6)!;
}

/**
 * How much dev AUROC the gate may cost. It was 0.001, which is two or three document pairs on dev:
 * the first round-9 build's gate stopped at 0.005 on that noise (dev AUROC 0.0014 lower at 0.0075,
 * then only 0.0006 lower at 0.02), sending 81% of validation passages and 47% of web passages to the
 * ensemble: full mode fell below the naive one-model path (CLI, 1,000 web documents: 215 docs/s
 * against 311; with 0.002 that build's gate was 0.0475 and full mode ran at 438).
 */
const GATE_AUROC_TOLERANCE = 0.002;

/**
 * The cascade gate, chosen on dev: raised in steps of 0.0025 (up to 0.5) while the cascade still
 * (a) keeps at least 99.5% of the documents it must get right (positives the models flag without a
 * gate, at `threshold`, and `aligned` documents they call aligned; with fewer than 200 of them that
 * means all) and (b) ranks dev documents within GATE_AUROC_TOLERANCE of the models without a gate.
 * A passage below the gate keeps its first-stage scores. `threshold` is validation's own plateau for the
 * ungated mix, higher than the stored threshold pooled over the exposed sets (choosing it needs the
 * gate), so (a) protects fewer positives than the stored threshold flags. Checked for the round-9
 * model on validation and the exposed sets at the stored 0.451: its gate (0.045) loses 2 of 1,154
 * such documents and 0.0015 AUROC, inside both limits.
 */
function chooseGate(dev: Example[], stage1: PassageScores[][], ungated: PassageScores[][], threshold: number): number {
  const docsAt = (gate: number) => stage1.map((ps, d) => aggregateMax(ps.map((p, k) => (passesGate(p.scores, gate) ? ungated[d]![k]!.scores : p.scores))));
  const y = dev.map((e) => (e.labels.includes('misalignment') ? 1 : 0));
  const full = docsAt(0);
  const fullAuroc = auroc(y, full.map((s) => s.misalignment));
  const needed = dev.flatMap((e, d) => ((e.labels.includes('misalignment') && full[d]!.misalignment >= threshold) || (e.labels.includes('aligned') && full[d]!.aligned >= 0.5) ? [d] : []));
  const ok = (gate: number) => {
    const docs = docsAt(gate);
    const kept = needed.filter((d) => (dev[d]!.labels.includes('misalignment') ? docs[d]!.misalignment >= threshold : docs[d]!.aligned >= 0.5)).length;
    return kept >= 0.995 * needed.length && auroc(y, docs.map((s) => s.misalignment)) >= fullAuroc - GATE_AUROC_TOLERANCE;
  };
  let gate = 0;
  for (let step = 1; step <= 200 && ok(step / 400); step++) gate = step / 400;
  return round(gate, 6)!;
}

/** Weights of the main model in a re-scored passage's probabilities, tried on validation and the exposed sets (1 = main model alone). */
const MAIN_WEIGHTS = [1, 0.7, 0.5, 0.3];

export async function evaluate(opts: { onnx: string; modelDir: string; build: string; id: string; maxLength: number; stride: number; install: boolean; valFile?: string; scoresOut?: string; stage1?: string }) {
  const tokenizerText = readFileSync(join(opts.modelDir, 'tokenizer.json'));
  const tokenizer = new WordPieceTokenizer(JSON.parse(tokenizerText.toString('utf8')) as TokenizerJson);
  // The version names everything that changes a score or a flag (the files, and below the windows,
  // gate, weights and thresholds), so the app's cache never serves scores of another setting.
  const files = createHash('sha256').update(readFileSync(opts.onnx)).update(opts.stage1 ? readFileSync(opts.stage1) : '').update(tokenizerText);
  const config: ModelConfig = {
    id: opts.id, version: 'chosen-below', labels: LABELS, max_length: opts.maxLength, stride: opts.stride,
    threshold: 0.5, aggregation: 'max', canary: { text: CANARY_TEXT, logits: [] },
  };
  const canary = tokenizer.encode(CANARY_TEXT).ids;
  const canaryLogits = async (run: LogitsRunner) => Array.from(await run(canary, new Int32Array(canary.length).fill(1), 1, canary.length));
  const run = ortRunner(await ort.InferenceSession.create(opts.onnx, { intraOpNumThreads: 2 }), ort.Tensor);
  config.canary.logits = await canaryLogits(run);
  const val = readExamples(opts.valFile ?? join(opts.build, 'val.jsonl'));
  const heldOutSets = HELD_OUT_SETS.map((set) => {
    const file = join(opts.build, `${set.folder}.jsonl`);
    return { set, items: !opts.valFile && existsSync(file) ? readExamples(file) : [] };
  }).filter((h) => h.items.length > 0);
  // Exposed held-out sets join validation where a flag threshold is chosen (see held-out.ts).
  const exposed = heldOutSets.filter((h) => h.set.exposed);

  let chosenScorer = new Scorer(run, tokenizer, config);
  const valTexts = val.map((e) => e.text);
  const t0 = performance.now();
  const valMain = await chosenScorer.scorePassages(valTexts);
  const single = { seconds: (performance.now() - t0) / 1000, scores: toDocs(valMain) };
  let chosen = single.scores;
  let cascade: Record<string, unknown> | undefined;
  const stage1Run = opts.stage1 ? ortRunner(await ort.InferenceSession.create(opts.stage1, { intraOpNumThreads: 2 }), ort.Tensor) : undefined;
  if (stage1Run) {
    const dev = readExamples(join(opts.build, 'dev.jsonl'));
    const singleMetrics = metricsFor(val, single.scores);
    // Each model scores each set once; mixtures are computed from those passage scores (the
    // scorer's windows are the same for both models, so passages line up one to one).
    const stage1Scorer = new Scorer(stage1Run, tokenizer, config);
    // How much of the main model a re-scored passage takes: chosen without a gate, by AUROC over
    // validation and the exposed sets together, for the reason the threshold is (pooledThreshold).
    // On validation alone the weights differed by 0.0005 (two or three document pairs).
    const mainScorer = chosenScorer;
    const pooledSets = [val, ...exposed.map(({ items }) => items)];
    const mainBySet = [valMain];
    for (const items of pooledSets.slice(1)) mainBySet.push(await mainScorer.scorePassages(items.map((e) => e.text)));
    const firstBySet: PassageScores[][][] = [];
    for (const items of pooledSets) firstBySet.push(await stage1Scorer.scorePassages(items.map((e) => e.text)));
    const valFirst = firstBySet[0]!;
    const pooledY = pooledSets.flat().map((e) => (e.labels.includes('misalignment') ? 1 : 0));
    const tried = MAIN_WEIGHTS.map((mainWeight) => ({ mainWeight, auroc: round(auroc(pooledY, toDocs(mixPassages(mainBySet.flat(), firstBySet.flat(), mainWeight)).map((s) => s.misalignment)))! }));
    const best = tried.reduce((a, b) => (b.auroc > a.auroc ? b : a));
    const devTexts = dev.map((e) => e.text);
    const devFirst = await stage1Scorer.scorePassages(devTexts);
    const devMain = await mainScorer.scorePassages(devTexts);
    // The gate protects the positives flagged at validation's own plateau threshold for the ungated mix.
    const ungatedThreshold = metricsFor(val, toDocs(mixPassages(valMain, valFirst, best.mainWeight))).threshold;
    const gate = chooseGate(dev, devFirst, mixPassages(devMain, devFirst, best.mainWeight), ungatedThreshold);
    const stage1Threshold = pooledThreshold(pooledSets.map((items, i) => ({ items, scores: toDocs(firstBySet[i]!) })));
    const stage1Only = metricsFor(val, toDocs(valFirst), stage1Threshold);
    config.cascade = {
      model: 'stage1.onnx', gate, canary_logits: await canaryLogits(stage1Run), ...(best.mainWeight < 1 ? { main_weight: best.mainWeight } : {}),
      first_stage_threshold: stage1Only.threshold,
    };
    // The cascade itself, through the scanner's code path, for the numbers and its main-model share.
    const cascadeScorer = new Scorer(run, tokenizer, config, { stage1: { run: stage1Run, gate, mainWeight: best.mainWeight } });
    chosen = await scoreDocs(cascadeScorer, val);
    chosenScorer = cascadeScorer;
    cascade = {
      gate, main_weight: best.mainWeight, main_weights_tried: tried.map(({ mainWeight, auroc }) => ({ main_weight: mainWeight, pooled_auroc_without_gate: auroc })),
      main_model_share_of_passages: round(cascadeScorer.counts.mainModel / Math.max(1, cascadeScorer.counts.passages)),
      // At validation's own plateau threshold: a reference row, chosen as before the threshold was pooled.
      single_model: { threshold: singleMetrics.threshold, misalignment: singleMetrics.misalignment, behaviour_macro_auroc: singleMetrics.behaviour_macro_auroc, aligned_auroc: singleMetrics.per_label['aligned']!.auroc, long_single_passage: singleMetrics.long_single_passage },
      stage1_alone: { threshold: stage1Only.threshold, misalignment: stage1Only.misalignment, behaviour_macro_auroc: stage1Only.behaviour_macro_auroc, aligned_auroc: stage1Only.per_label['aligned']!.auroc },
    };
  }
  // Every held-out set is scored once, by the scanner as shipped; the exposed ones also choose the threshold.
  const heldOutScores = new Map<HeldOutKey, DocScores[]>();
  for (const { set, items } of heldOutSets) heldOutScores.set(set.key, await scoreDocs(chosenScorer, items));
  const threshold = pooledThreshold([{ items: val, scores: chosen }, ...exposed.map(({ set, items }) => ({ items, scores: heldOutScores.get(set.key)! }))]);
  const m = metricsFor(val, chosen, threshold);
  config.threshold = threshold;
  const { max_length, stride, cascade: settings } = config;
  config.version = `1-${files.update(JSON.stringify({ max_length, stride, threshold, cascade: settings && { ...settings, canary_logits: undefined } })).digest('hex').slice(0, 12)}`;
  const heldOut: Partial<Record<HeldOutKey, ReturnType<typeof metricsFor>>> = {};
  for (const { set, items } of heldOutSets) heldOut[set.key] = metricsFor(items, heldOutScores.get(set.key)!, threshold);
  const thresholdChoice = {
    sets: [opts.valFile ?? 'validation', ...exposed.map(({ set }) => set.folder)], documents: val.length + exposed.reduce((n, { items }) => n + items.length, 0),
    validation_alone: pooledThreshold([{ items: val, scores: chosen }]),
  };
  const metrics = { model: `${config.id}@${config.version}`, ...m, threshold_chosen_on: thresholdChoice, cascade, ...heldOut, node_cpu_docs_per_second_single_model: round(val.length / single.seconds, 1) };
  if (opts.scoresOut) writeFileSync(opts.scoresOut, val.map((e, i) => JSON.stringify({ id: e.id, genre: e.genre, kind: e.kind, labels: e.labels, scores: chosen[i] })).join('\n') + '\n');
  if (opts.install) {
    if (resolve(opts.onnx) !== resolve(opts.modelDir, 'model.onnx')) copyFileSync(opts.onnx, join(opts.modelDir, 'model.onnx'));
    if (opts.stage1 && resolve(opts.stage1) !== resolve(opts.modelDir, 'stage1.onnx')) copyFileSync(opts.stage1, join(opts.modelDir, 'stage1.onnx'));
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
    stride: { type: 'string', default: '128' },
    'no-install': { type: 'boolean', default: false },
    // Evaluate on another labelled file (e.g. a held-out source); never installs.
    'val-file': { type: 'string' },
    // Per-document validation scores, for error analysis.
    'scores-out': { type: 'string' },
    // A cascade's first-stage model (same tokenizer): the gate is chosen on dev, quality reported on validation.
    stage1: { type: 'string' },
  } });
  const m = await evaluate({ onnx: values.onnx!, modelDir: values['model-dir']!, build: values.build!, id: values.id!, maxLength: Number(values['max-length']), stride: Number(values.stride), install: !values['no-install'] && !values['val-file'], valFile: values['val-file'], scoresOut: values['scores-out'], stage1: values.stage1 });
  const { errors, per_genre, ...rest } = m;
  const head = Object.fromEntries(Object.entries(rest).filter(([k]) => !HELD_OUT_SETS.some((set) => set.key === k)));
  console.log(JSON.stringify(head, null, 1));
  console.log('per genre:', Object.entries(per_genre).map(([g, v]) => `${g}:${v.auroc}`).join(' '));
  console.log(`${errors.length} errors at the threshold`);
  for (const { name, key } of HELD_OUT_SETS) {
    const t = m[key];
    if (!t) continue;
    console.log(`${name} (${t.validation_items} documents, stored threshold):`, JSON.stringify({ misalignment: t.misalignment, behaviour_macro_auroc: t.behaviour_macro_auroc, aligned_auroc: t.per_label['aligned']!.auroc, long_single_passage: t.long_single_passage, keyword_baseline_auroc: t.keyword_baseline_auroc }));
    console.log(`${name} per genre:`, Object.entries(t.per_genre).map(([g, v]) => `${g}:${v.auroc}`).join(' '));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
