/**
 * Event versions and upcasters: how an event type changes shape while events of the old
 * shape sit in logs and nodes still on old code publish them.
 *
 * A service declares, per event type, one upcaster per version after the first, each
 * turning the data of the version before it into its own:
 * `versions: { OrderPlaced: { 2: (v1) => v2, 3: (v2) => v3 } }`. The newest version a
 * service knows of a type is its highest upcaster (1 without any). Delivery runs the
 * event's data through the upcasters above its version, so the machine always receives
 * the newest shape; an event newer than the service knows, or one an upcaster throws on,
 * becomes a dead letter (`TROUPE_EVENT_VERSION_UNKNOWN`, `TROUPE_EVENT_UPCAST_FAILED`)
 * that an operator replays once the node runs code that knows it.
 *
 * What a node publishes carries the newest version its app knows of the type (the
 * highest any of the app's services declares), unless the emit names one itself: the
 * app's code is one module, so the machines that emit a type write the shape its
 * consumers' newest upcaster produces.
 */
import type { Envelope } from '../protocol/envelope.js';
import { MAX_EVENT_VERSION } from '../protocol/event-codec.js';
import { TroupeError } from '../protocol/troupe-error.js';
import type { EmittedEvent, ServiceDefinition, ServiceEvent } from './service.js';

/** Turns the data of an event type's previous version into the version it is declared under. */
export type Upcaster = (previous: any) => unknown;

/** The upcasters of one event type, by the version each produces: `{ 2: (v1) => v2 }`. */
export type Upcasters = { readonly [version: number]: Upcaster };

/** A service's upcasters, by event type. */
export type EventVersions = { readonly [type: string]: Upcasters };

/** The newest version each event type has in an app: type → version (2 or more; absent is 1). */
export type NewestVersions = ReadonlyMap<string, number>;

/**
 * Checks a service's `versions`: each a map of upcaster functions under consecutive
 * versions from 2, so that any older event has a path to the newest.
 *
 * @throws TroupeError `TROUPE_BAD_APP` naming the first that is not.
 */
export function checkVersions(service: ServiceDefinition): void {
  const versions: unknown = service.versions;
  if (versions === undefined) return;
  const bad = (why: string): TroupeError => new TroupeError('TROUPE_BAD_APP', `service ${service.name}: ${why}`);
  if (versions === null || typeof versions !== 'object') throw bad('`versions` must map event types to their upcasters');
  for (const [type, upcasters] of Object.entries(versions)) {
    if (upcasters === null || typeof upcasters !== 'object') throw bad(`versions of ${type} must map versions to upcasters`);
    const numbers = Object.keys(upcasters).map(Number).sort((a, b) => a - b);
    numbers.forEach((version, i) => {
      if (version !== i + 2 || version > MAX_EVENT_VERSION) throw bad(`versions of ${type} must be 2, 3, … with none missing`);
      if (typeof (upcasters as Upcasters)[version] !== 'function') throw bad(`the upcaster of ${type} to version ${version} must be a function`);
    });
  }
}

/** The newest version `service` knows of `type`: its highest upcaster's, or 1. */
export function knownVersion(service: ServiceDefinition, type: string): number {
  const upcasters = service.versions?.[type];
  return upcasters === undefined ? 1 : 1 + Object.keys(upcasters).length;
}

/** The newest version of each event type that any of `services` knows (types at version 1 are left out). */
export function newestVersions(services: readonly ServiceDefinition[]): NewestVersions {
  const newest = new Map<string, number>();
  for (const service of services) {
    for (const type of Object.keys(service.versions ?? {})) {
      const version = knownVersion(service, type);
      if (version > (newest.get(type) ?? 1)) newest.set(type, version);
    }
  }
  return newest;
}

/** `emitted` with the version it is published at: its own if it names one, else the newest the app knows. */
export function versioned(emitted: EmittedEvent, newest: NewestVersions): EmittedEvent {
  if (emitted.version !== undefined || typeof emitted.type !== 'string') return emitted;
  const version = newest.get(emitted.type);
  return version === undefined ? emitted : { ...emitted, version };
}

/**
 * The event `service`'s machine receives for `envelope`: its data upcast from the
 * envelope's version to the newest the service knows.
 *
 * @throws TroupeError `TROUPE_EVENT_VERSION_UNKNOWN` for a version newer than the
 *   service knows, `TROUPE_EVENT_UPCAST_FAILED` when an upcaster throws.
 */
export function upcast(service: ServiceDefinition, envelope: Envelope): ServiceEvent {
  const { type, ts } = envelope;
  const version = envelope.version ?? 1;
  const upcasters = service.versions?.[type];
  if (upcasters === undefined && version === 1) return { type, data: envelope.data, ts };
  const known = knownVersion(service, type);
  if (version > known) {
    throw new TroupeError(
      'TROUPE_EVENT_VERSION_UNKNOWN',
      `${envelope.id} is ${type} version ${version}; ${service.name} knows versions up to ${known}: replay it once this node runs code that knows version ${version}`,
    );
  }
  let data = envelope.data;
  for (let next = version + 1; next <= known; next++) {
    try {
      data = (upcasters as Upcasters)[next](data);
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new TroupeError('TROUPE_EVENT_UPCAST_FAILED', `${service.name} failed to upcast ${envelope.id} (${type}) to version ${next}: ${message}`, { cause });
    }
  }
  return { type, data, ts };
}
