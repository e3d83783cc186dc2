/**
 * The feed's delta rounds. While anyone watches, the fabric tells of commits as they land
 * and their deltas gather here: `events` per commit, the `actors` whose state a commit
 * changed, and whether the dead letters changed. A round sends what gathered at most every
 * `intervalMs`, so a busy node sends a few large messages rather than a stream of small
 * ones. Status and held-back events change without a commit too (acks shrink outboxes,
 * arrivals wait), so each round compares them with what it last sent and sends them only
 * when they differ.
 */
import type { FeedEvent } from '../inspector/feed.js';
import type { Clock, TimerHandle } from './clock.js';
import type { CommitNotice } from './fabric.js';
import { feedEvent, heldBackEvents } from './feed-events.js';
import type { FeedViewers } from './feed-viewers.js';
import type { FeedContext } from './inspector-feed.js';
import { nodeStatus } from './node-status.js';

/** Options of {@link FeedRounds}. */
export interface FeedRoundsOptions {
  readonly viewers: FeedViewers;
  readonly clock: Clock;
  /** Time between two rounds. */
  readonly intervalMs: number;
}

/** Gathers a node's deltas and sends them to the viewers in rounds. */
export class FeedRounds {
  private readonly ctx: FeedContext;
  private readonly viewers: FeedViewers;
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private unobserve: (() => void) | undefined;
  private timer: TimerHandle | undefined;
  /** Deltas gathered since the last round. */
  private events: FeedEvent[] = [];
  private touched = new Map<string, { readonly service: string; readonly key: string }>();
  private deadLettersChanged = false;
  /** What the last round sent, to send status and held-back events only when they change. */
  private lastStatus = '';
  private lastHeldBack = '[]';
  private heldBackMark = '';

  constructor(ctx: FeedContext, options: FeedRoundsOptions) {
    this.ctx = ctx;
    this.viewers = options.viewers;
    this.clock = options.clock;
    this.intervalMs = options.intervalMs;
  }

  /** Starts observing commits and running rounds. */
  start(): void {
    const rounds = this;
    this.unobserve = this.ctx.fabric.observe({
      committed(notice) {
        rounds.gather(notice);
      },
    });
    this.timer = this.clock.setTimeout(() => this.round(), this.intervalMs);
  }

  /** Stops observing and forgets what gathered; the next start begins afresh. */
  stop(): void {
    this.unobserve?.();
    this.unobserve = undefined;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.events = [];
    this.touched = new Map();
    this.deadLettersChanged = false;
    this.lastStatus = '';
    this.lastHeldBack = '[]';
    this.heldBackMark = '';
  }

  private gather(notice: CommitNotice): void {
    const { host } = this.ctx;
    for (const { envelope, pos } of notice.events) this.events.push(feedEvent(host, envelope, pos));
    for (const record of notice.actors) this.touched.set(`${record.service}\u0000${record.key}`, { service: record.service, key: record.key });
    if (notice.deadLetters.length > 0 || notice.removedDeadLetters.length > 0) this.deadLettersChanged = true;
  }

  /** One round: sends what gathered, and status and held-back events if they changed. */
  private round(): void {
    this.timer = undefined;
    if (this.viewers.size === 0) return;
    try {
      this.sendDeltas();
    } finally {
      // Runs on a timer: whatever went wrong, the next round still comes.
      if (this.viewers.size > 0) this.timer = this.clock.setTimeout(() => this.round(), this.intervalMs);
    }
  }

  private sendDeltas(): void {
    const { fabric, host } = this.ctx;
    const viewers = this.viewers;
    if (this.events.length > 0) {
      const events = this.events;
      this.events = [];
      viewers.broadcast({ kind: 'events', events }, (viewer) => {
        if (viewer.helloPos < events[0].pos) return undefined;
        const newer = events.filter((e) => e.pos > viewer.helloPos);
        return newer.length === 0 ? null : { kind: 'events', events: newer };
      });
    }
    if (this.touched.size > 0) {
      const actors = [...this.touched.values()].flatMap(({ service, key }) => host.detail(service, key) ?? []);
      this.touched = new Map();
      if (actors.length > 0) viewers.broadcast({ kind: 'actors', actors });
    }
    if (this.deadLettersChanged) {
      this.deadLettersChanged = false;
      this.ctx.store.deadLetters().then(
        (deadLetters) => viewers.broadcast({ kind: 'deadLetters', deadLetters }),
        () => (this.deadLettersChanged = true),
      );
    }
    const status = nodeStatus(fabric, host, this.ctx.chaos);
    const statusText = JSON.stringify(status);
    if (statusText !== this.lastStatus) {
      this.lastStatus = statusText;
      viewers.broadcast({ kind: 'status', status });
    }
    // Held-back events change only with the buffer's size or the clock they wait on.
    const mark = `${fabric.buffered}|${statusText}`;
    if (mark !== this.heldBackMark) {
      this.heldBackMark = mark;
      const heldBack = heldBackEvents(fabric);
      const heldBackText = JSON.stringify(heldBack);
      if (heldBackText !== this.lastHeldBack) {
        this.lastHeldBack = heldBackText;
        viewers.broadcast({ kind: 'heldBack', heldBack });
      }
    }
  }
}
