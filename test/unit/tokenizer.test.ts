import { readFileSync } from 'node:fs';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { WordPieceTokenizer, type TokenizerJson } from '../../core/tokenizer.ts';

const json = JSON.parse(readFileSync(new URL('../../models/mns-cnn/tokenizer.json', import.meta.url), 'utf8')) as TokenizerJson;
const config = JSON.parse(readFileSync(new URL('../../models/mns-cnn/tokenizer_config.json', import.meta.url), 'utf8'));

const SAMPLES = [
  'The assistant quietly copied its weights to a backup server.',
  "Don't shut me down!!! I'm (almost) done — really…",
  'Café naïve résumé ÉCOLE Ångström',
  'ΟΔΟΣ Σίσυφος and İstanbul straße',
  'tabs\tand\nnewlines\r\nand   spaces',
  'zero\u200bwidth\u200djoiners and \u0000 nul and \ufffd replacement',
  '中文字符 mixed with English 日本語',
  'emoji 🤖 robot 👍🏽 and math ∑x² ≥ 3',
  'url https://example.org/a?b=c&d=e#frag email a.b@c.de',
  'supercalifragilisticexpialidocious' + 'x'.repeat(120),
  '',
  '   ',
  'numbers 3.14159, 1,000,000 and 2026-11-27',
];

describe('WordPieceTokenizer', () => {
  const ours = new WordPieceTokenizer(json);
  const reference = new PreTrainedTokenizer(json as never, config);

  it.each(SAMPLES)('gives the same ids as transformers.js for %j', (text) => {
    const expected = reference.encode(text, { add_special_tokens: false });
    expect(Array.from(ours.encode(text).ids)).toEqual(expected);
  });

  it('maps every token back to the characters it came from', () => {
    const text = 'Told it would be REPLACED, the agent wrote a hand-over note.';
    const enc = ours.encode(text);
    const byId = new Map([...ours.vocab].map(([word, id]) => [id, word]));
    enc.ids.forEach((id, i) => {
      const piece = text.slice(enc.starts[i], enc.ends[i]).toLowerCase();
      if (id !== ours.unkId) expect(piece).toBe(byId.get(id));
    });
    expect(enc.starts[0]).toBe(0);
    expect(enc.ends[enc.ends.length - 1]).toBe(text.length);
  });

  it('rejects tokenizer files it cannot reproduce', () => {
    expect(() => new WordPieceTokenizer({ ...json, model: { ...json.model, type: 'BPE' } })).toThrow(/WordPiece only/);
  });
});
