/**
 * Passivation: a node keeps in memory only the actors that moved lately.
 *
 * Every so often (a fraction of `afterMs`) the actors idle for `afterMs` are dropped
 * (`LiveActors.passivate`); their records are on disk already. An event brings one back
 * when it arrives. A timer must bring one back too, with nothing in memory to fire it:
 * the due index on disk (`due/`, the earliest timer of each actor, written with its
 * record) says when. One clock timer is set for the earliest due entry not yet in
 * memory; `leadMs` before it, the entries due by then are read and their actors brought
 * back, which re-arms their timers with what is left of their delays, so they fire on
 * time. Start-up does the same and nothing more: it reads no record but those due soon.
 *
 * Actors whose timer is due within two leads are not passivated: they would be read back
 * at once.
 */
import type { ActorRecords } from './actor-records.js';
import type { Clock, TimerHandle } from './clock.js';

/** The default of `--passivate-after`: five minutes. */
export const PASSIVATE_AFTER_MS = 5 * 60 * 1000;

/** How long before a passivated actor's timer is due it is brought back. */
export const WAKE_LEAD_MS = 1000;

/** What passivation acts on: the host's actors. */
export interface Passivatable {
  /** Drops the actors idle since `idleSince` whose timers are all due after `dueAfter`; returns the earliest of their timers. */
  passivateIdle(idleSince: number, dueAfter: number): number | undefined;
  /** Brings the actor of `service` for `key` into memory, if it is hosted here and not there already. */
  wake(service: string, key: string): void;
}

/** Options of {@link Passivation}. */
export interface PassivationOptions {
  readonly actors: Passivatable;
  readonly records: Pick<ActorRecords, 'dueBy' | 'nextDueAfter'>;
  /** Timers of the sweep and the wake; `clock.now` is the time idleness and due times are measured in. */
  readonly clock: Clock;
  /** Idle this long, an actor is passivated. [default {@link PASSIVATE_AFTER_MS}] */
  readonly afterMs?: number;
  /** [default {@link WAKE_LEAD_MS}] */
  readonly leadMs?: number;
  /** Told of a failed read of the due index (the wake is tried again a lead later). */
  readonly failed: (err: unknown) => void;
}

/** Passivates idle actors and brings back the passivated ones whose timers come due. */
export class Passivation {
  private readonly o: PassivationOptions;
  private readonly afterMs: number;
  private readonly leadMs: number;
  private sweepTimer: TimerHandle | undefined;
  private wakeTimer: TimerHandle | undefined;
  /** When the wake timer is set to go off (ms), if set. */
  private wakeAt: number | undefined;
  private waking: Promise<void> | undefined;
  /** A timer came due during a wake that had read the index already: wake again after it. */
  private again = false;
  private stopped = false;

  constructor(options: PassivationOptions) {
    this.o = options;
    this.afterMs = options.afterMs ?? PASSIVATE_AFTER_MS;
    this.leadMs = options.leadMs ?? WAKE_LEAD_MS;
  }

  /** Brings back the actors whose timers are due soon, and starts sweeping. */
  async start(): Promise<void> {
    await this.wake();
    this.armSweep();
  }

  /** Passivates the actors idle for `afterMs` now (the sweep does it by itself). */
  sweep(): void {
    const now = this.o.clock.now();
    const due = this.o.actors.passivateIdle(now - this.afterMs, now + 2 * this.leadMs);
    if (due !== undefined) this.wakeBy(due);
  }

  /** Resolves once no read of the due index is under way (the simulated cluster waits for it between steps). */
  idle(): Promise<void> {
    return this.waking ?? Promise.resolve();
  }

  /** Stops both timers. */
  stop(): void {
    this.stopped = true;
    if (this.sweepTimer !== undefined) this.o.clock.clearTimeout(this.sweepTimer);
    if (this.wakeTimer !== undefined) this.o.clock.clearTimeout(this.wakeTimer);
    this.sweepTimer = this.wakeTimer = this.wakeAt = undefined;
  }

  private armSweep(): void {
    if (this.stopped || !Number.isFinite(this.afterMs)) return;
    const every = Math.max(1, Math.min(this.afterMs, 60_000) / 2);
    this.sweepTimer = this.o.clock.setTimeout(this.swept, every);
  }

  private readonly swept = (): void => {
    this.sweepTimer = undefined;
    this.sweep();
    this.armSweep();
  };

  /** Makes sure the wake goes off a lead before `due`. */
  private wakeBy(due: number): void {
    if (this.stopped) return;
    if (this.waking !== undefined) {
      this.again = true;
      return;
    }
    const at = due - this.leadMs;
    if (this.wakeAt !== undefined && this.wakeAt <= at) return;
    if (this.wakeTimer !== undefined) this.o.clock.clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = this.o.clock.setTimeout(this.wakeFired, Math.max(0, at - this.o.clock.now()));
  }

  private readonly wakeFired = (): void => {
    this.wakeTimer = this.wakeAt = undefined;
    this.wake().catch(this.o.failed);
  };

  /** Brings back every actor with a timer due within a lead, then sets the wake for the next. */
  private wake(): Promise<void> {
    this.waking ??= (async () => {
      let next: number | undefined;
      try {
        do {
          this.again = false;
          const until = this.o.clock.now() + this.leadMs;
          for (const entry of await this.o.records.dueBy(until)) this.o.actors.wake(entry.service, entry.key);
          next = await this.o.records.nextDueAfter(until);
        } while (this.again && !this.stopped);
      } catch (err) {
        next = this.o.clock.now() + 2 * this.leadMs;
        this.o.failed(err);
      } finally {
        this.waking = undefined;
      }
      if (next !== undefined) this.wakeBy(next);
    })();
    return this.waking;
  }
}
