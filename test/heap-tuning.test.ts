import t from 'tap';
import { HeapShrinker, mostlyFree } from '../nodes/heap-tuning.js';

const MB = 1024 * 1024;
const heap = (used: number, total: number): { used: number; total: number } => ({ used: used * MB, total: total * MB });

t.test('a heap that uses under a third of itself, past 96 MB, is collected at any check', async (t) => {
  const shrinker = new HeapShrinker();
  t.equal(shrinker.check(heap(40, 300)), true);
  t.equal(mostlyFree(heap(40, 300)), true);
  t.equal(mostlyFree(heap(40, 90)), false, 'not under the floor');
  t.equal(mostlyFree(heap(150, 300)), false, 'not when it uses more than a third');
});

t.test('a node that goes quiet with a large heap is collected once, though V8 still counts its garbage as in use', async (t) => {
  const shrinker = new HeapShrinker();
  t.equal(shrinker.check(heap(300, 700)), false, 'busy: the first check has nothing to compare with');
  t.equal(shrinker.check(heap(650, 700)), false, 'busy: the heap in use moved by 350 MB');
  t.equal(shrinker.check(heap(652, 700)), true, 'quiet now: one collection');
  shrinker.collected(heap(600, 650));
  t.equal(shrinker.check(heap(601, 650)), false, 'still quiet, nothing freed: not again');
  t.equal(shrinker.check(heap(602, 650)), false, 'and not later either');
});

t.test('a node that works again and goes quiet again is collected again', async (t) => {
  const shrinker = new HeapShrinker();
  shrinker.check(heap(300, 700));
  t.equal(shrinker.check(heap(301, 700)), true);
  shrinker.collected(heap(300, 700));
  t.equal(shrinker.check(heap(500, 700)), false, 'busy');
  t.equal(shrinker.check(heap(505, 700)), true, 'quiet again');
});

t.test('a small heap is never collected, quiet or not', async (t) => {
  const shrinker = new HeapShrinker();
  shrinker.check(heap(30, 60));
  t.equal(shrinker.check(heap(30, 60)), false);
});
