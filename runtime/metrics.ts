/**
 * A node's metrics, in the Prometheus text format (`GET /metrics`), with prom-client.
 *
 * Counters and histograms are fed by watching the fabric (`Fabric.observe`): every commit
 * notice says which events were delivered here, which of them this node published, how
 * large the batch was and how long its write took; link changes give reconnects. Gauges
 * (outboxes, links, causal buffer, DLQ, actors, log size) are read from the fabric, the
 * host and the store when scraped, so they cannot drift from what `/status` shows.
 *
 * Each node has its own registry — several nodes may run in one process — and never the
 * global default one. Node's process metrics belong to the process, not to a node: they
 * are collected once per process and shown by every node in it.
 */
import { collectDefaultMetrics, Counter, exponentialBuckets, Gauge, Histogram, Registry } from 'prom-client';
import { systemClock, type Clock } from './clock.js';
import type { CommitNotice, Fabric } from './fabric.js';
import type { Host } from './host.js';
import { EventHistogram } from './event-histogram.js';
import { stateLabel } from './state-label.js';
import type { Store } from './store.js';

export { stateLabel };

/** What the metrics read. */
export interface MetricsSources {
  readonly fabric: Pick<Fabric, 'id' | 'origin' | 'observe' | 'peerViews' | 'buffered' | 'size' | 'compacted' | 'lostEvents' | 'clockEntries'>;
  readonly host: Pick<Host, 'counts' | 'serviceNames'> & { readonly actors: { readonly size: number; readonly total: number } };
  readonly store: Pick<Store, 'deadLetters'>;
  /** What latency is measured against: the wall clock events' `ts` come from. [default systemClock] */
  readonly clock?: Clock;
}

/**
 * Distinct event types counted under their own label; later ones share {@link OTHER_TYPE}.
 * Types come from anyone who may publish, and each label costs memory and scrape size.
 */
export const MAX_TYPE_LABELS = 500;
/** The `type` label of events past {@link MAX_TYPE_LABELS} distinct types. */
export const OTHER_TYPE = '(other)';

/** One node's metrics registry, fed from its fabric for as long as the fabric runs. */
export class Metrics {
  /** The `content-type` of {@link render}'s text. */
  readonly contentType: string;
  private readonly registry: Registry;
  /** The origin this node stamps under in this start: what it published since it started. */
  private readonly self: string;
  private readonly clock: Clock;
  private readonly types = new Set<string>();
  /** Peers whose link has come up at least once since this node started. */
  private readonly linkedOnce = new Set<string>();
  private readonly published: Counter<'type'>;
  private readonly delivered: Counter<'type'>;
  private readonly latency: EventHistogram;
  private readonly batchEvents: Histogram;
  private readonly batchSeconds: Histogram;
  private readonly reconnects: Counter<'peer'>;
  private readonly ignored: Counter<'service' | 'reason'>;

  constructor(sources: MetricsSources) {
    const { fabric, host, store } = sources;
    this.self = fabric.origin;
    this.clock = sources.clock ?? systemClock;
    const own = new Registry();
    const registers = [own];
    this.published = new Counter({
      name: 'troupe_events_published_total',
      help: 'Events this node published (from POST /events or its actors), by type, once committed.',
      labelNames: ['type'],
      registers,
    });
    this.delivered = new Counter({
      name: 'troupe_events_delivered_total',
      help: 'Events delivered here and committed to the local log, by type.',
      labelNames: ['type'],
      registers,
    });
    this.latency = new EventHistogram({
      name: 'troupe_event_delivery_seconds',
      help: 'Time from an event\'s publish on its origin (its ts) to its commit here.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.batchEvents = new Histogram({
      name: 'troupe_commit_events',
      help: 'Events per commit batch (group commit).',
      buckets: exponentialBuckets(1, 2, 13),
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'troupe_commit_seconds',
      help: 'Duration of a commit batch\'s LevelDB write.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.reconnects = new Counter({
      name: 'troupe_peer_reconnects_total',
      help: 'Times a peer\'s link came up again after its first time since this node started.',
      labelNames: ['peer'],
      registers,
    });
    this.ignored = new Counter({
      name: 'troupe_events_ignored_total',
      help: 'Events delivered here that an actor could not take, by service and reason (actor-done: it had reached a final state).',
      labelNames: ['service', 'reason'],
      registers,
    });
    // Gauges read their value when scraped: registering them is all they need.
    new Gauge({
      name: 'troupe_outbox_events',
      help: 'Events this node has that the peer has not acknowledged.',
      labelNames: ['peer'],
      registers,
      collect() {
        for (const peer of fabric.peerViews()) this.set({ peer: peer.id }, peer.outbox);
      },
    });
    new Gauge({
      name: 'troupe_peer_connected',
      help: 'Whether the link to the peer is up (1) or down (0).',
      labelNames: ['peer'],
      registers,
      collect() {
        for (const peer of fabric.peerViews()) this.set({ peer: peer.id }, peer.connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'troupe_causal_buffer_events',
      help: 'Events received and waiting in the causal buffer for their dependencies.',
      registers,
      collect() {
        this.set(fabric.buffered);
      },
    });
    new Gauge({
      name: 'troupe_log_events',
      help: 'Events logged here, those retention removed included (the last log position).',
      registers,
      collect() {
        this.set(fabric.size);
      },
    });
    // Counted by the compaction itself; read when scraped, like the gauges.
    new Counter({
      name: 'troupe_log_compacted_events_total',
      help: 'Log entries removed by retention (--retain, --retain-events, --retain-bytes, --retain-cap) since this node started.',
      registers,
      collect() {
        this.reset();
        this.inc(fabric.compacted.events);
      },
    });
    new Counter({
      name: 'troupe_log_compacted_unacked_events_total',
      help: 'Of the entries removed by retention, those a peer had not acknowledged durably: removed past the hard cap (--retain-cap).',
      registers,
      collect() {
        this.reset();
        this.inc(fabric.compacted.forced);
      },
    });
    new Counter({
      name: 'troupe_events_lost_total',
      help: 'Events this node lacked that no peer held any more (removed by retention past its hard cap), counted as lost since this node started.',
      registers,
      collect() {
        this.reset();
        this.inc(fabric.lostEvents?.events ?? 0);
      },
    });
    new Gauge({
      name: 'troupe_clock_entries',
      help: 'Entries held in memory by this node\'s vector clocks, by clock: delivered, and summed over its peers acked, sent and the per-link ones (link). A retired origin at its final seq takes none.',
      labelNames: ['clock'],
      registers,
      collect() {
        for (const [clock, n] of Object.entries(fabric.clockEntries())) this.set({ clock }, n);
      },
    });
    new Gauge({
      name: 'troupe_dead_letters',
      help: 'Dead letters in the DLQ, by service of this node.',
      labelNames: ['service'],
      registers,
      async collect() {
        const counts = new Map(host.serviceNames.map((service) => [service, 0]));
        for (const letter of await store.deadLetters()) counts.set(letter.service, (counts.get(letter.service) ?? 0) + 1);
        this.reset();
        for (const [service, count] of counts) this.set({ service }, count);
      },
    });
    new Gauge({
      name: 'troupe_actors',
      help: 'Actors hosted here, in memory or passivated, by service and state (dotted for nested states, comma-separated for parallel ones).',
      labelNames: ['service', 'state'],
      registers,
      collect() {
        // Reset first: a state no actor is in any more drops out instead of keeping its last count.
        this.reset();
        for (const [service, byState] of Object.entries(host.counts())) {
          for (const [state, count] of Object.entries(byState)) this.set({ service, state }, count);
        }
      },
    });
    new Gauge({
      name: 'troupe_actors_resident',
      help: 'Actors hosted here by residency: live (in memory) or passivated (on disk only, brought back by their next event or due timer).',
      labelNames: ['residency'],
      registers,
      collect() {
        const live = host.actors.size;
        this.set({ residency: 'live' }, live);
        this.set({ residency: 'passivated' }, Math.max(0, host.actors.total - live));
      },
    });
    this.registry = Registry.merge([own, processRegistry()]);
    this.contentType = this.registry.contentType;
    fabric.observe({
      committed: (notice) => this.committed(notice),
      linkChanged: (peer, connected) => this.linkChanged(peer, connected),
    });
  }

  /** The metrics as Prometheus text. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  private committed(notice: CommitNotice): void {
    const now = this.clock.now();
    // Counted per commit, not per event: each prom-client `inc` builds and hashes a label set.
    const delivered = new Map<string, number>();
    const published = new Map<string, number>();
    for (const { envelope } of notice.events) {
      const type = this.typeLabel(envelope.type);
      delivered.set(type, (delivered.get(type) ?? 0) + 1);
      if (envelope.origin === this.self) published.set(type, (published.get(type) ?? 0) + 1);
      // Clocks of different hosts disagree a little: a remote `ts` may be ahead of ours.
      this.latency.observe(Math.max(0, now - envelope.ts) / 1000);
    }
    for (const [type, n] of delivered) this.delivered.inc({ type }, n);
    for (const [type, n] of published) this.published.inc({ type }, n);
    for (const { service, reason } of notice.ignored) this.ignored.inc({ service, reason });
    this.batchEvents.observe(notice.events.length);
    this.batchSeconds.observe(notice.writeMs / 1000);
  }

  private linkChanged(peer: string, connected: boolean): void {
    if (!connected) return;
    // The first link-up shows the series at 0, so a scrape lists every peer seen.
    this.reconnects.inc({ peer }, this.linkedOnce.has(peer) ? 1 : 0);
    this.linkedOnce.add(peer);
  }

  private typeLabel(type: string): string {
    if (this.types.has(type)) return type;
    if (this.types.size >= MAX_TYPE_LABELS) return OTHER_TYPE;
    this.types.add(type);
    return type;
  }
}

let shared: Registry | undefined;

/**
 * Node's default metrics (CPU, memory, event loop, GC), collected once per process:
 * collecting them per node would start one more GC observer and event-loop monitor for
 * every node started in the process, none of which can be stopped.
 */
function processRegistry(): Registry {
  if (shared === undefined) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
