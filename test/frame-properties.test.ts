/**
 * Properties of the boundary decoders over hostile bytes: any byte string, any mutation of
 * a valid frame or event (bit flips, truncation, splices, field swaps) and any msgpack
 * value in an event's `data` either decodes to a valid frame or event or is refused with
 * a `TroupeError` of the decoder's code; nothing else. "Valid" means what the encoders,
 * which check every field against `PROTOCOL.md`, accept: a decoded frame or event encodes
 * again, decodes to the same bytes' meaning, and shows as JSON. (A hang fails the run
 * through tap's timeout.)
 */
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { decodeEvent, decodeFrame, encodeEvent, encodeFrame, eventHeader } from '../protocol/codec.js';
import type { Envelope } from '../protocol/envelope.js';
import type { Frame } from '../protocol/frame.js';
import { isTroupeError, type TroupeErrorCode } from '../protocol/troupe-error.js';
import { eventWithData, msgpackValue, mutatedEvent, mutatedFrame } from './helpers/hostile-bytes.js';

/** Runs per property; each run is cheap (a few hundred bytes at most). */
const RUNS = 5000;

/** What decoding gave: a value, a TroupeError's code, or something that must never happen. */
type Verdict<T> = { ok: T } | { refused: TroupeErrorCode } | { broken: string };

function attempt<T>(decode: () => T): Verdict<T> {
  try {
    return { ok: decode() };
  } catch (err) {
    if (isTroupeError(err)) return { refused: err.code };
    return { broken: `${(err as Error)?.name}: ${(err as Error)?.message}` };
  }
}

/**
 * Whether an event the decoder accepted is valid: the encoder takes it, re-encoding is a
 * fixed point, a relay can read its header, and its JSON view can be written.
 */
function validEvent(e: Envelope, bytes: Uint8Array): string | undefined {
  const again = attempt(() => encodeEvent(e));
  if (!('ok' in again)) return `the encoder refuses what the decoder accepted: ${JSON.stringify(again)}`;
  const decoded = attempt(() => decodeEvent(again.ok));
  if (!('ok' in decoded)) return `a re-encoded event does not decode: ${JSON.stringify(decoded)}`;
  const twice = attempt(() => encodeEvent(decoded.ok));
  if (!('ok' in twice) || Buffer.compare(twice.ok, again.ok) !== 0) return 're-encoding is not a fixed point';
  if (!('ok' in attempt(() => eventHeader(bytes)))) return 'a relay cannot read the header of an accepted event';
  if (!('ok' in attempt(() => JSON.stringify(e)))) return 'the JSON view of an accepted event cannot be written';
  return undefined;
}

/** The verdict of `decodeEvent` on `bytes`, as a failure message or `undefined`. */
function checkEvent(bytes: Uint8Array): string | undefined {
  const v = attempt(() => decodeEvent(bytes));
  if ('broken' in v) return `decodeEvent threw ${v.broken}`;
  if ('refused' in v) return v.refused === 'TROUPE_PROTOCOL_BAD_EVENT' ? undefined : `decodeEvent refused with ${v.refused}`;
  return validEvent(v.ok, bytes);
}

/** Whether a frame the decoder accepted is valid: the encoder takes it and it decodes the same again. */
function validFrame(frame: Frame): string | undefined {
  const again = attempt(() => encodeFrame(frame));
  if (!('ok' in again)) return `the encoder refuses what the decoder accepted: ${JSON.stringify(again)}`;
  const decoded = attempt(() => decodeFrame(again.ok));
  if (!('ok' in decoded)) return `a re-encoded frame does not decode: ${JSON.stringify(decoded)}`;
  if (!('ok' in attempt(() => JSON.stringify(frame)))) return 'a frame cannot be shown as JSON';
  if (frame.type !== 'events') return undefined;
  for (const bytes of frame.events) {
    const problem = checkEvent(bytes);
    if (problem !== undefined) return `in an events frame: ${problem}`;
  }
  return undefined;
}

/** The verdict of `decodeFrame` on `bytes`, as a failure message or `undefined`. */
function checkFrame(bytes: Uint8Array): string | undefined {
  const v = attempt(() => decodeFrame(bytes));
  if ('broken' in v) return `decodeFrame threw ${v.broken}`;
  if ('refused' in v) return v.refused === 'TROUPE_PROTOCOL_BAD_FRAME' || v.refused === 'TROUPE_PROTOCOL_FRAME_TOO_LARGE' ? undefined : `decodeFrame refused with ${v.refused}`;
  return validFrame(v.ok);
}

/** Asserts that `check` finds no problem in any value of `arbitrary`, with the counterexample on failure. */
function holds(t: Test, name: string, arbitrary: fc.Arbitrary<Uint8Array>, check: (bytes: Uint8Array) => string | undefined): void {
  const outcome = fc.check(fc.property(arbitrary, (bytes) => check(bytes) === undefined), { numRuns: RUNS });
  const counterexample = outcome.counterexample?.[0];
  t.notOk(outcome.failed, name, { bytes: Buffer.from(counterexample ?? []).toString('hex'), problem: counterexample && check(counterexample), seed: outcome.seed });
}

t.test('any byte string decodes to a valid frame and event or is refused with a TroupeError', async (t) => {
  const bytes = fc.oneof(fc.uint8Array({ maxLength: 300 }), msgpackValue.map((b) => Uint8Array.from(b)));
  holds(t, 'decodeFrame on any bytes', bytes, checkFrame);
  holds(t, 'decodeEvent on any bytes', bytes, checkEvent);
});

t.test('any mutation of a valid frame decodes to a valid frame or is refused with a TroupeError', async (t) => {
  holds(t, 'decodeFrame on mutated frames', mutatedFrame, checkFrame);
});

t.test('any mutation of a valid event decodes to a valid event or is refused with a TroupeError', async (t) => {
  holds(t, 'decodeEvent on mutated events', mutatedEvent, checkEvent);
});

t.test('any msgpack value in an event\'s data decodes to valid data or is refused with a TroupeError', async (t) => {
  holds(t, 'decodeEvent with any data', msgpackValue.map(eventWithData), checkEvent);
});

t.test('the checks can fail: an accepted event the encoder would refuse is reported', async (t) => {
  t.match(validEvent({ id: 'n1:1', origin: 'n1', seq: 1, vc: { n1: 1 }, type: '', data: null, correlationId: 'n1:1', causationId: null, ts: 0, schema: 1 }, new Uint8Array()), /the encoder refuses/);
  t.equal(checkEvent(eventWithData([0x81, 0xa1, 0x61, 0xc0])), undefined, 'a valid event passes');
});
