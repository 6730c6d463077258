import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { firstStageConfig, modelKey, ModelConfigError, parseModelConfig } from '../../core/model-config.ts';

const shipped = JSON.parse(readFileSync(new URL('../../models/mns-cnn/config.json', import.meta.url), 'utf8'));

describe('model config', () => {
  it('accepts the shipped config, with or without a cascade', () => {
    expect(parseModelConfig(shipped).id).toBe('mns-cnn');
    const { cascade: _, ...single } = shipped;
    expect(parseModelConfig(single).cascade).toBeUndefined();
  });

  it('rejects a cascade mixing weight outside (0, 1] with a message naming the field', () => {
    for (const main_weight of [0, -0.5, 1.5, '0.5']) {
      expect(() => parseModelConfig({ ...shipped, cascade: { ...shipped.cascade, main_weight } })).toThrow(ModelConfigError);
      expect(() => parseModelConfig({ ...shipped, cascade: { ...shipped.cascade, main_weight } })).toThrow(/main_weight/);
    }
    expect(parseModelConfig({ ...shipped, cascade: { ...shipped.cascade, main_weight: 1 } }).cascade?.main_weight).toBe(1);
  });

  it('derives a fast-mode config with its own id, threshold and canary, and refuses one without a first-stage threshold', () => {
    const config = parseModelConfig(shipped);
    const fast = firstStageConfig(config);
    expect(modelKey(fast)).toBe(`mns-cnn-first-stage@${config.version}`);
    expect(fast.threshold).toBe(config.cascade!.first_stage_threshold);
    expect(fast.canary.logits).toEqual(config.cascade!.canary_logits);
    expect(fast.cascade).toBeUndefined();
    const { first_stage_threshold: _, ...older } = shipped.cascade;
    expect(() => firstStageConfig(parseModelConfig({ ...shipped, cascade: older }))).toThrow(/first_stage_threshold/);
  });
});
