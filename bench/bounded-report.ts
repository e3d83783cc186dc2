/**
 * The `RESULTS.md` tables of issue 17's soak and reconnect runs (`soak.ts`,
 * `reconnect.ts`): each run's figures, and the goals with their verdicts.
 */
import type { FigureSet } from './figure.js';
import { formatCount } from './progress.js';
import { RECONNECT_BACKLOG } from './reconnect.js';
import { formatValue, show, table, verdict, when } from './results-report.js';
import { SOAK_TIMES, soakWindows } from './soak.js';

/**
 * The soak's bounds: a node's peak disk over the second half of the run at most this many
 * times its peak between 2× the policy (once compaction has begun) and half the run, and
 * the last window's rate at least this share of the first's (a shared 2-core machine
 * scatters single windows by this much). Peaks, not single samples: LevelDB's write-ahead
 * log swings by up to its 4 MB buffer between two samples, which dwarfs a small store.
 */
const SOAK_GOAL = { diskGrowth: 1.5, rateShare: 0.8 } as const;
/** Reconnect after many commits within this many times the figure after few, or this many ms more. */
const RECONNECT_GOAL = { factor: 2, slackMs: 50 } as const;
/** History sizes the issue names. */
const FEW = 1_000;
const MANY = 1_000_000;

/** The soak's table (disk and rate per window) and its goals. */
export function soakReport(f: FigureSet): string {
  const value = (id: string): number | null => f[id]?.value ?? null;
  const policy = value('soak.retainEvents');
  const offered = value('soak.offered');
  const windows = value('soak.windows');
  if (policy === null || windows === null) return 'Not run.';
  const ids = soakWindows(windows);
  const rows = ids.map((id, w) => [
    id === 'end' ? 'settled (everything everywhere, 5 s later)' : `${w + 1}`,
    id === 'end' ? '' : formatCount(Math.round(((w + 1) * SOAK_TIMES * policy) / windows)),
    show(f[`soak.${id}.at`]),
    id === 'end' ? '' : show(f[`soak.${id}.rate`]),
    show(f[`soak.${id}.n1Mb`]),
    show(f[`soak.${id}.rxMb`]),
    formatCount(value(`soak.${id}.retained`) ?? 0),
  ]);
  // The windows after which the nodes had taken twice the policy (compaction runs from then on) and half the run.
  const twice = Math.max(0, Math.round((2 * windows) / SOAK_TIMES) - 1);
  const half = Math.max(twice + 1, Math.round(windows / 2));
  const peak = (node: string, from: number, to: number): number | null => {
    const seen = ids.slice(from, to).map((id) => value(`soak.${id}.${node}Mb`)).filter((v): v is number => v !== null);
    return seen.length === 0 ? null : Math.max(...seen);
  };
  const peaks = (node: string): { early: number | null; late: number | null } => ({ early: peak(node, twice, half), late: peak(node, half, ids.length) });
  const growth = (node: string): number | null => {
    const { early, late } = peaks(node);
    return early === null || late === null || early === 0 ? null : late / early;
  };
  const span = (node: string): string => {
    const { early, late } = peaks(node);
    return `${early?.toFixed(1) ?? '—'} → ${late?.toFixed(1) ?? '—'} MB`;
  };
  const n1 = growth('n1');
  const rx = growth('rx');
  const first = value('soak.0.rate');
  const last = value(`soak.${windows - 1}.rate`);
  const goals = [
    [
      `disk levels off: each node's peak disk over the second half of the run at most ${SOAK_GOAL.diskGrowth}× its peak from 2× the policy to half the run`,
      n1 === null || rx === null ? '—' : `n1 ${n1.toFixed(2)}× (${span('n1')}), rx ${rx.toFixed(2)}× (${span('rx')})`,
      verdict(n1 === null || rx === null ? null : when([n1 > SOAK_GOAL.diskGrowth, `n1 ${n1.toFixed(2)}×`], [rx > SOAK_GOAL.diskGrowth, `rx ${rx.toFixed(2)}×`])),
    ],
    [
      `throughput does not fall: the last window's rate at least ${SOAK_GOAL.rateShare * 100}% of the first's`,
      first === null || last === null ? '—' : `${formatCount(first)} → ${formatCount(last)} events/s (${((100 * last) / first).toFixed(0)}%)`,
      verdict(first === null || last === null ? null : when([last < SOAK_GOAL.rateShare * first, `${((100 * last) / first).toFixed(0)}%`])),
    ],
  ];
  return `2 nodes durable, both \`--retain-events ${formatCount(policy)}\`; \`n1\` publishes in-process at a steady ${formatCount(offered ?? 0)} events/s, ${formatCount(SOAK_TIMES * policy)} events in ${windows} windows (a window's rate falls below that when the node holds its publisher back). Disk is \`du -sb\` of each data directory (chart: disk over time).

${table(['window', 'events handled', 'at (s)', 'achieved (events/s)', 'disk n1 (MB)', 'disk rx (MB)', 'n1 retains (events)'], rows, 1)}

${table(['goal', 'measured', 'verdict'], goals)}`;
}

/** The reconnect table (one row per history size) and its goal. */
export function reconnectReport(f: FigureSet): string {
  const sizes = Object.keys(f)
    .map((id) => /^reconnect\.(\d+)\.ms$/.exec(id)?.[1])
    .filter((s): s is string => s !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  if (sizes.length === 0) return 'Not run.';
  const runs = (id: string): string => (f[id]?.samples ?? []).map((v) => formatValue(v, 'ms')).join(', ');
  const rows = sizes.map((n) => [formatCount(n), show(f[`reconnect.${n}.ms`]), runs(`reconnect.${n}.ms`), show(f[`reconnect.${n}.backoffMs`])]);
  const few = sizes[0];
  const many = sizes[sizes.length - 1];
  const a = f[`reconnect.${few}.ms`]?.value ?? null;
  const b = f[`reconnect.${many}.ms`]?.value ?? null;
  const bound = a === null ? null : Math.max(RECONNECT_GOAL.factor * a, a + RECONNECT_GOAL.slackMs);
  const scaled = few !== FEW || many !== MANY ? ` (this run: ${formatCount(many)} against ${formatCount(few)} commits)` : '';
  const goal = [
    `reconnect after ${formatCount(MANY)} commits within ${RECONNECT_GOAL.factor}× (or ${RECONNECT_GOAL.slackMs} ms more) of after ${formatCount(FEW)}${scaled}`,
    a === null || b === null ? '—' : `${formatValue(b, 'ms')} ms against ${formatValue(a, 'ms')} ms (${(b / a).toFixed(2)}×)`,
    verdict(a === null || b === null || bound === null ? null : when([b > bound, `${formatValue(b - bound, 'ms')} ms over ${formatValue(bound, 'ms')} ms`])),
  ];
  return `2 nodes relaxed, their link through a proxy. After the history is made and replicated, the link is cut, \`n1\` commits ${formatCount(RECONNECT_BACKLOG)} events, the link heals; timed from the link up (handshake done on both sides) to \`rx\` holding everything and \`n1\`'s outbox to it empty, polled every 5 ms. Three unmeasured reconnects first; each adds ${formatCount(RECONNECT_BACKLOG)} commits to the history. Median of the runs.

${table(['commits before', 'link up → caught up (ms)', 'runs (ms)', 'heal → link up (ms, backoff)'], rows, 1)}

${table(['goal', 'measured', 'verdict'], [goal])}`;
}
