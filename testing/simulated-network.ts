/**
 * The simulated network: links between the nodes of one process, carrying the same
 * frames as a WebSocket, through the same codec (`encodeFrame`/`decodeFrame`).
 *
 * Each link is two directions; a direction is first in, first out, as one socket is.
 * Frames sent wait in flight until the simulation delivers them: the next one is always
 * the earliest due, and among frames due at once the seeded random source picks which
 * link goes first, so links interleave differently per seed and identically per run.
 * A link may be delayed (its frames take longer), cut (it closes, and what was in flight
 * on it is lost, as with a dropped socket) and healed (it links again at once, as a
 * healed node redials). A node that closes a link, having found a frame that breaks the
 * protocol, is redialed after the node's own backoff delay. Nodes link without the
 * handshake: proving the cluster secret is the sockets' business, not the choreography's;
 * what a hello tells that matters to the stream, a partial node's interest, each end's
 * link carries.
 */
import type { Logger } from 'pino';
import { decodeFrame, encodeFrame } from '../protocol/codec.js';
import type { Frame } from '../protocol/frame.js';
import { backoffDelay } from '../runtime/backoff.js';
import type { Fabric, PeerLink } from '../runtime/fabric.js';
import type { SimulatedTime } from './simulated-time.js';

/** What a node's side of the network is: its fabric's link calls. */
export type Endpoint = Pick<Fabric, 'origin' | 'linkUp' | 'linkDown' | 'receive'> & {
  /** What the node wants, as its hello would tell it (`Fabric.interest`). [default everything] */
  readonly interest?: Pick<Fabric['interest'], 'interest' | 'partial'>;
};

/** A frame delivered by {@link SimulatedNetwork.deliverNext}. */
export interface Delivery {
  readonly from: string;
  readonly to: string;
  readonly frame: Frame;
  /** Simulated time it arrived at. */
  readonly at: number;
}

/**
 * A seeded pseudo-random source in [0, 1) (mulberry32): the same seed gives the same
 * sequence on every run and every platform.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return function nextRandom(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit hash of `text` (FNV-1a), to derive one seed from another and a name. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The interest a node's hello tells: its patterns when it is partial, nothing when it wants everything. */
function told(endpoint: Endpoint): readonly string[] | undefined {
  return endpoint.interest?.partial === true ? endpoint.interest.interest : undefined;
}

/** A frame on its way, and when it arrives. */
interface InFlight {
  readonly bytes: Uint8Array;
  readonly at: number;
}

/** One direction of a link: frames from `from` to `to`, in the order sent. */
interface Direction {
  readonly from: string;
  readonly to: string;
  readonly queue: InFlight[];
  /** The receiver stopped reading (backpressure). */
  paused: boolean;
  /** Arrival time of the last frame sent, which no later frame may precede. */
  lastAt: number;
  /**
   * Draws this direction's jitter. Its own source, so a frame's delay depends only on the
   * frames sent before it on this link, not on how the sender's sends to other peers
   * happened to interleave.
   */
  readonly random: () => number;
}

/** A link for as long as it stays up. */
interface Connection {
  open: boolean;
  /** Each node's end, by node id. */
  readonly ends: Map<string, SimulatedLink>;
  readonly directions: readonly [Direction, Direction];
}

/** What the network knows of a pair of nodes, linked or not. */
interface Pair {
  readonly a: string;
  readonly b: string;
  cut: boolean;
  delayMs: number;
  connection: Connection | undefined;
  /** How many times the pair has linked. */
  generation: number;
}

/** Options of {@link SimulatedNetwork}. */
export interface SimulatedNetworkOptions {
  readonly seed: number;
  readonly time: SimulatedTime;
  readonly log: Logger;
  /** Extra delay of each frame, drawn from [0, jitterMs] by the seed. [default 0] */
  readonly jitterMs?: number;
}

/** One node's end of a simulated link: what its fabric sends on and reads from. */
export class SimulatedLink implements PeerLink {
  readonly peer: string;
  readonly origin: string;
  /** The event types the peer wants, as its hello would say (absent: everything). */
  readonly interest?: readonly string[];
  /** Frames leave at once: nothing waits in a simulated socket. */
  readonly bufferedAmount = 0;
  private readonly outgoing: (bytes: Uint8Array) => void;
  private readonly closing: () => void;
  private readonly incoming: Direction;

  constructor(args: { peer: string; origin: string; interest?: readonly string[]; incoming: Direction; outgoing: (bytes: Uint8Array) => void; closing: () => void }) {
    this.peer = args.peer;
    this.origin = args.origin;
    if (args.interest !== undefined) this.interest = args.interest;
    this.incoming = args.incoming;
    this.outgoing = args.outgoing;
    this.closing = args.closing;
  }

  send(frame: Frame): void {
    this.outgoing(encodeFrame(frame));
  }

  close(): void {
    this.closing();
  }

  pause(): void {
    this.incoming.paused = true;
  }

  resume(): void {
    this.incoming.paused = false;
  }
}

/** The links between the nodes of a simulated cluster. */
export class SimulatedNetwork {
  private readonly time: SimulatedTime;
  private readonly log: Logger;
  private readonly seed: number;
  private readonly random: () => number;
  private readonly jitterMs: number;
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly pairs = new Map<string, Pair>();

  constructor(options: SimulatedNetworkOptions) {
    this.time = options.time;
    this.log = options.log;
    this.seed = options.seed;
    this.random = seededRandom(options.seed);
    this.jitterMs = options.jitterMs ?? 0;
  }

  /** Frames sent and not yet delivered, on every link. */
  get inFlight(): number {
    let n = 0;
    for (const pair of this.pairs.values()) {
      for (const d of pair.connection?.directions ?? []) n += d.queue.length;
    }
    return n;
  }

  /** Whether `a` and `b` are linked right now. */
  linked(a: string, b: string): boolean {
    return this.pair(a, b).connection !== undefined;
  }

  /** Whether the link between `a` and `b` is held cut. */
  isCut(a: string, b: string): boolean {
    return this.pair(a, b).cut;
  }

  /** Node `node` is up: it links to every node up whose link to it is not cut. */
  attach(node: string, endpoint: Endpoint): void {
    this.endpoints.set(node, endpoint);
    for (const other of this.endpoints.keys()) {
      if (other !== node && !this.pair(node, other).cut) this.connect(node, other);
    }
  }

  /**
   * Node `node` is down. Its links close and what was in flight on them is lost. Its
   * peers see their links drop; the node itself is told only when it stops `cleanly`
   * (a crashed process hears nothing).
   */
  detach(node: string, cleanly: boolean): void {
    if (!cleanly) this.endpoints.delete(node);
    for (const pair of this.pairs.values()) {
      if (pair.a === node || pair.b === node) this.disconnect(pair);
    }
    this.endpoints.delete(node);
  }

  /** Closes the link between `a` and `b`, losing what is in flight, and keeps it closed until {@link heal}. */
  cut(a: string, b: string): void {
    const pair = this.pair(a, b);
    pair.cut = true;
    this.disconnect(pair);
  }

  /** Lets `a` and `b` link again, at once if both are up. */
  heal(a: string, b: string): void {
    const pair = this.pair(a, b);
    pair.cut = false;
    this.connect(a, b);
  }

  /** Frames sent between `a` and `b` from now on take `ms` longer to arrive (0: no longer). */
  delay(a: string, b: string, ms: number): void {
    this.pair(a, b).delayMs = ms;
  }

  /** When the next deliverable frame arrives, or `undefined` when none is in flight. */
  nextArrival(): number | undefined {
    let first: number | undefined;
    for (const d of this.deliverable()) {
      const at = d.queue[0].at;
      if (first === undefined || at < first) first = at;
    }
    return first;
  }

  /**
   * Delivers the earliest frame in flight (the seed picks among links whose next frame
   * arrives at once), moving time to its arrival. A frame the receiver refuses closes
   * that link, as a node does on a protocol error. Returns what was delivered.
   */
  deliverNext(): Delivery | undefined {
    const at = this.nextArrival();
    if (at === undefined) return undefined;
    const due = [...this.deliverable()].filter((d) => d.queue[0].at === at);
    const direction = due[Math.floor(this.random() * due.length)];
    const { bytes } = direction.queue.shift() as InFlight;
    this.time.moveTo(at);
    const pair = this.pair(direction.from, direction.to);
    const link = pair.connection?.ends.get(direction.to) as SimulatedLink;
    const frame = decodeFrame(bytes);
    try {
      this.endpoints.get(direction.to)?.receive(link, frame);
    } catch (err) {
      this.log.warn({ err, from: direction.from, to: direction.to }, 'frame refused: closing the link');
      this.closedByNode(pair);
    }
    return { from: direction.from, to: direction.to, frame, at };
  }

  private *deliverable(): Generator<Direction> {
    for (const pair of this.pairs.values()) {
      for (const d of pair.connection?.directions ?? []) {
        if (!d.paused && d.queue.length > 0) yield d;
      }
    }
  }

  private pair(a: string, b: string): Pair {
    const [x, y] = a < b ? [a, b] : [b, a];
    const key = `${x}\u0000${y}`;
    let pair = this.pairs.get(key);
    if (pair === undefined) {
      pair = { a: x, b: y, cut: false, delayMs: 0, connection: undefined, generation: 0 };
      this.pairs.set(key, pair);
    }
    return pair;
  }

  /** Links `a` and `b` if both are up and not linked; each side's fabric takes its end. */
  private connect(a: string, b: string): void {
    const pair = this.pair(a, b);
    const endA = this.endpoints.get(a);
    const endB = this.endpoints.get(b);
    if (pair.connection !== undefined || endA === undefined || endB === undefined) return;
    const generation = ++pair.generation;
    const direction = (from: string, to: string): Direction => ({
      from, to, queue: [], paused: false, lastAt: -Infinity, random: seededRandom(hash(`${this.seed}:${from}>${to}#${generation}`)),
    });
    const toB = direction(a, b);
    const toA = direction(b, a);
    const connection: Connection = { open: true, ends: new Map(), directions: [toB, toA] };
    // A link closed after the pair linked again must not take the newer link down.
    const closing = (): void => {
      if (pair.connection === connection) this.closedByNode(pair);
    };
    connection.ends.set(a, new SimulatedLink({ peer: b, origin: endB.origin, interest: told(endB), incoming: toA, outgoing: (bytes) => this.transmit(pair, connection, toB, bytes), closing }));
    connection.ends.set(b, new SimulatedLink({ peer: a, origin: endA.origin, interest: told(endA), incoming: toB, outgoing: (bytes) => this.transmit(pair, connection, toA, bytes), closing }));
    pair.connection = connection;
    const up = endA.linkUp(connection.ends.get(a) as SimulatedLink) && endB.linkUp(connection.ends.get(b) as SimulatedLink);
    if (!up) this.disconnect(pair);
  }

  /** Closes the pair's link: what is in flight is lost, and each side that is up sees its link drop. */
  private disconnect(pair: Pair): void {
    const connection = pair.connection;
    if (connection === undefined) return;
    pair.connection = undefined;
    connection.open = false;
    for (const d of connection.directions) d.queue.length = 0;
    for (const [node, link] of connection.ends) this.endpoints.get(node)?.linkDown(link);
  }

  /** A node closed the link: it drops, and is dialed again after the node's backoff. */
  private closedByNode(pair: Pair): void {
    this.disconnect(pair);
    this.time.setTimeout(() => {
      if (!pair.cut) this.connect(pair.a, pair.b);
    }, backoffDelay(0, {}, this.random));
  }

  private transmit(pair: Pair, connection: Connection, direction: Direction, bytes: Uint8Array): void {
    if (!connection.open) return;
    const jitter = this.jitterMs > 0 ? Math.floor(direction.random() * (this.jitterMs + 1)) : 0;
    const at = Math.max(this.time.now() + pair.delayMs + jitter, direction.lastAt);
    direction.lastAt = at;
    direction.queue.push({ bytes, at });
  }
}
