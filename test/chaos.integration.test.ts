/**
 * `troupe chaos` end to end, short: three nodes of the orders example under a few seconds
 * of faults, once with partitions, slow links, kills, pauses and an impostor, once with
 * disks lost (wiped, rewound, and a node restarted cut off past its startup probe). Each
 * run must play the seed's schedule, acknowledge work, find no violation and exit 0.
 */
import t, { type Test } from 'tap';
import { planSchedule, type FaultKind } from '../nodes/chaos/fault-schedule.js';
import type { ChaosReport } from '../nodes/chaos/report.js';
import { startCli } from './helpers/cli-run.js';
import { waitFor } from './helpers/wait-for.js';

// Two runs of a cluster each, on a shared machine.
t.setTimeout(480_000);

const NETWORK: readonly FaultKind[] = ['isolate', 'minority', 'split', 'ring', 'one-way', 'blackhole', 'latency', 'kill', 'pause', 'duplicate-id'];
const DISK: readonly FaultKind[] = ['wipe', 'rewind', 'isolated-restart', 'duplicate-id'];

async function chaos(t: Test, seed: number, seconds: number, faults: readonly FaultKind[]): Promise<{ code: number | null; report: ChaosReport; stderr: string }> {
  const run = startCli(t, ['chaos', '--app', 'dist/examples/orders', '--duration', String(seconds), '--seed', String(seed),
    '--faults', faults.join(','), '--settle', '45', '--json']);
  const ended = await waitFor(async () => run.ended, {
    timeout: 220_000,
    message: () => `troupe chaos --seed ${seed} to end\n${run.stderr()}`,
  });
  let report: ChaosReport;
  try {
    report = JSON.parse(ended.stdout) as ChaosReport;
  } catch {
    throw new Error(`troupe chaos printed no JSON report (exit ${ended.code}):\n${ended.stdout}\n${ended.stderr}`);
  }
  return { code: ended.code, report, stderr: ended.stderr };
}

/** The kinds the report played are the seed's schedule, in order. */
function playsTheSchedule(t: Test, report: ChaosReport, seed: number, faults: readonly FaultKind[]): void {
  const planned = planSchedule({ seed, nodes: report.nodes, durationMs: report.durationMs, kinds: faults });
  t.ok(report.faults.length >= 2, `at least two faults were played (${report.faults.map((f) => f.kind).join(', ')})`);
  t.same(report.faults.map((f) => [f.kind, f.nodes]), planned.slice(0, report.faults.length).map((f) => [f.kind, f.nodes]), 'the faults are the seed\'s schedule');
}

t.test('partitions, a blackhole, slow links, kills, pauses and an impostor lose, fork and reorder nothing', async (t) => {
  const seed = 18;
  const { code, report, stderr } = await chaos(t, seed, 12, NETWORK);
  playsTheSchedule(t, report, seed, NETWORK);
  t.ok(report.operations.acknowledged > 0, `events were acknowledged (${report.operations.acknowledged})`);
  t.same(report.violationsByKind, {}, 'no violation of any kind');
  t.equal(code, 0, `exit 0 when nothing is violated\n${stderr}`);
});

t.test('a wiped, a rewound and an isolated restarted disk lose, fork and reorder nothing, and orders on it finish', async (t) => {
  const seed = 24;
  const { code, report, stderr } = await chaos(t, seed, 14, DISK);
  playsTheSchedule(t, report, seed, DISK);
  t.ok(report.faults.some((f) => f.kind === 'rewind' || f.kind === 'wipe' || f.kind === 'isolated-restart'), 'a disk was lost');
  t.ok(report.diskRecoveries.length > 0 && report.diskRecoveries.every((r) => r.recoveryMs !== null), `every node that lost its disk got the cluster's history back (${JSON.stringify(report.diskRecoveries)})`);
  t.same(report.violationsByKind, {}, `no violation of any kind: ${report.violations.slice(0, 5).map((v) => v.message).join('; ')}`);
  t.equal(code, 0, `exit 0 when nothing is violated\n${stderr}`);
});
