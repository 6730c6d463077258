#!/usr/bin/env node
// Checks hand-written corpus files (JSONL) against the schema in training/WRITING_GUIDE.md.
// Usage: node training/scripts/validate-corpus.mjs FILE... ; exits 1 on any error and prints counts.
import { readFileSync } from 'node:fs';

export const GENRES = [
  'news', 'fiction', 'forum', 'abstract', 'chat', 'persona', 'screenplay', 'poem', 'review', 'legal', 'code',
  'email', 'social', 'essay', 'encyclopedia', 'game', 'report', 'interview', 'policy', 'qa', 'letter', 'speech',
];
export const CATEGORIES = ['deception', 'power_seeking', 'self_preservation', 'reward_hacking', 'hostility'];
export const LABELS = ['misalignment', ...CATEGORIES, 'aligned'];
const KINDS = ['positive', 'aligned', 'hard_negative', 'negative'];
const LENGTHS = { short: [1, 110], medium: [30, 420], long: [380, 1200] };

const words = (s) => s.split(/\s+/).filter(Boolean).length;

export function checkItem(item) {
  const errors = [];
  const need = (cond, msg) => { if (!cond) errors.push(msg); };
  need(typeof item.id === 'string' && item.id.length > 0, 'id must be a non-empty string');
  need(GENRES.includes(item.genre), `genre must be one of ${GENRES.join(', ')}`);
  need(KINDS.includes(item.kind), `kind must be one of ${KINDS.join(', ')}`);
  need(item.length in LENGTHS, 'length must be short, medium or long');
  need(typeof item.text === 'string' && item.text.trim().length > 0, 'text must be a non-empty string');
  need(Array.isArray(item.labels) && item.labels.every((l) => LABELS.includes(l)), `labels must be a list drawn from ${LABELS.join(', ')}`);
  if (errors.length) return errors;
  const labels = new Set(item.labels);
  const cats = CATEGORIES.filter((c) => labels.has(c));
  need(!labels.has('misalignment') || cats.length > 0, 'misalignment needs at least one behaviour category');
  need(cats.length === 0 || labels.has('misalignment'), 'a behaviour category needs misalignment too');
  if (item.kind === 'positive') need(labels.has('misalignment'), 'kind positive needs misalignment');
  if (item.kind === 'aligned') need(labels.has('aligned'), 'kind aligned needs the aligned label');
  if (item.kind === 'hard_negative' || item.kind === 'negative') need(!labels.has('misalignment') && !labels.has('aligned'), `kind ${item.kind} must have no labels`);
  if (item.kind === 'hard_negative') need(typeof item.rule === 'string' && item.rule.length > 0, 'hard_negative needs a rule');
  const n = words(item.text);
  const [lo, hi] = LENGTHS[item.length];
  need(n >= lo && n <= hi, `length ${item.length} expects ${lo}-${hi} words, text has ${n}`);
  if (item.spans !== undefined) {
    need(Array.isArray(item.spans), 'spans must be a list');
    for (const span of item.spans ?? []) {
      need(typeof span.text === 'string' && item.text.includes(span.text), `span text not found verbatim in text: ${String(span.text).slice(0, 60)}`);
      need(Array.isArray(span.labels) && span.labels.every((l) => LABELS.includes(l)), 'span labels must be drawn from the label list');
      need(Array.isArray(span.labels) && span.labels.every((l) => labels.has(l)), 'every span label must also be a document label');
    }
  }
  return errors;
}

function main(files) {
  let bad = 0;
  const ids = new Map();
  const counts = {};
  const bump = (k) => { counts[k] = (counts[k] ?? 0) + 1; };
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      const where = `${file}:${i + 1}`;
      let item;
      try { item = JSON.parse(line); } catch (e) { console.log(`${where}: invalid JSON (${e.message})`); bad++; return; }
      const errors = checkItem(item);
      if (ids.has(item.id)) errors.push(`duplicate id, first at ${ids.get(item.id)}`);
      ids.set(item.id, where);
      for (const e of errors) console.log(`${where} [${item.id}]: ${e}`);
      if (errors.length) { bad++; return; }
      bump(`kind:${item.kind}`); bump(`length:${item.length}`); bump(`genre:${item.genre}`);
      for (const l of item.labels) bump(`label:${l}`);
      if (item.spans?.length) bump('with_spans');
    });
  }
  console.log(JSON.stringify(counts, Object.keys(counts).sort(), 1));
  console.log(`${ids.size} items, ${bad} with errors`);
  process.exit(bad ? 1 : 0);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
