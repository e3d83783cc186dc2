/**
 * The cluster as the page knows it: every node's feed merged into one model. Pure (no
 * DOM), so it can be driven by hand-made {@link FeedMessage}s in a test.
 *
 * A node's `hello` replaces what the page knew of it (its feed may have been down); the
 * deltas that follow patch it. An event is held by a node when that node's feed showed
 * it or its status clock counts it, and it has landed when every known node holds it.
 */
import { nodeOf } from './event-origin.js';
import type { ActorDetail, AppInfo, DeadLetterView, DuplicateIdView, FeedEvent, FeedMessage, HeldBackEvent, NodeStatus } from './feed.js';
import { outboxProgress, recordSample, type OutboxProgress, type OutboxSample } from './outbox-progress.js';
import { statusClock } from './status-clock.js';

/** A link as one end sees it: `cut` when that end holds it cut, `reconnecting` when down otherwise. */
export type LinkState = 'up' | 'reconnecting' | 'cut';

/** One direction of a link: what `from`'s status says of its peer `to`. */
export interface LinkView {
  readonly from: string;
  readonly to: string;
  readonly state: LinkState;
  readonly since: number;
  readonly progress: OutboxProgress;
  /** Whether `from` takes cut and heal requests. */
  readonly chaos: boolean;
}

/** One node as the page knows it. */
export interface NodeView {
  readonly id: string;
  /** Its admin URL, when known (the page's own origin, or a peer's handshake). */
  admin?: string;
  /** Whether its feed is open and said hello. */
  reachable: boolean;
  status?: NodeStatus;
  actors: ActorDetail[];
  /** The events its feed showed, in its delivery order. */
  events: FeedEvent[];
  heldBack: HeldBackEvent[];
  deadLetters: DeadLetterView[];
}

/** An event as every feed that showed it told it. */
export interface MergedEvent {
  /** `origin:seq`. */
  readonly stamp: string;
  /** The first copy seen (its `pos` and `transitions` are that node's). */
  readonly event: FeedEvent;
  /** Each node's copy: its position there and the transitions it caused there. */
  readonly byNode: Map<string, FeedEvent>;
}

/** Where an event is: which nodes lack it and why. */
export interface EventPresence {
  readonly landed: boolean;
  readonly missing: readonly string[];
  /** For each missing node, in words: whose outbox it waits in, or that it is held back there. */
  readonly waits: readonly string[];
}

/** Events kept per node, and merged: enough for a long session without growing forever. */
const MAX_NODE_EVENTS = 5_000;
const MAX_MERGED_EVENTS = 20_000;

/** The merged state of every feed the page reads. */
export class ClusterModel {
  app?: AppInfo;
  /** Grows on every change, so a view can tell whether to redraw. */
  version = 0;
  private readonly nodes = new Map<string, NodeView>();
  private readonly merged = new Map<string, MergedEvent>();
  private readonly stampOfId = new Map<string, string>();
  private readonly samples = new Map<string, OutboxSample[]>();
  /** Each status's clock read whole, once per status: `holds` asks it for every event. */
  private readonly wholeClocks = new WeakMap<NodeStatus, Record<string, number>>();

  /** Node ids, sorted. */
  nodeIds(): string[] {
    return [...this.nodes.keys()].sort();
  }

  node(id: string): NodeView | undefined {
    return this.nodes.get(id);
  }

  /** Adds a node, or its admin URL; true when the admin URL is new (a feed to open). */
  learnNode(id: string, admin?: string): boolean {
    let node = this.nodes.get(id);
    if (node === undefined) {
      node = { id, reachable: false, actors: [], events: [], heldBack: [], deadLetters: [] };
      this.nodes.set(id, node);
      this.version++;
    }
    if (admin === undefined || node.admin !== undefined) return false;
    node.admin = admin;
    this.version++;
    return true;
  }

  setApp(app: AppInfo): void {
    this.app = app;
    this.version++;
  }

  /** Marks a node's feed as open or not. */
  setReachable(id: string, reachable: boolean): void {
    this.learnNode(id);
    const node = this.nodes.get(id)!;
    if (node.reachable === reachable) return;
    node.reachable = reachable;
    this.version++;
  }

  /** Applies one message of `id`'s feed, received at `at` (ms). Replies are not the model's. */
  apply(id: string, message: FeedMessage, at: number): void {
    this.learnNode(id);
    const node = this.nodes.get(id)!;
    switch (message.kind) {
      case 'hello':
        node.reachable = true;
        node.actors = [...message.actors];
        node.events = [];
        node.heldBack = [...message.heldBack];
        node.deadLetters = [...message.deadLetters];
        this.takeStatus(node, message.status, at);
        this.takeEvents(node, message.events);
        break;
      case 'events':
        this.takeEvents(node, message.events);
        break;
      case 'actors':
        for (const actor of message.actors) {
          const i = node.actors.findIndex((a) => a.service === actor.service && a.key === actor.key);
          if (i >= 0) node.actors[i] = actor;
          else node.actors.push(actor);
        }
        break;
      case 'status':
        this.takeStatus(node, message.status, at);
        break;
      case 'heldBack':
        node.heldBack = [...message.heldBack];
        break;
      case 'deadLetters':
        node.deadLetters = [...message.deadLetters];
        break;
      case 'reply':
        return;
    }
    this.version++;
  }

  private takeStatus(node: NodeView, status: NodeStatus, at: number): void {
    node.status = status;
    for (const peer of status.peers) {
      this.learnNode(peer.id);
      const k = `${node.id}>${peer.id}`;
      this.samples.set(k, recordSample(this.samples.get(k) ?? [], { at, outbox: peer.outbox }));
    }
  }

  private takeEvents(node: NodeView, events: readonly FeedEvent[]): void {
    for (const event of events) {
      node.events.push(event);
      const stamp = `${event.origin}:${event.seq}`;
      let merged = this.merged.get(stamp);
      if (merged === undefined) {
        merged = { stamp, event, byNode: new Map() };
        this.merged.set(stamp, merged);
        this.stampOfId.set(event.id, stamp);
      }
      merged.byNode.set(node.id, event);
    }
    if (node.events.length > MAX_NODE_EVENTS) node.events.splice(0, node.events.length - MAX_NODE_EVENTS);
    for (const stamp of this.merged.keys()) {
      if (this.merged.size <= MAX_MERGED_EVENTS) break;
      this.stampOfId.delete(this.merged.get(stamp)!.event.id);
      this.merged.delete(stamp);
    }
  }

  /** Every event any feed showed, in the order the page first saw them. */
  events(): MergedEvent[] {
    return [...this.merged.values()];
  }

  /** The event with this id (not stamp), if a feed showed it. */
  eventById(id: string): MergedEvent | undefined {
    const stamp = this.stampOfId.get(id);
    return stamp === undefined ? undefined : this.merged.get(stamp);
  }

  /** Every link direction that a status tells of. */
  links(): LinkView[] {
    const links: LinkView[] = [];
    for (const node of this.nodes.values()) {
      for (const peer of node.status?.peers ?? []) {
        const state: LinkState = peer.connected ? 'up' : peer.cut === true ? 'cut' : 'reconnecting';
        const progress = outboxProgress(this.samples.get(`${node.id}>${peer.id}`) ?? []);
        links.push({ from: node.id, to: peer.id, state, since: peer.since, progress, chaos: node.status?.chaos === true });
      }
    }
    return links.sort((a, b) => (a.from + '>' + a.to < b.from + '>' + b.to ? -1 : 1));
  }

  /**
   * Second processes refused for using a live node's id, as every status tells them: each
   * pair of id and refusing node once, at its latest refusal, newest first. Both ends of a
   * refusal report it, so one conflict shows once, not once per node that saw it.
   */
  duplicates(): DuplicateIdView[] {
    const latest = new Map<string, DuplicateIdView>();
    for (const node of this.nodes.values()) {
      for (const conflict of node.status?.duplicates ?? []) {
        const key = `${conflict.node}\u0000${conflict.refusedBy}`;
        const known = latest.get(key);
        if (known === undefined || conflict.at > known.at) latest.set(key, conflict);
      }
    }
    return [...latest.values()].sort((a, b) => b.at - a.at || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }

  /** Whether `node` holds the event: its feed showed it or its status clock counts it. */
  holds(nodeId: string, merged: MergedEvent): boolean {
    if (merged.byNode.has(nodeId)) return true;
    const status = this.nodes.get(nodeId)?.status;
    if (status === undefined) return false;
    const { origin, seq } = merged.event;
    return (this.wholeClock(status)[origin] ?? 0) >= seq;
  }

  /** `status.vc` with the retired origins it leaves out at their final seqs (`statusClock`), read once per status. */
  private wholeClock(status: NodeStatus): Record<string, number> {
    let clock = this.wholeClocks.get(status);
    if (clock === undefined) {
      clock = statusClock(status);
      this.wholeClocks.set(status, clock);
    }
    return clock;
  }

  /** Which nodes lack the event and where it waits for each. */
  presence(merged: MergedEvent): EventPresence {
    const missing = this.nodeIds().filter((id) => !this.holds(id, merged));
    return { landed: missing.length === 0, missing, waits: missing.map((m) => this.whyMissing(merged, m)) };
  }

  private whyMissing(merged: MergedEvent, missing: string): string {
    const node = this.nodes.get(missing);
    const held = node?.heldBack.find((h) => h.origin === merged.event.origin && h.seq === merged.event.seq);
    if (held !== undefined) return `held back at ${missing}, waiting for ${held.waitingFor.join(', ')}`;
    const holders = this.nodeIds().filter((id) => this.holds(id, merged));
    const stamper = nodeOf(merged.event.origin);
    holders.sort((a, b) => (a === stamper ? -1 : b === stamper ? 1 : 0));
    for (const holder of holders) {
      const peer = this.nodes.get(holder)?.status?.peers.find((p) => p.id === missing);
      if (peer === undefined || peer.outbox === 0) continue;
      const link = peer.connected ? '' : peer.cut === true ? ` (link ${holder}–${missing} cut)` : ` (link ${holder}–${missing} down)`;
      return `waits in ${holder}'s outbox for ${missing}${link}`;
    }
    if (node !== undefined && !node.reachable) return `not yet seen at ${missing} (its feed is unreachable)`;
    return `not yet at ${missing}`;
  }

  /**
   * Emitters the feeds reveal: an event whose cause was handled by service S on the
   * event's origin node was emitted by S. Maps event type → services.
   */
  revealedEmitters(): Map<string, Set<string>> {
    const emitters = new Map<string, Set<string>>();
    for (const merged of this.merged.values()) {
      const { causationId, origin, type } = merged.event;
      if (causationId === null) continue;
      const cause = this.eventById(causationId)?.byNode.get(nodeOf(origin));
      for (const t of cause?.transitions ?? []) {
        let set = emitters.get(type);
        if (set === undefined) emitters.set(type, (set = new Set()));
        set.add(t.service);
      }
    }
    return emitters;
  }

  /** Correlation ids, newest event first, with how many events each has. */
  correlations(): { readonly id: string; readonly events: number; readonly last: number }[] {
    const byId = new Map<string, { id: string; events: number; last: number }>();
    for (const { event } of this.merged.values()) {
      const c = byId.get(event.correlationId) ?? { id: event.correlationId, events: 0, last: 0 };
      c.events++;
      c.last = Math.max(c.last, event.ts);
      byId.set(event.correlationId, c);
    }
    return [...byId.values()].sort((a, b) => b.last - a.last);
  }

  /** Each node's events in its delivery order. */
  feeds(): Map<string, readonly FeedEvent[]> {
    return new Map([...this.nodes.values()].map((n) => [n.id, n.events]));
  }

  /** Each node's actors. */
  actors(): Map<string, readonly ActorDetail[]> {
    return new Map([...this.nodes.values()].map((n) => [n.id, n.actors]));
  }
}
