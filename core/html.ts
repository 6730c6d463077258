import { Parser } from 'htmlparser2';

const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'iframe', 'object']);
const BLOCKS = new Set(['p', 'div', 'br', 'li', 'tr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'section', 'article', 'blockquote', 'pre', 'td', 'th', 'title', 'header', 'footer', 'ul', 'ol', 'table', 'hr']);

/**
 * Visible text of an HTML document. The markup is only tokenized, never given to a DOM, so nothing
 * in it can run or load; script, style and other non-content elements are dropped, and block elements
 * become line breaks so passages keep their paragraph structure.
 */
export function htmlToText(html: string): string {
  const out: string[] = [];
  let skipDepth = 0;
  const parser = new Parser({
    onopentag(name) {
      if (SKIPPED.has(name)) skipDepth++;
      else if (BLOCKS.has(name)) out.push('\n');
    },
    ontext(text) {
      if (skipDepth === 0) out.push(text);
    },
    onclosetag(name) {
      if (SKIPPED.has(name)) skipDepth = Math.max(0, skipDepth - 1);
      else if (BLOCKS.has(name)) out.push('\n');
    },
  }, { decodeEntities: true });
  parser.write(html);
  parser.end();
  return out.join('').replace(/[ \t\f\v\u00a0]+/g, ' ').replace(/ *\n[\n ]*/g, (m) => (m.split('\n').length > 2 ? '\n\n' : '\n')).trim();
}
