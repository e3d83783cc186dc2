import t from 'tap';
import { activePaths, formatStateValue } from '../inspector/state-value.js';

t.test('lists the active paths of atomic, nested and parallel state values', async (t) => {
  t.same(activePaths('pending'), ['pending']);
  t.same(activePaths({ payment: 'capturing' }), ['payment', 'payment.capturing']);
  t.same(activePaths({ p: { a: 'x', b: { c: 'y' } } }), ['p', 'p.a', 'p.a.x', 'p.b', 'p.b.c', 'p.b.c.y']);
  t.same(activePaths(null), []);
});

t.test('formats a state value in one line', async (t) => {
  t.equal(formatStateValue('idle'), 'idle');
  t.equal(formatStateValue({ payment: 'capturing' }), 'payment.capturing');
  t.equal(formatStateValue({ p: { a: 'x', b: 'y' } }), '{p.a.x, p.b.y}');
  t.equal(formatStateValue(42), '42');
});
