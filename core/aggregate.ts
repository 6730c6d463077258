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

/** Index of the passage that drove the document's misalignment score. */
export function topPassageIndex(passages: readonly Scores[]): number {
  let best = -1;
  let bestScore = -1;
  passages.forEach((p, i) => { if (p.misalignment > bestScore) { bestScore = p.misalignment; best = i; } });
  return best;
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
