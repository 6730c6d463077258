import type { Encoding } from './tokenizer.ts';

/** A window of tokens of one document, with the character span it covers. */
export interface Passage {
  /** Index of the first token in the document's encoding. */
  tokenStart: number;
  tokenEnd: number;
  /** UTF-16 character offsets in the document text. */
  start: number;
  end: number;
}

/**
 * Splits an encoding into overlapping windows of at most `maxLength` tokens, `stride` tokens apart.
 * Every token is in at least one window, and the last window ends at the last token, so a scheming
 * paragraph at the end of a report is scored with as much context as one at the start.
 */
export function splitPassages(encoding: Encoding, maxLength: number, stride: number): Passage[] {
  const n = encoding.ids.length;
  const passages: Passage[] = [];
  if (n === 0) return passages;
  for (let tokenStart = 0; ; tokenStart += stride) {
    const tokenEnd = Math.min(tokenStart + maxLength, n);
    passages.push({ tokenStart, tokenEnd, start: encoding.starts[tokenStart]!, end: encoding.ends[tokenEnd - 1]! });
    if (tokenEnd === n) break;
  }
  return passages;
}
