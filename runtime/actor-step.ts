/**
 * One step of one actor, with its failure turned into data.
 *
 * A step (an event sent, a timer's callback run) collects what the actor emits while it
 * runs. If the step throws or leaves the actor in `status: 'error'`, the actor is rolled
 * back to its snapshot from before the step, its emissions are dropped, and the error is
 * returned for the caller to file as a dead letter. An actor that has reached a final
 * state takes no step at all: XState would drop the event without a word, so it is
 * recorded as ignored instead.
 */
import type { ActorTimers, FiredTimer } from './actor-timers.js';
import type { HostChanges } from './host-changes.js';
import type { HostedActor } from './hosted-actor.js';
import type { LiveActors } from './live-actors.js';
import type { EmittedEvent } from './service.js';

/** What {@link ActorStep} works with: the host's actors, timers and batch changes. */
export interface ActorStepOptions {
  readonly actors: LiveActors;
  readonly timers: ActorTimers<HostedActor>;
  readonly changes: () => HostChanges;
  /** Wall-clock now, the time an actor was last active. */
  readonly now: () => number;
}

/** Runs actors' steps, collecting their emissions and rolling back the ones that fail. */
export class ActorStep {
  private readonly options: ActorStepOptions;
  /** Where the actor being driven right now emits to; set only around a step. */
  private sink: EmittedEvent[] | null = null;

  constructor(options: ActorStepOptions) {
    this.options = options;
  }

  /** Takes an emission of the actor being driven (spawned actors' `emit` calls this). */
  emit(emitted: EmittedEvent): void {
    this.sink?.push(emitted);
  }

  /**
   * Runs `step` on `hosted`, collecting its emissions. On failure the actor is rolled
   * back to its snapshot from before the step and the error is returned. `firedTimer` is
   * the timer whose callback `step` is, if it is one.
   */
  run(hosted: HostedActor, step: () => void, firedTimer?: FiredTimer): EmittedEvent[] | Error {
    const { actors, timers, now } = this.options;
    const changes = this.options.changes();
    const before = hosted.actor.getSnapshot();
    const emitted: EmittedEvent[] = [];
    this.sink = emitted;
    let failure: unknown;
    try {
      step();
    } catch (err) {
      failure = err;
    } finally {
      this.sink = null;
    }
    const after = hosted.actor.getSnapshot();
    if (failure === undefined && after.status === 'error') failure = after.error;
    if (failure !== undefined) {
      const restored = actors.respawn(hosted, hosted.service.machine.getPersistedSnapshot(before));
      // A timer that failed must not be re-armed, or it fires and fails forever. (Its due
      // time cannot tell it: a timer may fire a millisecond before the wall clock says.)
      const pending = firedTimer === undefined ? hosted.timers : hosted.timers.filter((t) => t.id !== firedTimer.eventId);
      restored.timers = timers.rearm(restored.actor, pending);
      // If an earlier step of this batch touched the actor, what is persisted is the
      // rolled-back actor, never the stopped one; a failed timer always changes the record,
      // and an actor with no record yet gets one (it is listed, counted and passivated).
      changes.replace(hosted, restored, firedTimer !== undefined || hosted.indexed === undefined);
      return failure instanceof Error ? failure : new Error(String(failure));
    }
    hosted.timers = timers.pending(hosted.actor);
    hosted.active = now();
    changes.touch(hosted);
    return emitted;
  }

  /**
   * Whether `hosted` has reached a final state, and so takes nothing more; if so the
   * event is recorded as ignored (logged and counted).
   */
  ended(hosted: HostedActor, type: string, eventId: string | null, correlationId: string | null): boolean {
    if (hosted.actor.getSnapshot().status !== 'done') return false;
    this.options.changes().ignore({ service: hosted.service.name, key: hosted.key, type, eventId, correlationId, reason: 'actor-done' });
    return true;
  }
}
