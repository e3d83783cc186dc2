/**
 * The idle-actors benchmark (issue 17): `plan.idleActors` keyed actors (a million in a
 * full run) are created on one `troupe node` (the CLI, `--relaxed`, with a short
 * `--passivate-after`), one event each, sent as `POST /events` arrays; then the node is
 * left idle until `GET /actors?limit=0` says none is in memory. Measured:
 *
 * - `idle.create.rate`: actors created per second (each a commit of its event and record);
 * - `idle.rss.peak` and `idle.rss`: the node's peak RSS while creating, and its RSS 40 s
 *   after every actor is passivated (goal: under 300 MB for a million); `idle.rss.anon`
 *   the part of it that is not mapped files (LevelDB maps its tables); `idle.heap.used`,
 *   `idle.heap.total` and `idle.external` where it goes: the V8 heap in use and allocated,
 *   and buffers outside it (`/metrics`);
 * - `idle.wake.p50`/`p99`: `POST /events` to an actor that is passivated (read back from
 *   disk, handled, committed), one at a time, each to an actor not touched since it was
 *   created; `idle.live.p50`/`p99` the same to an actor in memory, for comparison.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdminClient } from './admin-client.js';
import { KEYED_NODE_ID, TALLY_EVENT_TYPE } from './apps/keyed.js';
import { FigureBook, type FigureSet } from './figure.js';
import type { Progress } from './progress.js';
import { ChildHandle, parseJsonLine } from './spawn-child.js';
import type { SuitePlan } from './suite-plan.js';
import { wallClockMs } from './wall-clock.js';

const CLI_SCRIPT = new URL('../nodes/cli.js', import.meta.url).pathname;
const KEYED_APP = new URL('./apps/keyed.js', import.meta.url).pathname;
/** Idle this long, the node passivates an actor; short, so that the run does not wait minutes. */
const PASSIVATE_AFTER = '5s';
/** Events per `POST /events` array, and arrays in flight at once. */
const BATCH = 1000;
const IN_FLIGHT = 4;
/** Events timed to a passivated actor, and to a live one. */
const SAMPLES = 300;
const IDLE_DEADLINE_MS = 180_000;
const MB = 1024 * 1024;

/** The key of the i-th actor. */
const keyOf = (i: number): string => `k${i}`;

/** Runs the idle-actors benchmark with `count` actors (default `plan.idleActors`). */
export async function runIdleActorsSuite(plan: SuitePlan, progress: Progress, dir: string, count = plan.idleActors): Promise<FigureSet> {
  const book = new FigureBook();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const args = ['node', '--id', KEYED_NODE_ID, '--port', '0', '--data', join(dir, 'solo'), '--secret', 'troupe-bench', '--app', KEYED_APP, '--relaxed', '--passivate-after', PASSIVATE_AFTER];
  const child = ChildHandle.start({ name: KEYED_NODE_ID, script: CLI_SCRIPT, args });
  try {
    const ready = await child.waitForLine((line) => parseJsonLine(line)?.msg === 'listening', 20_000);
    const client = new AdminClient(String(parseJsonLine(ready.line)?.url), IN_FLIGHT);
    try {
      book.add('idle.actors', 'actors', count);
      const started = wallClockMs();
      let next = 0;
      let reported = 0;
      let peak = 0;
      const sendAll = async (): Promise<void> => {
        while (next < count) {
          const from = next;
          next = Math.min(count, next + BATCH);
          const events = [];
          for (let i = from; i < next; i++) events.push({ type: TALLY_EVENT_TYPE, data: { id: keyOf(i) } });
          await client.publishBatch(events);
          peak = Math.max(peak, child.rssBytes() ?? 0);
          if (next - reported >= count / 10) {
            reported = next;
            progress(`idle actors: ${next} of ${count} created, RSS ${Math.round((child.rssBytes() ?? 0) / MB)} MB`);
          }
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, sendAll));
      const seconds = (wallClockMs() - started) / 1000;
      book.add('idle.create.rate', 'actors/s', count / seconds);
      book.add('idle.rss.peak', 'MB', Math.max(peak, child.peakRssBytes() ?? 0) / MB);

      const idleFrom = wallClockMs();
      for (;;) {
        const { live } = await client.actorCounts();
        if (live === 0) break;
        if (wallClockMs() - idleFrom > IDLE_DEADLINE_MS) throw new Error(`${live} actors still in memory ${IDLE_DEADLINE_MS / 1000} s after the last event`);
        await sleep(1000);
      }
      // A node gives back the heap passivation freed within 10–20 s of going quiet (`nodes/heap-tuning.ts`).
      await sleep(40_000);
      book.add('idle.rss', 'MB', (child.rssBytes() ?? 0) / MB);
      // LevelDB maps its table files: those pages count in RSS but are the page cache's to drop.
      book.add('idle.rss.anon', 'MB', (child.rssAnonBytes() ?? 0) / MB);
      const heap = await client.heap();
      book.add('idle.heap.used', 'MB', heap.used);
      book.add('idle.heap.total', 'MB', heap.total);
      book.add('idle.external', 'MB', heap.external);
      progress(`idle actors: all ${count} passivated, RSS ${Math.round((child.rssBytes() ?? 0) / MB)} MB, V8 heap ${heap.used.toFixed(0)} MB used of ${heap.total.toFixed(0)} MB, buffers ${heap.external.toFixed(0)} MB`);

      const wake: number[] = [];
      const live: number[] = [];
      const step = Math.max(1, Math.floor(count / SAMPLES));
      for (let s = 0; s < SAMPLES && s * step < count; s++) {
        const key = keyOf(s * step);
        const t0 = performance.now();
        await client.publish(TALLY_EVENT_TYPE, { id: key });
        wake.push(performance.now() - t0);
        const t1 = performance.now();
        await client.publish(TALLY_EVENT_TYPE, { id: key });
        live.push(performance.now() - t1);
      }
      book.add('idle.wake.p50', 'ms', quantileOf(wake, 0.5));
      book.add('idle.wake.p99', 'ms', quantileOf(wake, 0.99));
      book.add('idle.live.p50', 'ms', quantileOf(live, 0.5));
      book.add('idle.live.p99', 'ms', quantileOf(live, 0.99));
    } finally {
      client.close();
    }
  } finally {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return book.figures();
}

/** The `q` quantile of `values` (nearest rank). */
function quantileOf(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}
