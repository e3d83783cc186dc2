import t from 'tap';
import type { ActorDetail, AppInfo } from '../inspector/feed.js';
import { unblockers } from '../inspector/unblock.js';

const chart = { width: 0, height: 0, states: [], transitions: [] };
const app: AppInfo = {
  name: 'orders',
  services: [{ name: 'payment', on: [], keyed: true, nodes: ['n2', 'n4'], emits: ['PaymentCaptured'], chart }],
  eventTypes: [],
};
const actor = (status: string, accepts: string[]): ActorDetail => ({ service: 'order', key: 'o1', state: 'pending', status, context: {}, timers: [], accepts });

t.test('names the services and nodes that emit what a waiting actor accepts', async (t) => {
  const emitters = new Map([['PaymentCaptured', ['payment']]]);
  t.same(unblockers(actor('active', ['PaymentCaptured', 'Cancel']), app, emitters), [
    { type: 'PaymentCaptured', emitters: [{ service: 'payment', nodes: ['n2', 'n4'] }] },
    { type: 'Cancel', emitters: [] },
  ]);
});

t.test('names nothing for a finished actor', async (t) => {
  t.same(unblockers(actor('done', ['PaymentCaptured']), app, new Map()), []);
});
