// A fast, offset-tracking implementation of the subset of Hugging Face tokenizers that the
// shipped models use: BertNormalizer (lowercase, strip accents, clean text, CJK padding),
// BertPreTokenizer and a WordPiece model. It reads the same tokenizer.json that
// transformers.js reads and gives the same ids (test/tokenizer.test.ts checks that), but it
// also returns character offsets, which passage highlighting needs, and runs several times
// faster because the common ASCII path avoids regular expressions.

export interface TokenizerJson {
  normalizer?: { type: string; lowercase?: boolean; strip_accents?: boolean | null; clean_text?: boolean; handle_chinese_chars?: boolean } | null;
  pre_tokenizer?: { type: string } | null;
  model: { type: string; vocab: Record<string, number>; unk_token: string; continuing_subword_prefix?: string; max_input_chars_per_word?: number };
  added_tokens?: { id: number; content: string; special?: boolean }[];
}

export interface Encoding {
  /** Token ids, one per token. */
  ids: Int32Array;
  /** UTF-16 offset in the original text where each token's word starts. */
  starts: Int32Array;
  /** UTF-16 offset in the original text just after each token's word. */
  ends: Int32Array;
}

const enum CharClass { Word = 0, Space = 1, Punct = 2, Skip = 3, Cjk = 4 }

const PUNCT = /^[\p{P}\u0021-\u002F\u003A-\u0040\u005B-\u0060\u007B-\u007E]$/u;
const CONTROL = /^[\p{Cc}\p{Cf}\p{Co}\p{Cs}]$/u;
const SPACE = /^\s$/;
const MARKS = /\p{Mn}/gu;

const isCjkCodeUnit = (cp: number): boolean =>
  (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0xf900 && cp <= 0xfaff);

const ASCII_CLASS = new Uint8Array(128);
for (let cp = 0; cp < 128; cp++) {
  const ch = String.fromCharCode(cp);
  ASCII_CLASS[cp] =
    cp === 0 ? CharClass.Skip
      : SPACE.test(ch) ? CharClass.Space
        : CONTROL.test(ch) ? CharClass.Skip
          : PUNCT.test(ch) ? CharClass.Punct
            : CharClass.Word;
}

function classify(ch: string, cp: number): CharClass {
  if (cp < 128) return ASCII_CLASS[cp] as CharClass;
  if (cp === 0xfffd) return CharClass.Skip;
  if (SPACE.test(ch)) return CharClass.Space;
  if (ch.length === 1 && isCjkCodeUnit(cp)) return CharClass.Cjk;
  if (CONTROL.test(ch)) return CharClass.Skip;
  if (PUNCT.test(ch)) return CharClass.Punct;
  return CharClass.Word;
}

export class WordPieceTokenizer {
  readonly vocab: Map<string, number>;
  readonly unkId: number;
  readonly padId: number;
  private readonly prefix: string;
  private readonly maxCharsPerWord: number;
  private readonly lowercase: boolean;
  private readonly stripAccents: boolean;

  constructor(json: TokenizerJson) {
    if (json.model?.type !== 'WordPiece') throw new Error(`tokenizer.json: model type ${json.model?.type} is not supported (WordPiece only)`);
    if (json.pre_tokenizer && json.pre_tokenizer.type !== 'BertPreTokenizer') throw new Error(`tokenizer.json: pre_tokenizer ${json.pre_tokenizer.type} is not supported`);
    const norm = json.normalizer;
    if (norm && norm.type !== 'BertNormalizer') throw new Error(`tokenizer.json: normalizer ${norm.type} is not supported`);
    this.vocab = new Map(Object.entries(json.model.vocab));
    const unk = this.vocab.get(json.model.unk_token);
    if (unk === undefined) throw new Error('tokenizer.json: the unk_token is not in the vocabulary');
    this.unkId = unk;
    this.padId = this.vocab.get('[PAD]') ?? 0;
    this.prefix = json.model.continuing_subword_prefix ?? '##';
    this.maxCharsPerWord = json.model.max_input_chars_per_word ?? 100;
    this.lowercase = norm?.lowercase ?? false;
    this.stripAccents = norm ? (norm.strip_accents ?? this.lowercase) : false;
  }

  private normalizeWord(word: string, ascii: boolean): string {
    if (ascii) return this.lowercase ? word.toLowerCase() : word;
    let w = this.lowercase ? word.toLowerCase() : word;
    if (this.stripAccents) w = w.normalize('NFD').replace(MARKS, '');
    return w;
  }

  private pushWord(word: string, start: number, end: number, ids: number[], starts: number[], ends: number[]): void {
    const whole = this.vocab.get(word);
    if (whole !== undefined) {
      ids.push(whole); starts.push(start); ends.push(end);
      return;
    }
    const chars = [...word];
    if (chars.length > this.maxCharsPerWord) {
      ids.push(this.unkId); starts.push(start); ends.push(end);
      return;
    }
    const pieces: number[] = [];
    for (let from = 0; from < chars.length;) {
      let found = -1;
      let to = chars.length;
      for (; to > from; to--) {
        const sub = (from > 0 ? this.prefix : '') + chars.slice(from, to).join('');
        const id = this.vocab.get(sub);
        if (id !== undefined) { found = id; break; }
      }
      if (found < 0) { pieces.length = 0; pieces.push(this.unkId); break; }
      pieces.push(found);
      from = to;
    }
    for (const id of pieces) { ids.push(id); starts.push(start); ends.push(end); }
  }

  /** Normalized words and punctuation, before WordPiece: what the vocabulary is built from. */
  words(text: string): string[] {
    const out: string[] = [];
    this.scan(text, (word) => out.push(word));
    return out;
  }

  encode(text: string): Encoding {
    const ids: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    this.scan(text, (word, start, end) => this.pushWord(word, start, end, ids, starts, ends));
    return { ids: Int32Array.from(ids), starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
  }

  /** Calls `onWord` with each normalized, pre-tokenized word and its span in the original text. */
  private scan(text: string, onWord: (word: string, start: number, end: number) => void): void {
    let word = '';
    let wordAscii = true;
    let wordStart = -1;
    let wordEnd = -1;
    const flush = () => {
      if (wordStart >= 0) {
        const normalized = this.normalizeWord(word, wordAscii);
        if (normalized.length > 0) onWord(normalized, wordStart, wordEnd);
      }
      word = ''; wordAscii = true; wordStart = -1;
    };
    for (let i = 0; i < text.length;) {
      const cp = text.codePointAt(i)!;
      const width = cp > 0xffff ? 2 : 1;
      const ch = width === 1 ? text[i]! : text.slice(i, i + 2);
      const cls = classify(ch, cp);
      if (cls === CharClass.Word) {
        if (wordStart < 0) wordStart = i;
        word += ch;
        wordEnd = i + width;
        if (cp >= 128) wordAscii = false;
      } else if (cls === CharClass.Space) {
        flush();
      } else if (cls === CharClass.Punct || cls === CharClass.Cjk) {
        flush();
        const normalized = this.normalizeWord(ch, cp < 128);
        if (normalized.length > 0) onWord(normalized, i, i + width);
      }
      // CharClass.Skip: control characters are dropped without breaking the word, as BertNormalizer does.
      i += width;
    }
    flush();
  }
}
