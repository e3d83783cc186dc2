/**
 * The floor under durable latency on this machine: how long one commit of one event
 * takes through the node's own `Store` with fsync, as the origin node makes it before
 * any peer may see the event (the atomic commit: an event leaves its node only once it
 * is on that node's disk). Measured sequentially in the harness, with nothing else
 * running, so that the publish-to-handler latency of the durable runs can be read
 * against it. Relaxed commits (no fsync) are timed too, for the same reason.
 *
 * Commits are paced, a pause after each, as at the 1k/s offered load the goal is set
 * for: back to back they keep the CPUs awake and come out faster (on the 2-vCPU VM of
 * `RESULTS.md`, p50 0.27–0.31 ms against 0.36–0.37 ms with a 1-ms pause), which would
 * understate the floor under that load.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeEvent } from '../protocol/codec.js';
import { ENVELOPE_SCHEMA } from '../protocol/envelope.js';
import { Store } from '../runtime/store.js';
import { quantile, recordLatency, type LatencyHistogram } from './latency-histogram.js';
import { BENCH_EVENT_TYPE, benchData } from './payload.js';
import { wallClockMs } from './wall-clock.js';

/** p50 and p99 (ms) of one-event commits. */
export interface CommitLatency {
  readonly p50: number | null;
  readonly p99: number | null;
}

/** Times `count` one-event commits, `pauseMs` apart, in a fresh store under `dir` (removed afterwards). */
export async function measureCommitLatency(dir: string, count: number, sync: boolean, pauseMs: number): Promise<CommitLatency> {
  const path = join(dir, `disk-floor-${sync ? 'sync' : 'relaxed'}`);
  mkdirSync(path, { recursive: true });
  const store = await Store.open(path, 'disk', { sync });
  const histogram: LatencyHistogram = {};
  try {
    let vc = {};
    for (let seq = 1; seq <= count; seq++) {
      const next = { disk: seq };
      const bytes = encodeEvent({
        origin: 'disk',
        seq,
        vc: next,
        type: BENCH_EVENT_TYPE,
        data: benchData(seq, wallClockMs()),
        correlationId: `disk:${seq}`,
        causationId: null,
        ts: Date.now(),
        schema: ENVELOPE_SCHEMA,
      });
      const started = wallClockMs();
      await store.commit({
        events: [{ pos: seq, origin: 'disk', seq, correlationId: `disk:${seq}`, bytes }],
        vcBefore: vc,
        vc: next,
        actors: [],
        deadLetters: [],
        removedDeadLetters: [],
        acks: new Map(),
      });
      recordLatency(histogram, wallClockMs() - started);
      vc = next;
      await sleep(pauseMs);
    }
  } finally {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  }
  return { p50: quantile(histogram, 0.5), p99: quantile(histogram, 0.99) };
}
