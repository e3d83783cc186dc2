/**
 * What the fuzzer's fake peer sends: a recipe per frame, drawn by fast-check from a seed,
 * turned into bytes at send time (events need the peer's next seq, which only the node's
 * `want` tells). The mix: mutated frames and raw bytes (`hostile-bytes.ts`), valid-looking
 * events with one field twisted (far-future and huge `ts`, clocks claiming what nobody
 * has, seq gaps and replays, forged origins, unknown causes, big or hostile data), `want`s
 * claiming 2⁵³−1 events, `ack`s of what was never sent, and `links` frames.
 */
import fc from 'fast-check';
import { encodeEvent, encodeFrame } from '../../protocol/codec.js';
import { ENVELOPE_SCHEMA, type Envelope, type VectorClock } from '../../protocol/envelope.js';
import { msgpackValue, mutatedFrame } from '../helpers/hostile-bytes.js';

/** The node ids of the fake peers start with this. */
export const FUZZ_PEER = 'mallory';

/** How a well-formed event of the fake peer is bent. */
export type EventTwist =
  | 'none'
  | 'farFutureTs'
  | 'maxTs'
  | 'claimsUnseen'
  | 'seqGap'
  | 'replay'
  | 'forgeFirst'
  | 'forgeSecond'
  | 'unknownCause'
  | 'bigData'
  | 'hostileData';

/** One frame to send, before it is bytes. */
export type Recipe =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'events'; readonly twists: readonly EventTwist[]; readonly data: readonly number[] }
  | { readonly kind: 'want' | 'ack'; readonly vc: VectorClock }
  | { readonly kind: 'links'; readonly links: readonly string[] };

const twist = fc.constantFrom<EventTwist>('none', 'none', 'none', 'farFutureTs', 'maxTs', 'claimsUnseen', 'seqGap', 'replay', 'forgeFirst', 'forgeSecond', 'unknownCause', 'bigData', 'hostileData');

/** Counts a clock may hold: small, plausible, and the largest there are. */
const claim = fc.oneof(fc.nat(20), fc.constantFrom(2 ** 32, 2 ** 53 - 1), fc.maxSafeNat());

/** Clocks over the nodes of the run (their ids given), the fake peer and a stranger. */
function clockOver(nodes: readonly string[], self: string): fc.Arbitrary<VectorClock> {
  return fc.dictionary(fc.constantFrom(...nodes, self, 'ghost'), claim, { maxKeys: 4 });
}

/** Recipes for fake peer `self` against nodes `nodes` (the first is the one it talks to). */
export function recipes(nodes: readonly string[], self: string): fc.Arbitrary<Recipe> {
  return fc.oneof(
    { weight: 4, arbitrary: mutatedFrame.map((bytes): Recipe => ({ kind: 'bytes', bytes })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes): Recipe => ({ kind: 'bytes', bytes })) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('events' as const), twists: fc.array(twist, { minLength: 1, maxLength: 3 }), data: msgpackValue }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('want' as const, 'ack' as const), vc: clockOver(nodes, self) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('links' as const), links: fc.array(fc.constantFrom(...nodes, self, 'ghost'), { maxLength: 3 }) }) },
  );
}

/** What the fake peer knows when it builds a frame. */
export interface PeerView {
  /** The fake peer's own node id. */
  readonly self: string;
  /** Its next own seq, as the node's `want` said (or as it counted since). */
  nextSeq: number;
  /** The node's clock, as the node's `want` said. */
  readonly nodeClock: VectorClock;
  readonly nodes: readonly string[];
}

/** The bytes of one event of the fake peer bent by `how`. */
function eventBytes(view: PeerView, how: EventTwist, data: readonly number[]): Uint8Array {
  const seq = how === 'seqGap' ? view.nextSeq + 1000 : how === 'replay' ? Math.max(1, view.nextSeq - 1) : view.nextSeq;
  const origin = how === 'forgeFirst' ? view.nodes[0] : how === 'forgeSecond' ? view.nodes[1] ?? view.nodes[0] : view.self;
  const forgedSeq = origin === view.self ? seq : (view.nodeClock[origin] ?? 0) + 1;
  const vc: VectorClock = { ...view.nodeClock, [origin]: forgedSeq };
  if (origin !== view.self) vc[view.self] = view.nextSeq - 1;
  if (how === 'claimsUnseen') vc[view.nodes[0]] = Number.MAX_SAFE_INTEGER;
  const e: Omit<Envelope, 'id'> = {
    origin,
    seq: forgedSeq,
    vc,
    type: 'Fuzzed',
    data: how === 'bigData' ? { blob: 'x'.repeat(512 * 1024) } : { twist: how },
    correlationId: `${origin}:${forgedSeq}`,
    causationId: how === 'unknownCause' ? 'ghost:99' : null,
    ts: how === 'farFutureTs' ? 1e300 : how === 'maxTs' ? Number.MAX_VALUE : Date.now(),
    schema: ENVELOPE_SCHEMA,
  };
  if (origin === view.self && how !== 'seqGap' && how !== 'replay') view.nextSeq++;
  const bytes = encodeEvent(how === 'hostileData' ? { ...e, data: null } : e);
  // Data the encoder would never write, spliced in place of the nil.
  return how === 'hostileData' ? Uint8Array.from([...bytes.subarray(0, bytes.length - 1), ...data]) : bytes;
}

/** The bytes of a recipe, given what the fake peer knows now. */
export function frameBytes(recipe: Recipe, view: PeerView): Uint8Array {
  switch (recipe.kind) {
    case 'bytes':
      return recipe.bytes;
    case 'events':
      return encodeFrame({ type: 'events', events: recipe.twists.map((how) => eventBytes(view, how, recipe.data)) });
    case 'want':
    case 'ack':
      return encodeFrame({ type: recipe.kind, vc: recipe.vc });
    case 'links':
      return encodeFrame({ type: 'links', links: recipe.links });
  }
}
