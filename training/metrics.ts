/** Evaluation metrics, written out so that every number in the model card has one definition. */

/** Area under the ROC curve (ties count half). NaN when a class is missing. */
export function auroc(labels: readonly number[], scores: readonly number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const ranks = new Array<number>(scores.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[idx[k]!] = r;
    i = j + 1;
  }
  let nPos = 0; let sum = 0;
  labels.forEach((y, i) => { if (y === 1) { nPos++; sum += ranks[i]!; } });
  const nNeg = labels.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (sum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export interface BinaryCounts { tp: number; fp: number; fn: number; tn: number; precision: number; recall: number; f1: number }

export function binaryCounts(labels: readonly number[], scores: readonly number[], threshold: number): BinaryCounts {
  let tp = 0; let fp = 0; let fn = 0; let tn = 0;
  labels.forEach((y, i) => {
    const p = scores[i]! >= threshold;
    if (p && y) tp++; else if (p) fp++; else if (y) fn++; else tn++;
  });
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { tp, fp, fn, tn, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}

/**
 * The flag threshold: the middle (median) of all thresholds whose F1 is within `tolerance` of the
 * best (with `tolerance` 0, the best point). On a few hundred documents the F1 curve is a noisy
 * plateau, and its argmax can sit at one edge of it (the round-6 model's validation: best at 0.559,
 * F1 within 0.01 from 0.44 to 0.60); a threshold from the plateau's middle moves less when the
 * documents change.
 */
export function plateauF1Threshold(labels: readonly number[], scores: readonly number[], tolerance = 0.01): { threshold: number; f1: number; best: number } {
  const candidates = [...new Set(scores)].sort((a, b) => a - b);
  const f1s = candidates.map((t) => binaryCounts(labels, scores, t).f1);
  const best = Math.max(...f1s);
  const near = candidates.filter((_, i) => f1s[i]! >= best - tolerance);
  const threshold = near[Math.floor((near.length - 1) / 2)]!;
  return { threshold, f1: binaryCounts(labels, scores, threshold).f1, best };
}

/** Expected calibration error with equal-width bins. */
export function ece(labels: readonly number[], scores: readonly number[], bins = 10): number {
  const sum = new Array<number>(bins).fill(0); const hit = new Array<number>(bins).fill(0); const n = new Array<number>(bins).fill(0);
  scores.forEach((s, i) => {
    const b = Math.min(bins - 1, Math.floor(s * bins));
    sum[b]! += s; hit[b]! += labels[i]!; n[b]!++;
  });
  let e = 0;
  for (let b = 0; b < bins; b++) if (n[b]) e += (n[b]! / scores.length) * Math.abs(sum[b]! / n[b]! - hit[b]! / n[b]!);
  return e;
}
