import t from 'tap';
import type { Envelope } from '../protocol/envelope.js';
import type { Clock } from '../runtime/clock.js';
import type { CommitNotice, FabricObserver, PeerView } from '../runtime/fabric.js';
import type { ActorView } from '../runtime/host.js';
import { MAX_TYPE_LABELS, Metrics, OTHER_TYPE, stateLabel } from '../runtime/metrics.js';
import type { DeadLetter } from '../runtime/store.js';
import { byLabel, parsePrometheus, valueOf, type Exposition } from './helpers/prometheus-text.js';

/** A node `n1` made of plain data: the test changes it and tells the observer. */
function fakeNode() {
  const world = {
    now: 100_000,
    peers: [] as PeerView[],
    buffered: 0,
    size: 0,
    actors: [] as ActorView[],
    live: 0,
    letters: [] as DeadLetter[],
    observer: undefined as FabricObserver | undefined,
    compacted: { events: 0, forced: 0 },
    lost: undefined as { events: number; pending: number } | undefined,
  };
  const clock: Clock = { now: () => world.now, setTimeout: () => undefined, clearTimeout: () => undefined };
  const metrics = new Metrics({
    fabric: {
      id: 'n1',
      origin: 'n1',
      observe(observer) {
        world.observer = observer;
        return () => undefined;
      },
      peerViews: () => world.peers,
      get buffered() {
        return world.buffered;
      },
      get size() {
        return world.size;
      },
      get compacted() {
        return world.compacted;
      },
      get lostEvents() {
        return world.lost;
      },
      clockEntries: () => ({ delivered: 3, acked: 6, sent: 6, link: 2 }),
    },
    host: {
      counts() {
        const counts: Record<string, Record<string, number>> = {};
        for (const a of world.actors) {
          const byState = (counts[a.service] ??= {});
          byState[stateLabel(a.state)] = (byState[stateLabel(a.state)] ?? 0) + 1;
        }
        return counts;
      },
      serviceNames: ['order', 'payment'],
      actors: {
        get size() {
          return world.live;
        },
        get total() {
          return world.actors.length;
        },
      },
    },
    store: { deadLetters: async () => world.letters },
    clock,
  });
  const commit = (events: Envelope[], writeMs = 2, ignored: CommitNotice['ignored'] = []): void => {
    const notice: CommitNotice = {
      events: events.map((envelope, i) => ({ pos: i + 1, envelope })),
      actors: [],
      deadLetters: [],
      removedDeadLetters: [],
      ignored,
      writeMs,
    };
    world.observer!.committed!(notice);
  };
  const scrape = async (): Promise<Exposition> => parsePrometheus(await metrics.render());
  return { world, metrics, commit, scrape };
}

function event(origin: string, seq: number, type: string, ts = 100_000): Envelope {
  return { id: `${origin}:${seq}`, type, data: null, origin, seq, vc: { [origin]: seq }, correlationId: 'c', causationId: null, ts, schema: 1 };
}

t.test('counts every committed event as delivered by type, and as published only when this node is its origin', async (t) => {
  const { commit, scrape } = fakeNode();
  commit([event('n1', 1, 'OrderPlaced'), event('n2', 1, 'OrderPlaced'), event('n1', 2, 'OrderCreated')]);
  commit([event('n3', 1, 'OrderShipped')]);
  const m = await scrape();
  t.same(byLabel(m, 'troupe_events_delivered_total', 'type'), { OrderPlaced: 2, OrderCreated: 1, OrderShipped: 1 });
  t.same(byLabel(m, 'troupe_events_published_total', 'type'), { OrderPlaced: 1, OrderCreated: 1 });
  t.equal(m.types.get('troupe_events_delivered_total'), 'counter');
  t.same(byLabel(m, 'troupe_clock_entries', 'clock'), { delivered: 3, acked: 6, sent: 6, link: 2 }, 'the clocks\' entries in memory, by clock');
});

t.test('measures delivery latency from the origin\'s ts to the commit, never below zero', async (t) => {
  const { world, commit, scrape } = fakeNode();
  world.now = 100_000;
  commit([event('n2', 1, 'A', 99_800), event('n2', 2, 'A', 99_999), event('n3', 1, 'A', 100_050)]);
  const m = await scrape();
  t.equal(valueOf(m, 'troupe_event_delivery_seconds_count'), 3, 'one observation per delivered event');
  t.equal(valueOf(m, 'troupe_event_delivery_seconds_sum'), 0.201, '0.2 s + 1 ms + a clock ahead counted as 0');
  t.equal(valueOf(m, 'troupe_event_delivery_seconds_bucket', { le: '0.001' }), 2);
  t.equal(valueOf(m, 'troupe_event_delivery_seconds_bucket', { le: '0.25' }), 3);
  t.equal(m.types.get('troupe_event_delivery_seconds'), 'histogram');
});

t.test('records each commit batch\'s size and write time', async (t) => {
  const { commit, scrape } = fakeNode();
  commit([event('n1', 1, 'A'), event('n1', 2, 'A'), event('n1', 3, 'A')], 4);
  commit([event('n2', 1, 'A')], 6);
  const m = await scrape();
  t.equal(valueOf(m, 'troupe_commit_events_count'), 2);
  t.equal(valueOf(m, 'troupe_commit_events_sum'), 4);
  t.equal(valueOf(m, 'troupe_commit_events_bucket', { le: '2' }), 1, 'the batch of one');
  t.equal(valueOf(m, 'troupe_commit_seconds_count'), 2);
  t.equal(valueOf(m, 'troupe_commit_seconds_sum'), 0.01);
});

t.test('counts a peer\'s link-ups after its first as reconnects, and shows a peer seen once at zero', async (t) => {
  const { world, scrape } = fakeNode();
  const link = world.observer!.linkChanged!;
  link('n2', true);
  link('n2', false);
  link('n2', true);
  link('n2', false);
  link('n2', true);
  link('n3', true);
  t.same(byLabel(await scrape(), 'troupe_peer_reconnects_total', 'peer'), { n2: 2, n3: 0 });
});

t.test('reads outboxes, links, the causal buffer and the log size when scraped', async (t) => {
  const { world, scrape } = fakeNode();
  world.peers = [{ id: 'n2', connected: true, outbox: 0, since: 1 }, { id: 'n3', connected: false, outbox: 7, since: 2 }];
  world.buffered = 3;
  world.size = 42;
  let m = await scrape();
  t.same(byLabel(m, 'troupe_outbox_events', 'peer'), { n2: 0, n3: 7 });
  t.same(byLabel(m, 'troupe_peer_connected', 'peer'), { n2: 1, n3: 0 });
  t.equal(valueOf(m, 'troupe_causal_buffer_events'), 3);
  t.equal(valueOf(m, 'troupe_log_events'), 42);
  world.peers = [{ id: 'n2', connected: true, outbox: 0, since: 1 }, { id: 'n3', connected: true, outbox: 0, since: 3 }];
  world.buffered = 0;
  m = await scrape();
  t.same(byLabel(m, 'troupe_outbox_events', 'peer'), { n2: 0, n3: 0 }, 'the next scrape reads again');
  t.equal(valueOf(m, 'troupe_causal_buffer_events'), 0);
});

t.test('counts events ignored by an ended actor, by service and reason', async (t) => {
  const { commit, scrape } = fakeNode();
  const late = (service: string, seq: number) => ({ service, key: 'k', type: 'Late', eventId: `n1:${seq}`, correlationId: 'c', reason: 'actor-done' as const });
  commit([event('n1', 1, 'Late'), event('n1', 2, 'Late')], 2, [late('order', 1), late('order', 2)]);
  commit([event('n1', 3, 'Late')], 2, [late('payment', 3)]);
  const m = await scrape();
  t.equal(valueOf(m, 'troupe_events_ignored_total', { service: 'order', reason: 'actor-done' }), 2);
  t.equal(valueOf(m, 'troupe_events_ignored_total', { service: 'payment', reason: 'actor-done' }), 1);
  t.equal(m.types.get('troupe_events_ignored_total'), 'counter');
});

t.test('counts dead letters per hosted service, zero included', async (t) => {
  const { world, scrape } = fakeNode();
  const letter = (service: string, eventId: string): DeadLetter =>
    ({ service, key: 'k', eventId, pos: 1, error: { code: 'TROUPE_SERVICE_FAILED', message: 'x' }, at: 0 });
  t.same(byLabel(await scrape(), 'troupe_dead_letters', 'service'), { order: 0, payment: 0 });
  world.letters = [letter('order', 'n1:1'), letter('order', 'n1:2')];
  t.same(byLabel(await scrape(), 'troupe_dead_letters', 'service'), { order: 2, payment: 0 });
});

t.test('counts actors by service and state, and drops a state no actor is in any more', async (t) => {
  const { world, scrape } = fakeNode();
  const actor = (service: string, state: unknown): ActorView => ({ service, key: 'k', state, status: 'active', context: {} });
  world.actors = [actor('order', 'placed'), actor('order', 'placed'), actor('order', { paying: 'waiting' }), actor('payment', 'idle')];
  let m = await scrape();
  t.equal(valueOf(m, 'troupe_actors', { service: 'order', state: 'placed' }), 2);
  t.equal(valueOf(m, 'troupe_actors', { service: 'order', state: 'paying.waiting' }), 1);
  t.equal(valueOf(m, 'troupe_actors', { service: 'payment', state: 'idle' }), 1);
  world.actors = [actor('order', 'completed'), actor('order', 'completed'), actor('order', 'completed'), actor('payment', 'idle')];
  m = await scrape();
  t.equal(valueOf(m, 'troupe_actors', { service: 'order', state: 'completed' }), 3);
  t.equal(valueOf(m, 'troupe_actors', { service: 'order', state: 'placed' }), undefined, 'no stale series');
});

t.test('counts the actors in memory and the passivated ones', async (t) => {
  const { world, scrape } = fakeNode();
  const actor = (key: string): ActorView => ({ service: 'order', key, state: 'placed', status: 'active', context: {} });
  world.actors = [actor('a'), actor('b'), actor('c')];
  world.live = 1;
  const m = await scrape();
  t.equal(valueOf(m, 'troupe_actors_resident', { residency: 'live' }), 1);
  t.equal(valueOf(m, 'troupe_actors_resident', { residency: 'passivated' }), 2);
});

t.test('names an actor state by its active paths', async (t) => {
  t.equal(stateLabel('idle'), 'idle');
  t.equal(stateLabel({ paying: 'waiting' }), 'paying.waiting');
  t.equal(stateLabel({ p: { left: 'on', right: { deep: 'x' } } }), 'p.left.on,p.right.deep.x');
  t.equal(stateLabel({ p: { left: {} } }), 'p.left', 'an atomic region shows as its own name');
});

t.test('labels at most MAX_TYPE_LABELS event types; later types are counted under (other)', async (t) => {
  const { commit, scrape } = fakeNode();
  commit(Array.from({ length: MAX_TYPE_LABELS + 2 }, (_, i) => event('n2', i + 1, `T${i}`)));
  commit([event('n2', 1000, 'T0'), event('n2', 1001, `T${MAX_TYPE_LABELS + 1}`)]);
  const delivered = byLabel(await scrape(), 'troupe_events_delivered_total', 'type');
  t.equal(Object.keys(delivered).length, MAX_TYPE_LABELS + 1);
  t.equal(delivered.T0, 2, 'a type labelled before the limit keeps its label');
  t.equal(delivered[OTHER_TYPE], 3);
});

t.test('shows Node\'s process metrics beside each node\'s own, for several nodes in one process', async (t) => {
  const a = fakeNode();
  const b = fakeNode();
  a.commit([event('n1', 1, 'A')]);
  const [ma, mb] = [await a.scrape(), await b.scrape()];
  for (const m of [ma, mb]) {
    t.ok(valueOf(m, 'process_cpu_user_seconds_total')! > 0, 'process CPU');
    t.ok(valueOf(m, 'nodejs_heap_size_used_bytes')! > 0, 'heap');
  }
  t.same(byLabel(ma, 'troupe_events_delivered_total', 'type'), { A: 1 });
  t.same(byLabel(mb, 'troupe_events_delivered_total', 'type'), {}, 'each node counts its own');
  t.match(a.metrics.contentType, /^text\/plain; version=0\.0\.4/);
});
