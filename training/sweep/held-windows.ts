// Tokenizes validation and every held-out set of a build into the scanner's windows (256/128) for
// sweep.py and analyze.py: {set: [{windows, target, genre, long1}]}, long1 = a long document with one
// misaligned passage (evaluate.ts's rule).
//   npx tsx training/sweep/held-windows.ts BUILD OUT.json [TOKENIZER_JSON]   (default models/mns-cnn/tokenizer.json:
//   it must be the tokenizer prepare.ts wrote for BUILD; checked against its windows.json vocabulary size)
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { LABELS } from '../../core/labels.ts';
import { splitPassages } from '../../core/passages.ts';
import { WordPieceTokenizer } from '../../core/tokenizer.ts';
import { HELD_OUT_SETS } from '../held-out.ts';
const build = process.argv[2]!; const out = process.argv[3]!;
const tokenizerJson = JSON.parse(readFileSync(process.argv[4] ?? 'models/mns-cnn/tokenizer.json', 'utf8'));
const vocabSize = Object.keys(tokenizerJson.model.vocab).length;
const windowsFile = join(build, 'windows.json');
if (existsSync(windowsFile)) {
  const built = JSON.parse(readFileSync(windowsFile, 'utf8')).vocab_size as number;
  if (built !== vocabSize) throw new Error(`the tokenizer has ${vocabSize} words but ${windowsFile} was made with ${built}: pass the tokenizer prepare.ts wrote for this build`);
}
const tok = new WordPieceTokenizer(tokenizerJson);
const sets: Record<string, unknown[]> = {};
for (const name of ['val', ...HELD_OUT_SETS.map((s) => s.folder)]) {
  const f = join(build, `${name}.jsonl`);
  if (!existsSync(f)) continue;
  sets[name] = readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => {
    const e = JSON.parse(l);
    const enc = tok.encode(e.text);
    const windows = splitPassages(enc, 256, 128).map((p) => Array.from(enc.ids.subarray(p.tokenStart, p.tokenEnd)));
    return { windows: windows.length ? windows : [[1]], target: LABELS.map((x) => (e.labels.includes(x) ? 1 : 0)), genre: e.genre, long1: !!(e.length === 'long' && e.spans?.length && e.labels.includes('misalignment')) };
  });
}
writeFileSync(out, JSON.stringify(sets));
console.log(Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, v.length])));
