import t from 'tap';
import fc from 'fast-check';
import { backoffDelay } from '../runtime/backoff.js';

t.test('reconnect delays double from the initial delay up to the cap, with jitter in the upper half', async (t) => {
  const opts = { initialMs: 100, maxMs: 5000 };
  t.equal(backoffDelay(0, opts, () => 0), 50, 'no jitter: half the ceiling');
  t.equal(backoffDelay(0, opts, () => 0.999999), 99.99995, 'full jitter: just under the ceiling');
  t.equal(backoffDelay(3, opts, () => 0), 400, 'the ceiling doubles per attempt');
  t.equal(backoffDelay(10, opts, () => 0), 2500, 'and stops at the cap');
  fc.assert(
    fc.property(fc.nat(1000), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
      const d = backoffDelay(attempt, opts, () => r);
      const ceiling = Math.min(5000, 100 * 2 ** Math.min(attempt, 30));
      return d >= ceiling / 2 && d <= ceiling && Number.isFinite(d);
    }),
  );
});
