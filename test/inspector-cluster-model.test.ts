import t from 'tap';
import { ClusterModel } from '../inspector/cluster-model.js';
import type { FeedEvent, NodeStatus } from '../inspector/feed.js';

function event(origin: string, seq: number, vc: Record<string, number>, extra: Partial<FeedEvent> = {}): FeedEvent {
  return { pos: seq, id: `${origin}:${seq}`, type: 'T', origin, seq, vc, correlationId: 'o1', causationId: null, ts: 1_000 + seq, data: {}, transitions: [], ...extra };
}

function status(id: string, vc: Record<string, number>, peers: NodeStatus['peers'], chaos = false): NodeStatus {
  return { id, vc, peers, services: [], log: { size: 0, buffered: 0 }, recovering: false, chaos };
}

const peer = (id: string, outbox: number, connected = true, cut = false): NodeStatus['peers'][number] =>
  ({ id, connected, outbox, since: 0, admin: `http://127.0.0.1:400${id.slice(1)}`, ...(cut ? { cut } : {}) });

t.test('an event lands once every node holds it, and until then names whose outbox it waits in', async (t) => {
  const model = new ClusterModel();
  const e1 = event('n1', 1, { n1: 1 });
  model.apply('n1', { kind: 'hello', status: status('n1', { n1: 1 }, [peer('n2', 1, false, true)], true), actors: [], events: [e1], heldBack: [], deadLetters: [] }, 0);
  model.apply('n2', { kind: 'hello', status: status('n2', {}, [peer('n1', 0, false)]), actors: [], events: [], heldBack: [], deadLetters: [] }, 0);
  const merged = model.events()[0];
  t.same(model.presence(merged), { landed: false, missing: ['n2'], waits: ["waits in n1's outbox for n2 (link n1–n2 cut)"] });
  model.apply('n2', { kind: 'events', events: [{ ...e1, pos: 7 }] }, 10);
  t.equal(model.presence(merged).landed, true);
  t.equal(merged.byNode.get('n2')?.pos, 7);
});

t.test('a node whose status clock counts an event holds it even when its feed did not show it', async (t) => {
  const model = new ClusterModel();
  model.apply('n1', { kind: 'hello', status: status('n1', { n1: 1 }, [peer('n2', 0)]), actors: [], events: [event('n1', 1, { n1: 1 })], heldBack: [], deadLetters: [] }, 0);
  model.apply('n2', { kind: 'hello', status: status('n2', { n1: 1 }, [peer('n1', 0)]), actors: [], events: [], heldBack: [], deadLetters: [] }, 0);
  t.equal(model.presence(model.events()[0]).landed, true);
});

t.test('a status clock that leaves a retired origin out holds its events up to the final seq, read anew with each status', async (t) => {
  const model = new ClusterModel();
  const events = [event('n1~a', 2, { 'n1~a': 2 }), event('n1~a', 3, { 'n1~a': 3 })];
  model.apply('n1', { kind: 'hello', status: status('n1', { 'n1~a': 3 }, [peer('n2', 0)]), actors: [], events, heldBack: [], deadLetters: [] }, 0);
  const retired = (final: number): NodeStatus => ({ ...status('n2', { 'n1~b': 1 }, [peer('n1', 0)]), retired: { nodes: [], origins: [{ origin: 'n1~a', final }], folded: 1 } });
  model.apply('n2', { kind: 'hello', status: retired(2), actors: [], events: [], heldBack: [], deadLetters: [] }, 0);
  const [second, third] = model.events();
  t.ok(model.holds('n2', second), 'seq 2 is counted: the origin left out reads as its final seq');
  t.notOk(model.holds('n2', third), 'seq 3 is above it');
  model.apply('n2', { kind: 'status', status: retired(3) }, 10);
  t.ok(model.holds('n2', third), 'a new status is read with its own retirements');
});

t.test('a held-back copy is named with what it waits for', async (t) => {
  const model = new ClusterModel();
  model.apply('n1', { kind: 'hello', status: status('n1', { n1: 2, n2: 1 }, [peer('n3', 1)]), actors: [], events: [event('n1', 2, { n1: 2, n2: 1 })], heldBack: [], deadLetters: [] }, 0);
  model.apply('n3', {
    kind: 'hello', status: status('n3', { n1: 1 }, [peer('n1', 0)]), actors: [], events: [], deadLetters: [],
    heldBack: [{ id: 'n1:2', type: 'T', origin: 'n1', seq: 2, correlationId: 'o1', waitingFor: ['n2:1'] }],
  }, 0);
  t.same(model.presence(model.events()[0]).waits, ['held back at n3, waiting for n2:1']);
});

t.test('learns peers from statuses and tells when an admin URL is new', async (t) => {
  const model = new ClusterModel();
  model.apply('n1', { kind: 'hello', status: status('n1', {}, [peer('n2', 0)]), actors: [], events: [], heldBack: [], deadLetters: [] }, 0);
  t.same(model.nodeIds(), ['n1', 'n2']);
  t.equal(model.learnNode('n2', 'http://127.0.0.1:4002'), true);
  t.equal(model.learnNode('n2', 'http://127.0.0.1:4002'), false);
  t.equal(model.node('n2')?.reachable, false);
});

t.test('links are up, reconnecting or cut, with the catch-up rate from successive statuses', async (t) => {
  const model = new ClusterModel();
  model.apply('n1', { kind: 'hello', status: status('n1', {}, [peer('n2', 3_000), peer('n3', 5, false, true), peer('n4', 0, false)], true), actors: [], events: [], heldBack: [], deadLetters: [] }, 0);
  model.apply('n1', { kind: 'status', status: status('n1', {}, [peer('n2', 1_000), peer('n3', 5, false, true), peer('n4', 0, false)], true) }, 1_000);
  const links = model.links();
  t.same(links.map((l) => [l.to, l.state, l.chaos]), [['n2', 'up', true], ['n3', 'cut', true], ['n4', 'reconnecting', true]]);
  t.same(links[0].progress, { left: 1_000, rate: 2_000, etaMs: 500 });
});

t.test('actors deltas replace the changed actors only; a new hello replaces the node', async (t) => {
  const model = new ClusterModel();
  const actor = (key: string, state: string) => ({ service: 'order', key, state, status: 'active', context: {}, timers: [], accepts: [] });
  model.apply('n1', { kind: 'hello', status: status('n1', {}, []), actors: [actor('a', 'idle'), actor('b', 'idle')], events: [event('n1', 1, { n1: 1 })], heldBack: [], deadLetters: [] }, 0);
  model.apply('n1', { kind: 'actors', actors: [actor('b', 'pending')] }, 1);
  t.same(model.node('n1')?.actors.map((a) => [a.key, a.state]), [['a', 'idle'], ['b', 'pending']]);
  model.apply('n1', { kind: 'hello', status: status('n1', {}, []), actors: [], events: [], heldBack: [], deadLetters: [] }, 2);
  t.same(model.node('n1')?.actors, []);
  t.same(model.node('n1')?.events, []);
});

t.test('reveals the emitter of an event from the service that handled its cause on its origin node', async (t) => {
  const model = new ClusterModel();
  const placed = event('n1', 1, { n1: 1 }, { type: 'OrderPlaced', transitions: [{ service: 'order', key: 'o1', from: 'idle', to: 'pending' }] });
  const created = event('n1', 2, { n1: 2 }, { type: 'OrderCreated', causationId: 'n1:1' });
  const elsewhere = event('n2', 1, { n1: 2, n2: 1 }, { type: 'Other', causationId: 'n1:2' });
  model.apply('n1', { kind: 'hello', status: status('n1', {}, []), actors: [], events: [placed, created], heldBack: [], deadLetters: [] }, 0);
  model.apply('n2', { kind: 'hello', status: status('n2', {}, []), actors: [], events: [{ ...placed, transitions: [{ service: 'audit', key: null, from: 'a', to: 'b' }] }, elsewhere], heldBack: [], deadLetters: [] }, 0);
  t.same([...model.revealedEmitters()].map(([type, s]) => [type, [...s]]), [['OrderCreated', ['order']]]);
});

t.test('lists correlation ids newest first with their event counts', async (t) => {
  const model = new ClusterModel();
  model.apply('n1', { kind: 'events', events: [event('n1', 1, { n1: 1 }), event('n1', 2, { n1: 2 }, { correlationId: 'o2', ts: 5_000 })] }, 0);
  t.same(model.correlations(), [{ id: 'o2', events: 1, last: 5_000 }, { id: 'o1', events: 1, last: 1_001 }]);
});

t.test('lists each refused duplicate node id once, at its latest refusal, newest first, whichever statuses told it', async (t) => {
  const model = new ClusterModel();
  t.same(model.duplicates(), [], 'none before any status tells of one');
  const withDuplicates = (id: string, duplicates: NodeStatus['duplicates']): NodeStatus => ({ ...status(id, {}, []), duplicates });
  // n1 refused a second n2 (twice: its status has the later time); the refused n2 reports it too, earlier.
  model.apply('n1', { kind: 'hello', status: withDuplicates('n1', [{ node: 'n2', refusedBy: 'n1', at: 5_000 }]), actors: [], events: [], heldBack: [], deadLetters: [] }, 0);
  model.apply('n2', { kind: 'hello', status: withDuplicates('n2', [{ node: 'n2', refusedBy: 'n1', at: 4_000 }]), actors: [], events: [], heldBack: [], deadLetters: [] }, 0);
  model.apply('n3', { kind: 'hello', status: withDuplicates('n3', [{ node: 'n4', refusedBy: 'n3', at: 6_000 }]), actors: [], events: [], heldBack: [], deadLetters: [] }, 0);
  t.same(model.duplicates(), [{ node: 'n4', refusedBy: 'n3', at: 6_000 }, { node: 'n2', refusedBy: 'n1', at: 5_000 }]);
  model.apply('n3', { kind: 'status', status: status('n3', {}, []) }, 1_000);
  t.same(model.duplicates(), [{ node: 'n2', refusedBy: 'n1', at: 5_000 }], 'a status without duplicates drops that node\'s');
});
