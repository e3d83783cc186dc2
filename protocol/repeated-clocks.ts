/**
 * Event clocks read once per distinct encoding, for `decodeEvent`.
 *
 * A backlog from one origin is mostly events whose clocks are byte for byte the same: an
 * offline device's view of the other origins does not change while it publishes. Reading
 * such a clock again (every origin decoded, looked up and stored under its name) was
 * the largest part of decoding an event in a catch-up, and storing 17 or more names one
 * by one leaves V8 a dictionary-mode object, slow to build and to read. So each origin's
 * last clock is kept with its bytes: when the next event of that origin carries the same
 * bytes, its clock is a copy of the one kept (a shallow copy of an object V8 keeps in
 * fast mode), with the origin's own entry set to the event's seq.
 *
 * The kept clock is never handed out: every event gets a copy of its own, so what a caller
 * does with it cannot change another event's clock. The bytes are copied too, into a
 * buffer of their own (an event's bytes may be a view into a buffer someone else reuses,
 * and a kept copy must pin nothing else). The same bytes under the same origin were
 * validated the same way the first time, so nothing needs checking again. Only clocks of
 * up to 4 KiB are kept (a real one is a few hundred bytes), so a peer sending clocks near
 * the event size limit under many origins cannot make the cache hold gigabytes.
 */
import type { VectorClock } from './envelope.js';
import type { WireReader } from './msgpack-reader.js';

/** An origin's last clock read: its bytes on the wire, and the clock with the origin's entry in it. */
interface KeptClock {
  readonly bytes: Uint8Array;
  readonly clock: VectorClock;
}

/** Origins whose last clock is kept; past this many, all are forgotten (a clock is read afresh). */
const MAX_KEPT = 1024;

/** The longest clock encoding kept; a longer one is read afresh each time. */
const MAX_KEPT_BYTES = 4096;

const kept = new Map<string, KeptClock>();

/** Each origin's last clock stepped over by {@link skipEventClock}: its bytes. */
const skipped = new Map<string, Uint8Array>();

/**
 * Reads the clock of an event of `origin` and `seq`, which the reader is at, and
 * validates it when its bytes differ from that origin's last: a map of origins to counts
 * without `origin` (its entry is `seq`). Returns a clock of its own, with that entry.
 *
 * @throws TroupeError with the reader's code for a malformed clock.
 */
export function readEventClock(r: WireReader, origin: string, seq: number): VectorClock {
  const last = kept.get(origin);
  if (last === undefined || !r.readIfNext(last.bytes)) {
    const start = r.position;
    const built = r.clock();
    if (Object.hasOwn(built, origin)) throw r.error(`the clock holds the origin ${origin}: its entry is seq`);
    built[origin] = seq;
    const bytes = r.readSince(start);
    if (bytes.length > MAX_KEPT_BYTES) return built;
    if (last === undefined && kept.size >= MAX_KEPT) kept.clear();
    // A spread of the dictionary-mode object the reader built is a fast-mode one.
    kept.set(origin, { bytes: new Uint8Array(bytes), clock: { ...built } });
    return built;
  }
  return ownCopy(last.clock, origin, seq);
}

/**
 * Steps over the clock of an event of `origin`, which the reader is at, without building
 * it: in one comparison when its bytes are those of the last clock of that origin stepped
 * over, else entry by entry (`WireReader.skipClock`, whose checks the bytes kept then
 * passed). A sender reads the header of every stored event it considers sending a partial
 * peer, and the clocks of one origin's run repeat there as they do on receipt.
 */
export function skipEventClock(r: WireReader, origin: string): void {
  const last = skipped.get(origin);
  if (last !== undefined && r.readIfNext(last)) return;
  const start = r.position;
  r.skipClock();
  const bytes = r.readSince(start);
  if (bytes.length > MAX_KEPT_BYTES) return;
  if (last === undefined && skipped.size >= MAX_KEPT) skipped.clear();
  skipped.set(origin, new Uint8Array(bytes));
}

function ownCopy(clock: VectorClock, origin: string, seq: number): VectorClock {
  const vc = { ...clock };
  vc[origin] = seq;
  return vc;
}
