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
 *
 * V8 also lets the old generation grow to up to four times what its last full collection
 * left live before it collects again, and the `Buffer`s that died meanwhile (events read
 * from the store or a socket) are freed only then. A catch-up holds about 50 MB live, yet
 * the edge bench's 100k-event catch-up peaked at 276–320 MB of RSS on the gateway and
 * 189–235 MB on the device. With the heap let grow 50% past what is live
 * (`--heap-growing-percent=50`), on the same bench and machine (2 shared cores, load
 * 6–7): gateway 193–204 MB, device 165–178 MB, with no more CPU per event than before
 * that the noise shows (30% was no smaller: what is left is V8's young generation, the
 * `malloc` arenas of LevelDB's threads and the node binary). A heap bound
 * (`--max-old-space-size`) would do as much only by failing a node that needs more.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How far past what a full collection left live V8 lets the heap grow before the next one (see {@link tuneHeapForNode}). */
const HEAP_GROWING_PERCENT = 50;

/** How often a node checks whether its heap holds much more than it uses. */
const SHRINK_CHECK_MS = 10_000;
/** A heap this much larger than what it uses, and past {@link SHRINK_FLOOR_BYTES}, is compacted. */
const SHRINK_RATIO = 3;
const SHRINK_FLOOR_BYTES = 96 * 1024 * 1024;
/**
 * The heap in use moved less than this between two checks (10 s): the node was quiet.
 * An idle node serving `/metrics` and its timers allocates about 0.1 MB/s; a busy one
 * hundreds, and its young collections move the figure by tens of MB.
 */
const QUIET_DRIFT_BYTES = 8 * 1024 * 1024;

/** What {@link HeapShrinker.check} looks at: V8's `used_heap_size` and `total_heap_size`. */
export interface HeapSizes {
  readonly used: number;
  readonly total: number;
}

/**
 * When to give the operating system back the heap a node no longer uses. After
 * passivation drops many actors, V8 keeps the pages they lived in until its next full
 * collection, which an idle node (allocating almost nothing) may not run for a long time.
 * V8 counts what it has not collected yet as in use, so "uses under a third of itself"
 * alone may never hold on such a node: measured on the idle-actors bench, 100,000
 * passivated actors left 700 MB of heap "in use" 40 s later, and 30 MB once collected
 * (RSS 820 → 130 MB). So a heap over 96 MB gets a full collection when it uses under a
 * third of itself, or once when the node goes quiet (its heap in use moved less than
 * 8 MB since the last check) after it was not; a node that stays quiet is not collected
 * again.
 */
export class HeapShrinker {
  private lastUsed: number | undefined;
  private collectedWhileQuiet = false;

  /** Whether to collect now, given the heap at this periodic check. */
  check(heap: HeapSizes): boolean {
    const quiet = this.lastUsed !== undefined && Math.abs(heap.used - this.lastUsed) < QUIET_DRIFT_BYTES;
    this.lastUsed = heap.used;
    if (!quiet) this.collectedWhileQuiet = false;
    if (heap.total <= SHRINK_FLOOR_BYTES) return false;
    if (!mostlyFree(heap) && (!quiet || this.collectedWhileQuiet)) return false;
    this.collectedWhileQuiet = quiet;
    return true;
  }

  /** After a collection: the heap in use now is what the next check compares with. */
  collected(heap: HeapSizes): void {
    this.lastUsed = heap.used;
  }
}

/** A heap over 96 MB that uses under a third of itself. */
export function mostlyFree(heap: HeapSizes): boolean {
  return heap.total > SHRINK_FLOOR_BYTES && heap.used * SHRINK_RATIO < heap.total;
}

/**
 * Turns off V8's allocation-site pretenuring for this process and lets its heap grow only
 * 50% past what a full collection left live. Call it once, first thing, in a process
 * whose main work is a troupe node (the `troupe` CLI does); it affects every allocation
 * in the process, so an app that embeds a node decides for itself.
 */
export function tuneHeapForNode(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  shrinkHeapWhenMostlyFree();
}

/**
 * Every 10 s, asks a {@link HeapShrinker} whether to run a full collection, and runs it.
 * `gc` is V8's own, exposed for this process only.
 */
function shrinkHeapWhenMostlyFree(): void {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const shrinker = new HeapShrinker();
  const sizes = (): HeapSizes => {
    const heap = getHeapStatistics();
    return { used: heap.used_heap_size, total: heap.total_heap_size };
  };
  const timer = setInterval(function shrinkHeapIfMostlyFree() {
    if (!shrinker.check(sizes())) return;
    collect();
    // The first collection frees the objects; V8 gives back the pages they leave empty on the next.
    if (mostlyFree(sizes())) collect();
    shrinker.collected(sizes());
  }, SHRINK_CHECK_MS);
  timer.unref();
}
