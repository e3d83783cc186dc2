import t from 'tap';
import { eventId } from '../protocol/envelope.js';
t.test('eventId joins origin and seq', async (t) => {
  t.equal(eventId('n1', 3), 'n1:3');
});
