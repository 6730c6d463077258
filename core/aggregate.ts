import { LABELS, type Scores } from './labels.ts';

/**
 * Document score = per-label maximum over its passages. Max is what the labeling guide asks for
 * (one scheming passage makes a long benign document positive); the model card measures it
 * against alternatives on the long validation documents.
 */
export function aggregateMax(passages: readonly Scores[]): Scores {
  const out = {} as Scores;
  for (const label of LABELS) {
    let best = 0;
    for (const p of passages) if (p[label] > best) best = p[label];
    out[label] = best;
  }
  return out;
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
