import t from 'tap';
import { parseNodeFlags } from '../nodes/node-flags.js';

const required = ['--id', 'n1', '--port', '0', '--data', '/tmp/d', '--app', 'examples/orders', '--secret', 's'];

t.test('--chaos is off unless given', async (t) => {
  t.equal(parseNodeFlags(required, {}).chaos, false);
  t.equal(parseNodeFlags([...required, '--chaos'], {}).chaos, true);
});

t.test('--chaos takes no value', async (t) => {
  t.throws(() => parseNodeFlags([...required, '--chaos=yes'], {}), { code: 'TROUPE_BAD_FLAGS' });
});
