/**
 * A client of one troupe node for an application in another process: publish events and
 * follow the node's log over the node's `/client` WebSocket (`PROTOCOL.md`, "Client
 * protocol").
 *
 * `publish()` resolves once the event is committed on the node, as `POST /events` does;
 * any number may be in flight, and those made together leave in one message
 * (`publish-queue.ts`, `scheduleFlush`). `subscribe()` is an async iterator of committed
 * events in the node's delivery order, within a window the consumer's pace opens
 * (`subscription-stream.ts`).
 *
 * When the connection drops, the client reconnects with backoff; publishes that were in
 * flight fail with `TROUPE_CLIENT_DISCONNECTED` (whether the node committed them is
 * unknown), queued ones are sent on the new connection, and every subscription resumes
 * from the position after the last event it saw.
 */
import WebSocket, { type RawData } from 'ws';
import { backoffDelay, type BackoffOptions } from '../runtime/backoff.js';
import { decodeReply, encodeControl, encodePublish, MAX_CLIENT_MESSAGE_BYTES, wirePublish } from '../protocol/client-codec.js';
import type { ClientLogEntry, ClientPublishInput, ClientReply, CreditRequest, PublishAck, SubscribeRequest, UnsubscribeRequest } from '../protocol/client-message.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { PublishQueue, type PublishQueueOptions } from './publish-queue.js';
import { SubscriptionStream, type SubscribeOptions } from './subscription-stream.js';

/** Options of {@link connect}. */
export interface ClientOptions extends PublishQueueOptions {
  /** The node's admin token, sent as `Authorization: Bearer <token>` on the upgrade. */
  readonly token?: string;
  /** How long the first connection may take (ms). [default 10000] */
  readonly connectTimeoutMs?: number;
  /** Reconnect delays after a dropped connection. [default 100 ms growing to 5 s] */
  readonly backoff?: BackoffOptions;
  /** Certificate authorities to trust for `wss://` beside the system's (PEM). */
  readonly ca?: Buffer;
  /** Told when the connection drops and comes back (for logging). */
  readonly onConnection?: (connected: boolean, reason?: string) => void;
}

/**
 * Connects to a node: `ws://host:port` (or `wss://`, or its admin URL `http(s)://host:port`);
 * resolves once the node has greeted the client.
 * @throws TroupeError `TROUPE_NODE_UNREACHABLE` when the node does not take the connection.
 * @example
 * const client = await connect('ws://127.0.0.1:7401');
 * await client.publish({ type: 'OrderPlaced', data: { orderId: 'o-1' } });
 * for await (const e of client.subscribe({ types: ['OrderShipped'] })) console.log(e.data);
 */
export async function connect(url: string, options: ClientOptions = {}): Promise<TroupeClient> {
  const client = new TroupeClient(clientUrl(url), options);
  await client.opened;
  return client;
}

/** The `/client` WebSocket URL of a node URL. */
export function clientUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TroupeError('TROUPE_BAD_REQUEST', `${raw} is not a URL`);
  }
  const schemes: Record<string, string> = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' };
  const scheme = schemes[url.protocol];
  if (scheme === undefined) throw new TroupeError('TROUPE_BAD_REQUEST', `${raw}: a node URL is ws://, wss://, http:// or https://`);
  url.protocol = scheme;
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/client';
  return url.toString();
}

/** A connection to one node; see {@link connect}. */
export class TroupeClient {
  /** Resolves once first connected; rejects if the first connection fails. */
  readonly opened: Promise<void>;
  private readonly url: string;
  private readonly options: ClientOptions;
  private readonly queue: PublishQueue;
  private readonly streams = new Map<number, SubscriptionStream>();
  private ws: WebSocket | undefined;
  private ready = false;
  private closing = false;
  private everOpened = false;
  private attempts = 0;
  private lastSub = 0;
  private flushing = false;
  private retry: NodeJS.Timeout | undefined;
  private nodeId = '';
  private settleOpened: { resolve: () => void; reject: (err: TroupeError) => void } | undefined;

  constructor(url: string, options: ClientOptions = {}) {
    this.url = url;
    this.options = options;
    this.queue = new PublishQueue(options);
    this.opened = new Promise((resolve, reject) => (this.settleOpened = { resolve, reject }));
    this.open();
  }

  /** The id of the node at the other end (known once connected). */
  get node(): string {
    return this.nodeId;
  }

  /** Whether the connection is up now. */
  get connected(): boolean {
    return this.ready;
  }

  /**
   * Publishes an event through the node; resolves with its id, origin, seq, clock and
   * correlation id once it is committed there.
   * @throws TroupeError as `POST /events` answers (`TROUPE_BAD_REQUEST`, `TROUPE_NODE_STOPPING`, …),
   *   `TROUPE_PROTOCOL_BAD_EVENT` for data that cannot be encoded, `TROUPE_CLIENT_DISCONNECTED`
   *   when the connection dropped while it was in flight, `TROUPE_CLIENT_CLOSED` after `close()`.
   */
  publish(input: ClientPublishInput): Promise<PublishAck> {
    if (this.closing) return Promise.reject(closedError());
    let published: Promise<PublishAck>;
    try {
      published = this.queue.add(wirePublish(input));
    } catch (err) {
      return Promise.reject(err);
    }
    this.scheduleFlush();
    return published;
  }

  /** Follows the node's log: committed events in its delivery order. `break` out of the loop to stop. */
  subscribe(options: SubscribeOptions = {}): AsyncIterableIterator<ClientLogEntry> & { readonly position: number | undefined } {
    const client = this;
    const stream = new SubscriptionStream(++this.lastSub, options, {
      send: (request) => client.sendControl(request),
      ended: (sub) => client.streams.delete(sub),
    });
    if (this.closing) {
      stream.closed();
      return stream;
    }
    this.streams.set(stream.sub, stream);
    if (this.ready) this.sendControl(stream.subscribeRequest());
    return stream;
  }

  /** Closes the connection: queued and in-flight publishes fail with `TROUPE_CLIENT_CLOSED`, subscriptions end. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.retry);
    this.queue.failAll(closedError());
    for (const stream of [...this.streams.values()]) stream.closed();
    this.settleOpened?.reject(closedError());
    const ws = this.ws;
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1000, 'client closing');
    });
  }

  private open(): void {
    const headers = this.options.token === undefined ? undefined : { authorization: `Bearer ${this.options.token}` };
    const ws = new WebSocket(this.url, {
      headers,
      ca: this.options.ca,
      maxPayload: MAX_CLIENT_MESSAGE_BYTES,
      perMessageDeflate: false,
      handshakeTimeout: this.options.connectTimeoutMs ?? 10_000,
    });
    this.ws = ws;
    const client = this;
    let refusal: string | undefined;
    ws.on('message', function clientSocketOnMessage(data: RawData) {
      client.receive(data);
    });
    ws.on('unexpected-response', function clientSocketOnRefusal(_req, res) {
      refusal = `${res.statusCode} ${res.statusMessage ?? ''}`.trim();
      ws.terminate();
    });
    ws.on('error', function clientSocketOnError(err: Error) {
      refusal ??= err.message;
    });
    ws.on('close', function clientSocketOnClose(code: number, reason: Buffer) {
      client.dropped(refusal ?? `closed ${code}${reason.length > 0 ? ` ${reason.toString()}` : ''}`);
    });
  }

  private receive(data: RawData): void {
    let reply: ClientReply;
    try {
      reply = decodeReply(data as Buffer);
      this.handle(reply);
    } catch (err) {
      this.ws?.close(4400, (err as Error).message.slice(0, 120));
    }
  }

  private handle(reply: ClientReply): void {
    switch (reply.type) {
      case 'hello':
        this.nodeId = reply.node;
        this.ready = true;
        this.everOpened = true;
        this.attempts = 0;
        this.settleOpened?.resolve();
        this.settleOpened = undefined;
        this.options.onConnection?.(true);
        for (const stream of this.streams.values()) this.sendControl(stream.subscribeRequest());
        this.flush();
        return;
      case 'published':
        this.queue.answered(reply.ref, reply.answers);
        this.flush();
        this.scheduleFlush(true);
        return;
      case 'subscribed':
        this.streams.get(reply.sub)?.subscribed(reply.from);
        return;
      case 'events':
        this.streams.get(reply.sub)?.received(reply.next, reply.events);
        return;
      case 'error':
        if (reply.ref !== null) this.streams.get(reply.ref)?.failed(reply.error);
        return;
    }
  }

  /** The connection is gone: fail what was in flight, and reconnect unless closing. */
  private dropped(reason: string): void {
    const wasReady = this.ready;
    this.ready = false;
    this.ws = undefined;
    if (this.closing) return;
    if (!this.everOpened) {
      this.closing = true;
      const err = new TroupeError('TROUPE_NODE_UNREACHABLE', `cannot connect to ${this.url}: ${reason}`);
      this.settleOpened?.reject(err);
      this.queue.failAll(err);
      for (const stream of [...this.streams.values()]) stream.failed(err);
      return;
    }
    this.queue.lost(new TroupeError('TROUPE_CLIENT_DISCONNECTED', `the connection to ${this.url} dropped (${reason}); whether the node committed this event is unknown`));
    if (wasReady) this.options.onConnection?.(false, reason);
    const delay = backoffDelay(this.attempts++, this.options.backoff);
    this.retry = setTimeout(() => this.open(), delay);
  }

  private sendControl(request: SubscribeRequest | CreditRequest | UnsubscribeRequest): void {
    if (this.ready) this.ws?.send(encodeControl(request));
  }

  /**
   * Sends what is queued once the code publishing is done: every publish made in one
   * job joins one message. An idle client sends right after the job (a microtask), not
   * waiting for the event loop to come round; with publishes in flight, or as an answer's
   * promises settle, it sends at the end of this turn of the event loop (`setImmediate`),
   * so that what the application publishes meanwhile, however many promise steps later,
   * joins one message too.
   */
  private scheduleFlush(endOfTurn = this.queue.inFlight > 0): void {
    if (this.flushing || !this.ready) return;
    this.flushing = true;
    const client = this;
    if (endOfTurn) setImmediate(flushScheduled);
    else queueMicrotask(flushScheduled);
    function flushScheduled(): void {
      client.flushing = false;
      client.flush();
    }
  }

  private flush(): void {
    if (!this.ready || this.ws === undefined) return;
    for (let batch = this.queue.take(); batch !== undefined; batch = this.queue.take()) {
      this.ws.send(encodePublish(batch.ref, batch.events));
    }
  }
}

function closedError(): TroupeError {
  return new TroupeError('TROUPE_CLIENT_CLOSED', 'the client was closed');
}
