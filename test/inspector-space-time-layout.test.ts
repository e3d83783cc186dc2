import t from 'tap';
import { crossPredecessors, cutFrontier, idsAboveRow, inCut, layoutSpaceTime } from '../inspector/space-time-layout.js';

// n1 publishes a (n1:1); n2 delivers it and publishes b (n2:1); n1 publishes c (n1:2) concurrently with b;
// n1 then delivers b and publishes d (n1:3).
const a = { origin: 'n1', seq: 1, vc: { n1: 1 } };
const b = { origin: 'n2', seq: 1, vc: { n1: 1, n2: 1 } };
const c = { origin: 'n1', seq: 2, vc: { n1: 2 } };
const d = { origin: 'n1', seq: 3, vc: { n1: 3, n2: 1 } };

t.test('draws an arrow from each direct predecessor on another lane, not from older ones', async (t) => {
  const layout = layoutSpaceTime([a, b, c, d], ['n1', 'n2']);
  t.same(layout.arrows, [
    { from: 'n1:1', to: 'n2:1' },
    { from: 'n2:1', to: 'n1:3' },
  ]);
});

t.test('names as cross predecessors only the entries that grew since the origin previous event', async (t) => {
  t.same(crossPredecessors({ origin: 'n2', seq: 2, vc: { n1: 3, n2: 2, n3: 1 } }, { n1: 1, n2: 1, n3: 1 }), ['n1:3']);
  t.same(crossPredecessors({ origin: 'n2', seq: 1, vc: { n1: 3, n2: 1, n3: 2 } }, undefined), ['n1:3', 'n3:2']);
});

t.test('puts every event below the events that happened before it, and concurrent events may share a row', async (t) => {
  const layout = layoutSpaceTime([d, c, b, a], ['n1', 'n2']);
  const row = new Map(layout.dots.map((dot) => [dot.id, dot.row]));
  t.ok(row.get('n1:1')! < row.get('n2:1')!);
  t.ok(row.get('n1:1')! < row.get('n1:2')!);
  t.ok(row.get('n2:1')! < row.get('n1:3')!);
  t.ok(row.get('n1:2')! < row.get('n1:3')!);
  t.equal(row.get('n2:1'), row.get('n1:2'), 'b and c are concurrent with equal clock sums');
  t.equal(layout.rows, 3);
});

t.test('places each dot on its origin lane, adding lanes for unknown origins', async (t) => {
  const layout = layoutSpaceTime([a, b, { origin: 'n9', seq: 1, vc: { n9: 1 } }], ['n2', 'n1']);
  t.same(layout.lanes, ['n2', 'n1', 'n9']);
  t.same(layout.dots.map((dot) => [dot.id, dot.lane]), [['n1:1', 1], ['n2:1', 0], ['n9:1', 2]]);
});

t.test('leaves out arrows whose source is not drawn', async (t) => {
  const layout = layoutSpaceTime([b], ['n1', 'n2']);
  t.same(layout.arrows, []);
});

t.test('a cut above a line holds the causal past of every event above it', async (t) => {
  const layout = layoutSpaceTime([a, b, c, d], ['n1', 'n2']);
  const above = idsAboveRow(layout, 2);
  t.same([...above].sort(), ['n1:1', 'n1:2', 'n2:1']);
  const frontier = cutFrontier([a, b, c]);
  t.same(frontier, { n1: 2, n2: 1 });
  t.ok(inCut(a, frontier));
  t.notOk(inCut(d, frontier));
  // Only d above the line: its past (a, b, c) is in the cut as well.
  const dPast = cutFrontier([d]);
  t.same([a, b, c, d].filter((e) => inCut(e, dPast)).length, 4);
  t.same([a, b, c].filter((e) => inCut(e, cutFrontier([b]))), [a, b]);
});
