import t from 'tap';
import pino from 'pino';
import type { Envelope } from '../protocol/envelope.js';
import { RETIRED_TYPE } from '../protocol/retirement.js';
import { EarlierOrigins } from '../runtime/earlier-origins.js';
import { Retirements } from '../runtime/retirements.js';

const log = pino({ level: 'silent' });

function earlierOrigins(retirements = new Retirements(), forgotten: string[] = []): EarlierOrigins {
  return new EarlierOrigins({ id: 'n1', origin: 'n1~c', log, retirements, forgotten: (node) => forgotten.push(node) });
}

function event(origin: string, seq: number, type = 'Ping', data: unknown = null): Envelope {
  return { id: `${origin}:${seq}`, type, data, origin, seq, vc: { [origin]: seq }, correlationId: `${origin}:${seq}`, causationId: null, ts: 1, schema: 1 } as Envelope;
}

t.test('a retirement is due while the clock counts an earlier origin of this node beyond what is retired of it', async (t) => {
  const earlier = earlierOrigins(new Retirements({ origins: { 'n1~a': 3 }, nodes: [] }));
  const delivered = { 'n1~a': 3, 'n1~b': 7, 'n1~c': 2, n2: 9 };
  t.ok(earlier.due(delivered), 'n1~b is counted and not retired');
  t.same(earlier.takeEnded(delivered), { 'n1~b': 7 }, 'neither this start, nor another node, nor what is retired already');
  t.notOk(earlier.due(delivered), 'taken: not due again on its own');
});

t.test('once nothing is left to retire, only an event of an earlier origin makes a retirement due again', async (t) => {
  const earlier = earlierOrigins();
  t.notOk(earlier.due({ 'n1~c': 1, n2: 4 }));
  earlier.learn(event('n2', 5));
  t.notOk(earlier.due({ 'n1~c': 1, n2: 5 }), "another node's event does not");
  earlier.learn(event('n1~c', 2));
  t.notOk(earlier.due({ 'n1~c': 2, n2: 5 }), "this start's own event does not");
  earlier.learn(event('n1~a', 1));
  t.same(earlier.takeEnded({ 'n1~a': 1, 'n1~c': 2 }), { 'n1~a': 1 }, 'a late copy of an earlier start does');
  t.equal(earlier.takeEnded({ 'n1~a': 1, 'n1~c': 2 }), undefined);
});

t.test('a delivered retirement of a node id for good is told as forgotten', async (t) => {
  const forgotten: string[] = [];
  const retirements = new Retirements();
  const earlier = earlierOrigins(retirements, forgotten);
  const retirement = { ...event('n2', 3, RETIRED_TYPE, { origins: { 'n3~a': 4 }, node: 'n3' }), vc: { n2: 3, 'n3~a': 4 } };
  earlier.learn(retirement);
  t.same(forgotten, ['n3']);
  t.ok(retirements.isRetiredNode('n3'));
});
