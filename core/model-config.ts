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
  /** Flag a document when its misalignment score is at or above this. Chosen on validation for F1. */
  threshold: number;
  /** How passage scores become a document score. */
  aggregation: 'max';
  /** A text and the logits the model gave for it at export: used to check a device before trusting it. */
  canary: { text: string; logits: number[] };
  /**
   * Optional fast first stage (same tokenizer and contract): it scores every passage and the main
   * model re-scores only passages where its misalignment or aligned probability reaches `gate`.
   */
  cascade?: { model: string; gate: number; canary_logits: number[] };
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
  }
  return c as ModelConfig;
}

export const modelKey = (config: Pick<ModelConfig, 'id' | 'version'>): string => `${config.id}@${config.version}`;
