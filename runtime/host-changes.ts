/**
 * What the host's actors changed since the fabric last asked: the actors a batch moved,
 * to persist in the same commit as the events that moved them, the dead letters it
 * filed, and the events it handed to actors that had already ended (to log and count). An actor rolled back after a failure is persisted as restored, never as the
 * stopped one it replaced.
 */
import { nanoid } from 'nanoid';
import { errorData } from '../protocol/troupe-error.js';
import { indexOf, type ActorIndex } from './actor-index.js';
import type { ActorIndexChanges } from './actor-records.js';
import type { Envelope } from '../protocol/envelope.js';
import { actorRecord, entityKey, type HostedActor } from './hosted-actor.js';
import type { ServiceDefinition } from './service.js';
import { snapshotLetterId } from './snapshot-migration.js';
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
  /** What the actors' records change in the due index and the counts (`undefined`: nothing). */
  readonly index: ActorIndexChanges | undefined;
}

/** The host's changes of one batch. */
export class HostChanges {
  private readonly now: () => number;
  private touched = new Set<HostedActor>();
  private deadLetters: DeadLetter[] = [];
  private ignored: IgnoredEvent[] = [];
  private readonly index: ActorIndex | undefined;
  /** How many batches have been taken: the number of the batch being built. */
  private taken = 0;

  /** `now` is wall-clock time, when a dead letter was filed; `index` is kept in step with the records. */
  constructor(now: () => number, index?: ActorIndex) {
    this.now = now;
    this.index = index;
  }

  /** The number of the batch being built; the two before it may not be written yet. */
  get batch(): number {
    return this.taken;
  }

  /** `hosted` moved: its record goes into the next commit. */
  touch(hosted: HostedActor): void {
    this.touched.add(hosted);
    hosted.batch = this.taken;
  }

  /**
   * `restored` replaces the failed `rolledBack`: persisted instead of it if that was
   * touched earlier in the batch, or always when `persist` says so.
   */
  replace(rolledBack: HostedActor, restored: HostedActor, persist: boolean): void {
    if (this.touched.delete(rolledBack) || persist) this.touch(restored);
  }

  /** Files a dead letter: `service` failed on `envelope`, at log position `pos` (its key is the event's, if it has one). */
  deadLetterOf(service: ServiceDefinition, envelope: Envelope, pos: number, err: Error): void {
    let key = '';
    try {
      key = entityKey(service, { type: envelope.type, data: envelope.data, ts: envelope.ts });
    } catch {
      // the missing key is the failure itself; the letter is filed without one
    }
    this.deadLetter(service.name, key, envelope.id, pos, err);
  }

  /** Files a dead letter: `service`'s actor for `key` failed on the event `eventId` at log position `pos`. */
  deadLetter(service: string, key: string, eventId: string, pos: number, err: Error): void {
    this.deadLetters.push({ service, key, eventId, pos, error: errorData(err, 'TROUPE_SERVICE_FAILED'), at: this.now() });
  }

  /**
   * Files a dead letter for a delayed event of `service`'s actor for `key` that failed. It
   * is in no log, so the letter carries it, under an id of its own: an actor may have
   * several timers fail, and its last event says nothing after a restore.
   */
  timerDeadLetter(service: string, key: string, timer: { id: string; event: unknown }, err: Error): void {
    this.deadLetters.push({ service, key, eventId: `timer:${nanoid(12)}`, pos: 0, error: errorData(err, 'TROUPE_SERVICE_FAILED'), at: this.now(), timer });
  }

  /** Files a dead letter for `service`'s actor for `key`, whose record of machine `version` could not be restored. */
  snapshotDeadLetter(service: string, key: string, version: number, err: Error): void {
    this.deadLetters.push({ service, key, eventId: snapshotLetterId(key), pos: 0, error: errorData(err, 'TROUPE_SNAPSHOT_REJECTED'), at: this.now(), snapshot: { version } });
  }

  /** An event was not delivered, for `ignored.reason`. */
  ignore(ignored: IgnoredEvent): void {
    this.ignored.push(ignored);
  }

  /** The records of the actors touched, the dead letters filed and the events ignored since the last call; starts over. */
  take(): HostChangeSet {
    const actors: ActorRecord[] = [];
    for (const hosted of this.touched) {
      const record = actorRecord(hosted);
      // What the record shows is kept on the actor either way: it tells a persisted actor from a new one.
      if (this.index !== undefined) this.index.persisting(hosted, record);
      else hosted.indexed = indexOf(record);
      actors.push(record);
    }
    const { deadLetters, ignored } = this;
    this.touched = new Set();
    this.deadLetters = [];
    this.ignored = [];
    this.taken++;
    return { actors, deadLetters, ignored, index: this.index?.take() };
  }
}
