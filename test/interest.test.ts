import t from 'tap';
import { InterestFilter, interestOf, isPattern, widens } from '../runtime/interest.js';

t.test('a pattern is a type, a prefix ending in *, or * alone', async (t) => {
  t.ok(isPattern('alert.d1'));
  t.ok(isPattern('alert.*'));
  t.ok(isPattern('*'));
  t.notOk(isPattern('a*b'), 'a star inside');
  t.notOk(isPattern(''), 'empty');
  t.notOk(isPattern('x'.repeat(257)), 'too long');
});

t.test("a node's interest is everything without --want, else its wants and its services' types", async (t) => {
  const services = [{ on: ['alert.d1', 'config'] }];
  t.same(interestOf(services, undefined), ['*']);
  t.same(interestOf(services, []), ['alert.d1', 'config']);
  t.same(interestOf(services, ['reading', 'config']), ['alert.d1', 'config', 'reading'], 'sorted, each once');
  t.same(interestOf(services, ['x', '*']), ['*'], "'*' wants everything");
  t.throws(() => interestOf(services, ['a*b']), { code: 'TROUPE_BAD_FLAGS' });
});

t.test('a filter matches exact types and prefixes', async (t) => {
  const f = new InterestFilter(['alert.*', 'reading']);
  t.ok(f.wants('alert.d1'));
  t.ok(f.wants('reading'));
  t.notOk(f.wants('readings'));
  t.notOk(f.wants('alert'), 'the prefix includes the dot');
  t.ok(new InterestFilter(['*']).wants('anything'));
});

t.test('an interest widens when it wants a type the previous one did not', async (t) => {
  t.notOk(widens(['*'], ['alert.d1']), 'narrowing');
  t.notOk(widens(['alert.*'], ['alert.d1']), 'a type the prefix covers');
  t.ok(widens(['alert.d1'], ['alert.*']), 'a wider prefix');
  t.ok(widens(['alert.d1'], ['alert.d1', 'reading']), 'a new type');
  t.ok(widens(['alert.d1'], ['*']), 'everything');
  t.notOk(widens(['a', 'b'], ['b']), 'fewer');
});
