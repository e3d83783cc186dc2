/**
 * Pushes a node's inspection frames to a Stately inspector server (`createInspectorServer`
 * from `@statelyai/inspect/server`, a relay that hands every frame to the browser page).
 *
 * The client dials the server and redials with backoff when it is down or goes away.
 * Meanwhile it keeps the newest frames (a bounded number, the oldest dropped). On every
 * connect it first sends an `@xstate.actor` for every current actor, as they are now, then
 * the kept frames other than actor announcements (the fresh ones replace those), then
 * live frames. The server's own frames (what other clients send) are ignored.
 */
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import type { Clock, TimerHandle } from './clock.js';

/** Options of {@link InspectorClient}. */
export interface InspectorClientOptions {
  /** The inspector server, `ws://localhost:8080`. */
  readonly url: string;
  readonly log: Logger;
  readonly clock: Clock;
  readonly backoff?: BackoffOptions;
  /** Frames kept while the server is unreachable. [default 1000] */
  readonly keep?: number;
  /** The `@xstate.actor` frames of every current actor, sent first on each connect. */
  readonly current: () => string[];
}

/** A server whose unsent frames pass this many bytes is dropped and redialed. [8 MiB] */
const MAX_BACKLOG = 8 * 1024 * 1024;

/** A frame kept for later, and whether it announces an actor. */
interface Kept {
  readonly frame: string;
  readonly announces: boolean;
}

/** A reconnecting WebSocket client that sends inspection frames to one server. */
export class InspectorClient {
  private readonly options: InspectorClientOptions;
  private readonly keep: number;
  private ws: WebSocket | undefined;
  private open = false;
  private kept: Kept[] = [];
  private dropped = 0;
  private attempt = 0;
  private retry: TimerHandle | undefined;
  private stopped = false;

  constructor(options: InspectorClientOptions) {
    this.options = options;
    this.keep = options.keep ?? 1000;
  }

  /** Starts dialing. */
  start(): void {
    this.dial();
  }

  /** Sends `frame` now, or keeps it until the server is reachable. */
  push(frame: string, announces: boolean): void {
    const ws = this.ws;
    if (this.open && ws !== undefined) {
      if (ws.bufferedAmount <= MAX_BACKLOG) {
        ws.send(frame);
        return;
      }
      // Too slow: start over, which re-sends every actor as it is by then.
      this.options.log.warn({ url: this.options.url, backlog: ws.bufferedAmount }, 'the inspector server cannot keep up; reconnecting');
      this.open = false;
      ws.terminate();
    }
    this.kept.push({ frame, announces });
    if (this.kept.length > this.keep) {
      this.kept.shift();
      this.dropped++;
    }
  }

  /** Closes the connection and stops redialing. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.options.clock.clearTimeout(this.retry);
    const ws = this.ws;
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(1001, 'node shutting down');
    const timer = this.options.clock.setTimeout(() => ws.terminate(), 500);
    await closed;
    this.options.clock.clearTimeout(timer);
  }

  private dial(): void {
    if (this.stopped) return;
    const client = this;
    const ws = new WebSocket(this.options.url, { perMessageDeflate: false, handshakeTimeout: 10_000 });
    this.ws = ws;
    ws.on('open', function inspectorOnOpen() {
      client.connected(ws);
    });
    ws.on('error', function inspectorOnError(err) {
      // Said once per outage; 'close' follows and redials.
      const log = client.attempt === 0 ? client.options.log.warn : client.options.log.debug;
      log.call(client.options.log, { url: client.options.url, err: err.message }, 'inspector server unreachable; retrying');
    });
    ws.on('close', function inspectorOnClose() {
      client.disconnected(ws);
    });
  }

  private connected(ws: WebSocket): void {
    this.open = true;
    this.options.log.info({ url: this.options.url, dropped: this.dropped }, 'pushing inspection events');
    this.attempt = 0;
    for (const frame of this.options.current()) ws.send(frame);
    for (const { frame, announces } of this.kept) if (!announces) ws.send(frame);
    this.kept = [];
    this.dropped = 0;
  }

  private disconnected(ws: WebSocket): void {
    if (this.ws !== ws) return;
    const wasOpen = this.open;
    this.open = false;
    this.ws = undefined;
    if (this.stopped) return;
    if (wasOpen) this.options.log.info({ url: this.options.url }, 'inspector server went away; reconnecting');
    const delay = backoffDelay(this.attempt++, this.options.backoff);
    const client = this;
    this.retry = this.options.clock.setTimeout(function inspectorRedial() {
      client.retry = undefined;
      client.dial();
    }, delay);
  }
}
