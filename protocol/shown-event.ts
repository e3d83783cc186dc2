/**
 * A stored event as the node shows it (`/log`, `/trace`, the inspector's feed), whatever
 * its bytes hold.
 *
 * Every event a node takes passes `decodeEvent`, so whatever it stores now can be shown as
 * JSON. A data directory written by an older build may still hold events that do not pass
 * (data with a msgpack extension such as a BigInt or a Date, invalid UTF-8, an integer in a
 * width the grammar refuses), and one such event must not make every page covering it
 * fail for good. It is shown as such: what its header says (origin, seq, and type where
 * they read), `unshowable` saying why the rest cannot be shown, nil data, no time, and its
 * own id as its workflow.
 */
import { decodeEvent, eventHeader, eventHeaderAndType } from './event-codec.js';
import { eventId, type EncodedEvent, type Envelope } from './envelope.js';
import { isTroupeError } from './troupe-error.js';

/** An event to show: a valid one as decoded, or one marked {@link ShownEvent.unshowable}. */
export interface ShownEvent extends Envelope {
  /** Why this stored event cannot be shown beyond its header (the strict decoder's refusal); absent for a valid event. */
  readonly unshowable?: string;
}

/** The type shown for a stored event whose type cannot be read. */
export const UNREADABLE_TYPE = '(unreadable)';

/**
 * A stored event decoded for showing. Never throws on the bytes: what `decodeEvent`
 * refuses comes back with `unshowable` set.
 */
export function showEvent(bytes: EncodedEvent): ShownEvent {
  try {
    return decodeEvent(bytes);
  } catch (err) {
    if (!isTroupeError(err)) throw err;
    return unshowable(bytes, err.message);
  }
}

function unshowable(bytes: EncodedEvent, reason: string): ShownEvent {
  const { origin, seq, type } = readableHeader(bytes);
  const id = eventId(origin, seq);
  return { id, origin, seq, type, vc: seq > 0 ? { [origin]: seq } : {}, correlationId: id, causationId: null, ts: 0, schema: 0, data: null, unshowable: reason };
}

/** As much of the header as reads: origin, seq and type, then origin and seq, then nothing. */
function readableHeader(bytes: EncodedEvent): { origin: string; seq: number; type: string } {
  try {
    return eventHeaderAndType(bytes);
  } catch {
    try {
      return { ...eventHeader(bytes), type: UNREADABLE_TYPE };
    } catch {
      return { origin: '?', seq: 0, type: UNREADABLE_TYPE };
    }
  }
}
