/**
 * Actor rebuild: the node's actors made again from its log, after its disk lost them.
 *
 * Every node holds the whole log, so a node that lost its disk gets its events back from
 * its peers (`history-recovery.ts`), and then its actors: every local actor starts over
 * and the whole local log is replayed to them, in its delivery order, through the same
 * host code as live delivery, in a host of its own (so the live actors are replaced only
 * once the rebuild is done).
 *
 * What the actors emit during the replay is matched with the events they emitted the
 * first time, which are in the log: an emission matches the first event of this node
 * (any of its origins) not matched yet with the same cause (`causationId`) and the same
 * type; a matched emission is not published again. An unmatched one was lost with the
 * disk, or is new (its cause was committed while the actors were held): it is stamped as
 * a new event of this node and delivered on, as a live emission would be.
 *
 * Timers. An `after` timer's firing is no event, but what it emits is: an event of this
 * node whose cause is the last event its actor handled. When the replay reaches such an
 * event and no emission has matched it yet, the timer of the actor that last handled its
 * cause is fired there, before that event, so the actor moves where it moved the first
 * time and the timer does not fire twice. Replay time is the newest `ts` replayed, so the
 * timers left pending are due `delay` after the event that set them, and are re-armed
 * from there (`Host.restore`). A timer that fired and emitted nothing leaves no trace in
 * the log: the replay cannot place it, and it fires when it is re-armed.
 */
import { decodeEvent } from '../protocol/event-codec.js';
import type { Envelope } from '../protocol/envelope.js';
import { nodeOf } from '../protocol/origin.js';
import type { Clock } from './clock.js';
import { Host, type Emission } from './host.js';
import type { ServiceDefinition } from './service.js';
import type { NewestVersions } from './upcasters.js';
import type { ActorRecord, DeadLetter, Store } from './store.js';

/** Events read from the log at a time. */
const PAGE_EVENTS = 1024;

/** What {@link rebuildActors} needs. */
export interface RebuildArgs {
  /** This node's id: events of any of its origins may be matched. */
  readonly node: string;
  readonly services: readonly ServiceDefinition[];
  /** The newest version of each event type, which the actors' emits are published at (`Host.versions`). */
  readonly versions: NewestVersions;
  readonly store: Pick<Store, 'readFrom'>;
  /** The last log position to replay. */
  readonly end: number;
  /**
   * Stamps an emission that matched nothing as a new event of this node and adds it to the
   * log being committed; returns it with its position, or `undefined` if it was dropped.
   */
  readonly publish: (emission: Emission) => { readonly envelope: Envelope; readonly pos: number } | undefined;
}

/** What a rebuild made. */
export interface RebuiltActors {
  /** Every actor as the replay left it, with its pending timers. */
  readonly records: ActorRecord[];
  readonly deadLetters: DeadLetter[];
  /** Events replayed, emissions matched with logged events, emissions published anew. */
  readonly replayed: number;
  readonly matched: number;
  readonly published: number;
}

/** Replays the log up to `end` to fresh actors; see the module comment. */
export async function rebuildActors(args: RebuildArgs): Promise<RebuiltActors> {
  const emitted = new EmittedEvents(args.node);
  for await (const { envelope } of logEvents(args.store, args.end)) emitted.add(envelope);

  let now = 0;
  const tasks: (() => Emission[])[] = [];
  const host = new Host({
    services: args.services,
    versions: args.versions,
    schedule: (task) => tasks.push(task),
    clock: replayClock(() => now),
    now: () => now,
  });
  let replayed = 0;
  let matched = 0;
  let published = 0;
  // Matched emissions are skipped (their events come in their place in the log); others
  // are published and delivered at once, as live ones would be.
  const settle = (emissions: readonly Emission[]): void => {
    const queue = [...emissions];
    for (let i = 0; i < queue.length; i++) {
      if (emitted.match(queue[i])) {
        matched++;
        continue;
      }
      const fresh = args.publish(queue[i]);
      if (fresh === undefined) continue;
      published++;
      queue.push(...host.deliver(fresh.envelope, fresh.pos));
    }
  };
  const runTasks = (): Emission[] => tasks.splice(0).flatMap((task) => task());

  for await (const { pos, envelope } of logEvents(args.store, args.end)) {
    now = Math.max(now, envelope.ts);
    const cause = envelope.causationId;
    if (cause !== null && emitted.unmatched(envelope) && host.fireTimerCausedBy(cause)) settle(runTasks());
    settle(host.deliver(envelope, pos));
    replayed++;
  }
  const changes = host.takeChanges();
  host.stop();
  return { records: changes.actors, deadLetters: changes.deadLetters, replayed, matched, published };
}

/** The events of this node in the log that some event caused, by cause, not matched yet. */
class EmittedEvents {
  private readonly byCause = new Map<string, { readonly id: string; readonly type: string }[]>();
  private readonly open = new Set<string>();

  constructor(private readonly node: string) {}

  /** Notes `e` if this node emitted it while handling another event. */
  add(e: Envelope): void {
    if (e.causationId === null || nodeOf(e.origin) !== this.node) return;
    const list = this.byCause.get(e.causationId) ?? [];
    list.push({ id: e.id, type: e.type });
    this.byCause.set(e.causationId, list);
    this.open.add(e.id);
  }

  /** Whether `e` is an event of this node that no emission has matched yet. */
  unmatched(e: Envelope): boolean {
    return this.open.has(e.id);
  }

  /** Matches `emission` with the first unmatched event of the same cause and type; whether there was one. */
  match({ emitted, cause }: Emission): boolean {
    const list = cause === null ? undefined : this.byCause.get(cause.id);
    const i = list === undefined ? -1 : list.findIndex((e) => e.type === emitted.type);
    if (list === undefined || i < 0) return false;
    this.open.delete(list[i].id);
    list.splice(i, 1);
    return true;
  }
}

/** The log's events up to `end`, decoded, in delivery order. */
async function* logEvents(store: Pick<Store, 'readFrom'>, end: number): AsyncGenerator<{ pos: number; envelope: Envelope }> {
  for (let from = 1; from <= end; ) {
    const rows = await store.readFrom(from, Math.min(PAGE_EVENTS, end - from + 1));
    if (rows.length === 0) return;
    for (const row of rows) {
      if (row.pos > end) return;
      let envelope: Envelope;
      try {
        envelope = decodeEvent(row.bytes);
      } catch {
        continue; // an event an older version let in that today's rules refuse: it moves no actor
      }
      yield { pos: row.pos, envelope };
    }
    from = rows[rows.length - 1].pos + 1;
  }
}

/** Replay time: what `now` says; timers never fire by themselves (the replay fires them). */
function replayClock(now: () => number): Clock {
  return { now, setTimeout: () => undefined, clearTimeout: () => undefined };
}
