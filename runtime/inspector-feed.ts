/**
 * The inspector's live feed: the `/feed` WebSocket of every node (messages in
 * inspector/feed.ts). A viewer gets a `hello` with the node's whole state — status, actors,
 * the newest events of the log with what they made the actors do, held-back events with
 * what they wait for, dead letters — and then deltas: `events` per commit, `actors` whose
 * state a commit changed, `deadLetters` and `heldBack` and `status` when they changed. The
 * fabric tells of commits as they land; deltas gather and go out together at most every
 * quarter second, so a busy node sends a few large messages rather than a stream of small
 * ones. Status and held-back events change without a commit too (acks shrink outboxes,
 * arrivals wait), so each round compares them with what was last sent.
 *
 * Nothing is observed and nothing built while no viewer is connected. A viewer that reads
 * too slowly is closed (`TROUPE_FEED_TOO_SLOW`) rather than buffered without bound. Only
 * pages from loopback origins may connect: a browser sends any site's Origin with a
 * WebSocket request, and a foreign site must not read the feed or cut links
 * (cross-site WebSocket hijacking), so others are refused with 403.
 *
 * A viewer may ask to cut or heal a link (nodes started with `--chaos`) and to replay a
 * dead letter; each request gets a reply with its `ref`, and a bad one changes nothing.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import type { FeedEvent, FeedMessage, FeedReply, HeldBackEvent } from '../inspector/feed.js';
import type { Envelope } from '../protocol/envelope.js';
import { isTroupeError, TroupeError } from '../protocol/troupe-error.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import type { CommitNotice, Fabric } from './fabric.js';
import { waitingFor } from './held-back.js';
import type { Host } from './host.js';
import type { LinkCutter } from './link-cutter.js';
import { nodeStatus } from './node-status.js';
import type { Store } from './store.js';
import { isLoopbackOrigin, refuseUpgrade } from './upgrade-gate.js';

/** Newest log events a `hello` carries. */
export const HELLO_EVENTS = 1000;
/** Held-back events a message lists at most (the oldest, which the rest wait behind). */
const MAX_HELD_BACK = 1000;
/** A request is a small JSON object. */
const MAX_REQUEST_BYTES = 64 * 1024;
/** WebSocket close code for a viewer closed for reading too slowly ("try again later"). */
export const CLOSE_TOO_SLOW = 1013;

/** What the feed reads from and acts on. */
export interface FeedContext {
  readonly fabric: Fabric;
  readonly host: Host;
  readonly store: Store;
  /** Set when the node takes cut/heal requests (`--chaos`). */
  readonly chaos?: LinkCutter;
}

/** Options of {@link InspectorFeed}. */
export interface InspectorFeedOptions {
  /** Drives the delta rounds. [default systemClock] */
  readonly clock?: Clock;
  /** Time between two rounds of deltas. [default 250 ms] */
  readonly intervalMs?: number;
  /** Unsent bytes at which a viewer is closed as too slow. [default 8 MiB] */
  readonly maxBufferedBytes?: number;
}

interface Viewer {
  readonly socket: WebSocket;
  /** Its hello was sent: deltas go to it from now on. */
  ready: boolean;
  /** The newest log position its hello held; older events are not sent again. */
  helloPos: number;
}

/** The `/feed` WebSocket endpoint of one node. */
export class InspectorFeed {
  private readonly ctx: FeedContext;
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly maxBufferedBytes: number;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_REQUEST_BYTES, perMessageDeflate: false });
  private readonly viewers = new Set<Viewer>();
  private unobserve: (() => void) | undefined;
  private timer: TimerHandle | undefined;
  private closed = false;
  /** Deltas gathered since the last round. */
  private events: FeedEvent[] = [];
  private touched = new Map<string, { readonly service: string; readonly key: string }>();
  private deadLettersChanged = false;
  /** What the last round sent, to send status and held-back events only when they change. */
  private lastStatus = '';
  private lastHeldBack = '[]';
  private heldBackMark = '';

  constructor(ctx: FeedContext, options: InspectorFeedOptions = {}) {
    this.ctx = ctx;
    this.clock = options.clock ?? systemClock;
    this.intervalMs = options.intervalMs ?? 250;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
  }

  /** Viewers connected right now. */
  get size(): number {
    return this.viewers.size;
  }

  /** Takes the HTTP upgrade of a `/feed` request: refuses foreign origins, else opens the feed. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', ignoreSocketError);
    const origin = req.headers.origin;
    if (!isLoopbackOrigin(origin)) {
      refuseUpgrade(socket, 403, 'TROUPE_FORBIDDEN_ORIGIN', `origin ${origin} may not open the feed; only loopback pages may`);
      return;
    }
    if (this.closed) {
      refuseUpgrade(socket, 503, 'TROUPE_NODE_STOPPING', 'the node is shutting down');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connect(ws));
  }

  /** Closes every viewer and stops observing. */
  close(): void {
    this.closed = true;
    for (const viewer of this.viewers) viewer.socket.close(1001, 'the node is stopping');
    this.stopWatching();
    this.wss.close();
  }

  private connect(socket: WebSocket): void {
    const viewer: Viewer = { socket, ready: false, helloPos: 0 };
    this.viewers.add(viewer);
    if (this.viewers.size === 1) this.startWatching();
    const feed = this;
    socket.on('message', function viewerOnMessage(data: RawData, isBinary: boolean) {
      feed.request(viewer, data, isBinary);
    });
    socket.on('close', function viewerOnClose() {
      feed.drop(viewer);
    });
    socket.on('error', ignoreSocketError);
    this.hello(viewer).catch((err: unknown) => socket.close(1011, truncate(`hello failed: ${(err as Error).message}`)));
  }

  /** Forgets a viewer that left or was closed; the last one gone stops the watching. */
  private drop(viewer: Viewer): void {
    if (!this.viewers.delete(viewer)) return;
    if (this.viewers.size === 0) this.stopWatching();
  }

  private startWatching(): void {
    const feed = this;
    this.unobserve = this.ctx.fabric.observe({
      committed(notice) {
        feed.gather(notice);
      },
    });
    this.timer = this.clock.setTimeout(() => this.round(), this.intervalMs);
  }

  private stopWatching(): void {
    this.unobserve?.();
    this.unobserve = undefined;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.events = [];
    this.touched = new Map();
    this.deadLettersChanged = false;
    this.lastStatus = '';
    this.lastHeldBack = '[]';
    this.heldBackMark = '';
  }

  /** Sends a viewer the node's whole state; from then on it gets deltas. */
  private async hello(viewer: Viewer): Promise<void> {
    const { fabric, host, store } = this.ctx;
    const deadLetters = await store.deadLetters();
    const entries = await this.logTail();
    // From here to the send nothing awaits, so nothing commits between this tail and the deltas.
    if (viewer.socket.readyState !== WebSocket.OPEN) return;
    viewer.helloPos = entries.length === 0 ? fabric.size : entries[entries.length - 1].pos;
    const hello: FeedMessage = {
      kind: 'hello',
      status: nodeStatus(fabric, host, this.ctx.chaos),
      actors: host.details(),
      events: entries.map((e) => this.feedEvent(e, e.pos)),
      heldBack: this.heldBack(),
      deadLetters,
    };
    viewer.ready = true;
    this.send(viewer, toJson(hello));
  }

  /** The newest {@link HELLO_EVENTS} log events, read until the log's end as it is when the read returns. */
  private async logTail(): Promise<(Envelope & { readonly pos: number })[]> {
    const { fabric } = this.ctx;
    let from = Math.max(1, fabric.size - HELLO_EVENTS + 1);
    const out: (Envelope & { readonly pos: number })[] = [];
    while (from <= fabric.size) {
      // A read stops at a byte budget; the loop reads on, and catches commits made meanwhile.
      const page = await fabric.read(from, fabric.size - from + 1);
      if (page.length === 0) break;
      out.push(...page);
      from = page[page.length - 1].pos + 1;
    }
    return out.length > HELLO_EVENTS ? out.slice(out.length - HELLO_EVENTS) : out;
  }

  private gather(notice: CommitNotice): void {
    for (const { envelope, pos } of notice.events) this.events.push(this.feedEvent(envelope, pos));
    for (const record of notice.actors) this.touched.set(`${record.service}\u0000${record.key}`, { service: record.service, key: record.key });
    if (notice.deadLetters.length > 0 || notice.removedDeadLetters.length > 0) this.deadLettersChanged = true;
  }

  /** One round: sends what gathered, and status and held-back events if they changed. */
  private round(): void {
    this.timer = undefined;
    if (this.viewers.size === 0) return;
    try {
      this.sendDeltas();
    } finally {
      // Runs on a timer: whatever went wrong, the next round still comes.
      if (this.viewers.size > 0) this.timer = this.clock.setTimeout(() => this.round(), this.intervalMs);
    }
  }

  private sendDeltas(): void {
    const { fabric, host } = this.ctx;
    if (this.events.length > 0) {
      const events = this.events;
      this.events = [];
      this.broadcast({ kind: 'events', events }, (viewer) => {
        if (viewer.helloPos < events[0].pos) return undefined;
        const newer = events.filter((e) => e.pos > viewer.helloPos);
        return newer.length === 0 ? null : { kind: 'events', events: newer };
      });
    }
    if (this.touched.size > 0) {
      const actors = [...this.touched.values()].flatMap(({ service, key }) => host.detail(service, key) ?? []);
      this.touched = new Map();
      if (actors.length > 0) this.broadcast({ kind: 'actors', actors });
    }
    if (this.deadLettersChanged) {
      this.deadLettersChanged = false;
      this.ctx.store.deadLetters().then(
        (deadLetters) => this.broadcast({ kind: 'deadLetters', deadLetters }),
        () => (this.deadLettersChanged = true),
      );
    }
    const status = nodeStatus(fabric, host, this.ctx.chaos);
    const statusText = JSON.stringify(status);
    if (statusText !== this.lastStatus) {
      this.lastStatus = statusText;
      this.broadcast({ kind: 'status', status });
    }
    // Held-back events change only with the buffer's size or the clock they wait on.
    const mark = `${fabric.buffered}|${statusText}`;
    if (mark !== this.heldBackMark) {
      this.heldBackMark = mark;
      const heldBack = this.heldBack();
      const heldBackText = JSON.stringify(heldBack);
      if (heldBackText !== this.lastHeldBack) {
        this.lastHeldBack = heldBackText;
        this.broadcast({ kind: 'heldBack', heldBack });
      }
    }
  }

  /**
   * Sends `message` to every ready viewer, serialised once. `forViewer` may give one viewer
   * another message (`null`: none), as for a viewer whose hello already held some events.
   */
  private broadcast(message: FeedMessage, forViewer?: (viewer: Viewer) => FeedMessage | null | undefined): void {
    let text: string | undefined;
    for (const viewer of this.viewers) {
      if (!viewer.ready) continue;
      const own = forViewer?.(viewer);
      if (own === null) continue;
      try {
        this.send(viewer, own !== undefined ? toJson(own) : (text ??= toJson(message)));
      } catch {
        // An actor's context that JSON cannot hold (a cycle) leaves this message out, not the node.
        return;
      }
    }
  }

  private send(viewer: Viewer, text: string): void {
    const { socket } = viewer;
    if (socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > this.maxBufferedBytes) {
      viewer.ready = false;
      socket.close(CLOSE_TOO_SLOW, truncate(`TROUPE_FEED_TOO_SLOW: over ${this.maxBufferedBytes} bytes unread; reconnect to start over`));
      this.drop(viewer);
      return;
    }
    socket.send(text);
  }

  private heldBack(): HeldBackEvent[] {
    const clock = this.ctx.fabric.clock;
    return this.ctx.fabric
      .heldBack()
      .slice(0, MAX_HELD_BACK)
      .map((e) => ({ id: e.id, type: e.type, origin: e.origin, seq: e.seq, correlationId: e.correlationId, waitingFor: waitingFor(e, clock) }));
  }

  private feedEvent(e: Envelope, pos: number): FeedEvent {
    return {
      pos,
      id: e.id,
      type: e.type,
      origin: e.origin,
      seq: e.seq,
      vc: e.vc,
      correlationId: e.correlationId,
      causationId: e.causationId,
      ts: e.ts,
      data: e.data,
      transitions: this.ctx.host.transitionsAt(pos),
    };
  }

  /** Handles one request and replies; a bad one gets an error reply and changes nothing. */
  private request(viewer: Viewer, data: RawData, isBinary: boolean): void {
    let parsed: unknown;
    try {
      if (isBinary) throw new Error('binary');
      parsed = JSON.parse(rawText(data));
    } catch {
      this.reply(viewer, 0, new TroupeError('TROUPE_BAD_REQUEST', 'a request must be a JSON text message'));
      return;
    }
    const request = (parsed !== null && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
    const ref = typeof request.ref === 'number' && Number.isFinite(request.ref) ? request.ref : 0;
    this.perform(request).then(
      () => this.reply(viewer, ref),
      (err: unknown) => this.reply(viewer, ref, err),
    );
  }

  private async perform(request: Record<string, unknown>): Promise<void> {
    const { op } = request;
    if (typeof request.ref !== 'number' || !Number.isFinite(request.ref)) throw badRequest('`ref` must be a number');
    if (op === 'cut' || op === 'heal') {
      const peer = nonEmpty(request.peer, 'peer');
      const chaos = this.ctx.chaos;
      if (chaos === undefined) throw new TroupeError('TROUPE_CHAOS_DISABLED', 'this node takes no cut/heal requests; start it with --chaos');
      if (!this.ctx.fabric.peerViews().some((p) => p.id === peer)) throw new TroupeError('TROUPE_NOT_FOUND', `no peer ${peer}`);
      if (op === 'cut') chaos.cut(peer);
      else chaos.heal(peer);
      return;
    }
    if (op === 'replay') {
      const service = nonEmpty(request.service, 'service');
      const eventId = nonEmpty(request.eventId, 'eventId');
      const letter = await this.ctx.store.deadLetter(service, eventId);
      if (letter === undefined) throw new TroupeError('TROUPE_NOT_FOUND', `no dead letter for ${eventId} in ${service}`);
      await this.ctx.fabric.replay(letter);
      return;
    }
    throw badRequest(`unknown op ${JSON.stringify(op)}; expected cut, heal or replay`);
  }

  private reply(viewer: Viewer, ref: number, err?: unknown): void {
    const reply: FeedReply =
      err === undefined
        ? { kind: 'reply', ref, ok: true }
        : {
            kind: 'reply',
            ref,
            ok: false,
            error: isTroupeError(err)
              ? { code: err.code, message: err.message }
              : { code: 'TROUPE_SERVICE_FAILED', message: err instanceof Error ? err.message : String(err) },
          };
    const { socket } = viewer;
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(reply));
  }
}

function nonEmpty(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '' || value.length > 256) throw badRequest(`\`${name}\` must be a string of 1 to 256 characters`);
  return value;
}

function badRequest(message: string): TroupeError {
  return new TroupeError('TROUPE_BAD_REQUEST', message);
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

/** JSON of a feed message; `bigint`s in actors' contexts or events' data become strings. */
function toJson(value: unknown): string {
  return JSON.stringify(value, function bigintAsString(_key, v: unknown) {
    return typeof v === 'bigint' ? v.toString() : v;
  });
}

/** A close reason fits in 123 bytes. */
function truncate(reason: string): string {
  return Buffer.byteLength(reason) <= 123 ? reason : `${Buffer.from(reason).subarray(0, 120).toString('utf8')}...`;
}

function ignoreSocketError(): void {}
