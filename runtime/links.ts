/**
 * The node's peer links: the WebSocket endpoint on the node's one HTTP port, and one
 * dialer per configured peer URL that reconnects with exponential backoff and jitter.
 * A dialed URL says nothing about who is there: the handshake does.
 *
 * Links can also be cut on purpose ({@link LinkCutter}, for `--chaos`): a cut peer's open
 * link is closed with 4503 and every later connection whose hello names it, dialed or
 * accepted, is refused the same way until it is healed. The dialers keep redialing with
 * backoff meanwhile, as after any drop; healing redials at once every URL where that
 * peer was last found.
 *
 * Two nodes that dial each other keep one link (`link-tie-break.ts`). A dialer whose
 * connection closes while this node is linked to the same peer by another connection
 * (the one the tie-break kept, say) stands aside instead of redialing, and dials again
 * once no link to that peer is left.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES } from '../protocol/codec.js';
import { CLOSE_CODES, newInstanceId } from '../protocol/handshake.js';
import { incarnationOf } from '../protocol/origin.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import type { LinkCutter } from './link-cutter.js';
import { PeerConnection, type ConnectionContext } from './peer-connection.js';

/** Options of {@link Links}. */
export interface LinksOptions extends Pick<ConnectionContext, 'id' | 'cluster' | 'secret' | 'identity' | 'fabric' | 'log' | 'relaxed'> {
  /** Peer URLs to dial (`ws://host:port` or `wss://…`). */
  readonly peers: readonly string[];
  readonly clock?: Clock;
  /** Ping interval; a link missing a pong for this long is dropped. [default 5000] */
  readonly heartbeatMs?: number;
  /** Time allowed for a handshake. [default 10000] */
  readonly handshakeMs?: number;
  readonly backoff?: BackoffOptions;
  /** Extra trusted CA certificates (PEM) for dialing `wss://` peers. */
  readonly ca?: Buffer;
}

/**
 * Close codes with which a peer refuses this node after both proofs verified: the dial
 * opened, yet nothing came of it, so the backoff keeps growing instead of redialing at once
 * (a retired node, or a second process under a linked node's id, would redial many times a
 * second, each refusal logged on both sides).
 */
const REFUSED_AFTER_AUTH: ReadonlySet<number> = new Set([CLOSE_CODES.nodeRetired, CLOSE_CODES.duplicateId]);

/** Accepts and dials peer connections; cuts and heals links on request. */
export class Links implements LinkCutter {
  private readonly options: LinksOptions;
  private readonly ctx: ConnectionContext;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<PeerConnection>();
  private readonly retries = new Map<string, TimerHandle>();
  /** Peers whose links this node holds cut. */
  private readonly cuts = new Set<string>();
  /** Who answered at each dialed URL, as its last hello said. */
  private readonly dialedPeers = new Map<string, string>();
  /** Dialed URLs not redialed while this node is linked to the peer found there by another connection. */
  private readonly standingAside = new Map<string, string>();
  /** Dialed URLs whose far end refuses this node as cut: logged once, not at every redial. */
  private readonly refusedAt = new Set<string>();
  private stopped = false;
  private onDrained: (() => void) | undefined;

  constructor(options: LinksOptions) {
    this.options = options;
    this.ctx = {
      id: options.id,
      cluster: options.cluster,
      secret: options.secret,
      identity: options.identity,
      fabric: options.fabric,
      log: options.log,
      clock: options.clock ?? systemClock,
      heartbeatMs: options.heartbeatMs ?? 5000,
      handshakeMs: options.handshakeMs ?? 10_000,
      // The instance id told in hello is the incarnation: peers learn this node's origin from it.
      instance: incarnationOf(options.fabric.origin) || newInstanceId(),
      // Told only by a partial node; a fabric stand-in without interest wants everything.
      interest: options.fabric.interest?.partial === true ? options.fabric.interest.interest : undefined,
      relaxed: options.relaxed,
      isCut: (peer) => this.cuts.has(peer),
      // A fabric stand-in without retirements retires no one.
      isRetired: (peer) => options.fabric.isRetiredNode?.(peer) === true,
      linkTo: (peer) => this.linkTo(peer),
    };
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
    this.wss.on('connection', (ws) => this.serverOnConnection(ws));
    this.wss.on('error', (err) => options.log.warn({ err: err.message }, 'peer endpoint error'));
  }

  /** From now on, tells peers in the handshake that this node's admin API is at `url`. */
  advertise(url: string): void {
    this.ctx.admin = url;
  }

  /** Takes an HTTP upgrade request as a peer connection (the node routes peers' upgrades here). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
  }

  /** Closes the link to `peer` if up and refuses it, dialed or accepted, until {@link heal}. */
  cut(peer: string): void {
    if (this.cuts.has(peer)) return;
    this.cuts.add(peer);
    this.options.log.info({ peer }, 'cutting the link on purpose: the peer is refused until healed');
    for (const conn of this.connections) if (conn.peer === peer) conn.refuseCut();
  }

  /** Lets `peer` link again, and redials at once every URL where it was last found. */
  heal(peer: string): void {
    if (!this.cuts.delete(peer)) return;
    this.options.log.info({ peer }, 'healing the link: the peer is let in and redialed');
    for (const [url, found] of this.dialedPeers) {
      const retry = this.retries.get(url);
      if (found !== peer || retry === undefined) continue;
      this.ctx.clock.clearTimeout(retry);
      this.retries.delete(url);
      this.dial(url, 0);
    }
  }

  /** Whether this node holds the link to `peer` cut. */
  isCut(peer: string): boolean {
    return this.cuts.has(peer);
  }

  /** Starts dialing every configured peer. */
  start(): void {
    for (const url of this.options.peers) this.dial(url, 0);
  }

  /**
   * Closes every connection and stops reconnecting. A peer that does not answer the
   * closing handshake within `graceMs` is cut off, so a dead peer cannot hold up SIGTERM.
   */
  async stop(graceMs = 500): Promise<void> {
    this.stopped = true;
    for (const t of this.retries.values()) this.ctx.clock.clearTimeout(t);
    this.retries.clear();
    this.standingAside.clear();
    const closed = new Promise<void>((resolve) => {
      this.onDrained = resolve;
      if (this.connections.size === 0) resolve();
    });
    for (const c of this.connections) c.close(1001, 'node shutting down');
    let timer: TimerHandle | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timer = this.ctx.clock.setTimeout(resolve, graceMs)))]);
    this.ctx.clock.clearTimeout(timer);
    for (const c of this.connections) c.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private serverOnConnection(ws: WebSocket): void {
    if (this.stopped) return ws.close(1001, 'node shutting down');
    const conn = new PeerConnection(ws, this.ctx, 'accepted');
    this.track(conn);
    conn.begin();
  }

  private track(conn: PeerConnection): void {
    this.connections.add(conn);
    const previous = conn.onClose;
    conn.onClose = (code, reason) => {
      this.connections.delete(conn);
      if (this.connections.size === 0) this.onDrained?.();
      previous?.(code, reason);
      if (conn.peer !== '' && this.linkTo(conn.peer) === undefined) this.stopStandingAside(conn.peer);
    };
  }

  /** The connection that is the link to `peer` right now, if any. */
  private linkTo(peer: string): PeerConnection | undefined {
    for (const c of this.connections) if (c.linked && c.peer === peer) return c;
    return undefined;
  }

  /** No link to `peer` is left: the dialers that stood aside for it dial again. */
  private stopStandingAside(peer: string): void {
    for (const [url, found] of this.standingAside) {
      if (found !== peer) continue;
      this.standingAside.delete(url);
      this.redial(url, 0);
    }
  }

  private dial(url: string, attempt: number): void {
    if (this.stopped) return;
    const ws = new WebSocket(url, {
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      handshakeTimeout: this.ctx.handshakeMs,
      ca: this.options.ca,
    });
    const conn = new PeerConnection(ws, this.ctx, 'dialed');
    let next = attempt + 1;
    conn.onOpen = () => {
      next = 0;
      this.refusedAt.delete(url);
    };
    conn.onClose = (code, reason) => {
      if (REFUSED_AFTER_AUTH.has(code)) next = attempt + 1; // authenticated, then refused: no success to reset the backoff for
      if (conn.peer !== '') this.dialedPeers.set(url, conn.peer);
      this.noteRefusal(url, conn.peer, code, reason);
      if (conn.peer !== '' && this.linkTo(conn.peer) !== undefined) {
        this.options.log.debug({ url, peer: conn.peer }, 'linked to that peer by another connection: not redialing until that link goes down');
        this.standingAside.set(url, conn.peer);
        return;
      }
      this.redial(url, next);
    };
    this.track(conn);
    ws.on('open', () => conn.begin());
  }

  /** Logs once that the far end of `url` holds its link to this node cut; the redials go on quietly. */
  private noteRefusal(url: string, peer: string, code: number, reason: string): void {
    if (code !== CLOSE_CODES.linkCut) return void this.refusedAt.delete(url);
    // This node's own refusal of a peer it cut, echoed back, is no news.
    if (this.cuts.has(peer) || this.refusedAt.has(url)) return;
    this.refusedAt.add(url);
    this.options.log.info({ url, peer: peer || undefined, code, reason }, 'the peer refuses this node (link cut on its side); redialing with backoff');
  }

  private redial(url: string, attempt: number): void {
    if (this.stopped) return;
    const delay = backoffDelay(attempt, this.options.backoff);
    if (attempt > 0) this.options.log.debug({ url, attempt, delay: Math.round(delay) }, 'redialing peer');
    this.retries.set(
      url,
      this.ctx.clock.setTimeout(() => {
        this.retries.delete(url);
        this.dial(url, attempt);
      }, delay),
    );
  }
}
