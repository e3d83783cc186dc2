/**
 * What a node's log must be, checked from the outside.
 *
 * The checks read only what `GET /log` and `GET /status` return and recompute everything
 * themselves — vector-clock order included — rather than trusting `protocol/vector-clock.ts`,
 * the code under test. Each check returns a list of problems (empty when the log is right),
 * so a failing assertion prints every violation it found, with positions and ids, instead
 * of a bare `false`.
 */
import type { Clock, LogEntry, Published } from './admin-client.js';

/** Whether `a` happened before `b`: `a ≤ b` everywhere and `a ≠ b`. */
export function happenedBefore(a: Clock, b: Clock): boolean {
  let strictly = false;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[k] ?? 0;
    const y = b[k] ?? 0;
    if (x > y) return false;
    if (x < y) strictly = true;
  }
  return strictly;
}

/** Whether two clocks are equal (a missing entry is 0). */
export function clocksEqual(a: Clock, b: Clock): boolean {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  }
  return true;
}

/** Σ of a clock's entries: how many events it covers. */
export function clockSum(vc: Clock): number {
  return Object.values(vc).reduce((sum, n) => sum + n, 0);
}

/** A clock without zero entries, for stable printing. */
export function normalClock(vc: Clock): Clock {
  return Object.fromEntries(Object.entries(vc).filter(([, n]) => n !== 0).sort(([a], [b]) => a.localeCompare(b)));
}

const MAX_PROBLEMS = 25;

/**
 * The structural problems of one node's log against its final clock `vc`:
 * positions run 1, 2, 3 …; ids are `origin:seq` and unique; each origin's events are
 * exactly seqs 1…vc[origin]; `e.vc[e.origin] === e.seq`; every event satisfies the CBCAST
 * delivery condition against the events listed before it (so the listing is a causal
 * order); and, as the plain statement of that, no event is listed after one it happened
 * before (for i < j, never `vc_j < vc_i`).
 */
export function logProblems(node: string, log: readonly LogEntry[], vc: Clock): string[] {
  const problems: string[] = [];
  const report = (text: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(`${node}: ${text}`);
    else if (problems.length === MAX_PROBLEMS) problems.push(`${node}: … more problems left out`);
  };
  const seen = new Map<string, number>();
  const delivered: Clock = {};
  log.forEach((e, i) => {
    if (e.pos !== i + 1) report(`entry ${i} has pos ${e.pos}, expected ${i + 1}`);
    if (e.id !== `${e.origin}:${e.seq}`) report(`pos ${e.pos}: id ${e.id} is not origin:seq (${e.origin}:${e.seq})`);
    const earlier = seen.get(e.id);
    if (earlier !== undefined) report(`event ${e.id} (${e.type}) listed twice, at pos ${earlier} and ${e.pos}`);
    else seen.set(e.id, e.pos);
    if ((e.vc?.[e.origin] ?? 0) !== e.seq) {
      report(`pos ${e.pos}: ${e.id} has vc[${e.origin}]=${e.vc?.[e.origin]}, expected its seq ${e.seq}`);
    }
    // CBCAST: the next of its origin, and nothing it depends on is missing before it.
    const have = delivered[e.origin] ?? 0;
    if (earlier === undefined) {
      if (e.seq !== have + 1) report(`pos ${e.pos}: ${e.id} listed after ${e.origin}:${have} (gap or reorder)`);
      for (const [k, n] of Object.entries(e.vc ?? {})) {
        if (k !== e.origin && n > (delivered[k] ?? 0)) {
          report(`pos ${e.pos}: ${e.id} depends on ${k}:${n} but only ${k}:${delivered[k] ?? 0} is listed before it`);
        }
      }
      delivered[e.origin] = Math.max(have, e.seq);
    }
  });
  // The pairwise statement of causal order (quadratic; logs here hold a few thousand events).
  for (let j = 1; j < log.length && problems.length < MAX_PROBLEMS; j++) {
    for (let i = 0; i < j; i++) {
      if (happenedBefore(log[j]!.vc, log[i]!.vc)) {
        report(`pos ${log[j]!.pos} (${log[j]!.id}) happened before pos ${log[i]!.pos} (${log[i]!.id}) but is listed after it`);
        break;
      }
    }
  }
  if (!clocksEqual(delivered, vc)) {
    report(`log covers ${JSON.stringify(normalClock(delivered))} but /status vc is ${JSON.stringify(normalClock(vc))}`);
  }
  if (log.length !== clockSum(vc)) report(`log holds ${log.length} events but Σ vc = ${clockSum(vc)}`);
  return problems;
}

/**
 * Acknowledged events missing from a log, or present with other content than the
 * publish answered (origin, seq, vc, type).
 */
export function ackProblems(
  node: string,
  log: readonly LogEntry[],
  acked: readonly { published: Published; type: string }[],
): string[] {
  const byId = new Map<string, LogEntry[]>();
  for (const e of log) byId.set(e.id, [...(byId.get(e.id) ?? []), e]);
  const problems: string[] = [];
  for (const { published, type } of acked) {
    const found = byId.get(published.id) ?? [];
    if (found.length !== 1) {
      problems.push(`${node}: acknowledged ${published.id} (${type}) appears ${found.length} times`);
    } else {
      const e = found[0]!;
      if (e.origin !== published.origin || e.seq !== published.seq || e.type !== type || !clocksEqual(e.vc, published.vc)) {
        problems.push(`${node}: acknowledged ${published.id} differs: acked ${JSON.stringify({ ...published, type })}, logged ${JSON.stringify({ id: e.id, origin: e.origin, seq: e.seq, vc: e.vc, type: e.type })}`);
      }
    }
    if (problems.length >= MAX_PROBLEMS) {
      problems.push(`${node}: … more problems left out`);
      break;
    }
  }
  return problems;
}

/** Counts per event type, for messages. */
export function typeCounts(log: readonly LogEntry[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of log) counts[e.type] = (counts[e.type] ?? 0) + 1;
  return counts;
}

/** The log's events grouped by correlation id, in log order. */
export function byCorrelation(log: readonly LogEntry[]): Map<string, LogEntry[]> {
  const groups = new Map<string, LogEntry[]>();
  for (const e of log) {
    const group = groups.get(e.correlationId);
    if (group) group.push(e);
    else groups.set(e.correlationId, [e]);
  }
  return groups;
}
