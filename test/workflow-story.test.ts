process.env.TZ = 'UTC';
import fc from 'fast-check';
import t from 'tap';
import type { NodeStatus } from '../inspector/feed.js';
import { causalOrder, clockTime, workflowStory, type NodeAnswer, type TraceAnswer, type TracedEvent } from '../runtime/workflow-story.js';

/** 12:03:05 UTC on some day. */
const AT_12_03_05 = Date.UTC(2026, 0, 2, 12, 3, 5);

function event(origin: string, seq: number, vc: Record<string, number>, type: string, causationId: string | null, ts = seq): TracedEvent {
  return { pos: 0, id: `${origin}:${seq}`, type, origin, seq, vc: { ...vc, [origin]: seq }, correlationId: 'o-1', causationId, ts, data: {} };
}

function trace(fields: Partial<TraceAnswer>): TraceAnswer {
  return { correlationId: 'o-1', events: [], buffered: [], outboxes: [], deadLetters: [], ...fields };
}

function status(id: string, peers: NodeStatus['peers'] = []): NodeStatus {
  return { id, vc: {}, peers, services: [], log: { size: 0, buffered: 0 }, recovering: false };
}

// The order workflow split by a cut between n2 and n3: n1 placed, n2 reserved and captured.
const placed = event('n1', 1, {}, 'OrderPlaced', null, 100);
const created = event('n1', 2, {}, 'OrderCreated', 'n1:1', 101);
const reserved = event('n2', 1, { n1: 2 }, 'InventoryReserved', 'n1:2', 102);
const captured = event('n2', 2, { n1: 2 }, 'PaymentCaptured', 'n2:1', 103);

t.test('clockTime is the local time of day as HH:MM:SS', async (t) => {
  t.equal(clockTime(AT_12_03_05), '12:03:05');
});

t.test('merges every node\'s events into each event once, with the nodes that hold it', async (t) => {
  const view = workflowStory('o-1', [
    { id: 'n2', admin: 'http://n2', trace: trace({ events: [{ ...placed, pos: 7 }, created, reserved, captured] }) },
    { id: 'n1', admin: 'http://n1', trace: trace({ events: [{ ...placed, pos: 3 }, created] }) },
  ]);
  t.same(view.events.map((e) => [e.id, e.heldBy]), [
    ['n1:1', ['n1', 'n2']],
    ['n1:2', ['n1', 'n2']],
    ['n2:1', ['n2']],
    ['n2:2', ['n2']],
  ]);
  t.equal(view.events[0].pos, 7, 'the position is the first answer\'s (the node asked)');
  t.same(view.nodes, [
    { id: 'n2', admin: 'http://n2', reachable: true },
    { id: 'n1', admin: 'http://n1', reachable: true },
  ]);
  t.same(view.pending, []);
});

t.test('passes the transitions of every holder through, and [] where a trace has none', async (t) => {
  const move = { service: 'payment', key: 'o-1', from: 'idle', to: 'captured' };
  const view = workflowStory('o-1', [
    { id: 'n1', admin: '', trace: trace({ events: [reserved] }) },
    { id: 'n2', admin: '', trace: trace({ events: [{ ...reserved, transitions: [move] }, placed] }) },
  ]);
  t.same(view.events.find((e) => e.id === 'n2:1')?.transitions, [move]);
  t.same(view.events.find((e) => e.id === 'n1:1')?.transitions, []);
});

t.test('orders the events causally, whatever order the nodes answered in', async (t) => {
  const view = workflowStory('o-1', [{ id: 'n3', admin: '', trace: trace({ events: [captured, reserved, created, placed] }) }]);
  t.same(view.events.map((e) => e.id), ['n1:1', 'n1:2', 'n2:1', 'n2:2']);
});

t.test('causalOrder puts concurrent events in time order and never an event before its causes', async (t) => {
  // n2:1 is concurrent with n1:1 but earlier; n1:2 follows both.
  const a = event('n1', 1, {}, 'A', null, 50);
  const b = event('n2', 1, {}, 'B', null, 10);
  const c = event('n1', 2, { n2: 1 }, 'C', 'n2:1', 5);
  t.same(causalOrder([c, a, b]).map((e) => e.id), ['n2:1', 'n1:1', 'n1:2'], 'the later ts of a cause does not let its effect go first');
});

t.test('causalOrder is a topological order of happened-before for any causal history', async (t) => {
  // A history: each step, one of three nodes publishes, after maybe receiving everything another node has.
  const step = fc.record({ node: fc.constantFrom('a', 'b', 'c'), from: fc.option(fc.constantFrom('a', 'b', 'c')), ts: fc.nat(1000) });
  fc.assert(
    fc.property(fc.array(step, { maxLength: 40 }), fc.nat(), (steps, seed) => {
      const clocks: Record<string, Record<string, number>> = { a: {}, b: {}, c: {} };
      const events: TracedEvent[] = [];
      for (const s of steps) {
        const own = clocks[s.node];
        if (s.from !== null) for (const [k, v] of Object.entries(clocks[s.from])) own[k] = Math.max(own[k] ?? 0, v);
        own[s.node] = (own[s.node] ?? 0) + 1;
        events.push(event(s.node, own[s.node], { ...own }, 'E', null, s.ts));
      }
      const shuffled = [...events].sort((x, y) => ((x.seq * 31 + seed) % 7) - ((y.seq * 31 + seed) % 7));
      const order = causalOrder(shuffled);
      if (order.length !== events.length) return false;
      const at = new Map(order.map((e, i) => [e.id, i]));
      return events.every((f) => events.every((e) => e === f || !((f.vc[e.origin] ?? 0) >= e.seq) || at.get(e.id)! < at.get(f.id)!));
    }),
  );
});

t.test('says which event waits in which outbox, for whom, and that the link is cut since when', async (t) => {
  const view = workflowStory('o-1', [
    {
      id: 'n2',
      admin: 'http://n2',
      status: status('n2', [{ id: 'n3', connected: false, outbox: 2, since: AT_12_03_05, cut: true }]),
      trace: trace({
        events: [placed, created, reserved, captured],
        outboxes: [{ peer: 'n3', connected: false, since: AT_12_03_05, pending: ['n2:2'] }],
      }),
    },
  ]);
  t.same(view.pending, [
    {
      kind: 'outbox',
      node: 'n2',
      eventId: 'n2:2',
      peer: 'n3',
      text: "PaymentCaptured (n2:2) waits in n2's outbox for n3; link n2–n3 cut since 12:03:05",
    },
  ]);
});

t.test('calls a link cut when either end holds it cut, down when neither does, and up when only unacknowledged', async (t) => {
  const outboxOf = (connected: boolean, since: number) => trace({ events: [captured], outboxes: [{ peer: 'n3', connected, since, pending: ['n2:2'] }] });
  const cutByN3: NodeAnswer = { id: 'n3', admin: '', status: status('n3', [{ id: 'n2', connected: false, outbox: 0, since: 1, cut: true }]), trace: trace({}) };
  const texts = (answers: NodeAnswer[]): string[] => workflowStory('o-1', answers).pending.map((p) => p.text);
  t.same(texts([{ id: 'n2', admin: '', trace: outboxOf(false, AT_12_03_05) }, cutByN3]), [
    "PaymentCaptured (n2:2) waits in n2's outbox for n3; link n2–n3 cut since 12:03:05",
  ]);
  t.same(texts([{ id: 'n2', admin: '', trace: outboxOf(false, AT_12_03_05) }]), [
    "PaymentCaptured (n2:2) waits in n2's outbox for n3; link n2–n3 down since 12:03:05",
  ]);
  t.same(texts([{ id: 'n2', admin: '', trace: outboxOf(false, 0) }]), ["PaymentCaptured (n2:2) waits in n2's outbox for n3; link n2–n3 down"]);
  t.same(texts([{ id: 'n2', admin: '', trace: outboxOf(true, AT_12_03_05) }]), [
    "PaymentCaptured (n2:2) waits in n2's outbox for n3; link n2–n3 up, not acknowledged yet",
  ]);
});

t.test('does not say an event waits for a peer that answered holding it (it came through a relay)', async (t) => {
  const view = workflowStory('o-1', [
    { id: 'n2', admin: '', trace: trace({ events: [captured], outboxes: [{ peer: 'n3', connected: false, since: 0, pending: ['n2:2'] }] }) },
    { id: 'n3', admin: '', trace: trace({ events: [captured] }) },
  ]);
  t.same(view.pending, []);
});

t.test('says what a node holds in its causal buffer and what it waits for', async (t) => {
  const view = workflowStory('o-1', [
    {
      id: 'n3',
      admin: '',
      trace: trace({
        buffered: [
          { id: 'n2:58', type: 'OrderShipped', origin: 'n2', seq: 58, correlationId: 'o-1', waitingFor: ['n1:12'] },
          { id: 'n2:59', type: 'Other', origin: 'n2', seq: 59, correlationId: 'o-1', waitingFor: ['n1:12', 'n2:58'] },
        ],
      }),
    },
  ]);
  t.same(view.pending, [
    { kind: 'held-back', node: 'n3', eventId: 'n2:58', text: 'n3 holds OrderShipped (n2:58) in its causal buffer, waiting for n1:12' },
    { kind: 'held-back', node: 'n3', eventId: 'n2:59', text: 'n3 holds Other (n2:59) in its causal buffer, waiting for n1:12, n2:58' },
  ]);
});

t.test('names a dead letter by service, node and error', async (t) => {
  const view = workflowStory('o-1', [
    {
      id: 'n2',
      admin: '',
      trace: trace({
        events: [reserved],
        deadLetters: [{ service: 'payment', key: 'o-1', eventId: 'n2:1', pos: 4, error: { code: 'TROUPE_SERVICE_FAILED', message: 'card reader on fire' }, at: 0 }],
      }),
    },
  ]);
  t.same(view.pending, [
    {
      kind: 'dead-letter',
      node: 'n2',
      eventId: 'n2:1',
      service: 'payment',
      text: 'dead letter at payment on n2: card reader on fire (InventoryReserved (n2:1))',
    },
  ]);
});

t.test('says which nodes did not answer, and why', async (t) => {
  const view = workflowStory('o-1', [
    { id: 'n1', admin: 'http://n1', trace: trace({ events: [placed] }) },
    { id: 'n4', admin: 'http://n4', error: 'GET http://n4/status: ECONNREFUSED' },
    { id: 'n5', admin: '' },
  ]);
  t.same(view.pending, [
    { kind: 'unreachable', node: 'n4', text: 'n4 did not answer: GET http://n4/status: ECONNREFUSED' },
    { kind: 'unreachable', node: 'n5', text: 'n5 did not answer: its admin URL is unknown' },
  ]);
  t.same(view.nodes.map((n) => n.reachable), [true, false, false]);
});
