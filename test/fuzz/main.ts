/**
 * `npm run fuzz -- --frames N --seed S [--peers K]`: runs the frame fuzzer (`frame-fuzz.ts`) against a
 * fresh node pair built from `dist/`, prints what it sent and what the nodes did with it,
 * and exits 1 if the checks after the run found anything wrong (0 otherwise).
 */
import { parseArgs } from 'node:util';
import { fuzzFrames } from './frame-fuzz.js';

const USAGE = 'usage: npm run fuzz -- [--frames N (default 10000)] [--seed S (default: random)] [--peers K (fake peers at once, default 1; 1 replays a seed exactly)]';

function count(raw: string | undefined, fallback: number, flag: string): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} must be a non-negative integer\n${USAGE}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { frames: { type: 'string' }, seed: { type: 'string' }, peers: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const frames = count(values.frames, 10_000, '--frames');
  const seed = count(values.seed, Math.floor(Math.random() * 2 ** 31), '--seed');
  const peers = Math.max(1, count(values.peers, 1, '--peers'));
  const teardowns: (() => void | Promise<void>)[] = [];
  try {
    const summary = await fuzzFrames({ teardown: (fn) => teardowns.push(fn) }, { frames, seed, peers, progress: (line) => console.error(line) });
    console.log(JSON.stringify(summary, null, 2));
    if (summary.problems.length > 0) console.error(`FAILED: ${summary.problems.length} problems (seed ${seed}); rerun with --seed ${seed}`);
    else console.error(`ok: ${summary.sent} frames, ${summary.accepted} taken, refused ${JSON.stringify(summary.refused)}; nodes up, logs valid, publishing works (seed ${seed})`);
    return summary.problems.length > 0 ? 1 : 0;
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
