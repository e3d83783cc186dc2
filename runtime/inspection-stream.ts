/**
 * The node's actors as a Stately inspection stream: the `@statelyai/inspect` events of
 * every actor, served to viewers on the WebSocket path `/inspect` and, with `--inspect
 * URL`, pushed to a Stately inspector server (`InspectorClient`).
 *
 * The host hands over each XState inspection event as it happens, with the troupe event
 * being delivered at that moment; the stream converts it there and then (see
 * `stately-event.ts`) and sends one JSON text frame per event. A new viewer first gets an
 * `@xstate.actor` for every current actor, then the live events.
 *
 * Nobody watching costs a map entry per actor and a check per event: no JSON is built
 * until a viewer or an inspector server is there.
 *
 * `sourceId`: events reach actors from the fabric, not from other actors, so XState never
 * knows a source. When a delivered event was emitted on this node, its `causationId` is
 * the event whose handling emitted it; the actor that handled that one is named as the
 * source (the first, if several local actors handled it). Each delivered event also
 * carries its troupe ids as `event.troupe`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import type { AnyActorRef, AnyEventObject, InspectionEvent } from 'xstate';
import type { Envelope } from '../protocol/envelope.js';
import { nodeOf } from '../protocol/origin.js';
import type { BackoffOptions } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import type { ActorInspector, InspectedActor } from './actor-inspection.js';
import { InspectorClient } from './inspector-client.js';
import { admitUpgrade } from './upgrade-gate.js';
import {
  nodeScoped,
  statelyActor,
  statelyEventEvent,
  statelySnapshot,
  type StatelyContext,
  type StatelyEvent,
} from './stately-event.js';

/** Options of {@link InspectionStream}. */
export interface InspectionStreamOptions {
  /** The node id, put in front of every actor id. */
  readonly node: string;
  readonly log: Logger;
  /** A Stately inspector server to push to (`ws://localhost:8080`); none when absent. */
  readonly push?: string;
  readonly clock?: Clock;
  /** Reconnect delays of the push client. */
  readonly backoff?: BackoffOptions;
}

/** A viewer whose unsent frames pass this many bytes is cut off: it cannot keep up. [8 MiB] */
const MAX_VIEWER_BACKLOG = 8 * 1024 * 1024;
/** How many delivered events' handlers are remembered to name the source of what they emitted. */
const HANDLERS_KEPT = 4096;

/** A root actor the host created, and the name it goes by. */
interface Tracked {
  readonly ref: AnyActorRef;
  readonly name: string;
}

/** The fewest tracked actors at which stopped ones are swept out. */
const MIN_SWEEP = 1024;

/** Converts the host's inspection events and sends them to viewers and the inspector server. */
export class InspectionStream {
  private readonly node: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly wss: WebSocketServer;
  private readonly viewers = new Set<WebSocket>();
  private readonly client: InspectorClient | undefined;
  /** Every current root actor, by service and key: a replaced (rolled back) actor drops out. */
  private readonly actors = new Map<string, Tracked>();
  /**
   * The size of `actors` at which stopped ones are swept out: a passivated actor is
   * stopped without a word to this stream, so it would otherwise stay here for good.
   */
  private sweepAt = MIN_SWEEP;
  /** Actors created while watched whose `@xstate.actor` waits for their first snapshot. */
  private readonly unannounced = new WeakSet<AnyActorRef>();
  /** Delivered event id → the node-scoped id of the first local actor that handled it. */
  private readonly handledBy = new Map<string, string>();
  private stopped = false;
  /** The host whose actors are inspected while this stream is watched (see `attach`). */
  private host: { inspectActors(on: boolean): void } | undefined;

  /** The host's inspection hook: pass it as `HostOptions.inspect`. */
  readonly inspect: ActorInspector;

  constructor(options: InspectionStreamOptions) {
    this.node = options.node;
    this.log = options.log;
    this.clock = options.clock ?? systemClock;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
    this.client = options.push === undefined ? undefined : new InspectorClient({
      url: options.push,
      log: options.log,
      clock: this.clock,
      backoff: options.backoff,
      current: () => this.currentActors(),
    });
    const stream = this;
    this.inspect = function inspectionStreamOnEvent(actor, event, delivering) {
      // The hook runs inside XState's transition: a throw here would fail the actor.
      try {
        stream.take(actor, event, delivering);
      } catch (err) {
        stream.log.warn({ err, type: event.type }, 'an inspection event could not be converted; skipped');
      }
    };
  }

  /** Whether anyone receives the stream: otherwise events are only tracked, never converted. */
  get watched(): boolean {
    return this.viewers.size > 0 || this.client !== undefined;
  }

  /**
   * The host that feeds this stream: it is asked to inspect its actors only while a viewer
   * or an inspector server watches, since XState's inspection costs every transition.
   */
  attach(host: { inspectActors(on: boolean): void }): void {
    this.host = host;
  }

  /** Starts pushing to the inspector server, if one was given. */
  start(): void {
    if (this.client !== undefined) this.host?.inspectActors(true);
    this.client?.start();
  }

  /**
   * Takes an upgrade request on `/inspect`. A browser page may only connect from a
   * loopback origin (127.0.0.1, localhost, [::1]); requests without an `Origin` (tools,
   * not pages) are accepted. Any other page is refused with 403 `TROUPE_FORBIDDEN_ORIGIN`,
   * so that a site the user visits cannot read the node's actors.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!admitUpgrade(req, socket, this.stopped, "watch this node's actors")) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.welcome(ws));
  }

  /** Closes every viewer (cut off after `graceMs` if it does not answer) and the push client. */
  async stop(graceMs = 500): Promise<void> {
    this.stopped = true;
    const viewers = [...this.viewers];
    this.viewers.clear();
    const closed = viewers.map((ws) => new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1001, 'node shutting down');
    }));
    let timer: unknown;
    await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, graceMs)))]);
    this.clock.clearTimeout(timer);
    for (const ws of viewers) ws.terminate();
    await this.client?.stop();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  /** An `@xstate.actor` frame for every current actor and its children, as they are now. */
  currentActors(): string[] {
    const frames: string[] = [];
    const ctx = this.context();
    const add = (ref: AnyActorRef, name: string): void => {
      const frame = serialize(statelyActor(ctx, ref, name));
      if (frame !== undefined) frames.push(frame);
      for (const child of childrenOf(ref)) add(child, child.id);
    };
    for (const { ref, name } of this.actors.values()) add(ref, name);
    return frames;
  }

  private welcome(ws: WebSocket): void {
    const stream = this;
    ws.on('error', function viewerOnError(err) {
      stream.log.debug({ err: err.message }, 'inspection viewer error');
    });
    ws.on('close', function viewerOnClose() {
      stream.viewers.delete(ws);
      if (stream.watched) return;
      stream.host?.inspectActors(false);
      stream.actors.clear(); // told again, as they are then, when the next viewer comes
    });
    if (!this.watched) this.host?.inspectActors(true);
    for (const frame of this.currentActors()) ws.send(frame);
    this.viewers.add(ws);
    this.log.info({ viewers: this.viewers.size }, 'inspection viewer connected');
  }

  /** Tracks a root actor; past `sweepAt`, drops the stopped ones, so that the map stays within twice the live actors. */
  private track(key: string, tracked: Tracked): void {
    this.actors.set(key, tracked);
    if (this.actors.size < this.sweepAt) return;
    for (const [k, { ref }] of this.actors) if (ref.getSnapshot().status === 'stopped') this.actors.delete(k);
    this.sweepAt = Math.max(MIN_SWEEP, 2 * this.actors.size);
  }

  private take(actor: InspectedActor, event: InspectionEvent, delivering: Envelope | null): void {
    const ref = event.actorRef as AnyActorRef;
    if (event.type === '@xstate.actor') {
      if (ref._parent === undefined) this.track(actorKey(actor), { ref, name: actorName(actor) });
      // Its snapshot does not exist yet: it is announced with its first event.
      if (this.watched) this.unannounced.add(ref);
      return;
    }
    if (!this.watched) return;
    if (event.type !== '@xstate.event' && event.type !== '@xstate.snapshot') return;
    const ctx = this.context();
    if (this.unannounced.has(ref)) {
      this.unannounced.delete(ref);
      this.send(statelyActor(ctx, ref, ref._parent === undefined ? actorName(actor) : ref.id));
    }
    if (event.type === '@xstate.snapshot') {
      this.send(statelySnapshot(ctx, ref, event.event, event.snapshot));
      return;
    }
    const sent = event.sourceRef as AnyActorRef | undefined;
    const delivered = delivering !== null && sent === undefined && ref._parent === undefined && event.event.type === delivering.type;
    if (!delivered) {
      this.send(statelyEventEvent(ctx, ref, event.event, sent === undefined ? undefined : nodeScoped(this.node, sent.sessionId)));
      return;
    }
    const sourceId = nodeOf(delivering.origin) === this.node && delivering.causationId !== null ? this.handledBy.get(delivering.causationId) : undefined;
    this.remember(delivering.id, nodeScoped(this.node, ref.sessionId));
    this.send(statelyEventEvent(ctx, ref, withTroupeIds(event.event, delivering), sourceId));
  }

  /** Notes the first local handler of a delivered event, forgetting the oldest past {@link HANDLERS_KEPT}. */
  private remember(eventId: string, sessionId: string): void {
    if (this.handledBy.has(eventId)) return;
    this.handledBy.set(eventId, sessionId);
    if (this.handledBy.size > HANDLERS_KEPT) this.handledBy.delete(this.handledBy.keys().next().value as string);
  }

  private send(event: StatelyEvent): void {
    const frame = serialize(event);
    if (frame === undefined) {
      this.log.warn({ type: event.type, sessionId: event.sessionId }, 'an inspection event is not JSON; skipped');
      return;
    }
    for (const ws of this.viewers) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (ws.bufferedAmount > MAX_VIEWER_BACKLOG) {
        this.log.warn({ backlog: ws.bufferedAmount }, 'an inspection viewer cannot keep up; cut off');
        ws.terminate();
        this.viewers.delete(ws);
        continue;
      }
      ws.send(frame);
    }
    this.client?.push(frame, event.type === '@xstate.actor');
  }

  private context(): StatelyContext {
    return { node: this.node, now: this.clock.now() };
  }
}

/** The delivered event as the inspector shows it: what the machine got, plus its troupe ids. */
function withTroupeIds(event: AnyEventObject, envelope: Envelope): AnyEventObject {
  return {
    ...event,
    troupe: { id: envelope.id, correlationId: envelope.correlationId, causationId: envelope.causationId },
  };
}

/** The frame of one event, or `undefined` if it does not serialise (a BigInt or a cycle in a context). */
function serialize(event: StatelyEvent): string | undefined {
  try {
    return JSON.stringify(event);
  } catch {
    return undefined;
  }
}

/** The actors a machine actor has invoked or spawned. */
function childrenOf(ref: AnyActorRef): AnyActorRef[] {
  const children = (ref.getSnapshot() as { children?: Record<string, AnyActorRef | undefined> } | undefined)?.children;
  if (children === undefined || children === null) return [];
  return Object.values(children).filter((child): child is AnyActorRef => child !== undefined);
}

function actorKey(actor: InspectedActor): string {
  return `${actor.service}\u0000${actor.key ?? ''}`;
}

/** `order:o-42`, or just the service for a singleton. */
function actorName(actor: InspectedActor): string {
  return actor.key === null ? actor.service : `${actor.service}:${actor.key}`;
}
