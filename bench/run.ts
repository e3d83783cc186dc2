/**
 * `npm run bench [-- --quick] [-- --only ceiling,moleculer,troupe,client,idle,edge,soak,reconnect] [-- --actors N]`:
 * runs the ceiling, Moleculer and troupe benchmarks in one process tree on 127.0.0.1
 * (`client`: only troupe's client beside in-process and HTTP publishing, which `troupe`
 * includes; `idle`: keyed actors created then passivated, `--actors` of them, a million
 * in a full run, see `idle-actors.ts`; `edge`: a gateway and 20 partial devices, a device's
 * backlog caught up both ways, see `edge-fleet.ts`; `soak`: 2 nodes with a retention policy
 * taking 10× what it keeps, see `soak.ts`; `reconnect`: a peer's reconnect after few and
 * many commits, see `reconnect.ts`), prints progress as
 * it goes, and writes `bench/RESULTS.md`, `bench/results.svg`, and every run's raw
 * figures to `bench/.runs/`. A suite that fails is reported as failed and the others
 * still run; the process exits non-zero only if it could not write the results.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { runCeilingSuite } from './ceiling.js';
import type { FigureSet } from './figure.js';
import { enforceLoopback } from './loopback-guard.js';
import { machineInfo } from './machine-info.js';
import { runMoleculerSuite } from './moleculer.js';
import { createProgress, type Progress } from './progress.js';
import { renderChart } from './results-chart.js';
import { renderResults, type RunResults } from './results-report.js';
import { planFor } from './suite-plan.js';
import { runEdgeSuite } from './edge-fleet.js';
import { runIdleActorsSuite } from './idle-actors.js';
import { runReconnectSuite } from './reconnect.js';
import { runSoakSuite } from './soak.js';
import { runClientSuite, runTroupeSuite } from './troupe.js';

const SUITES = ['ceiling', 'moleculer', 'troupe', 'client', 'idle', 'edge', 'soak', 'reconnect'] as const;
type Suite = (typeof SUITES)[number];
/** What runs without `--only`: `troupe` already measures the client. */
const DEFAULT_SUITES: readonly Suite[] = ['ceiling', 'moleculer', 'troupe', 'idle', 'edge', 'soak', 'reconnect'];

const REPO = new URL('../..', import.meta.url).pathname;
const BENCH_DIR = join(REPO, 'bench');
const RUNS_DIR = join(BENCH_DIR, '.runs');

function parseCli(argv: readonly string[]): { quick: boolean; only: Suite[]; actors: number | undefined } {
  const { values } = parseArgs({
    args: [...argv],
    options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, actors: { type: 'string' } },
    strict: true,
  });
  const actors = values.actors === undefined ? undefined : Number(values.actors);
  if (actors !== undefined && (!Number.isInteger(actors) || actors < 1)) throw new Error(`--actors ${values.actors}: not a positive integer`);
  const only = values.only === undefined ? [...DEFAULT_SUITES] : values.only.split(',').map((s) => s.trim());
  for (const name of only) {
    if (!(SUITES as readonly string[]).includes(name)) throw new Error(`--only: unknown suite ${name} (use ${SUITES.join(', ')})`);
  }
  return { quick: values.quick, only: only as Suite[], actors };
}

async function main(): Promise<void> {
  enforceLoopback();
  // Exit through 'exit' handlers on Ctrl-C, so every child process is killed with the harness.
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  const { quick, only, actors } = parseCli(process.argv.slice(2));
  const plan = planFor(quick);
  const progress: Progress = createProgress();
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const workDir = join(RUNS_DIR, stamp);
  mkdirSync(workDir, { recursive: true });
  const machine = machineInfo();
  const loadBefore = os.loadavg()[0];
  progress(`${quick ? 'quick' : 'full'} run of ${only.join(', ')} on ${machine.cpuModel} × ${machine.cores}, Node ${machine.node}`);
  if (loadBefore > machine.cores / 2) {
    progress(`warning: load average ${loadBefore.toFixed(2)} — other work on this machine will slow and scatter every figure`);
  }

  const sets: Record<Suite, FigureSet> = { ceiling: {}, moleculer: {}, troupe: {}, client: {}, idle: {}, edge: {}, soak: {}, reconnect: {} };
  const failures: Record<string, string> = {};
  const runners: Record<Suite, () => Promise<FigureSet>> = {
    ceiling: () => runCeilingSuite(plan, progress),
    moleculer: () => runMoleculerSuite(plan, progress),
    troupe: () => runTroupeSuite(plan, progress, join(workDir, 'troupe')),
    client: () => runClientSuite(plan, progress, join(workDir, 'client')),
    idle: () => runIdleActorsSuite(plan, progress, join(workDir, 'idle'), actors),
    edge: () => runEdgeSuite(plan, progress, join(workDir, 'edge')),
    soak: () => runSoakSuite(plan, progress, join(workDir, 'soak')),
    reconnect: () => runReconnectSuite(plan, progress, join(workDir, 'reconnect')),
  };
  for (const suite of only) {
    progress(`— ${suite} —`);
    try {
      sets[suite] = await runners[suite]();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      failures[suite] = message.split('\n')[0];
      progress(`${suite} suite FAILED: ${message}`);
    }
  }

  const rawPath = join(RUNS_DIR, `results-${stamp}.json`);
  const load = { before: loadBefore, after: os.loadavg()[0] };
  // The client's figures are troupe's (`2.durable.client.*` and the setups beside them).
  const { client, idle, edge, soak, reconnect, ...suites } = sets;
  suites.troupe = { ...suites.troupe, ...client };
  writeFileSync(rawPath, `${JSON.stringify({ plan, machine, startedAt, load, ...suites, idle, edge, soak, reconnect, failures }, null, 2)}\n`);
  const results: RunResults = {
    plan,
    machine,
    startedAt,
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    ...suites,
    idle,
    edge,
    soak,
    reconnect,
    failures,
    rawPath: relative(REPO, rawPath),
    load,
  };
  writeFileSync(join(BENCH_DIR, 'RESULTS.md'), renderResults(results));
  writeFileSync(join(BENCH_DIR, 'results.svg'), renderChart(plan, suites, soak));
  rmSync(workDir, { recursive: true, force: true });
  progress(`wrote bench/RESULTS.md, bench/results.svg and ${relative(REPO, rawPath)}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
