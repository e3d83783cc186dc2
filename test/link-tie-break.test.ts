import t from 'tap';
import { replacesLink, type Direction } from '../runtime/link-tie-break.js';

t.test('both ends of a duel keep the connection the smaller id dialed', async (t) => {
  // a dialed c1 (a: dialed, b: accepted); b dialed c2 (b: dialed, a: accepted).
  t.ok(replacesLink('a', 'b', 'dialed', 'accepted'), 'on a: c1 replaces c2');
  t.notOk(replacesLink('a', 'b', 'accepted', 'dialed'), 'on a: c2 does not replace c1');
  t.ok(replacesLink('b', 'a', 'accepted', 'dialed'), 'on b: c1 replaces c2');
  t.notOk(replacesLink('b', 'a', 'dialed', 'accepted'), 'on b: c2 does not replace c1');
});

t.test('a second connection dialed by the same node never replaces the link that is up', async (t) => {
  for (const d of ['dialed', 'accepted'] as Direction[]) {
    t.notOk(replacesLink('a', 'b', d, d), `${d} twice on a`);
    t.notOk(replacesLink('b', 'a', d, d), `${d} twice on b`);
  }
});
