/**
 * Pins the simulated clock of `troupe/testing`: timers fire in due order (ties in the
 * order they were set), time never goes back, and a node's clock drops all of that
 * node's timers at once when it crashes, leaving the others'.
 */
import t from 'tap';
import { SimulatedTime } from '../testing/simulated-time.js';

t.test('timers fire in due order, and those due at once in the order they were set', async (t) => {
  const time = new SimulatedTime(1_000);
  const fired: string[] = [];
  time.setTimeout(() => fired.push('c@30'), 30);
  time.setTimeout(() => fired.push('a@10'), 10);
  time.setTimeout(() => fired.push('b@10'), 10);
  time.setTimeout(() => fired.push('now'), -5);
  t.equal(time.nextDue, 1_000, 'a negative delay is due at once');
  while (time.fireNext()) fired.push(`t=${time.now()}`);
  t.same(fired, ['now', 't=1000', 'a@10', 't=1010', 'b@10', 't=1010', 'c@30', 't=1030']);
  t.equal(time.nextDue, undefined);
  t.notOk(time.fireNext(), 'nothing left to fire');
});

t.test('time moves only forward, and only when told', async (t) => {
  const time = new SimulatedTime(5_000);
  time.setTimeout(() => {}, 100);
  t.equal(time.now(), 5_000, 'setting a timer does not move time');
  time.moveTo(4_000);
  t.equal(time.now(), 5_000, 'never back');
  time.moveTo(5_500);
  t.equal(time.now(), 5_500);
  time.fireNext();
  t.equal(time.now(), 5_500, 'a timer overdue fires without moving time back');
});

t.test('a cleared timer never fires', async (t) => {
  const time = new SimulatedTime(0);
  let fired = false;
  const handle = time.setTimeout(() => (fired = true), 10);
  time.clearTimeout(handle);
  t.equal(time.pending, 0);
  t.notOk(time.fireNext());
  t.notOk(fired);
});

t.test('a node clock drops every timer it set when disposed and sets none after, leaving other nodes\' timers', async (t) => {
  const time = new SimulatedTime(0);
  const a = time.forNode();
  const b = time.forNode();
  const fired: string[] = [];
  a.setTimeout(() => fired.push('a1'), 10);
  a.setTimeout(() => fired.push('a2'), 20);
  b.setTimeout(() => fired.push('b1'), 15);
  t.equal(a.now(), 0);
  a.dispose();
  a.setTimeout(() => fired.push('a3'), 5);
  t.equal(time.pending, 1, 'only b\'s timer is left');
  while (time.fireNext());
  t.same(fired, ['b1']);
});
