/**
 * One node's `/feed` WebSocket: parses its JSON frames into {@link FeedMessage}s, matches
 * replies to requests by `ref`, and reconnects a dropped feed with exponential backoff
 * and jitter (0.5 s doubling to 10 s), telling the page whether the node is reachable.
 */
import type { FeedMessage, FeedReply, FeedRequest } from './feed.js';

/** What a feed tells its owner. */
export interface FeedHandlers {
  message(message: FeedMessage): void;
  /** The feed opened (`true`) or dropped (`false`). */
  reachable(up: boolean): void;
}

/** A request without its `ref`; the client numbers it. */
export type FeedAsk = FeedRequest extends infer R ? (R extends FeedRequest ? Omit<R, 'ref'> : never) : never;

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

/** The `/feed` URL of a node whose admin API is at `admin` (`http://127.0.0.1:4001`). */
export function feedUrl(admin: string): string {
  const url = new URL('/feed', admin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** A self-reconnecting feed. */
export class FeedClient {
  private socket?: WebSocket;
  private delay = FIRST_DELAY_MS;
  private nextRef = 1;
  private readonly pending = new Map<number, (reply: FeedReply) => void>();
  private retry?: ReturnType<typeof setTimeout>;

  constructor(
    readonly url: string,
    private readonly handlers: FeedHandlers,
  ) {
    this.connect();
  }

  /** Sends a request; resolves with the node's reply, or a failed reply when the feed is down. */
  request(ask: FeedAsk): Promise<FeedReply> {
    const ref = this.nextRef++;
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) {
      return Promise.resolve({ kind: 'reply', ref, ok: false, error: { code: 'INSPECTOR_FEED_DOWN', message: `the feed ${this.url} is not open` } });
    }
    return new Promise((resolve) => {
      this.pending.set(ref, resolve);
      socket.send(JSON.stringify({ ...ask, ref }));
    });
  }

  private connect(): void {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    const feedOnOpen = (): void => {
      this.delay = FIRST_DELAY_MS;
      this.handlers.reachable(true);
    };
    const feedOnMessage = (event: MessageEvent): void => {
      let message: FeedMessage;
      try {
        message = JSON.parse(String(event.data)) as FeedMessage;
      } catch {
        return;
      }
      if (message.kind === 'reply') {
        this.pending.get(message.ref)?.(message);
        this.pending.delete(message.ref);
        return;
      }
      this.handlers.message(message);
    };
    const feedOnClose = (): void => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      for (const [ref, resolve] of this.pending) resolve({ kind: 'reply', ref, ok: false, error: { code: 'INSPECTOR_FEED_DOWN', message: 'the feed closed before replying' } });
      this.pending.clear();
      this.handlers.reachable(false);
      const wait = this.delay * (0.75 + Math.random() * 0.5);
      this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
      this.retry = setTimeout(() => this.connect(), wait);
    };
    socket.addEventListener('open', feedOnOpen);
    socket.addEventListener('message', feedOnMessage);
    socket.addEventListener('close', feedOnClose);
  }

  /** Closes the feed for good. */
  close(): void {
    clearTimeout(this.retry);
    const socket = this.socket;
    this.socket = undefined;
    socket?.close();
  }
}
