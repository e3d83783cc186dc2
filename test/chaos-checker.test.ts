import t from 'tap';
import { check, type NodeSnapshot, type Violation } from '../nodes/chaos/checker.js';
import type { Operation } from '../nodes/chaos/history.js';
import type { Clock, LogEvent } from '../nodes/chaos/node-admin.js';

/** An event as `GET /log` lists it (positions are set by {@link node}). */
function event(origin: string, seq: number, vc: Clock, type = 'ChaosPing', data: unknown = { n: seq }, causationId: string | null = null): Omit<LogEvent, 'pos'> {
  return { id: `${origin}:${seq}`, type, origin, seq, vc, correlationId: 's1', causationId, data };
}

/** A node's snapshot: `log` in this order, its clock what the log covers, nothing in flight. */
function node(id: string, log: readonly Omit<LogEvent, 'pos'>[], actors?: NodeSnapshot['actors']): NodeSnapshot {
  const vc: Record<string, number> = {};
  for (const e of log) vc[e.origin] = Math.max(vc[e.origin] ?? 0, e.seq);
  return {
    node: id,
    status: { id, vc, peers: [], log: { size: log.length, buffered: 0 } },
    log: log.map((e, i) => ({ ...e, pos: i + 1 })),
    ...(actors && { actors }),
  };
}

/** An acknowledged publish of `e` on `on`. */
function acked(n: number, on: string, e: Omit<LogEvent, 'pos'>, after?: number): Operation {
  return {
    n, kind: 'session', session: 's1', node: on, type: e.type, data: e.data, correlationId: e.correlationId,
    startedAt: n, endedAt: n, outcome: 'ok', ack: { id: e.id, origin: e.origin, seq: e.seq, vc: e.vc }, ...(after !== undefined && { after }),
  };
}

function kinds(violations: readonly Violation[]): string[] {
  return [...new Set(violations.map((v) => v.kind))].sort();
}

const a = event('n1', 1, { n1: 1 });
const b = event('n2', 1, { n1: 1, n2: 1 });
const c = event('n3', 1, { n3: 1 });
const operations = [acked(1, 'n1', a), acked(2, 'n2', b, 1), acked(3, 'n3', c)];
const none = new Set<string>();

t.test('a history every node holds in causal order passes every check', async (t) => {
  const snapshots = [node('n1', [a, c, b]), node('n2', [a, b, c]), node('n3', [c, a, b])];
  t.same(check({ operations, snapshots, lost: none, orderHosts: [] }), []);
});

t.test('a forked (origin, seq) is flagged, with the node that holds other content than was acknowledged', async (t) => {
  const other = event('n1', 1, { n1: 1 }, 'ChaosPing', { n: 99 });
  const snapshots = [node('n1', [a, c, b]), node('n2', [a, b, c]), node('n3', [c, other, b])];
  const violations = check({ operations, snapshots, lost: none, orderHosts: [] });
  t.same(kinds(violations), ['ack-mismatch', 'fork']);
  t.match(violations.find((v) => v.kind === 'fork'), { event: 'n1:1', node: 'n3' });
  t.match(violations.find((v) => v.kind === 'ack-mismatch'), { event: 'n1:1', node: 'n3' });
});

t.test('a fork that differs only in its clock is flagged too', async (t) => {
  const restamped = event('n1', 1, { n1: 1, n3: 1 });
  const violations = check({ operations, snapshots: [node('n1', [a, c, b]), node('n2', [a, b, c]), node('n3', [c, restamped, b])], lost: none, orderHosts: [] });
  t.ok(violations.some((v) => v.kind === 'fork' && v.event === 'n1:1'));
});

t.test('a log that delivers an event before one it depends on is flagged', async (t) => {
  const snapshots = [node('n1', [a, c, b]), node('n2', [a, b, c]), node('n3', [c, b, a])];
  const violations = check({ operations, snapshots, lost: none, orderHosts: [] });
  t.same(kinds(violations), ['causal-order', 'session-order']);
  t.match(violations.find((v) => v.kind === 'causal-order'), { node: 'n3', event: 'n2:1' });
});

t.test("a session's later event listed before its earlier one is flagged, even where the clocks allow it", async (t) => {
  // b2 was published after a's ack, but carries no dependency on it (the node had lost it).
  const b2 = event('n2', 1, { n2: 1 });
  const ops = [acked(1, 'n1', a), acked(2, 'n2', b2, 1)];
  const violations = check({ operations: ops, snapshots: [node('n1', [a, b2]), node('n2', [b2, a])], lost: none, orderHosts: [] });
  t.same(kinds(violations), ['session-order']);
  t.match(violations[0], { node: 'n2', event: 'n2:1' });
});

t.test('an acknowledged event missing on a node is flagged, unless it was lost with a disk', async (t) => {
  const snapshots = [node('n1', [a, c, b]), node('n2', [a, b, c]), node('n3', [a, b])];
  t.same(kinds(check({ operations, snapshots, lost: none, orderHosts: [] })), ['missing-ack', 'not-converged']);
  t.same(kinds(check({ operations, snapshots, lost: new Set(['n3:1']), orderHosts: [] })), ['not-converged']);
});

t.test('an event listed twice, and a cause handled twice by one node across incarnations, are flagged', async (t) => {
  const first = event('n1~x', 1, { 'n1~x': 1 }, 'OrderCreated', { orderId: 'o1' }, 'n2:7');
  const again = event('n1~y', 1, { 'n1~x': 1, 'n1~y': 1 }, 'OrderCreated', { orderId: 'o1' }, 'n2:7');
  const violations = check({ operations: [], snapshots: [node('n1', [first, again, again])], lost: none, orderHosts: [] });
  t.same(kinds(violations), ['duplicate-event', 'handled-twice']);
  t.match(violations.find((v) => v.kind === 'handled-twice'), { message: /n1 emitted OrderCreated for n2:7 twice/ });
});

t.test('an order not completed or cancelled on its host is flagged', async (t) => {
  const placed = event('n2', 1, { n2: 1 }, 'OrderPlaced', { orderId: 'o1' });
  const shipped = event('n2', 2, { n2: 2 }, 'OrderPlaced', { orderId: 'o2' });
  const actors = [{ service: 'order', key: 'o1', state: 'completed', status: 'done' }, { service: 'order', key: 'o2', state: 'pending', status: 'active' }];
  const violations = check({ operations: [], snapshots: [node('n1', [placed, shipped], actors)], lost: none, orderHosts: ['n1'] });
  t.same(violations.map((v) => [v.kind, v.message]), [['order-unfinished', 'order o2 is "pending" on n1']]);
});
