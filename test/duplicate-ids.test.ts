import t from 'tap';
import { DuplicateIds, isSecondProcess } from '../runtime/duplicate-ids.js';

t.test('a second process is told only when both hellos name their instance and the names differ', async (t) => {
  t.ok(isSecondProcess('i-1', 'i-2'));
  t.notOk(isSecondProcess('i-1', 'i-1'), 'the same instance is a reconnect');
  t.notOk(isSecondProcess(undefined, 'i-2'), 'a linked peer that named none cannot be told');
  t.notOk(isSecondProcess('i-1', undefined), 'an arriving peer that names none cannot be told');
});

t.test('only the first refusal of a node id by a node is new, and the newest refusal time is kept', async (t) => {
  const ids = new DuplicateIds();
  t.ok(ids.note('n2', 'n1', 10));
  t.notOk(ids.note('n2', 'n1', 20), 'the same pair again');
  t.ok(ids.note('n2', 'n3', 30), 'another refusing node');
  t.same(ids.list(), [
    { node: 'n2', refusedBy: 'n1', at: 20 },
    { node: 'n2', refusedBy: 'n3', at: 30 },
  ]);
});
