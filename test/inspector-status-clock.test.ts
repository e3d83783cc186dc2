/**
 * A `/status` clock read whole (`inspector/status-clock.ts`): the retired origins its `vc`
 * leaves out come back at the final seqs `retired.origins` gives them.
 */
import t from 'tap';
import { statusClock } from '../inspector/status-clock.js';

t.test('a status clock reads each retired origin it leaves out at its final seq, and keeps the entries it shows', async (t) => {
  const status = { vc: { 'n1~b': 3, 'n1~a': 9 }, retired: { origins: [{ origin: 'n1~a', final: 4 }, { origin: 'n2~x', final: 7 }] } };
  t.same(statusClock(status), { 'n1~b': 3, 'n1~a': 9, 'n2~x': 7 }, 'an entry shown (above its final seq) is kept; one left out reads its final seq');
  t.same(statusClock({ vc: { n1: 2 } }), { n1: 2 }, 'a node that retired nothing reads as it shows');
});
