/**
 * One subscription on the client's side: an async iterator of committed events in the
 * node's delivery order, with a bounded buffer, the credit it grants the node, and the
 * position to resume from. Pure: it asks the client to send requests and is told what
 * arrived.
 *
 * Flow control: the node sends at most the credit granted. The stream first grants its
 * whole window, and grants again as the consumer takes events, once at least half a
 * window is free, so the buffer never holds more than a window and a consumer that stops
 * reading stops the node's sending.
 *
 * Resuming: every `events` message says the position after the last one the node looked
 * at. After a reconnect the stream subscribes again from there with fresh credit; an
 * event at a position it already passed is dropped, so each event is seen once.
 */
import type { ClientError, ClientLogEntry, CreditRequest, SubscribeRequest, UnsubscribeRequest } from '../protocol/client-message.js';
import { TroupeError } from '../protocol/troupe-error.js';

/** What to follow. */
export interface SubscribeOptions {
  /** Only events of these types. [default every type] */
  readonly types?: readonly string[];
  /** Only the events of this workflow. [default every workflow] */
  readonly correlationId?: string;
  /** The first log position (1 is the start of the log). [default the end: only new events] */
  readonly from?: number;
  /** Events buffered here at most, and so granted to the node at a time. [default 1000] */
  readonly window?: number;
}

/** How a stream reaches the node. */
export interface StreamControl {
  /** Sends a request now if connected; a request sent while disconnected may be dropped. */
  send(request: SubscribeRequest | CreditRequest | UnsubscribeRequest): void;
  /** The stream ended (returned or failed): forget it. */
  ended(sub: number): void;
}

/** A subscription's events, as an async iterator. */
export class SubscriptionStream implements AsyncIterableIterator<ClientLogEntry> {
  readonly sub: number;
  private readonly options: SubscribeOptions;
  private readonly window: number;
  private readonly control: StreamControl;
  private buffer: ClientLogEntry[] = [];
  /** Where to resume: the position after everything seen; undefined until the node says where it starts. */
  private resumeFrom: number | undefined;
  /** Credit granted and not yet used by the node. */
  private outstanding = 0;
  private done = false;
  private failure: TroupeError | undefined;
  /** `next()` calls waiting for an event, oldest first. */
  private waiters: { resolve: (r: IteratorResult<ClientLogEntry>) => void; reject: (err: unknown) => void }[] = [];

  constructor(sub: number, options: SubscribeOptions, control: StreamControl) {
    this.sub = sub;
    this.options = options;
    this.window = options.window ?? 1000;
    this.control = control;
    this.resumeFrom = options.from;
  }

  /** Events buffered and not yet taken. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** The position to resume from (the next unseen), once known. */
  get position(): number | undefined {
    return this.resumeFrom;
  }

  /** The request that (re)starts this subscription on a fresh connection, with the credit there is room for. */
  subscribeRequest(): SubscribeRequest {
    this.outstanding = this.window - this.buffer.length;
    return {
      type: 'subscribe',
      sub: this.sub,
      from: this.resumeFrom ?? 0,
      types: this.options.types ?? [],
      correlationId: this.options.correlationId ?? null,
      credit: this.outstanding,
    };
  }

  /** The node starts at `from`. */
  subscribed(from: number): void {
    this.resumeFrom ??= from;
  }

  /** Events arrived, and how far the node has read for this subscription. */
  received(next: number, events: readonly ClientLogEntry[]): void {
    if (this.done) return;
    this.outstanding = Math.max(0, this.outstanding - events.length);
    const seen = this.resumeFrom ?? 0;
    for (const e of events) if (e.pos >= seen) this.buffer.push(e);
    if (next > seen) this.resumeFrom = next;
    this.deliver();
  }

  /** The node refused or ended this subscription. */
  failed(error: ClientError): void {
    if (this.done) return;
    this.failure = new TroupeError(error.code, error.message);
    this.finish();
  }

  /** The client closed: the stream ends after what it buffered. */
  closed(): void {
    if (this.done) return;
    this.done = true;
    this.control.ended(this.sub);
    this.deliver();
  }

  next(): Promise<IteratorResult<ClientLogEntry>> {
    if (this.buffer.length > 0) return Promise.resolve(this.take());
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Stops the subscription (a `break` out of `for await` calls it). */
  return(): Promise<IteratorResult<ClientLogEntry>> {
    if (!this.done) {
      this.control.send({ type: 'unsubscribe', sub: this.sub });
      this.buffer = [];
      this.finish();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private take(): IteratorResult<ClientLogEntry> {
    const value = this.buffer.shift() as ClientLogEntry;
    const free = this.window - this.buffer.length - this.outstanding;
    if (!this.done && free >= Math.ceil(this.window / 2)) {
      this.outstanding += free;
      this.control.send({ type: 'credit', sub: this.sub, n: free });
    }
    return { value, done: false };
  }

  private finish(): void {
    this.done = true;
    this.control.ended(this.sub);
    this.deliver();
  }

  /** Settles waiting `next()` calls with what there is to give them. */
  private deliver(): void {
    while (this.waiters.length > 0) {
      if (this.buffer.length > 0) this.waiters.shift()?.resolve(this.take());
      else if (this.failure !== undefined) this.waiters.shift()?.reject(this.failure);
      else if (this.done) this.waiters.shift()?.resolve({ value: undefined, done: true });
      else return;
    }
  }
}
