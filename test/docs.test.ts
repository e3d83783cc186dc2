/**
 * Every code block in `docs/` is run: a page's `ts` blocks are type-checked together
 * (against the built package, imported as `troupe`, `troupe/testing`, … as an app would)
 * and run as one module; `sh` blocks run in bash against a real node on loopback, whose
 * URL they find in `$NODE`, with `troupe` on the PATH; any other block must say in its
 * info string why it is not run (`sh not run: …`). Needs `npm run build` first, as every
 * test that starts nodes.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { docPages, moduleOf } from './helpers/doc-blocks.js';
import { CLI, REPO_ROOT, startNode } from './helpers/node-process.js';

const run = promisify(execFile);
const DOCS = join(REPO_ROOT, 'docs');
/** Inside the package, so that the blocks import `troupe` by its name, as an app does. */
const BLOCKS = join(REPO_ROOT, 'dist', 'docs-blocks');
const pages = docPages(DOCS);

/** Runs `file` with `args`; resolves with its output, or with why it failed (never rejects). */
async function attempt(file: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { ...options, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

t.test('the docs have pages, linked from the README', async (t) => {
  t.ok(pages.length >= 6, `pages: ${pages.map((p) => p.page).join(', ')}`);
  t.ok(pages.some((p) => p.page === 'README.md'), 'docs/README.md is the way in');
  t.match(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'), '](docs/README.md)', "the project's README links it");
  const index = readFileSync(join(DOCS, 'README.md'), 'utf8');
  for (const { page } of pages) if (page !== 'README.md') t.match(index, `](${page})`, `the index links ${page}`);
});

t.test('every block is ts or sh, or says why it is not run', async (t) => {
  for (const { blocks } of pages) {
    for (const b of blocks) {
      const where = `${b.page}:${b.line}`;
      if (b.notRun !== undefined) t.not(b.notRun, '', `${where} gives a reason not to run it`);
      else t.ok(b.lang === 'ts' || b.lang === 'sh', `${where} is ts or sh (is ${JSON.stringify(b.lang)})`);
    }
  }
});

t.test("each page's ts blocks type-check and run", async (t) => {
  rmSync(BLOCKS, { recursive: true, force: true });
  mkdirSync(BLOCKS, { recursive: true });
  const modules: { page: string; file: string }[] = [];
  for (const { page, blocks } of pages) {
    const ts = blocks.filter((b) => b.lang === 'ts' && b.notRun === undefined);
    if (ts.length === 0) continue;
    const file = join(BLOCKS, page.replace(/\.md$/, '.ts'));
    writeFileSync(file, moduleOf(ts));
    modules.push({ page, file });
  }
  t.ok(modules.length > 0, 'some pages have ts blocks');
  const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, noEmit: true, types: ['node'] };
  writeFileSync(join(BLOCKS, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: modules.map((m) => m.file) }));
  const checked = await attempt(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(BLOCKS, 'tsconfig.json')], { cwd: REPO_ROOT });
  t.ok(checked.ok, `the blocks type-check\n${checked.output}`);
  for (const { page, file } of modules) {
    const ran = await attempt(process.execPath, ['--import', 'tsx', file], { cwd: REPO_ROOT });
    t.ok(ran.ok, `${page}'s ts blocks run\n${ran.output}`);
  }
});

t.test('sh blocks run against a real node', async (t) => {
  const node = await startNode(t, { id: 'n1', secret: 'docs-secret' });
  const bin = t.testdir({});
  const shim = join(bin, 'troupe');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(shim, 0o755);
  const env = { ...process.env, NODE: node.url, PATH: `${bin}:${process.env.PATH ?? ''}` };
  let ran = 0;
  for (const { blocks } of pages) {
    for (const b of blocks) {
      if (b.lang !== 'sh' || b.notRun !== undefined) continue;
      const result = await attempt('bash', ['-euo', 'pipefail', '-c', b.code], { cwd: bin, env });
      t.ok(result.ok, `${b.page}:${b.line} runs\n${b.code}\n${result.output}\n${result.ok ? '' : node.tail()}`);
      ran++;
    }
  }
  t.ok(ran > 0, `${ran} sh blocks ran`);
});
