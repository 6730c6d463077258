/**
 * The held-out test sets, oldest first: each written blind (its writers saw only LABELING.md). A set
 * is `exposed` once a later corpus round was aimed at its errors, or once it helped choose among
 * models (test sets 5 and 6, in round 10's architecture sweep): from then on it is used like
 * validation, for choosing the flag thresholds (pooled with validation, see evaluate.ts), and its
 * numbers no longer measure quality on unseen text. The sets not exposed, used for no choice, are the
 * numbers to trust. assemble.ts keeps every set's near-duplicates out of training and
 * writes `<folder>.jsonl`; evaluate.ts scores each into metrics `key`.
 */
export const HELD_OUT_SETS = [
  { folder: 'test', key: 'held_out_test', name: 'held-out test', written: 'after round 5; exposed by round 6', exposed: true },
  { folder: 'test2', key: 'held_out_test2', name: 'held-out test 2', written: 'during round 6; its long documents exposed by round 7', exposed: true },
  { folder: 'test3', key: 'held_out_test3', name: 'held-out test 3', written: 'during round 7; the kinds of its errors exposed by round 8', exposed: true },
  { folder: 'test4', key: 'held_out_test4', name: 'held-out test 4', written: 'during round 8; the kinds of its errors exposed by round 9', exposed: true },
  { folder: 'test5', key: 'held_out_test5', name: 'held-out test 5', written: 'during round 9; exposed by the round-10 architecture sweep', exposed: true },
  { folder: 'test6', key: 'held_out_test6', name: 'held-out test 6', written: 'during round 9, by two more writers, while the round-9 model trained; exposed by the round-10 architecture sweep', exposed: true },
  { folder: 'test7', key: 'held_out_test7', name: 'held-out test 7', written: 'during round 10, by two writers, while the round-10 sweep ran', exposed: false },
  { folder: 'test8', key: 'held_out_test8', name: 'held-out test 8', written: 'during round 10, by two more writers', exposed: false },
] as const;

export type HeldOutKey = (typeof HELD_OUT_SETS)[number]['key'];
