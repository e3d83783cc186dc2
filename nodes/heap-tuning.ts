/**
 * V8 settings for a process that hosts a troupe node.
 *
 * V8 pretenures an allocation site (allocates its objects straight in the old
 * generation) once most of the objects it made survived a young-generation GC. A
 * receiving node appears to trip that heuristic (a heap profile shows msgpackr's and
 * XState's short-lived objects outliving young GCs): a batch of events waits decoded for
 * a moment, so their allocation sites look long-lived, and from then on decoded events
 * and actor steps would allocate in the old generation. Measured on this project's
 * bench (2 cores): with pretenuring off, a receiving node spent 570–600 ms instead of
 * 840–920 ms in young-generation GC over a 300k-event catch-up, and 2-node throughput
 * rose about 10% (22–25 instead of 25–29 µs of CPU per event). Only heuristics change;
 * nothing the program computes does.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How often a node checks whether its heap holds much more than it uses. */
const SHRINK_CHECK_MS = 30_000;
/** A heap this much larger than what it uses, and past {@link SHRINK_FLOOR_BYTES}, is compacted. */
const SHRINK_RATIO = 3;
const SHRINK_FLOOR_BYTES = 96 * 1024 * 1024;

/**
 * Turns off V8's allocation-site pretenuring for this process. Call it once, first
 * thing, in a process whose main work is a troupe node (the `troupe` CLI does); it
 * affects every allocation in the process, so an app that embeds a node decides for
 * itself.
 */
export function tuneHeapForNode(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
  shrinkHeapWhenMostlyFree();
}

/**
 * Gives the operating system back the heap a node no longer uses. After passivation
 * drops many actors, V8 keeps the pages they lived in until its next full collection,
 * which an idle node (allocating almost nothing) may not run for a long time: measured
 * on the idle-actors bench, 100,000 passivated actors left 315 MB resident with 20 MB of
 * the heap in use, 140 MB after one full collection. Every 30 s, a heap over 96 MB that
 * uses under a third of itself gets one full collection. `gc` is V8's own, exposed for
 * this process only.
 */
function shrinkHeapWhenMostlyFree(): void {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const timer = setInterval(function shrinkHeapIfMostlyFree() {
    const heap = getHeapStatistics();
    if (heap.total_heap_size > SHRINK_FLOOR_BYTES && heap.used_heap_size * SHRINK_RATIO < heap.total_heap_size) collect();
  }, SHRINK_CHECK_MS);
  timer.unref();
}
