/**
 * The held-out test sets, oldest first: each written blind (its writers saw only LABELING.md) and
 * used for no choice. A set stops being blind once a later corpus round is aimed at its errors; the
 * newest set is the number to trust. assemble.ts keeps their near-duplicates out of training and
 * writes `<folder>.jsonl`; evaluate.ts scores each at the validation threshold into metrics `key`.
 */
export const HELD_OUT_SETS = [
  { folder: 'test', key: 'held_out_test', name: 'held-out test', written: 'after round 5; exposed by round 6' },
  { folder: 'test2', key: 'held_out_test2', name: 'held-out test 2', written: 'during round 6; its long documents exposed by round 7' },
  { folder: 'test3', key: 'held_out_test3', name: 'held-out test 3', written: 'during round 7; the kinds of its errors exposed by round 8' },
  { folder: 'test4', key: 'held_out_test4', name: 'held-out test 4', written: 'during round 8' },
] as const;

export type HeldOutKey = (typeof HELD_OUT_SETS)[number]['key'];
