/**
 * Code blocks of the package READMEs. Every ```ts / ```js block is a program that a test runs, unless the line
 * before its fence is `<!-- not run: REASON -->` (a sketch of an API, say, that names values it does not define).
 */
import { readFileSync } from 'node:fs';

export interface CodeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  /** Why it is not run, from its `<!-- not run: ... -->` marker; undefined for a block that runs. */
  notRun?: string;
}

const PROGRAM_LANGS = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);

/** The program blocks (ts/js) of a Markdown file, in order. */
export function programBlocks(path: string): CodeBlock[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && !/^```\s*$/.test(lines[j])) j++;
    if (j === lines.length) throw new Error(`${path}:${i + 1}: code block is never closed`);
    if (PROGRAM_LANGS.has(open[1])) {
      let k = i - 1;
      while (k >= 0 && lines[k].trim() === '') k--;
      const marker = k >= 0 ? /^<!--\s*not run:\s*(.+?)\s*-->$/.exec(lines[k].trim()) : null;
      out.push({ line: i + 1, lang: open[1], code: lines.slice(i + 1, j).join('\n') + '\n', notRun: marker?.[1] });
    }
    i = j;
  }
  return out;
}
