/**
 * The report of a chaos run: what was published and acknowledged, which faults were
 * played, what the checks found, how long the healed cluster took to converge and a node
 * to recover its disk. Text with tables for a terminal, or JSON (`--json`) for a script.
 */
import { textTable } from '../text-table.js';
import { VIOLATION_KINDS, type Violation, type ViolationKind } from './checker.js';
import { DISK_FAULTS, type FaultKind } from './fault-schedule.js';
import type { FaultRecord } from './fault-injector.js';
import type { History } from './history.js';

/** Examples of each violation kind the report lists; the counts are always whole. */
const EXAMPLES_PER_KIND = 20;

/** A chaos run's report; `ok` when no check found a violation. */
export interface ChaosReport {
  readonly ok: boolean;
  readonly seed: number;
  readonly app: string;
  readonly nodes: readonly string[];
  readonly durationMs: number;
  /** `--rounds`: the faults were counted, not timed. */
  readonly rounds?: number;
  readonly operations: { readonly acknowledged: number; readonly failed: number; readonly unknown: number; readonly lostWithDisk: number };
  readonly faults: readonly {
    readonly n: number;
    readonly kind: FaultKind;
    readonly nodes: readonly string[];
    readonly startedAt: number;
    readonly healedAt: number | undefined;
    readonly detail: string;
    readonly notes: readonly string[];
    readonly recoveryMs?: number | null;
  }[];
  readonly faultsByKind: Partial<Record<FaultKind, number>>;
  readonly violationsByKind: Partial<Record<ViolationKind, number>>;
  /** Up to 20 examples of each kind. */
  readonly violations: readonly Violation[];
  /** ms from the final heal until every node agreed on one clock with nothing in flight; `null`: never. */
  readonly convergenceMs: number | null;
  readonly quiet: boolean;
  /** After each disk loss, ms until the node held what the cluster held when it came back; `null`: not within a minute. */
  readonly diskRecoveries: readonly { readonly fault: number; readonly node: string; readonly kind: FaultKind; readonly recoveryMs: number | null }[];
}

/** What a report is made from. */
export interface ReportInput {
  readonly seed: number;
  readonly app: string;
  readonly nodes: readonly string[];
  readonly durationMs: number;
  readonly rounds?: number;
  readonly history: History;
  readonly faults: readonly FaultRecord[];
  readonly violations: readonly Violation[];
  readonly convergenceMs: number | null;
  readonly quiet: boolean;
}

function describeFault(record: FaultRecord): string {
  const f = record.planned;
  if (f.cuts.length > 0 && f.kind !== 'isolated-restart') return `cut ${f.cuts.map(([a, b]) => `${a}–${b}`).join(' ')}`;
  if (f.oneWay) return `${f.oneWay.from} → ${f.oneWay.to} dropped`;
  if (f.latencyMs !== undefined) return `+${f.latencyMs} ms on ${f.nodes[0]}'s links`;
  if (f.kind === 'isolated-restart') return `${f.nodes[0]} cut, ${f.disk === 'wipe' ? 'wiped' : 'rewound'}, restarted, cut ${f.holdMs} ms`;
  return `${f.nodes.join(' ')} for ${f.holdMs} ms`;
}

function tally<K extends string>(keys: readonly K[]): Partial<Record<K, number>> {
  const counts: Partial<Record<K, number>> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

/** Builds the report. */
export function buildReport(input: ReportInput): ChaosReport {
  const ops = input.history.operations;
  const examples = VIOLATION_KINDS.flatMap((kind) => input.violations.filter((v) => v.kind === kind).slice(0, EXAMPLES_PER_KIND));
  return {
    ok: input.violations.length === 0,
    seed: input.seed,
    app: input.app,
    nodes: input.nodes,
    durationMs: input.durationMs,
    ...(input.rounds !== undefined && { rounds: input.rounds }),
    operations: {
      acknowledged: ops.filter((op) => op.outcome === 'ok').length,
      failed: ops.filter((op) => op.outcome === 'failed').length,
      unknown: ops.filter((op) => op.outcome === 'unknown').length,
      lostWithDisk: input.history.lostIds().size,
    },
    faults: input.faults.map((record) => ({
      n: record.planned.n,
      kind: record.planned.kind,
      nodes: record.planned.nodes,
      startedAt: record.startedAt,
      healedAt: record.healedAt,
      detail: describeFault(record),
      notes: record.notes,
      ...(record.recoveryMs !== undefined && { recoveryMs: record.recoveryMs }),
    })),
    faultsByKind: tally(input.faults.map((record) => record.planned.kind)),
    violationsByKind: tally(input.violations.map((v) => v.kind)),
    violations: examples,
    convergenceMs: input.convergenceMs,
    quiet: input.quiet,
    diskRecoveries: input.faults
      .filter((record) => DISK_FAULTS.includes(record.planned.kind) && record.recoveryMs !== undefined)
      .map((record) => ({ fault: record.planned.n, node: record.planned.nodes[0]!, kind: record.planned.kind, recoveryMs: record.recoveryMs! })),
  };
}

function seconds(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`;
}

/** The report as text with tables. */
export function formatReport(report: ChaosReport): string {
  const o = report.operations;
  const lines = [
    `troupe chaos: app ${report.app}, nodes ${report.nodes.join(' ')}, ${report.rounds === undefined ? `${seconds(report.durationMs)} of faults` : `${report.rounds} faults`}, seed ${report.seed}`,
    '',
    `operations: ${o.acknowledged} acknowledged, ${o.failed} failed, ${o.unknown} unknown; ${o.lostWithDisk} acknowledged events lost with a disk before any other node held them`,
    '',
    ...textTable(['#', 'at', 'fault', 'what', 'healed', 'notes'], report.faults.map((f) => [
      String(f.n), seconds(f.startedAt), f.kind, f.detail, seconds(f.healedAt),
      [...f.notes, ...(f.recoveryMs === undefined ? [] : [`recovered in ${f.recoveryMs === null ? 'over a minute' : seconds(f.recoveryMs)}`])].join('; '),
    ])),
    '',
    ...textTable(['fault', 'count'], Object.entries(report.faultsByKind).map(([kind, n]) => [kind, String(n)])),
    '',
    `convergence after the heal: ${report.convergenceMs === null ? 'never, within the settle time' : seconds(report.convergenceMs)}${report.quiet ? '' : ' (the cluster did not go quiet)'}`,
  ];
  if (report.diskRecoveries.length > 0) {
    lines.push('', ...textTable(['disk loss', 'node', 'recovered in'], report.diskRecoveries.map((r) => [`#${r.fault} ${r.kind}`, r.node, r.recoveryMs === null ? 'over a minute' : seconds(r.recoveryMs)])));
  }
  lines.push('');
  if (report.ok) lines.push('no violations');
  else {
    lines.push(...textTable(['violation', 'count'], Object.entries(report.violationsByKind).map(([kind, n]) => [kind, String(n)])), '');
    for (const kind of VIOLATION_KINDS) {
      const shown = report.violations.filter((v) => v.kind === kind);
      if (shown.length === 0) continue;
      lines.push(`${kind}:`, ...shown.slice(0, 5).map((v) => `  ${v.message}`));
      const more = (report.violationsByKind[kind] ?? 0) - Math.min(5, shown.length);
      if (more > 0) lines.push(`  … and ${more} more`);
    }
    const total = Object.values(report.violationsByKind).reduce((sum, n) => sum + (n ?? 0), 0);
    lines.push('', `${total} violations (rerun with --seed ${report.seed} for the same schedule)`);
  }
  return `${lines.join('\n')}\n`;
}
