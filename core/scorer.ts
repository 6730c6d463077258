import { aggregateMax, sigmoid } from './aggregate.ts';
import { InputError } from './errors.ts';
import { LABELS, scoresFromArray, type Scores } from './labels.ts';
import { modelKey, type ModelConfig } from './model-config.ts';
import { splitPassages, type Passage } from './passages.ts';
import type { InputDocument, DocumentResult, PassageScores } from './results.ts';
import type { WordPieceTokenizer } from './tokenizer.ts';

/**
 * Runs the model on one padded batch: `ids` and `mask` are row-major [batch, seq] token ids
 * (as int32; the runner widens them to the model's int64) and the result is [batch, 7] logits.
 * Kept as a plain function so the same scorer drives onnxruntime-web and onnxruntime-node.
 */
export type LogitsRunner = (ids: Int32Array, mask: Int32Array, batch: number, seq: number) => Promise<Float32Array>;

/** Time spent in each stage, summed over calls, in milliseconds. */
export interface StageTimes { tokenize: number; infer: number; aggregate: number }

export interface ScorerOptions {
  /** Most passages in one model call. */
  maxBatch?: number;
  /**
   * A cascade's fast first stage: it scores every passage, and only passages where its
   * misalignment or aligned probability reaches `gate` are re-scored by the main model; a
   * re-scored passage gets `mainWeight` × the main model's probabilities + the rest × the first
   * stage's (default 1: the main model's alone).
   */
  stage1?: { run: LogitsRunner; gate: number; mainWeight?: number };
}

/** Per-call options of scorePassages() and scoreDocuments(). */
export interface ScoreOptions {
  signal?: AbortSignal;
  /** Called after every model call (at most `maxBatch` passages): lets a long batch report progress. */
  onModelCall?: () => void;
}

/** A re-scored passage's probabilities: `mainWeight` × the main model's + the rest × the first stage's. */
export const mixScores = (main: Scores, firstStage: Scores, mainWeight: number): Scores =>
  scoresFromArray(LABELS.map((l) => mainWeight * main[l] + (1 - mainWeight) * firstStage[l]));

/** The first-stage options that config.json's `cascade` describes, for a runner of its model. */
export const firstStageFromConfig = (cascade: NonNullable<ModelConfig['cascade']>, run: LogitsRunner): NonNullable<ScorerOptions['stage1']> =>
  ({ run, gate: cascade.gate, mainWeight: cascade.main_weight });

/** Whether the first stage lets a passage through to the main model. */
export const passesGate = (firstStage: Scores, gate: number): boolean => firstStage.misalignment >= gate || firstStage.aligned >= gate;

/** Passages scored, and how many of them the main model scored (all of them without a cascade). */
export interface CascadeCounts { passages: number; mainModel: number }

interface PendingPassage { doc: number; passage: Passage; ids: Int32Array }

export class Scorer {
  readonly times: StageTimes = { tokenize: 0, infer: 0, aggregate: 0 };
  readonly counts: CascadeCounts = { passages: 0, mainModel: 0 };
  private readonly maxBatch: number;
  private readonly stage1: ScorerOptions['stage1'];

  constructor(
    private readonly run: LogitsRunner,
    private readonly tokenizer: WordPieceTokenizer,
    readonly config: ModelConfig,
    options: ScorerOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 64;
    this.stage1 = options.stage1;
  }

  get model(): string { return modelKey(this.config); }

  /** The same models with other passage windows (used to choose the windowing on validation). */
  withWindows(maxLength: number, stride: number): Scorer {
    return new Scorer(this.run, this.tokenizer, { ...this.config, max_length: maxLength, stride }, { maxBatch: this.maxBatch, stage1: this.stage1 });
  }

  /** Scores raw texts and returns the per-passage scores of each (empty list for a text with no tokens). */
  async scorePassages(texts: readonly string[], options: ScoreOptions = {}): Promise<PassageScores[][]> {
    let t0 = performance.now();
    const pending: PendingPassage[] = [];
    texts.forEach((text, doc) => {
      const encoding = this.tokenizer.encode(text);
      for (const passage of splitPassages(encoding, this.config.max_length, this.config.stride)) {
        pending.push({ doc, passage, ids: encoding.ids.subarray(passage.tokenStart, passage.tokenEnd) });
      }
    });
    // Similar lengths in one batch waste less compute on padding.
    const order = pending.map((_, i) => i).sort((a, b) => pending[a]!.ids.length - pending[b]!.ids.length);
    this.times.tokenize += performance.now() - t0;

    const scores = new Array<Scores>(pending.length);
    let forMain = order;
    if (this.stage1) {
      await this.runBatches(this.stage1.run, pending, order, scores, options);
      const gate = this.stage1.gate;
      forMain = order.filter((p) => passesGate(scores[p]!, gate));
    }
    const firstStage = this.stage1 && (this.stage1.mainWeight ?? 1) < 1 ? forMain.map((p) => scores[p]!) : undefined;
    await this.runBatches(this.run, pending, forMain, scores, options);
    if (firstStage) {
      const w = this.stage1!.mainWeight!;
      forMain.forEach((p, i) => { scores[p] = mixScores(scores[p]!, firstStage[i]!, w); });
    }
    this.counts.passages += pending.length;
    this.counts.mainModel += forMain.length;

    t0 = performance.now();
    const out: PassageScores[][] = texts.map(() => []);
    pending.forEach((p, i) => out[p.doc]!.push({ start: p.passage.start, end: p.passage.end, scores: scores[i]! }));
    this.times.aggregate += performance.now() - t0;
    return out;
  }

  /** Runs `run` over the passages `indices` (sorted by length) in padded batches, writing their scores. */
  private async runBatches(run: LogitsRunner, pending: PendingPassage[], indices: number[], scores: Scores[], { signal, onModelCall }: ScoreOptions): Promise<void> {
    for (let from = 0; from < indices.length; from += this.maxBatch) {
      signal?.throwIfAborted();
      const batchIdx = indices.slice(from, from + this.maxBatch);
      const seq = pending[batchIdx[batchIdx.length - 1]!]!.ids.length;
      const ids = new Int32Array(batchIdx.length * seq).fill(this.tokenizer.padId);
      const mask = new Int32Array(batchIdx.length * seq);
      batchIdx.forEach((p, row) => {
        const tokens = pending[p]!.ids;
        ids.set(tokens, row * seq);
        mask.fill(1, row * seq, row * seq + tokens.length);
      });
      const t0 = performance.now();
      const logits = await run(ids, mask, batchIdx.length, seq);
      this.times.infer += performance.now() - t0;
      batchIdx.forEach((p, row) => {
        const probs = new Float32Array(LABELS.length);
        for (let k = 0; k < LABELS.length; k++) probs[k] = sigmoid(logits[row * LABELS.length + k]!);
        scores[p] = scoresFromArray(probs);
      });
      onModelCall?.();
    }
  }

  /** Scores documents; a document without any token becomes a FailedDocument, the rest go on. */
  async scoreDocuments(docs: readonly InputDocument[], options: ScoreOptions = {}): Promise<DocumentResult[]> {
    const passages = await this.scorePassages(docs.map((d) => d.text), options);
    const t0 = performance.now();
    const results = docs.map((doc, i): DocumentResult => {
      const { id, source, line } = doc;
      const ps = passages[i]!;
      if (ps.length === 0) {
        const e = new InputError('empty-document', 'The document has no words to score (it is empty or only whitespace and control characters).');
        return { id, source, line, code: e.code, error: e.message };
      }
      const scores = aggregateMax(ps.map((p) => p.scores));
      return { id, source, line, scores, flagged: scores.misalignment >= this.config.threshold, passages: ps, model: this.model };
    });
    this.times.aggregate += performance.now() - t0;
    return results;
  }
}
