/**
 * The fault schedule of a chaos run: which faults, in which order, on which nodes, held
 * how long. It is a pure function of the seed, the node ids and the kinds allowed, so a
 * seed names a schedule; the run plays it fault after fault until its duration is over.
 *
 * Faults run one at a time, each healed before the next, so that a report can say what
 * each did and so that "heal" at the end means every link and process is back.
 */
import { Prng } from './prng.js';

/** Every kind of fault a run can inject. */
export const FAULT_KINDS = [
  'isolate', // one node cut from every other
  'minority', // a minority of nodes, each cut from every other
  'split', // a majority and a minority, each side whole
  'ring', // overlapping majorities: each node reaches its ring neighbours only
  'one-way', // bytes from one node to another dropped, the other way open
  'blackhole', // every link of one node open, nothing passes
  'latency', // every link of one node slow
  'kill', // SIGKILL and restart
  'pause', // SIGSTOP, then SIGCONT
  'wipe', // SIGKILL, data dir deleted, restart
  'rewind', // SIGKILL, data dir replaced by an older crash image of itself, restart
  'isolated-restart', // cut off, data dir wiped or rewound, restarted and kept cut while clients publish to it
  'duplicate-id', // a second process started with a live node's id
] as const;

/** One kind of fault. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The faults that lose (part of) a node's disk. */
export const DISK_FAULTS: readonly FaultKind[] = ['wipe', 'rewind', 'isolated-restart'];

/**
 * How long an isolated restart stays cut after the node is up. A node never waits before
 * stamping (it stamps under a fresh origin, `protocol/origin.ts`), so this is not a wait
 * to outlast: it is long enough for clients to publish to the node while it is cut off,
 * and past the 5 s startup probe that nodes before protocol 3 waited for before stamping.
 */
export const ISOLATED_RESTART_MIN_MS = 7000;

/** One planned fault. */
export interface PlannedFault {
  /** Its place in the schedule, from 1. */
  readonly n: number;
  readonly kind: FaultKind;
  /** Pause before it starts, after the previous one healed. */
  readonly gapMs: number;
  /** How long it is held before it heals (for a restart: how long the node stays down, or cut). */
  readonly holdMs: number;
  /** The nodes it is done to. */
  readonly nodes: readonly string[];
  /** Pairs of nodes whose links are cut both ways (partitions). */
  readonly cuts: readonly (readonly [string, string])[];
  /** `one-way`: bytes from `from` to `to` are dropped. */
  readonly oneWay?: { readonly from: string; readonly to: string };
  /** `latency`: added to every chunk on the node's links. */
  readonly latencyMs?: number;
  /** `isolated-restart`: what happens to the disk while the node is down. */
  readonly disk?: 'wipe' | 'rewind';
}

/** What a schedule is made for. */
export interface ScheduleSpec {
  readonly seed: number;
  readonly nodes: readonly string[];
  /** Planned time the faults should fill, in ms. */
  readonly durationMs: number;
  /** The kinds to pick from. [default: all] */
  readonly kinds?: readonly FaultKind[];
  /** At least this many faults, whatever the duration. */
  readonly rounds?: number;
}

/** Every pair of `a` × `b`. */
function pairsBetween(a: readonly string[], b: readonly string[]): [string, string][] {
  return a.flatMap((x) => b.filter((y) => y !== x).map((y): [string, string] => [x, y]));
}

/** The pairs to cut so that each node of the ring reaches only its neighbours (a path for 3 nodes). */
function ringCuts(ring: readonly string[]): [string, string][] {
  const n = ring.length;
  if (n === 3) return [[ring[0]!, ring[2]!]];
  const reach = Math.max(1, Math.floor(Math.floor(n / 2) / 2));
  const cuts: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const distance = Math.min(j - i, n - (j - i));
      if (distance > reach) cuts.push([ring[i]!, ring[j]!]);
    }
  }
  return cuts;
}

function planOne(prng: Prng, n: number, kind: FaultKind, nodes: readonly string[]): PlannedFault {
  const gapMs = prng.int(500, 1500);
  const one = prng.pick(nodes);
  const others = nodes.filter((id) => id !== one);
  const base = { n, kind, gapMs, nodes: [one], cuts: [] as [string, string][] };
  const minoritySize = Math.max(1, Math.floor((nodes.length - 1) / 2));
  switch (kind) {
    case 'isolate':
      return { ...base, holdMs: prng.int(2000, 5000), cuts: pairsBetween([one], others) };
    case 'minority': {
      const minority = prng.shuffle(nodes).slice(0, minoritySize);
      return { ...base, holdMs: prng.int(2000, 5000), nodes: minority, cuts: pairsBetween(minority, nodes).filter(([a, b]) => a < b || !minority.includes(b)) };
    }
    case 'split': {
      const shuffled = prng.shuffle(nodes);
      const minority = shuffled.slice(0, minoritySize);
      return { ...base, holdMs: prng.int(2000, 5000), nodes: minority, cuts: pairsBetween(minority, shuffled.slice(minoritySize)) };
    }
    case 'ring': {
      const ring = prng.shuffle(nodes);
      return { ...base, holdMs: prng.int(2000, 5000), nodes: ring, cuts: ringCuts(ring) };
    }
    case 'one-way': {
      const to = prng.pick(others);
      return { ...base, holdMs: prng.int(2000, 4000), nodes: [one, to], oneWay: { from: one, to } };
    }
    case 'blackhole':
      return { ...base, holdMs: prng.int(2000, 5000) };
    case 'latency':
      return { ...base, holdMs: prng.int(2000, 4000), latencyMs: prng.int(50, 300) };
    case 'kill':
    case 'wipe':
      return { ...base, holdMs: prng.int(300, 1500) };
    case 'pause':
      return { ...base, holdMs: prng.int(1000, 4000) };
    case 'rewind':
      // The crash image is taken at the start; the node runs on this long before it is rewound.
      return { ...base, holdMs: prng.int(1500, 4000) };
    case 'isolated-restart':
      return { ...base, holdMs: ISOLATED_RESTART_MIN_MS + prng.int(0, 2000), cuts: pairsBetween([one], others), disk: prng.next() < 0.5 ? 'wipe' : 'rewind' };
    case 'duplicate-id':
      return { ...base, holdMs: 10_000 };
  }
}

/**
 * The schedule of a seed: faults of the allowed kinds until their gaps and holds fill
 * `durationMs`, plus as many again in reserve (restarts take longer than planned; a run
 * stops starting faults when its duration is over, not when the list ends), and at least
 * `rounds`. The n-th fault of a seed is the same whatever the duration or rounds.
 */
export function planSchedule(spec: ScheduleSpec): PlannedFault[] {
  const prng = new Prng(spec.seed);
  const kinds = spec.kinds ?? FAULT_KINDS;
  if (kinds.length === 0) return [];
  const faults: PlannedFault[] = [];
  let planned = 0;
  while (planned < spec.durationMs * 2 || faults.length < (spec.rounds ?? 0)) {
    const fault = planOne(prng, faults.length + 1, prng.pick(kinds), spec.nodes);
    faults.push(fault);
    planned += fault.gapMs + fault.holdMs;
  }
  return faults;
}
