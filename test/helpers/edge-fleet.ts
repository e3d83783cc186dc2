/**
 * An edge fleet of real node processes running `examples/edge-sync`: a gateway `gw` and
 * devices that dial it alone, and what tests check of a device's log against the gateway's.
 */
import type { Clock, LogEntry } from './admin-client.js';
import { happenedBefore } from './causal-log.js';
import { crashed, dumpOnFailure, startNode, type NodeProcess, type Teardownable } from './node-process.js';
import { waitFor } from './wait-for.js';
import { tails } from './convergence.js';

/** The app the fleet runs. */
export const EDGE_APP = 'examples/edge-sync';

/** A started fleet. */
export interface Fleet {
  readonly gw: NodeProcess;
  readonly devices: NodeProcess[];
  readonly all: () => NodeProcess[];
}

/** Starts `gw` and the devices `ids`, each dialing `gw` alone, all with `--chaos`; `extra` adds flags per node id (`gw` too). */
export async function startFleet(t: Teardownable & { passing(): boolean }, ids: readonly string[], extra: Readonly<Record<string, readonly string[]>> = {}): Promise<Fleet> {
  const gw = await startNode(t, { id: 'gw', app: EDGE_APP, extraArgs: ['--chaos', '--relaxed', ...(extra.gw ?? [])] });
  const devices: NodeProcess[] = [];
  for (const id of ids) {
    devices.push(await startNode(t, { id, app: EDGE_APP, peers: [gw.wsUrl], extraArgs: ['--chaos', '--relaxed', ...(extra[id] ?? [])] }));
  }
  const fleet = { gw, devices, all: () => [fleet.gw, ...fleet.devices] };
  dumpOnFailure(t, () => fleet.all());
  return fleet;
}

function sum(vc: Clock): number {
  return Object.values(vc).reduce((a, b) => a + b, 0);
}

/** Waits until every node's clock equals the gateway's (a device counts what it skipped). */
export async function waitForFleetClock(fleet: Fleet, timeout = 60_000): Promise<Clock> {
  let last: Clock = {};
  await waitFor(async () => Promise.all(fleet.all().map((n) => n.admin.status())), {
    timeout,
    failFast: crashed(fleet.all()),
    until: (all) => {
      last = all[0].vc;
      return all.every((s) => sameClock(s.vc, all[0].vc));
    },
    message: () => `every device's clock to equal the gateway's\n${tails(fleet.all())}`,
    describe: (all) => all.map((s) => `${s.id}: ${sum(s.vc)} ${JSON.stringify(s.vc)}`).join('\n'),
  });
  return last;
}

function sameClock(a: Clock, b: Clock): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}

/** What `device` (whose interest is `wants`) must hold of the gateway's log: its interest, its own events and every retirement. */
export function interestOf(device: string, gatewayLog: readonly LogEntry[], wants: (type: string) => boolean): string[] {
  // Retirements (`protocol/retirement.ts`) are in every interest.
  return gatewayLog.filter((e) => e.origin.split('~')[0] === device || wants(e.type) || e.type === 'troupe.retired').map((e) => e.id);
}

/** Problems with a log's order: an entry after one it happened before, or an id twice. */
export function orderProblems(log: readonly LogEntry[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const e of log) {
    if (seen.has(e.id)) problems.push(`${e.id} twice`);
    seen.add(e.id);
  }
  for (let i = 0; i < log.length; i++) {
    for (let j = i + 1; j < log.length; j++) {
      if (happenedBefore(log[j].vc, log[i].vc)) problems.push(`${log[j].id} happened before ${log[i].id} but comes after it`);
    }
  }
  return problems;
}
