/**
 * The client's publishes between `publish()` and their answer: a queue of events waiting
 * to be sent, batched into `publish` messages, and the batches in flight by ref. Pure: the
 * client decides when to send and tells it what came back.
 *
 * Every event that is queued before the client sends (in one job, or one turn of the
 * event loop while batches are in flight; or while the window is full) leaves in one message, up to a count and a byte size, so that the node
 * commits it in one group. At most `maxInFlight` events are sent and unanswered: past
 * that, publishes wait here, and a node that commits slowly slows the publisher.
 *
 * A lost connection makes the outcome of the batches in flight unknown (the node may or
 * may not have committed them before the connection dropped), so they fail with
 * `TROUPE_CLIENT_DISCONNECTED` rather than being sent again, which could publish an
 * event twice. Events not sent yet wait for the next connection.
 */
import type { PublishAck, PublishAnswer } from '../protocol/client-message.js';
import type { WirePublish } from '../protocol/client-codec.js';
import { TroupeError } from '../protocol/troupe-error.js';

/** Bounds of a {@link PublishQueue}. */
export interface PublishQueueOptions {
  /** Most events in one message. [default 1000] */
  readonly maxBatchEvents?: number;
  /** A message stops growing past this many bytes of event data (at least one event). [default 1 MiB] */
  readonly maxBatchBytes?: number;
  /** Most events sent and not yet answered. [default 8192] */
  readonly maxInFlight?: number;
}

/** One publish waiting for its answer. */
interface Pending {
  readonly wire: WirePublish;
  readonly bytes: number;
  readonly resolve: (ack: PublishAck) => void;
  readonly reject: (err: TroupeError) => void;
}

/** A batch to send as one `publish` message. */
export interface PublishBatch {
  readonly ref: number;
  readonly events: readonly WirePublish[];
}

/** Publishes queued, batched and in flight. */
export class PublishQueue {
  private readonly maxBatchEvents: number;
  private readonly maxBatchBytes: number;
  private readonly maxInFlight: number;
  private waiting: Pending[] = [];
  private readonly sent = new Map<number, Pending[]>();
  private sentEvents = 0;
  private lastRef = 0;

  constructor(options: PublishQueueOptions = {}) {
    this.maxBatchEvents = options.maxBatchEvents ?? 1000;
    this.maxBatchBytes = options.maxBatchBytes ?? 1024 * 1024;
    this.maxInFlight = options.maxInFlight ?? 8192;
  }

  /** Events queued and not yet sent. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Events sent and not yet answered. */
  get inFlight(): number {
    return this.sentEvents;
  }

  /** Queues one event; the promise settles with its answer. */
  add(wire: WirePublish): Promise<PublishAck> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ wire, bytes: wire[2]?.length ?? 0, resolve, reject });
    });
  }

  /** The next batch to send now, or `undefined` when nothing waits or the window is full. */
  take(): PublishBatch | undefined {
    const room = Math.min(this.maxBatchEvents, this.maxInFlight - this.sentEvents);
    if (this.waiting.length === 0 || room <= 0) return undefined;
    let n = 0;
    let bytes = 0;
    while (n < room && n < this.waiting.length && (n === 0 || bytes + this.waiting[n].bytes <= this.maxBatchBytes)) {
      bytes += this.waiting[n].bytes;
      n++;
    }
    // Usually everything waiting leaves at once: no copy then.
    const batch = n === this.waiting.length ? this.waiting : this.waiting.slice(0, n);
    this.waiting = n === this.waiting.length ? [] : this.waiting.slice(n);
    const ref = ++this.lastRef;
    this.sent.set(ref, batch);
    this.sentEvents += batch.length;
    return { ref, events: batch.map((p) => p.wire) };
  }

  /**
   * The node answered batch `ref`: settles each of its publishes by its answer.
   * @throws TroupeError `TROUPE_PROTOCOL_BAD_FRAME` for an unknown ref or a wrong count of answers.
   */
  answered(ref: number, answers: readonly PublishAnswer[]): void {
    const batch = this.sent.get(ref);
    if (batch === undefined || batch.length !== answers.length) {
      throw new TroupeError('TROUPE_PROTOCOL_BAD_FRAME', `answers for batch ${ref} do not match what was sent`);
    }
    this.sent.delete(ref);
    this.sentEvents -= batch.length;
    batch.forEach((p, i) => {
      const answer = answers[i];
      if ('error' in answer) p.reject(new TroupeError(answer.error.code, answer.error.message));
      else p.resolve(answer);
    });
  }

  /** The connection dropped: every batch in flight fails with `err`; queued events stay. */
  lost(err: TroupeError): void {
    const batches = [...this.sent.values()];
    this.sent.clear();
    this.sentEvents = 0;
    for (const batch of batches) for (const p of batch) p.reject(err);
  }

  /** Fails everything, queued and in flight, with `err` (the client is closing). */
  failAll(err: TroupeError): void {
    this.lost(err);
    const waiting = this.waiting;
    this.waiting = [];
    for (const p of waiting) p.reject(err);
  }
}
