import t from 'tap';
import { createMachine, emit, setup } from 'xstate';
import type { EventTypeInfo } from '../inspector/feed.js';
import orders from '../examples/orders/index.js';
import { appInfo, soloApp } from '../runtime/app-info.js';
import { choreographyMap, machineEmits } from '../runtime/choreography-map.js';
import { defineApp } from '../runtime/service.js';

function typeOf(map: readonly EventTypeInfo[], type: string): EventTypeInfo {
  const found = map.find((e) => e.type === type);
  if (found === undefined) throw new Error(`no event type ${type} on the map`);
  return found;
}

/** Emits a literal event on entry, an expression's event on `Go`, and a type built at run time on `Mint`. */
const emitter = setup({
  actions: {
    announce: emit(() => ({ type: 'Announced' as const, data: { note: 'type: not this' } })),
    mint: emit(({ event }) => ({ type: `Minted${(event as { n?: number }).n ?? 0}` })),
  },
}).createMachine({
  id: 'emitter',
  initial: 'a',
  states: {
    a: { entry: emit({ type: 'Started' }), on: { Go: { target: 'b', actions: 'announce' }, Mint: { actions: 'mint' } } },
    b: { on: { Back: { target: 'a', actions: emit(({ event }) => ({ type: "WentBack", data: event })) } } },
  },
});

t.test('the types a machine emits are read from its emit actions, literal or expression', async (t) => {
  t.same(machineEmits(emitter), ['Announced', 'Started', 'WentBack']);
  const byService = Object.fromEntries(orders.services.map((s) => [s.name, machineEmits(s.machine)]));
  t.same(byService, {
    order: ['OrderCreated'],
    inventory: ['InventoryRejected', 'InventoryReleased', 'InventoryReserved'],
    payment: ['PaymentCaptured', 'PaymentDeclined'],
    shipping: ['OrderShipped'],
  });
});

t.test('the orders map says who emits and who consumes each event type', async (t) => {
  const info = await appInfo(orders, {});
  const map = info.eventTypes;
  t.same(typeOf(map, 'OrderPlaced'), { type: 'OrderPlaced', emittedBy: [], consumedBy: ['order'], flags: ['no-emitter'] });
  t.same(typeOf(map, 'OrderCreated'), { type: 'OrderCreated', emittedBy: ['order'], consumedBy: ['inventory'], flags: [] });
  t.same(typeOf(map, 'InventoryReserved'), { type: 'InventoryReserved', emittedBy: ['inventory'], consumedBy: ['payment'], flags: [] });
  t.same(typeOf(map, 'PaymentCaptured'), { type: 'PaymentCaptured', emittedBy: ['payment'], consumedBy: ['shipping'], flags: [] });
  t.same(typeOf(map, 'PaymentDeclined'), { type: 'PaymentDeclined', emittedBy: ['payment'], consumedBy: ['order', 'inventory'], flags: [] });
  t.same(typeOf(map, 'OrderShipped'), { type: 'OrderShipped', emittedBy: ['shipping'], consumedBy: ['order'], flags: [] });
  t.same(typeOf(map, 'InventoryReleased'), { type: 'InventoryReleased', emittedBy: ['inventory'], consumedBy: ['order'], flags: [] });
  t.same(map.map((e) => e.type), [...map.map((e) => e.type)].sort(), 'types are sorted');
});

t.test('the app info lists every service with its placement, keying and chart', async (t) => {
  const info = await appInfo(orders, {});
  t.equal(info.name, 'orders');
  const payment = info.services.find((s) => s.name === 'payment');
  t.ok(payment);
  t.same(payment?.nodes, ['n2']);
  t.equal(payment?.keyed, true);
  t.same(payment?.on, ['InventoryReserved']);
  t.equal(info.services.find((s) => s.name === 'inventory')?.keyed, false);
  t.same(
    payment?.chart.states.map((s) => s.id).sort(),
    ['payment', 'payment.awaiting', 'payment.captured', 'payment.declined'],
  );
});

t.test('types a node saw a service emit join what its machine declares', async (t) => {
  const app = defineApp({
    name: 'tiny',
    services: [
      { name: 'emitter', machine: emitter, on: ['Go', 'Back', 'Mint', 'Announced'] },
      { name: 'listener', machine: createMachine({ id: 'listener' }), on: ['Minted3', 'Heard'] },
    ],
    placement: { a: ['emitter'], b: ['emitter', 'listener'] },
  });
  const info = await appInfo(app, { emitter: ['Minted3', 'Started'] });
  t.same(info.services.find((s) => s.name === 'emitter')?.nodes, ['a', 'b']);
  t.same(info.services.find((s) => s.name === 'emitter')?.emits, ['Announced', 'Minted3', 'Started', 'WentBack']);
  const map = info.eventTypes;
  t.same(typeOf(map, 'Minted3').flags, [], 'an observed emit meets its consumer');
  t.same(typeOf(map, 'Started'), { type: 'Started', emittedBy: ['emitter'], consumedBy: [], flags: ['no-consumer'] });
  t.same(typeOf(map, 'Heard'), { type: 'Heard', emittedBy: [], consumedBy: ['listener'], flags: ['no-emitter'] });
  t.same(typeOf(map, 'Announced').flags, [], 'a service may consume what it emits');
});

t.test('a type is listed once however often a service names it', async (t) => {
  t.same(choreographyMap([{ name: 's', on: ['A', 'A'], emits: ['B'] }]), [
    { type: 'A', emittedBy: [], consumedBy: ['s'], flags: ['no-emitter'] },
    { type: 'B', emittedBy: ['s'], consumedBy: [], flags: ['no-consumer'] },
  ]);
});

t.test('a node started without its app shows its own services as the app', async (t) => {
  const app = soloApp('n9', orders.services.slice(0, 1));
  t.same(app.placement, { n9: ['order'] });
  t.equal(app.name, 'n9');
});
