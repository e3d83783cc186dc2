import t from 'tap';
import { RecentLog } from '../runtime/recent-log.js';
import type { StoredEvent } from '../runtime/store.js';

const at = (from: number, to: number): StoredEvent[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ pos: from + i, origin: 'n1', seq: from + i, correlationId: 'c', bytes: new Uint8Array(0) }));

t.test('an empty window starts where the next commit goes', async (t) => {
  const log = new RecentLog(3);
  log.reset(8);
  t.equal(log.start, 8);
  t.equal(log.end, 8);
  t.same(log.slice(8, 10), []);
  t.equal(log.slice(7, 10), undefined, 'older positions are not in memory');
});

t.test('appends extend the window and slices read from it', async (t) => {
  const log = new RecentLog(3);
  log.append(at(1, 2));
  log.append([]);
  log.append(at(3, 4));
  t.equal(log.end, 5);
  t.same(log.slice(2, 2)?.map((e) => e.pos), [2, 3]);
  t.same(log.slice(4, 10)?.map((e) => e.pos), [4]);
});

t.test('the window keeps at least the newest capacity events and trims the rest', async (t) => {
  const log = new RecentLog(3);
  for (let pos = 1; pos <= 20; pos++) log.append(at(pos, pos));
  t.ok(log.start <= 18, 'the newest 3 are always there');
  t.ok(log.start > 1, 'older ones were let go');
  t.same(log.slice(18, 10)?.map((e) => e.pos), [18, 19, 20]);
  t.equal(log.slice(1, 10), undefined);
});
