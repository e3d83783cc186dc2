import t from 'tap';
import { createMachine } from 'xstate';
import type { Chart, ChartState } from '../inspector/feed.js';
import { orderMachine } from '../machines/order.js';
import { statechartOf } from '../runtime/statechart-layout.js';

function state(chart: Chart, id: string): ChartState {
  const found = chart.states.find((s) => s.id === id);
  if (found === undefined) throw new Error(`no state ${id} in the chart`);
  return found;
}

function overlap(a: ChartState, b: ChartState): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function inside(child: ChartState, parent: ChartState): boolean {
  return child.x >= parent.x && child.y >= parent.y && child.x + child.width <= parent.x + parent.width && child.y + child.height <= parent.y + parent.height;
}

/** Whether a point lies on the border of a box (within a pixel). */
function onBorder(p: { x: number; y: number }, box: ChartState): boolean {
  const within = p.x >= box.x - 1 && p.x <= box.x + box.width + 1 && p.y >= box.y - 1 && p.y <= box.y + box.height + 1;
  const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1;
  return within && (near(p.x, box.x) || near(p.x, box.x + box.width) || near(p.y, box.y) || near(p.y, box.y + box.height));
}

/** A nested machine: a compound state, a delayed and an eventless transition. */
const nested = createMachine({
  id: 'door',
  initial: 'closed',
  states: {
    closed: {
      initial: 'locked',
      states: {
        locked: { on: { UNLOCK: 'unlocked' } },
        unlocked: { on: { LOCK: 'locked' }, after: { 5000: 'locked' } },
      },
      on: { OPEN: 'open' },
    },
    open: { after: { 250: 'closing' } },
    closing: { always: 'closed' },
  },
});

t.test('the order chart has every state of the machine and every transition, labelled by event type', async (t) => {
  const chart = await statechartOf(orderMachine);
  t.same(chart.states.map((s) => s.id).sort(), ['order', 'order.cancelled', 'order.compensating', 'order.completed', 'order.idle', 'order.pending']);
  t.same(state(chart, 'order').path, []);
  t.same(state(chart, 'order.pending').path, ['pending']);
  t.equal(state(chart, 'order.cancelled').type, 'final');
  t.same(chart.states.filter((s) => s.initial).map((s) => s.id), ['order.idle']);
  const arrows = chart.transitions.map((tr) => `${tr.source} -${tr.label}-> ${tr.target}`).sort();
  t.same(arrows, [
    'order.compensating -InventoryReleased-> order.cancelled',
    'order.idle -OrderPlaced-> order.cancelled',
    'order.idle -OrderPlaced-> order.pending',
    'order.pending -InventoryRejected-> order.cancelled',
    'order.pending -OrderShipped-> order.completed',
    'order.pending -PaymentDeclined-> order.compensating',
  ]);
});

t.test('sibling states do not overlap and lie inside their parent', async (t) => {
  for (const machine of [orderMachine, nested]) {
    const chart = await statechartOf(machine);
    const root = chart.states.find((s) => s.path.length === 0) as ChartState;
    t.same([root.x, root.y, root.width, root.height], [0, 0, chart.width, chart.height], `${machine.id}: the root spans the chart`);
    for (const a of chart.states) {
      for (const b of chart.states) {
        if (a === b || a.path.length !== b.path.length || a.path.slice(0, -1).join('.') !== b.path.slice(0, -1).join('.')) continue;
        t.notOk(overlap(a, b), `${a.id} and ${b.id} do not overlap`);
      }
      if (a.path.length > 0) {
        const parent = chart.states.find((s) => s.path.join('.') === a.path.slice(0, -1).join('.')) as ChartState;
        t.ok(inside(a, parent), `${a.id} lies inside ${parent.id}`);
      }
    }
  }
});

t.test('every transition starts at its source state and ends at its target state', async (t) => {
  for (const machine of [orderMachine, nested]) {
    const chart = await statechartOf(machine);
    for (const tr of chart.transitions) {
      t.ok(tr.points.length >= 2, `${tr.source} -${tr.label}-> ${tr.target} has a route`);
      t.ok(onBorder(tr.points[0], state(chart, tr.source)), `${tr.source} -${tr.label}-> starts on ${tr.source}`);
      t.ok(onBorder(tr.points[tr.points.length - 1], state(chart, tr.target)), `-${tr.label}-> ${tr.target} ends on ${tr.target}`);
      t.ok(tr.labelX >= 0 && tr.labelX <= chart.width && tr.labelY >= 0 && tr.labelY <= chart.height, `the label ${tr.label} is on the chart`);
    }
  }
});

t.test('delayed transitions read "after 5s" and eventless ones "always"; nested states are absolute', async (t) => {
  const chart = await statechartOf(nested);
  const labels = chart.transitions.map((tr) => `${tr.source} -${tr.label}-> ${tr.target}`).sort();
  t.same(labels, [
    'door.closed -OPEN-> door.open',
    'door.closed.locked -UNLOCK-> door.closed.unlocked',
    'door.closed.unlocked -LOCK-> door.closed.locked',
    'door.closed.unlocked -after 5s-> door.closed.locked',
    'door.closing -always-> door.closed',
    'door.open -after 250ms-> door.closing',
  ]);
  t.equal(state(chart, 'door.closed').type, 'compound');
  t.same(chart.states.filter((s) => s.initial).map((s) => s.id).sort(), ['door.closed', 'door.closed.locked']);
  t.ok(inside(state(chart, 'door.closed.locked'), state(chart, 'door.closed')), 'a child is placed in its parent in absolute coordinates');
});

t.test('a machine is laid out once', async (t) => {
  t.equal(statechartOf(orderMachine), statechartOf(orderMachine));
});
