import { describe, expect, it } from 'vitest';
import { auroc, binaryCounts, plateauF1Threshold } from '../../training/metrics.ts';

describe('threshold choice', () => {
  // Positives at 0.6-0.95, negatives at 0.05-0.4, with one negative at 0.7 and one positive at 0.3.
  const scores = [0.05, 0.1, 0.2, 0.3, 0.35, 0.4, 0.6, 0.7, 0.8, 0.9, 0.95];
  const labels = [0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 1];

  it('with no tolerance, plateauF1Threshold takes the argmax of F1 over observed scores', () => {
    const best = plateauF1Threshold(labels, scores, 0);
    expect(best.threshold).toBe(0.6);
    expect(best.f1).toBeCloseTo(binaryCounts(labels, scores, 0.6).f1, 12);
  });

  it('plateauF1Threshold takes the middle of the thresholds within the tolerance of the best', () => {
    const f1 = (t: number) => binaryCounts(labels, scores, t).f1;
    const best = f1(0.6);
    const near = scores.filter((t) => f1(t) >= best - 0.2);
    expect(near.length).toBeGreaterThan(2);
    const chosen = plateauF1Threshold(labels, scores, 0.2);
    expect(chosen.threshold).toBe(near[Math.floor((near.length - 1) / 2)]);
    expect(chosen.best).toBeCloseTo(best, 12);
    // With no tolerance it is the argmax again.
    expect(plateauF1Threshold(labels, scores, 0).threshold).toBe(0.6);
  });

  it('auroc counts ties as half', () => {
    expect(auroc([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(auroc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])).toBe(1);
  });
});
