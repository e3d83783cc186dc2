/**
 * What the host's actors changed since the fabric last asked: the actors a batch moved,
 * to persist in the same commit as the events that moved them, the dead letters it
 * filed, and the events it handed to actors that had already ended (to log and count). An actor rolled back after a failure is persisted as restored, never as the
 * stopped one it replaced.
 */
import { nanoid } from 'nanoid';
import type { Envelope } from '../protocol/envelope.js';
import { errorData } from '../protocol/troupe-error.js';
import { actorRecord, entityKey, type HostedActor } from './hosted-actor.js';
import type { ServiceDefinition } from './service.js';
import type { ActorRecord, DeadLetter } from './store.js';

/** Why an event reached no actor that could take it. */
export type IgnoredReason = 'actor-done';

/**
 * An event the host did not deliver because its actor can take nothing more (it reached
 * a final state). Not a dead letter: a replay would meet the same ended actor.
 */
export interface IgnoredEvent {
  readonly service: string;
  /** The entity key; `''` for a singleton. */
  readonly key: string;
  readonly type: string;
  /** The event's id; `null` for a replayed timer's delayed event, which is in no log. */
  readonly eventId: string | null;
  readonly correlationId: string | null;
  readonly reason: IgnoredReason;
}

/** What {@link HostChanges.take} hands over. */
export interface HostChangeSet {
  readonly actors: ActorRecord[];
  readonly deadLetters: DeadLetter[];
  readonly ignored: IgnoredEvent[];
}

/** The host's changes of one batch. */
export class HostChanges {
  private readonly now: () => number;
  private touched = new Set<HostedActor>();
  private deadLetters: DeadLetter[] = [];
  private ignored: IgnoredEvent[] = [];

  /** `now` is wall-clock time, when a dead letter was filed. */
  constructor(now: () => number) {
    this.now = now;
  }

  /** `hosted` moved: its record goes into the next commit. */
  touch(hosted: HostedActor): void {
    this.touched.add(hosted);
  }

  /**
   * `restored` replaces the failed `rolledBack`: persisted instead of it if that was
   * touched earlier in the batch, or always when `persist` says so.
   */
  replace(rolledBack: HostedActor, restored: HostedActor, persist: boolean): void {
    if (this.touched.delete(rolledBack) || persist) this.touched.add(restored);
  }

  /** Files a dead letter: `service`'s actor for `key` failed on the event `eventId` at log position `pos`. */
  deadLetter(service: string, key: string, eventId: string, pos: number, err: Error): void {
    this.deadLetters.push({ service, key, eventId, pos, error: errorData(err, 'TROUPE_SERVICE_FAILED'), at: this.now() });
  }

  /** Files a dead letter: `service` failed on `envelope` at log position `pos`. */
  failed(service: ServiceDefinition, envelope: Envelope, pos: number, err: Error): void {
    let key = '';
    try {
      key = entityKey(service, { type: envelope.type, data: envelope.data, ts: envelope.ts });
    } catch {
      // the missing key is the failure itself; the letter is filed without one
    }
    this.deadLetter(service.name, key, envelope.id, pos, err);
  }

  /**
   * Files a dead letter for a delayed event of `service`'s actor for `key` that failed. It
   * is in no log, so the letter carries it, under an id of its own: an actor may have
   * several timers fail, and its last event says nothing after a restore.
   */
  timerDeadLetter(service: string, key: string, timer: { id: string; event: unknown }, err: Error): void {
    this.deadLetters.push({ service, key, eventId: `timer:${nanoid(12)}`, pos: 0, error: errorData(err, 'TROUPE_SERVICE_FAILED'), at: this.now(), timer });
  }

  /** An event was not delivered, for `ignored.reason`. */
  ignore(ignored: IgnoredEvent): void {
    this.ignored.push(ignored);
  }

  /** The records of the actors touched, the dead letters filed and the events ignored since the last call; starts over. */
  take(): HostChangeSet {
    const actors: ActorRecord[] = [];
    for (const hosted of this.touched) actors.push(actorRecord(hosted));
    const { deadLetters, ignored } = this;
    this.touched = new Set();
    this.deadLetters = [];
    this.ignored = [];
    return { actors, deadLetters, ignored };
  }
}
