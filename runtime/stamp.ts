/**
 * Stamping: how an event of this node gets its identity. A pure function of the node's
 * delivered clock, the last time it delivered and the wall clock: the next seq of this
 * node, the clock with that seq, and a hybrid logical time never behind any event
 * delivered before it (so `ts` never goes back even if the wall clock does). The clock
 * leaves out the origins retired at exactly their final seq (`protocol/retirement.ts`).
 */
import { encodeEvent } from '../protocol/event-codec.js';
import { wholeClock } from '../protocol/clock-floor.js';
import { foldClock } from '../protocol/retirement.js';
import { ENVELOPE_SCHEMA, eventId, type EncodedEvent, type Envelope, type VectorClock } from '../protocol/envelope.js';
import type { PublishInput } from './publish-input.js';

const NONE: ReadonlyMap<string, number> = new Map();

/** An event of this node with its bytes, ready to deliver and log. */
export interface Stamped {
  readonly envelope: Envelope;
  readonly bytes: EncodedEvent;
}

/**
 * Stamps `input` as the next event of node `origin`, whose delivered clock is `delivered`
 * and latest delivered `ts` is `lastTs`, at wall-clock time `now`; `causationId` is the
 * event whose handling emitted it (null for a publish); `finals` are the retired origins'
 * final seqs, left out of its clock (a retirement's leave out the origins it retires: its
 * clock must name them). Changes nothing: the caller advances its clock to `envelope.vc[origin]` and its last ts to `envelope.ts`.
 *
 * @throws TroupeError `TROUPE_PROTOCOL_BAD_EVENT` if the event cannot be encoded (data
 *   msgpack cannot hold, over 1 MiB).
 */
export function stamp(
  origin: string,
  delivered: VectorClock,
  lastTs: number,
  now: number,
  input: PublishInput,
  causationId: string | null,
  finals: ReadonlyMap<string, number> = NONE,
): Stamped {
  const seq = (delivered[origin] ?? 0) + 1;
  // The floor of `delivered` holds retired origins at the final seqs `finals` names, which
  // `foldClock` leaves out anyway: only its own entries need a look (`clock-floor.ts`). A
  // retirement is stamped from a whole clock, whose every entry is its own.
  const vc = finals.size === 0 ? { ...wholeClock(delivered) } : foldClock({ ...delivered }, finals, origin);
  vc[origin] = seq;
  const id = eventId(origin, seq);
  const envelope: Envelope = {
    id,
    type: input.type,
    data: input.data ?? null,
    origin,
    seq,
    vc,
    // An event that starts a workflow names it: its id is unique cluster-wide already.
    correlationId: input.correlationId ?? id,
    causationId,
    ts: Math.max(now, lastTs),
    schema: ENVELOPE_SCHEMA,
    ...(input.version === undefined || input.version === 1 ? {} : { version: input.version }),
  };
  return { envelope, bytes: encodeEvent(envelope) };
}
