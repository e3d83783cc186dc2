import t from 'tap';
import { waitingFor } from '../runtime/held-back.js';

t.test('names the newest missing event of each origin an event depends on', async (t) => {
  t.same(waitingFor({ origin: 'n2', seq: 5, vc: { n1: 12, n2: 5 } }, { n1: 10, n2: 4 }), ['n1:12']);
  t.same(waitingFor({ origin: 'n2', seq: 5, vc: { n1: 12, n2: 5, n3: 2 } }, { n1: 12, n2: 2, n3: 0 }), ['n2:4', 'n3:2']);
});

t.test('names nothing for an event that can be delivered now', async (t) => {
  t.same(waitingFor({ origin: 'n2', seq: 5, vc: { n1: 3, n2: 5 } }, { n1: 3, n2: 4 }), []);
  t.same(waitingFor({ origin: 'n1', seq: 1, vc: { n1: 1 } }, {}), []);
});
