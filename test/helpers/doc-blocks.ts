/**
 * The fenced code blocks of the docs, as `test/docs.test.ts` runs them. A block's info
 * string is its language, then optionally `not run: <reason>`: such a block is shown, not
 * run, and must say why. Every other block must be `ts` (type-checked, then run: the `ts`
 * blocks of one page make one module, in order) or `sh` (run by bash against a real node).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One fenced block of a page. */
export interface DocBlock {
  /** The page's file name, e.g. `01-write-a-service.md`. */
  readonly page: string;
  /** The line of the opening fence, 1-based. */
  readonly line: number;
  readonly lang: string;
  /** Why the block is not run, when its info string says `not run: …` (may be empty: then the test fails). */
  readonly notRun?: string;
  readonly code: string;
}

const FENCE = /^```(\S*)[ \t]*(.*)$/;
const NOT_RUN = /^not run:\s*(.*)$/;

/** The fenced blocks of one page's markdown, in order. */
export function blocksOf(page: string, markdown: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]);
    if (i >= lines.length) throw new Error(`${page}:${start + 1}: a code block is not closed`);
    const info = NOT_RUN.exec(open[2].trim());
    const block = { page, line: start + 1, lang: open[1], code: `${body.join('\n')}\n` };
    blocks.push(info === null ? block : { ...block, notRun: info[1].trim() });
  }
  return blocks;
}

/** Every page of `dir` (`*.md`, by name) with its blocks. */
export function docPages(dir: string): { page: string; blocks: DocBlock[] }[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((page) => ({ page, blocks: blocksOf(page, readFileSync(join(dir, page), 'utf8')) }));
}

/**
 * The `ts` blocks of a page as one module, each block preceded by a comment naming its
 * line, so that a type error or a failure points back into the page.
 */
export function moduleOf(blocks: readonly DocBlock[]): string {
  return blocks.map((b) => `// ${b.page}:${b.line}\n${b.code}`).join('\n');
}
