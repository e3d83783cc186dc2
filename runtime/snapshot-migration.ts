/**
 * Snapshot migrations: how a machine changes while actors of its old version are
 * persisted.
 *
 * A service declares one migration per machine version after the first, each turning a
 * persisted snapshot of the version before it into one of its own:
 * `migrations: { 2: (v1) => ({ ...v1, value: v1.value === 'paid' ? 'settled' : v1.value }) }`.
 * Its machine version is its highest migration's (1 without any); every actor record is
 * written with it (`ActorRecord.version`, absent for 1, which is also what every record
 * written before versions was). On restore an older record is migrated step by step.
 *
 * A record that cannot be restored (a migration throws, the record is newer than the
 * code, or XState rejects the state) is neither a crash nor a silent reset: the actor is
 * not started, its record stays on disk untouched, a dead letter names it with the
 * reason, and every event for it becomes a dead letter too (`TROUPE_SNAPSHOT_UNRESTORED`)
 * until a node with code that restores it starts; then the operator replays the letters.
 */
import { TroupeError } from '../protocol/troupe-error.js';
import { actorId, type HostedActor } from './hosted-actor.js';
import { machineVersion, type ServiceDefinition } from './service.js';
import type { ActorRecord } from './store.js';

/** Turns a persisted snapshot of a machine's previous version into the version it is declared under. */
export type SnapshotMigration = (previous: any) => unknown;

/** A service's migrations, by the machine version each produces: `{ 2: (v1) => v2 }`. */
export type SnapshotMigrations = { readonly [version: number]: SnapshotMigration };

/**
 * Checks a service's `migrations`: functions under consecutive versions from 2.
 *
 * @throws TroupeError `TROUPE_BAD_APP` when they are not.
 */
export function checkMigrations(service: ServiceDefinition): void {
  const migrations: unknown = service.migrations;
  if (migrations === undefined) return;
  const bad = (why: string): TroupeError => new TroupeError('TROUPE_BAD_APP', `service ${service.name}: ${why}`);
  if (migrations === null || typeof migrations !== 'object') throw bad('`migrations` must map machine versions to migrations');
  const numbers = Object.keys(migrations).map(Number).sort((a, b) => a - b);
  numbers.forEach((version, i) => {
    if (version !== i + 2) throw bad('migrations must be under versions 2, 3, … with none missing');
    if (typeof (migrations as SnapshotMigrations)[version] !== 'function') throw bad(`the migration to version ${version} must be a function`);
  });
}

/**
 * The snapshot of `record` as the service's current machine version has it: migrated
 * from the version the record was written with.
 *
 * @throws TroupeError `TROUPE_SNAPSHOT_VERSION_UNKNOWN` for a record newer than the
 *   service, `TROUPE_SNAPSHOT_MIGRATION_FAILED` when a migration throws or the record
 *   holds no snapshot.
 */
export function migrateSnapshot(service: ServiceDefinition, record: ActorRecord): unknown {
  const from = record.version ?? 1;
  const to = machineVersion(service);
  const actor = `the actor of ${service.name} for ${JSON.stringify(record.key)}`;
  if (from > to) {
    throw new TroupeError('TROUPE_SNAPSHOT_VERSION_UNKNOWN', `${actor} was persisted by machine version ${from}; this node's ${service.name} is version ${to}`);
  }
  let snapshot = record.snapshot;
  for (let next = from + 1; next <= to; next++) {
    try {
      snapshot = (service.migrations as SnapshotMigrations)[next](snapshot);
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new TroupeError('TROUPE_SNAPSHOT_MIGRATION_FAILED', `${actor} could not be migrated to machine version ${next}: ${message}`, { cause });
    }
  }
  if (snapshot === null || typeof snapshot !== 'object') {
    throw new TroupeError('TROUPE_SNAPSHOT_MIGRATION_FAILED', `${actor} has no snapshot after migrating to machine version ${to}`);
  }
  return snapshot;
}

/**
 * Starts the actor of `record` with `start`, from its snapshot migrated to the machine's
 * version, or says why it cannot: the migration's error, or `TROUPE_SNAPSHOT_REJECTED`
 * when XState will not start from the snapshot (it names a state the machine lacks, say).
 */
export function restoreActor(service: ServiceDefinition, record: ActorRecord, start: (snapshot: unknown) => HostedActor): HostedActor | TroupeError {
  let snapshot: unknown;
  try {
    snapshot = migrateSnapshot(service, record);
  } catch (err) {
    return err as TroupeError;
  }
  let hosted: HostedActor;
  try {
    hosted = start(snapshot);
  } catch (err) {
    return rejectedSnapshot(service, record.key, err);
  }
  // XState does not throw on a state it cannot resolve: the actor starts in error.
  const started = hosted.actor.getSnapshot();
  if (started.status !== 'error') return hosted;
  hosted.actor.stop();
  return rejectedSnapshot(service, record.key, started.error);
}

function rejectedSnapshot(service: ServiceDefinition, key: string, cause: unknown): TroupeError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new TroupeError('TROUPE_SNAPSHOT_REJECTED', `the actor of ${service.name} for ${JSON.stringify(key)} cannot start from its snapshot: ${message}`, { cause });
}

/** The id of the dead letter filed for an actor whose snapshot could not be restored: never an event's id. */
export function snapshotLetterId(key: string): string {
  return `snapshot:key=${key}`;
}

/**
 * The actors whose records could not be restored, with why: events for them are refused
 * (and become dead letters) until a node that restores them starts.
 */
export class UnrestoredActors {
  private readonly byActor = new Map<string, TroupeError>();

  /** `service`'s actor for `key` could not be restored, for `reason`. */
  add(service: string, key: string, reason: TroupeError): void {
    this.byActor.set(actorId(service, key), reason);
  }

  /** `service`'s actor for `key` is back after all: a rebuild made it anew from the log (`actor-rebuild.ts`). */
  restored(service: string, key: string): void {
    this.byActor.delete(actorId(service, key));
  }

  /** Why an event for `service`'s actor for `key` cannot be delivered, or `undefined` when it can. */
  refusal(service: string, key: string): TroupeError | undefined {
    // Asked on every delivery: almost always there is nothing to look up.
    if (this.byActor.size === 0) return undefined;
    const reason = this.byActor.get(actorId(service, key));
    if (reason === undefined) return undefined;
    return new TroupeError(
      'TROUPE_SNAPSHOT_UNRESTORED',
      `the actor of ${service} for ${JSON.stringify(key)} was not restored (${reason.code}, dead letter ${snapshotLetterId(key)}): replay this once a node that restores it runs`,
      { cause: reason },
    );
  }
}
