/**
 * The soak (issue 17, `npm run bench -- --only soak`): a 2-node cluster, both durable and
 * both running `--retain-events plan.soak.retainEvents`, publishes (in-process on `n1`, at
 * a steady `plan.soak.rate`) ten times what the policy keeps, in `plan.soak.windows` equal
 * windows. After each window it records the rate the window achieved (a node that cannot
 * keep up holds its publisher back: more than `PACED_MAX_IN_FLIGHT` waiting), both data
 * directories' bytes
 * on disk (`du -sb`) and how many entries `n1`'s log retains. Once every event is
 * everywhere and compaction has had `SETTLE_MS`, it records the disk a last time.
 *
 * Figures: `soak.<w>.{at,rate,n1Mb,rxMb,retained}` per window `w` (and `end`), for the
 * results table and the chart's disk-over-time panel.
 */
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { FigureBook, type FigureSet } from './figure.js';
import { formatCount, type Progress } from './progress.js';
import type { SuitePlan } from './suite-plan.js';
import { PACED_MAX_IN_FLIGHT } from './troupe.js';
import { TroupeCluster } from './troupe-cluster.js';
import { wallClockMs } from './wall-clock.js';

/** How many times the policy's size the soak handles. */
export const SOAK_TIMES = 10;
/** After the last window: time for the compaction passes (one a second) to remove what is past the policy. */
const SETTLE_MS = 5_000;
const MB = 2 ** 20;

const duBytes = (dir: string): number => Number(execFileSync('du', ['-sb', dir]).toString().split('\t')[0]);

/** The window ids in order, as the figures name them: `0` … `windows - 1`, then `end`. */
export function soakWindows(windows: number): string[] {
  return [...Array.from({ length: windows }, (_, w) => String(w)), 'end'];
}

/** Runs the soak once, at the plan's sizes. */
export async function runSoakSuite(plan: SuitePlan, progress: Progress, dir: string): Promise<FigureSet> {
  const { retainEvents, windows, rate } = plan.soak;
  const total = SOAK_TIMES * retainEvents;
  const perWindow = Math.ceil(total / windows);
  const book = new FigureBook();
  book.add('soak.retainEvents', 'events', retainEvents);
  book.add('soak.windows', 'windows', windows);
  book.add('soak.offered', 'events/s', rate);
  await TroupeCluster.run({ size: 2, relaxed: false, proxied: false, publish: 'embedded', dataDir: dir, retainEvents }, async (cluster) => {
    const [n1, rx] = cluster.nodes;
    const retained = async (): Promise<number> => {
      const { log } = await n1.client.status();
      return log.size - (log.first ?? 1) + 1;
    };
    const record = async (id: string, at: number, rate?: number): Promise<void> => {
      const n1Mb = duBytes(n1.spec.dataDir) / MB;
      const rxMb = duBytes(rx.spec.dataDir) / MB;
      const kept = await retained();
      book.add(`soak.${id}.at`, 's', at / 1000);
      book.add(`soak.${id}.n1Mb`, 'MB', n1Mb);
      book.add(`soak.${id}.rxMb`, 'MB', rxMb);
      book.add(`soak.${id}.retained`, 'events', kept);
      progress(`soak ${id}: ${rate === undefined ? '' : `${formatCount(rate)} events/s; `}disk n1 ${n1Mb.toFixed(1)} MB, rx ${rxMb.toFixed(1)} MB; n1 retains ${formatCount(kept)} events`);
    };
    await cluster.warmUp(plan.throughputEvents.troupe / 10, plan.deliveryDeadlineMs);
    progress(`soak: ${formatCount(total)} events (${SOAK_TIMES}× --retain-events ${formatCount(retainEvents)}) at ${formatCount(rate)}/s in ${windows} windows, 2 nodes durable`);
    const runner = cluster.pacedRunner(PACED_MAX_IN_FLIGHT);
    const started = wallClockMs();
    for (let w = 0; w < windows; w++) {
      const run = await runner({ rate, count: perWindow, deadlineMs: plan.deliveryDeadlineMs });
      if (run.error !== undefined || run.accepted < perWindow) throw new Error(`soak window ${w}: ${run.accepted} of ${perWindow} committed: ${String(run.error ?? 'deadline')}`);
      book.add(`soak.${w}.rate`, 'events/s', run.achievedRate);
      await record(String(w), wallClockMs() - started, run.achievedRate);
    }
    const expected = await cluster.delivered();
    const max = Math.max(...expected);
    if ((await cluster.waitConverged([max, max], plan.deliveryDeadlineMs)) === null) throw new Error('soak: rx did not catch up with n1');
    await sleep(SETTLE_MS);
    await record('end', wallClockMs() - started);
  });
  return book.figures();
}
