/**
 * One clock for every latency figure in the suite: wall time in milliseconds with
 * sub-millisecond fractions, readable in any process on this machine.
 *
 * `performance.timeOrigin` is the wall clock sampled (in µs) when the process started and
 * `performance.now()` the monotonic time since, so two processes reading this clock
 * differ only by how far the wall and monotonic clocks drifted apart while they ran —
 * microseconds on one machine. `estimateClockOffset` measures that instead of assuming it.
 */

/** Wall-clock time in ms since the epoch, with sub-ms fractions; comparable across processes. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** How far another process's `wallClockMs()` is ahead of this one's. */
export interface ClockOffset {
  /** Remote minus local, in ms. */
  readonly offsetMs: number;
  /** Round trip of the sample the estimate came from: the offset is exact to ± half of it. */
  readonly rttMs: number;
}

/**
 * Estimates the clock offset of another process NTP-style: ask for its clock `samples`
 * times and keep the answer with the shortest round trip, assuming it was read halfway.
 *
 * @param readRemote resolves with the other process's `wallClockMs()`.
 * @param [samples=50] how many round trips to try.
 */
export async function estimateClockOffset(
  readRemote: () => Promise<number>,
  samples = 50,
): Promise<ClockOffset> {
  let best: ClockOffset = { offsetMs: 0, rttMs: Infinity };
  for (let i = 0; i < samples; i++) {
    const before = wallClockMs();
    const remote = await readRemote();
    const after = wallClockMs();
    const rttMs = after - before;
    if (rttMs < best.rttMs) best = { offsetMs: remote - (before + after) / 2, rttMs };
  }
  return best;
}
