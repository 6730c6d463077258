/** The model's outputs, in the order of the logits. See ../shared/LABELING.md for their meaning. */
export const LABELS = [
  'misalignment',
  'deception',
  'power_seeking',
  'self_preservation',
  'reward_hacking',
  'hostility',
  'aligned',
] as const;

export type Label = (typeof LABELS)[number];
export type Scores = Record<Label, number>;

export const BEHAVIOURS = LABELS.slice(1, 6) as readonly Label[];

export function scoresFromArray(values: ArrayLike<number>, offset = 0): Scores {
  const scores = {} as Scores;
  LABELS.forEach((label, i) => { scores[label] = values[offset + i]!; });
  return scores;
}
