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
import { setFlagsFromString } from 'node:v8';

/**
 * Turns off V8's allocation-site pretenuring for this process. Call it once, first
 * thing, in a process whose main work is a troupe node (the `troupe` CLI does); it
 * affects every allocation in the process, so an app that embeds a node decides for
 * itself.
 */
export function tuneHeapForNode(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
