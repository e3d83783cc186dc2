/**
 * One client's subscription to a node's log, on the node's side: it reads the committed
 * log from a position, in the node's delivery order, keeps the events that pass the
 * filters, and sends them while the client has granted credit. Caught up, it waits for
 * the log to grow (`Fabric.waitFor`); a subscriber that fell behind is simply further
 * back in the log, read from memory or LevelDB as `/log` reads it.
 *
 * Memory does not grow with a slow subscriber: the log is the buffer. The node holds one
 * page of events at a time for it, sends a message only once the previous one was handed
 * to the socket, and sends nothing while the client's credit is spent, so what a
 * subscriber can have in flight is bounded by the window it grants.
 */
import type { Logger } from 'pino';
import type { ClientLogEntry, ClientReply } from '../protocol/client-message.js';
import { isTroupeError } from '../protocol/troupe-error.js';
import type { Fabric } from './fabric.js';

/** Positions read at a time (fewer when the events are large: a page is byte-bounded too). */
const PAGE_EVENTS = 512;
/** How long one wait for the log to grow lasts before it looks again. */
const WAIT_MS = 5_000;

/** What a subscription asked for. */
export interface SubscriptionSpec {
  readonly sub: number;
  /** The first position to send; 0: the end of the log (only events committed from now on). */
  readonly from: number;
  /** Only these types; empty: every type. */
  readonly types: readonly string[];
  /** Only this workflow; null: every workflow. */
  readonly correlationId: string | null;
  /** Events the client has room for. */
  readonly credit: number;
}

/** Follows the log for one client subscription until stopped. */
export class ClientSubscription {
  readonly sub: number;
  private readonly fabric: Fabric;
  private readonly send: (reply: ClientReply) => Promise<void>;
  private readonly log: Logger;
  private readonly types: ReadonlySet<string> | undefined;
  private readonly correlationId: string | null;
  private next: number;
  /** The `next` the client was last told. */
  private told: number;
  private credit: number;
  private stopped = false;
  /** Wakes the loop when credit arrives or the subscription stops. */
  private woken: (() => void) | undefined;

  constructor(args: {
    spec: SubscriptionSpec;
    fabric: Fabric;
    /** Sends a reply; resolves once it is handed to the socket. */
    send: (reply: ClientReply) => Promise<void>;
    log: Logger;
  }) {
    const { spec } = args;
    this.sub = spec.sub;
    this.fabric = args.fabric;
    this.send = args.send;
    this.log = args.log;
    this.types = spec.types.length > 0 ? new Set(spec.types) : undefined;
    this.correlationId = spec.correlationId;
    this.next = spec.from === 0 ? this.fabric.size + 1 : spec.from;
    this.told = this.next;
    this.credit = spec.credit;
  }

  /** Events this subscription may still send before the client grants more. */
  get window(): number {
    return this.credit;
  }

  /** Tells the client where it starts, then follows the log until stopped. */
  start(): void {
    this.run().catch((err: unknown) => {
      if (this.stopped) return;
      this.stopped = true;
      this.log.warn({ err, sub: this.sub }, 'a client subscription failed');
      const code = isTroupeError(err) ? err.code : 'TROUPE_INTERNAL';
      void this.send({ type: 'error', ref: this.sub, error: { code, message: `subscription ${this.sub} stopped: ${(err as Error).message}` } }).catch(() => undefined);
    });
  }

  /** The client has room for `n` more events. */
  grant(n: number): void {
    this.credit += n;
    this.wake();
  }

  /** Stops following; nothing more is sent. */
  stop(): void {
    this.stopped = true;
    this.wake();
  }

  private async run(): Promise<void> {
    await this.send({ type: 'subscribed', sub: this.sub, from: this.next });
    while (!this.stopped) {
      if (this.credit === 0) {
        await new Promise<void>((resolve) => (this.woken = resolve));
        continue;
      }
      const limit = this.types === undefined && this.correlationId === null ? Math.min(PAGE_EVENTS, this.credit) : PAGE_EVENTS;
      const page = await this.fabric.read(this.next, limit);
      if (this.stopped) return;
      if (page.length === 0) {
        // Caught up: say how far the filters have read, then wait for the log to grow.
        if (this.told < this.next) await this.tell([]);
        await this.fabric.waitFor(this.next, WAIT_MS);
        continue;
      }
      const events: ClientLogEntry[] = [];
      for (const entry of page) {
        if (events.length === this.credit) break;
        this.next = entry.pos + 1;
        if (this.passes(entry)) events.push(entry);
      }
      if (events.length > 0) await this.tell(events);
    }
  }

  private passes(entry: ClientLogEntry): boolean {
    return (this.types === undefined || this.types.has(entry.type)) && (this.correlationId === null || entry.correlationId === this.correlationId);
  }

  private async tell(events: ClientLogEntry[]): Promise<void> {
    this.credit -= events.length;
    this.told = this.next;
    await this.send({ type: 'events', sub: this.sub, next: this.next, events });
  }

  private wake(): void {
    const woken = this.woken;
    this.woken = undefined;
    woken?.();
  }
}
