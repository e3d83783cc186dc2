import t from 'tap';
import { EmitsSeen, MAX_EMITTED_TYPES } from '../runtime/emits-seen.js';

t.test('lists each service\'s distinct emitted types, sorted', async (t) => {
  const seen = new EmitsSeen();
  t.same(seen.all(), {});
  seen.note('orders', [{ type: 'OrderPlaced' }, { type: 'OrderCancelled' }]);
  seen.note('orders', [{ type: 'OrderPlaced' }]);
  seen.note('payments', [{ type: 'PaymentCaptured' }]);
  seen.note('shipping', []);
  t.same(seen.all(), { orders: ['OrderCancelled', 'OrderPlaced'], payments: ['PaymentCaptured'] });
});

t.test('ignores a type that is not a string', async (t) => {
  const seen = new EmitsSeen();
  seen.note('orders', [{ type: 42 as unknown as string }, { type: 'Ok' }]);
  t.same(seen.all(), { orders: ['Ok'] });
});

t.test('remembers a bounded number of types per service, whatever a machine mints', async (t) => {
  const seen = new EmitsSeen();
  seen.note('minting', Array.from({ length: MAX_EMITTED_TYPES + 50 }, (_, i) => ({ type: `T${i}` })));
  seen.note('other', [{ type: 'Still' }]);
  t.equal(seen.all().minting.length, MAX_EMITTED_TYPES);
  t.same(seen.all().other, ['Still'], 'another service is not held back by it');
});
