/**
 * A viewer of a node's `/feed` for tests: a `ws` client that queues the messages it gets,
 * so a test can take the next one of a kind (with a deadline) and send requests.
 */
import WebSocket from 'ws';
import type { FeedMessage, FeedRequest } from '../../inspector/feed.js';
import { waitFor } from './wait-for.js';

/** A connected feed viewer. */
export class FeedClient {
  /** Messages received and not yet taken, oldest first. */
  readonly inbox: FeedMessage[] = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly socket: WebSocket) {
    const client = this;
    socket.on('message', function feedClientOnMessage(data: WebSocket.RawData) {
      client.inbox.push(JSON.parse(String(data)) as FeedMessage);
    });
    socket.on('close', function feedClientOnClose(code: number, reason: Buffer) {
      client.closed = { code, reason: reason.toString() };
    });
  }

  /** Opens `/feed` of the node at `baseUrl` (`http://…`), with `origin` if given. */
  static connect(baseUrl: string, origin?: string): Promise<FeedClient> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/feed`, origin === undefined ? {} : { origin });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new FeedClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Takes the first queued message of `kind` (waiting up to `timeout` ms); messages before it stay queued. */
  async next<K extends FeedMessage['kind']>(kind: K, timeout = 10_000): Promise<Extract<FeedMessage, { kind: K }>> {
    const i = await waitFor(() => this.inbox.findIndex((m) => m.kind === kind), {
      message: () => `a ${kind} message on the feed (got: ${this.inbox.map((m) => m.kind).join(', ') || 'nothing'})`,
      until: (index) => index >= 0,
      timeout,
      interval: 5,
    });
    return this.inbox.splice(i, 1)[0] as Extract<FeedMessage, { kind: K }>;
  }

  /** Sends a request (or any text) and waits for the reply with its `ref` (0 for a request it could not read). */
  async ask(request: FeedRequest | string, ref = typeof request === 'string' ? 0 : request.ref): Promise<Extract<FeedMessage, { kind: 'reply' }>> {
    this.socket.send(typeof request === 'string' ? request : JSON.stringify(request));
    const i = await waitFor(() => this.inbox.findIndex((m) => m.kind === 'reply' && m.ref === ref), {
      message: `the reply to request ${ref}`,
      until: (index) => index >= 0,
      timeout: 10_000,
      interval: 5,
    });
    return this.inbox.splice(i, 1)[0] as Extract<FeedMessage, { kind: 'reply' }>;
  }

  close(): void {
    this.socket.close();
  }
}

/** The HTTP status a WebSocket upgrade to `/feed` is refused with, or `101` if it is accepted. */
export function upgradeStatus(baseUrl: string, origin: string | undefined): Promise<number> {
  return wsUpgradeStatus(`${baseUrl.replace(/^http/, 'ws')}/feed`, origin === undefined ? {} : { origin });
}

/** The HTTP status a WebSocket upgrade to `url` with `headers` gets, or `101` when it is taken. */
export function wsUpgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  const socket = new WebSocket(url, { headers });
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      socket.terminate();
      resolve(res.statusCode ?? 0);
    });
    socket.once('error', (err) => reject(err));
  });
}
