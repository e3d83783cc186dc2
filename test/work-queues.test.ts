import t from 'tap';
import { WorkQueues } from '../runtime/work-queues.js';
import type { DeadLetter } from '../runtime/store.js';

const letter: DeadLetter = { service: 's', key: 'k', eventId: 'n1:1', pos: 1, error: { code: 'TROUPE_SERVICE_FAILED', message: 'x' }, at: 0 };

t.test('publishes and arrived events are work even while stamping is held; tasks and replays are not', async (t) => {
  const q = new WorkQueues();
  t.notOk(q.hasWork(false), 'empty');
  q.schedule(() => []);
  t.notOk(q.hasWork(true), 'a task waits while held');
  t.ok(q.hasWork(false));
  q.takeTasks();
  void q.replay(letter);
  t.notOk(q.hasWork(true), 'a replay waits while held');
  q.takeReplays();
  q.arrived = true;
  t.ok(q.hasWork(true), 'arrived events are stored and relayed even while held');
  q.arrived = false;
  void q.publish({ type: 'Ping' });
  t.ok(q.hasWork(true), 'a publish is answered (refused) even while held');
});

t.test('taking a queue empties it and settles through what was taken', async (t) => {
  const q = new WorkQueues();
  const published = q.publish({ type: 'Ping' });
  const taken = q.takePublishes();
  t.equal(taken.length, 1);
  t.same(q.takePublishes(), [], 'taken once');
  taken[0].reject(new Error('no'));
  await t.rejects(published, { message: 'no' });
});
