/**
 * The flags of `troupe chaos`, checked once here.
 */
import { randomInt } from 'node:crypto';
import { TroupeError } from '../../protocol/troupe-error.js';
import { parseVerb } from '../verb-args.js';
import { FAULT_KINDS, type FaultKind } from './fault-schedule.js';

/** `troupe chaos` flags, validated. */
export interface ChaosOptions {
  /** The app module, as given (relative to the working directory). */
  readonly app: string;
  /** How many nodes; `undefined`: the app's own. */
  readonly nodes: number | undefined;
  /** How long faults are injected, in ms. */
  readonly durationMs: number;
  /** Play exactly this many faults of the schedule, however long they take; `undefined`: as many as the duration holds. */
  readonly rounds: number | undefined;
  readonly seed: number;
  /** The fault kinds to pick from. */
  readonly faults: readonly FaultKind[];
  /** How long the healed cluster gets to go quiet, in ms. */
  readonly settleMs: number;
  /** Client sessions publishing plain events. */
  readonly sessions: number;
  /** Print the report as JSON. */
  readonly json: boolean;
  /** Where the nodes' data dirs go; a temp dir, removed afterwards, when absent. */
  readonly dataDir: string | undefined;
}

/** Usage text of `troupe chaos`. */
export const CHAOS_USAGE = `troupe chaos --app MODULE [--nodes N] [--duration S] [--seed N]
       [--faults kind,kind…] [--rounds N] [--settle S] [--sessions N] [--data DIR] [--json]
  Starts N nodes of the app on 127.0.0.1 with a TCP proxy on every link, publishes orders
  (when the app is the orders example) and plain events on every node, injects faults on
  a schedule the seed fixes for S seconds, heals, waits up to --settle seconds (default 60)
  for the cluster to go quiet, checks every node and prints a report (JSON with --json).
  --rounds N plays exactly the schedule's first N faults, however long they take.
  Exits 1 on any violation. Faults: ${FAULT_KINDS.join(', ')}.`;

function integer(raw: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new TroupeError('TROUPE_BAD_FLAGS', `chaos: --${flag} must be a whole number from ${min} to ${max}, got '${raw}'`);
  return n;
}

/** Parses `troupe chaos` flags; throws TROUPE_BAD_FLAGS saying what is wrong. */
export function parseChaosArgs(argv: readonly string[]): ChaosOptions {
  const { values, positionals } = parseVerb(argv, 'chaos', {
    app: { type: 'string' },
    nodes: { type: 'string' },
    duration: { type: 'string' },
    seed: { type: 'string' },
    faults: { type: 'string' },
    rounds: { type: 'string' },
    settle: { type: 'string' },
    sessions: { type: 'string' },
    data: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  // The nodes a run starts have no admin token: there is none to give.
  if (values.token !== undefined) throw new TroupeError('TROUPE_BAD_FLAGS', 'chaos: --token does not apply: the cluster chaos starts has no admin token');
  if (positionals.length > 0) throw new TroupeError('TROUPE_BAD_FLAGS', `chaos: unexpected argument ${positionals[0]}`);
  const app = values.app as string | undefined;
  if (app === undefined || app === '') throw new TroupeError('TROUPE_BAD_FLAGS', 'chaos: --app is required');
  const faults = values.faults === undefined ? [...FAULT_KINDS] : (values.faults as string).split(',').map((kind) => kind.trim());
  for (const kind of faults) {
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new TroupeError('TROUPE_BAD_FLAGS', `chaos: unknown fault ${kind}; the faults are ${FAULT_KINDS.join(', ')}`);
  }
  return {
    app,
    nodes: integer(values.nodes as string | undefined, 'nodes', 2, 16),
    durationMs: (integer(values.duration as string | undefined, 'duration', 1, 86_400) ?? 60) * 1000,
    rounds: integer(values.rounds as string | undefined, 'rounds', 1, 10_000),
    seed: integer(values.seed as string | undefined, 'seed', 0, 2 ** 32 - 1) ?? randomInt(2 ** 31),
    faults: faults as FaultKind[],
    settleMs: (integer(values.settle as string | undefined, 'settle', 1, 3600) ?? 60) * 1000,
    sessions: integer(values.sessions as string | undefined, 'sessions', 0, 64) ?? 3,
    json: values.json === true,
    dataDir: values.data as string | undefined,
  };
}
