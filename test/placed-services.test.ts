import t from 'tap';
import { createMachine } from 'xstate';
import { nodeWants, placedServices } from '../nodes/placed-services.js';
import type { AppDefinition } from '../runtime/service.js';

const machine = createMachine({});
const app: AppDefinition = {
  name: 'edge',
  services: [
    { name: 'sensor', machine, on: ['alert.{node}', 'config'] },
    { name: 'aggregator', machine, on: ['reading'] },
  ],
  placement: { gw: ['aggregator'], d1: ['sensor'] },
  interest: { d1: ['ota.{node}'] },
};

t.test('{node} in a service’s types becomes the hosting node’s id', async (t) => {
  t.same(placedServices(app, 'd7', ['sensor'])[0].on, ['alert.d7', 'config']);
  t.equal(placedServices(app, 'gw', ['aggregator'])[0], app.services[1], 'a service without {node} is used as it is');
  t.throws(() => placedServices(app, 'gw', ['nope']), { code: 'TROUPE_BAD_FLAGS' });
});

t.test("a node's wants are the app's interest for it and --want together; neither means everything", async (t) => {
  t.same(nodeWants(app, 'd1', undefined), ['ota.d1']);
  t.same(nodeWants(app, 'd1', ['x']), ['ota.d1', 'x']);
  t.same(nodeWants(app, 'gw', ['alert.*']), ['alert.*']);
  t.equal(nodeWants(app, 'gw', undefined), undefined);
});
