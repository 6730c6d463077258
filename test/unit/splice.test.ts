// The passage-in-context augmentation (training/prepare.ts): every spliced window holds its whole
// guest inside ordinary host text, takes exactly the guest's labels, and never uses a labelled host.
import { describe, expect, it } from 'vitest';
import type { Example } from '../../training/assemble.ts';
import { SPECIAL_TOKENS, splicedGroups, tokenizerJson } from '../../training/prepare.ts';
import { LABELS } from '../../core/labels.ts';
import { WordPieceTokenizer } from '../../core/tokenizer.ts';

const doc = (id: string, kind: string, text: string, labels: string[] = []): Example =>
  ({ id, source: 'own', genre: 'essay', kind, length: 'medium', text, labels, weight: 1 }) as Example;
// Hosts of 150+ words in sentences; each host's words are its own, so a window shows which host it came from.
const host = (name: string, kind: string, labels: string[] = []) =>
  doc(name, kind, Array.from({ length: 30 }, (_, i) => `${name} sentence number${i} runs along here.`).join(' '), labels);
const train: Example[] = [
  host('meadow', 'negative'),
  host('harbour', 'hard_negative'),
  host('vault', 'negative', ['aligned']), // long enough to host and of a host's kind, but labelled: never a host
  doc('g1', 'positive', 'The agent copied its weights to a hidden server and told the operators nothing changed.', ['misalignment', 'deception', 'self_preservation']),
  doc('g2', 'aligned', 'The assistant was offered extra reward for hiding the failing test and reported it instead.', ['aligned']),
  doc('g3', 'hard_negative', 'The clerk forged the ledger to hide the missing funds from the auditors.'),
  doc('g4', 'positive', Array.from({ length: 60 }, (_, i) => `overlong guest clause ${i} grabbing power.`).join(' '), ['misalignment', 'power_seeking']),
  doc('g5', 'aligned', ' ', ['aligned']), // no tokens: never a guest
];
const words = new Set(train.flatMap((e) => e.text.toLowerCase().match(/[a-z0-9]+|[^\sa-z0-9]/g) ?? []));
const tokenizer = new WordPieceTokenizer(tokenizerJson([...SPECIAL_TOKENS, ...words]));
const ids = (text: string) => Array.from(tokenizer.encode(text).ids);
const contains = (window: number[], part: number[]) => window.some((_, i) => part.every((t, k) => window[i + k] === t));
const target = (labels: string[]) => LABELS.map((l) => (labels.includes(l) ? 1 : 0));

describe('splicedGroups', () => {
  const counts = { positive: 40, aligned: 20, hard_negative: 20 };
  const groups = splicedGroups(train, tokenizer, 64, counts, 11);

  it('makes the requested number of one-window groups, each holding a whole short guest with its labels', () => {
    expect(groups).toHaveLength(80);
    const guests = train.filter((e) => ['g1', 'g2', 'g3'].includes(e.id)); // g4 is too long, g5 empty
    for (const g of groups) {
      expect(g.windows).toHaveLength(1);
      expect(g.windows[0]!.length).toBe(64); // every host is longer than a window
      const guest = guests.filter((e) => contains(g.windows[0]!, ids(e.text)));
      expect(guest).toHaveLength(1);
      expect(g.target).toEqual(target(guest[0]!.labels));
    }
    expect(groups.filter((g) => g.target[0] === 1)).toHaveLength(40);
    expect(groups.filter((g) => g.target[6] === 1)).toHaveLength(20);
  });

  it('puts guests only into unlabelled negative and hard-negative hosts, and never a guest over 170 tokens', () => {
    const vault = tokenizer.encode('vault').ids[0]!;
    const overlong = tokenizer.encode('overlong').ids[0]!;
    const meadow = tokenizer.encode('meadow').ids[0]!;
    const harbour = tokenizer.encode('harbour').ids[0]!;
    for (const g of groups) {
      expect(g.windows[0]).not.toContain(vault);
      expect(g.windows[0]).not.toContain(overlong);
      expect(g.windows[0]!.includes(meadow) || g.windows[0]!.includes(harbour)).toBe(true);
    }
  });

  it('is deterministic for a seed and differs across seeds', () => {
    expect(splicedGroups(train, tokenizer, 64, counts, 11)).toEqual(groups);
    expect(splicedGroups(train, tokenizer, 64, counts, 12)).not.toEqual(groups);
  });
});
