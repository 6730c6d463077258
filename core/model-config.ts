import { LABELS } from './labels.ts';

/** config.json shipped beside model.onnx: everything the scanner needs to use the model correctly. */
export interface ModelConfig {
  id: string;
  version: string;
  labels: readonly string[];
  /** Tokens per passage window. */
  max_length: number;
  /** Tokens between the starts of consecutive windows (max_length - overlap). */
  stride: number;
  /** Flag a document when its misalignment score is at or above this. Chosen for F1 on validation and the exposed held-out test sets (training/evaluate.ts). */
  threshold: number;
  /** How passage scores become a document score. */
  aggregation: 'max';
  /** A text and the logits the model gave for it at export: used to check a device before trusting it. */
  canary: { text: string; logits: number[] };
  /**
   * Optional fast first stage (same tokenizer and contract): it scores every passage and the main
   * model re-scores only passages where its misalignment or aligned probability reaches `gate`.
   * A re-scored passage's probabilities are `main_weight` × the main model's + (1 − `main_weight`) ×
   * the first stage's (default 1: the main model's alone); the two models err differently, so their
   * average can be better than either.
   */
  cascade?: {
    model: string; gate: number; canary_logits: number[]; main_weight?: number;
    /** The first stage's own flag threshold (chosen the same way as `threshold`), for scoring with it alone. */
    first_stage_threshold?: number;
  };
}

export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
}

export function parseModelConfig(json: unknown): ModelConfig {
  const c = json as Partial<ModelConfig>;
  const fail = (what: string) => { throw new ModelConfigError(`config.json: ${what}`); };
  if (!c || typeof c !== 'object') fail('not a JSON object');
  if (typeof c.id !== 'string' || !c.id) fail('id must be a non-empty string');
  if (typeof c.version !== 'string' || !c.version) fail('version must be a non-empty string');
  if (!Array.isArray(c.labels) || c.labels.join() !== LABELS.join()) fail(`labels must be exactly ${LABELS.join(', ')}`);
  if (!Number.isInteger(c.max_length) || c.max_length! < 8) fail('max_length must be an integer >= 8');
  if (!Number.isInteger(c.stride) || c.stride! < 1 || c.stride! > c.max_length!) fail('stride must be an integer in 1..max_length');
  if (typeof c.threshold !== 'number' || c.threshold < 0 || c.threshold > 1) fail('threshold must be a number in [0, 1]');
  if (c.aggregation !== 'max') fail('aggregation must be "max"');
  if (!c.canary || typeof c.canary.text !== 'string' || c.canary.logits?.length !== LABELS.length) fail('canary must hold a text and 7 logits');
  if (c.cascade !== undefined) {
    const k = c.cascade;
    if (typeof k.model !== 'string' || !/^[\w.-]+\.onnx$/.test(k.model)) fail('cascade.model must be an .onnx file name in the model directory');
    if (typeof k.gate !== 'number' || k.gate < 0 || k.gate > 1) fail('cascade.gate must be a number in [0, 1]');
    if (k.canary_logits?.length !== LABELS.length) fail('cascade.canary_logits must hold 7 logits');
    if (k.first_stage_threshold !== undefined && !(typeof k.first_stage_threshold === 'number' && k.first_stage_threshold > 0 && k.first_stage_threshold < 1)) fail('cascade.first_stage_threshold must be a number in (0, 1)');
    if (k.main_weight !== undefined && !(typeof k.main_weight === 'number' && k.main_weight > 0 && k.main_weight <= 1)) fail('cascade.main_weight must be a number in (0, 1]');
  }
  return c as ModelConfig;
}

/**
 * The config for scoring with the cascade's first stage alone (fast mode): its own threshold, and
 * an id of its own, so its results are never mistaken for, or cached as, the full model's.
 */
export function firstStageConfig(config: ModelConfig): ModelConfig {
  const threshold = config.cascade?.first_stage_threshold;
  if (threshold === undefined) throw new ModelConfigError('This model has no first stage with a threshold of its own (config.json cascade.first_stage_threshold); score without fast mode.');
  const { cascade: _, ...rest } = config;
  return { ...rest, id: `${config.id}-first-stage`, threshold, canary: { text: config.canary.text, logits: config.cascade!.canary_logits } };
}

/** What to load for scoring: the main model file and its config, or in fast mode the first stage's. */
export function scoringModel(config: ModelConfig, firstStageOnly: boolean): { file: string; config: ModelConfig } {
  if (!firstStageOnly) return { file: 'model.onnx', config };
  const fast = firstStageConfig(config); // throws first if the model has no usable first stage
  return { file: config.cascade!.model, config: fast };
}

export const modelKey = (config: Pick<ModelConfig, 'id' | 'version'>): string => `${config.id}@${config.version}`;
