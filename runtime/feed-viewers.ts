/**
 * The viewers of a node's `/feed`: who is connected, and sending them JSON messages. A
 * message for everyone is serialised once. A viewer that reads too slowly is closed
 * (`TROUPE_FEED_TOO_SLOW`, close code 1013) rather than buffered without bound, and
 * dropped at once; when the last viewer is gone the owner is told, to stop watching.
 */
import WebSocket from 'ws';
import type { FeedMessage } from '../inspector/feed.js';
import { jsonText } from './json-text.js';

/** WebSocket close code for a viewer closed for reading too slowly ("try again later"). */
export const CLOSE_TOO_SLOW = 1013;

/** One connected viewer. */
export interface Viewer {
  readonly socket: WebSocket;
  /** Its hello was sent: deltas go to it from now on. */
  ready: boolean;
  /** The newest log position its hello held; older events are not sent again. */
  helloPos: number;
}

/** Options of {@link FeedViewers}. */
export interface FeedViewersOptions {
  /** Unsent bytes at which a viewer is closed as too slow. */
  readonly maxBufferedBytes: number;
  /** The last viewer left or was closed. */
  readonly emptied: () => void;
}

/** Every viewer of one feed. */
export class FeedViewers {
  private readonly viewers = new Set<Viewer>();
  private readonly maxBufferedBytes: number;
  private readonly emptied: () => void;

  constructor(options: FeedViewersOptions) {
    this.maxBufferedBytes = options.maxBufferedBytes;
    this.emptied = options.emptied;
  }

  /** Viewers connected right now. */
  get size(): number {
    return this.viewers.size;
  }

  /** A newly connected viewer, not ready for deltas until its hello is sent. */
  add(socket: WebSocket): Viewer {
    const viewer: Viewer = { socket, ready: false, helloPos: 0 };
    this.viewers.add(viewer);
    return viewer;
  }

  /** Forgets a viewer that left or was closed; the last one gone empties the feed. */
  drop(viewer: Viewer): void {
    if (!this.viewers.delete(viewer)) return;
    if (this.viewers.size === 0) this.emptied();
  }

  /** Closes every viewer with `reason` (code 1001, going away). */
  closeAll(reason: string): void {
    for (const viewer of this.viewers) viewer.socket.close(1001, reason);
  }

  /**
   * Sends `message` to every ready viewer, serialised once. `forViewer` may give one viewer
   * another message (`null`: none), as for a viewer whose hello already held some events.
   */
  broadcast(message: FeedMessage, forViewer?: (viewer: Viewer) => FeedMessage | null | undefined): void {
    let text: string | undefined;
    for (const viewer of this.viewers) {
      if (!viewer.ready) continue;
      const own = forViewer?.(viewer);
      if (own === null) continue;
      try {
        this.send(viewer, own !== undefined ? jsonText(own) : (text ??= jsonText(message)));
      } catch {
        // An actor's context that JSON cannot hold (a cycle) leaves this message out, not the node.
        return;
      }
    }
  }

  /** Sends one viewer its own message; throws if JSON cannot hold it. */
  sendTo(viewer: Viewer, message: FeedMessage): void {
    this.send(viewer, jsonText(message));
  }

  private send(viewer: Viewer, text: string): void {
    const { socket } = viewer;
    if (socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > this.maxBufferedBytes) {
      viewer.ready = false;
      socket.close(CLOSE_TOO_SLOW, closeReason(`TROUPE_FEED_TOO_SLOW: over ${this.maxBufferedBytes} bytes unread; reconnect to start over`));
      this.drop(viewer);
      return;
    }
    socket.send(text);
  }
}

/** A close reason cut to the 123 bytes a close frame holds (ws throws on a longer one). */
export function closeReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  // Cut by characters: bytes cut inside one would decode to a longer replacement character.
  let cut = reason.slice(0, 120);
  while (Buffer.byteLength(cut) > 120) cut = cut.slice(0, -1);
  return `${cut}...`;
}
