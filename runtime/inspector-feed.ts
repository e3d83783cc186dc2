/**
 * The inspector's live feed: the `/feed` WebSocket of every node (messages in
 * inspector/feed.ts). A viewer gets a `hello` with the node's whole state — status, actors,
 * the newest events of the log with what they made the actors do, held-back events with
 * what they wait for, dead letters — and then deltas: `events` per commit, `actors` whose
 * state a commit changed, `deadLetters` and `heldBack` and `status` when they changed,
 * gathered and sent in rounds at most every quarter second (`feed-rounds.ts`).
 *
 * Nothing is observed and nothing built while no viewer is connected. A viewer that reads
 * too slowly is closed (`TROUPE_FEED_TOO_SLOW`, `feed-viewers.ts`) rather than buffered
 * without bound. Only
 * pages from loopback origins may connect: a browser sends any site's Origin with a
 * WebSocket request, and a foreign site must not read the feed or cut links
 * (cross-site WebSocket hijacking), so others are refused with 403.
 *
 * A viewer may ask to cut or heal a link (nodes started with `--chaos`) and to replay a
 * dead letter (`feed-requests.ts`); each request gets a reply with its `ref`, and a bad
 * one changes nothing.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import type { FeedMessage } from '../inspector/feed.js';
import type { Envelope } from '../protocol/envelope.js';
import { systemClock, type Clock } from './clock.js';
import type { Fabric } from './fabric.js';
import { feedEvent, heldBackEvents } from './feed-events.js';
import { answerFeedRequest } from './feed-requests.js';
import { FeedRounds } from './feed-rounds.js';
import { closeReason, FeedViewers, type Viewer } from './feed-viewers.js';
import type { Host } from './host.js';
import type { LinkCutter } from './link-cutter.js';
import { LogCompactedError } from './log-compaction.js';
import { nodeStatus } from './node-status.js';
import type { Store } from './store.js';
import { admitUpgrade } from './upgrade-gate.js';

export { CLOSE_TOO_SLOW } from './feed-viewers.js';

/** Newest log events a `hello` carries. */
export const HELLO_EVENTS = 1000;
/** A request is a small JSON object. */
const MAX_REQUEST_BYTES = 64 * 1024;

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

/** The `/feed` WebSocket endpoint of one node. */
export class InspectorFeed {
  private readonly ctx: FeedContext;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_REQUEST_BYTES, perMessageDeflate: false });
  private readonly viewers: FeedViewers;
  private readonly rounds: FeedRounds;
  private closed = false;

  constructor(ctx: FeedContext, options: InspectorFeedOptions = {}) {
    this.ctx = ctx;
    // The last viewer gone, nothing is watched until the next one comes.
    this.viewers = new FeedViewers({ maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024, emptied: () => this.rounds.stop() });
    this.rounds = new FeedRounds(ctx, { viewers: this.viewers, clock: options.clock ?? systemClock, intervalMs: options.intervalMs ?? 250 });
  }

  /** Viewers connected right now. */
  get size(): number {
    return this.viewers.size;
  }

  /** Takes the HTTP upgrade of a `/feed` request: refuses foreign origins, else opens the feed. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', ignoreSocketError);
    if (!admitUpgrade(req, socket, this.closed, 'open the feed; only loopback pages may')) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connect(ws));
  }

  /** Closes every viewer and stops observing. */
  close(): void {
    this.closed = true;
    this.viewers.closeAll('the node is stopping');
    this.rounds.stop();
    this.wss.close();
  }

  private connect(socket: WebSocket): void {
    const viewer = this.viewers.add(socket);
    if (this.viewers.size === 1) this.rounds.start();
    const { ctx, viewers } = this;
    socket.on('message', function viewerOnMessage(data: RawData, isBinary: boolean) {
      // A viewer this node closed (too slow, stopping) has no request carried out.
      if (socket.readyState !== WebSocket.OPEN) return;
      void answerFeedRequest(ctx, data, isBinary).then(function replyToViewer(reply) {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(reply));
      });
    });
    socket.on('close', function viewerOnClose() {
      viewers.drop(viewer);
    });
    socket.on('error', ignoreSocketError);
    this.hello(viewer).catch((err: unknown) => socket.close(1011, closeReason(`hello failed: ${(err as Error).message}`)));
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
      events: entries.map((e) => feedEvent(host, e, e.pos)),
      heldBack: heldBackEvents(fabric),
      deadLetters,
    };
    viewer.ready = true;
    this.viewers.sendTo(viewer, hello);
  }

  /** The newest {@link HELLO_EVENTS} log events, read until the log's end as it is when the read returns. */
  private async logTail(): Promise<(Envelope & { readonly pos: number })[]> {
    const { fabric } = this.ctx;
    // Never below what the log retains (`log-compaction.ts`).
    let from = Math.max(fabric.logStart, fabric.size - HELLO_EVENTS + 1);
    const out: (Envelope & { readonly pos: number })[] = [];
    while (from <= fabric.size) {
      // A read stops at a byte budget; the loop reads on, and catches commits made meanwhile.
      let page;
      try {
        page = await fabric.read(from, fabric.size - from + 1);
      } catch (err) {
        // Compacted meanwhile: what was read stays, the rest is read from the new start.
        if (!(err instanceof LogCompactedError)) throw err;
        from = err.first;
        continue;
      }
      if (page.length === 0) break;
      out.push(...page);
      from = page[page.length - 1].pos + 1;
    }
    return out.length > HELLO_EVENTS ? out.slice(out.length - HELLO_EVENTS) : out;
  }
}

function ignoreSocketError(): void {}
