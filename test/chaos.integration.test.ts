/**
 * `troupe chaos` end to end, short: three nodes of the orders example under a few faults,
 * once with links and processes broken (blackhole, split, pause, one-way cut, kill), once
 * with a disk lost (rewound, then rewound and restarted cut off while clients publish to it)
 * and an impostor. Each run must play the seed's schedule, find no violation and exit 0.
 */
import t, { type Test } from 'tap';
import { planSchedule, type FaultKind } from '../nodes/chaos/fault-schedule.js';
import type { ChaosReport } from '../nodes/chaos/report.js';
import { startCli } from './helpers/cli-run.js';
import { waitFor } from './helpers/wait-for.js';

// Two runs of a cluster each, on a shared machine.
t.setTimeout(480_000);

const NETWORK: readonly FaultKind[] = ['isolate', 'minority', 'split', 'ring', 'one-way', 'blackhole', 'latency', 'kill', 'pause'];
const DISK: readonly FaultKind[] = ['wipe', 'rewind', 'isolated-restart', 'duplicate-id'];

/** Runs `troupe chaos` on three nodes for the seed's first `rounds` faults of `faults`. */
async function chaos(t: Test, seed: number, rounds: number, faults: readonly FaultKind[]): Promise<{ code: number | null; report: ChaosReport; stderr: string }> {
  const run = startCli(t, ['chaos', '--app', 'dist/examples/orders', '--duration', '3', '--rounds', String(rounds), '--seed', String(seed),
    '--faults', faults.join(','), '--settle', '30', '--json']);
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

/** The report played the seed's first `rounds` faults, in order, each healed. */
function playsTheSchedule(t: Test, report: ChaosReport, seed: number, rounds: number, faults: readonly FaultKind[]): void {
  const planned = planSchedule({ seed, nodes: report.nodes, durationMs: report.durationMs, kinds: faults, rounds });
  t.same(report.faults.map((f) => [f.kind, f.nodes]), planned.slice(0, rounds).map((f) => [f.kind, f.nodes]), 'the faults are the seed\'s schedule');
  t.ok(report.faults.every((f) => f.healedAt !== undefined && f.notes.every((note) => !note.startsWith('failed'))), `every fault was played and healed: ${JSON.stringify(report.faults.map((f) => f.notes))}`);
}

/** Asserts the run found nothing and exited 0. */
function clean(t: Test, run: { code: number | null; report: ChaosReport; stderr: string }): void {
  t.same(run.report.violationsByKind, {}, `no violation of any kind: ${run.report.violations.slice(0, 5).map((v) => v.message).join('; ')}`);
  t.equal(run.code, 0, 'exit 0 when nothing is violated');
  if (run.code !== 0) t.comment(run.stderr);
}

t.test('a blackhole, a split, a pause, a one-way cut and a kill lose, fork and reorder nothing', async (t) => {
  // Seed 91 plays blackhole, split, pause, one-way, kill (n1, the order host).
  const run = await chaos(t, 91, 5, NETWORK);
  playsTheSchedule(t, run.report, 91, 5, NETWORK);
  t.ok(run.report.operations.acknowledged > 0, `events were acknowledged (${run.report.operations.acknowledged})`);
  clean(t, run);
});

t.test('a rewound disk, a rewound disk restarted cut off, and an impostor lose, fork and reorder nothing, and orders on that node finish', async (t) => {
  // Seed 24 plays rewind, isolated-restart (rewound), duplicate-id, all on n1, the order host.
  const run = await chaos(t, 24, 3, DISK);
  playsTheSchedule(t, run.report, 24, 3, DISK);
  t.same(run.report.diskRecoveries.map((r) => [r.kind, r.node]), [['rewind', 'n1'], ['isolated-restart', 'n1']], 'n1 lost its disk twice');
  t.ok(run.report.diskRecoveries.every((r) => r.recoveryMs !== null), `n1 got the cluster's history back each time (${JSON.stringify(run.report.diskRecoveries)})`);
  clean(t, run);
});
