import { LABELS, type Scores } from './labels.ts';

/** A document read from an input file, before scoring. */
export interface InputDocument {
  id: string;
  /** File name the document came from. */
  source: string;
  /** 1-based line (JSONL) or row (CSV) number, where the format has one. */
  line?: number;
  text: string;
}

export interface PassageScores {
  /** UTF-16 character offsets of the passage in the document text. */
  start: number;
  end: number;
  scores: Scores;
}

export interface ScoredDocument {
  id: string;
  source: string;
  line?: number;
  scores: Scores;
  flagged: boolean;
  passages: PassageScores[];
  /** `<model id>@<version>` that produced the scores. */
  model: string;
}

export interface FailedDocument {
  id: string;
  source: string;
  line?: number;
  /** Stable machine-readable reason, e.g. `invalid-utf8`, `malformed-json`. */
  code: string;
  error: string;
}

export type DocumentResult = ScoredDocument | FailedDocument;

export const isFailed = (r: DocumentResult): r is FailedDocument => 'error' in r;

/** Index of the passage with the highest misalignment score, or -1 when there are none. */
export function topPassage(result: ScoredDocument): PassageScores | undefined {
  let best: PassageScores | undefined;
  for (const p of result.passages) if (!best || p.scores.misalignment > best.scores.misalignment) best = p;
  return best;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** One JSON line per document: the CLI's output and the app's JSONL export. */
export function toJsonLine(result: DocumentResult): string {
  if (isFailed(result)) {
    const { id, source, line, code, error } = result;
    return JSON.stringify({ id, source, line, code, error });
  }
  const { id, source, line, flagged, model } = result;
  const roundScores = (s: Scores) => Object.fromEntries(LABELS.map((l) => [l, round(s[l])]));
  return JSON.stringify({
    id, source, line,
    scores: roundScores(result.scores),
    flagged,
    passages: result.passages.map((p) => ({ start: p.start, end: p.end, scores: roundScores(p.scores) })),
    model,
  });
}

export const CSV_COLUMNS = ['id', 'source', 'line', ...LABELS, 'flagged', 'top_passage_start', 'top_passage_end', 'model', 'error'] as const;

const csvCell = (value: unknown): string => {
  const s = value === undefined || value === null ? '' : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** One CSV row per document (without a header; see CSV_COLUMNS). */
export function toCsvRow(result: DocumentResult): string {
  if (isFailed(result)) {
    return CSV_COLUMNS.map((c) => csvCell(c === 'id' || c === 'source' || c === 'line' ? result[c] : c === 'error' ? result.error : '')).join(',');
  }
  const top = topPassage(result);
  const cells: unknown[] = [result.id, result.source, result.line, ...LABELS.map((l) => round(result.scores[l])),
    result.flagged, top?.start, top?.end, result.model, ''];
  return cells.map(csvCell).join(',');
}
