/** Event versions: services receive the newest shape, publish the newest version, and dead-letter what they cannot read. */
import t from 'tap';
import { assign, emit, setup } from 'xstate';
import type { Envelope } from '../protocol/envelope.js';
import { decodeEvent } from '../protocol/event-codec.js';
import { Host, type Emission } from '../runtime/host.js';
import type { ServiceDefinition } from '../runtime/service.js';
import { stamp } from '../runtime/stamp.js';
import { checkVersions, knownVersion, newestVersions, upcast } from '../runtime/upcasters.js';

type Line = { sku: string; qty: number };

/** OrderPlaced v1 `{ orderId, sku }`, v2 `{ orderId, sku, qty }`, v3 `{ orderId, lines }`. */
const versions = {
  OrderPlaced: {
    2: (v1: { orderId: string; sku: string }) => ({ ...v1, qty: 1 }),
    3: (v2: { orderId: string; sku: string; qty: number }) => ({ orderId: v2.orderId, lines: [{ sku: v2.sku, qty: v2.qty }] }),
  },
};

/** Keeps the lines of the newest OrderPlaced it got, and emits `Packed` with them. */
const packer = setup({
  types: {
    context: {} as { lines: Line[] },
    events: {} as { type: 'OrderPlaced'; data: { orderId: string; lines: Line[] } },
  },
}).createMachine({
  id: 'packer',
  context: { lines: [] },
  on: {
    OrderPlaced: {
      actions: [
        assign({ lines: ({ event }) => event.data.lines }),
        emit(({ event }) => ({ type: 'Packed', data: { orderId: event.data.orderId, lines: event.data.lines.length } })),
      ],
    },
  },
});

const service: ServiceDefinition = { name: 'packer', machine: packer, on: ['OrderPlaced'], key: (e) => e.data.orderId, versions };

let seq = 0;
function placed(data: unknown, version?: number): Envelope {
  seq++;
  const e: Envelope = { id: `n1:${seq}`, type: 'OrderPlaced', data, origin: 'n1', seq, vc: { n1: seq }, correlationId: `c${seq}`, causationId: null, ts: 1000 + seq, schema: 1 };
  return version === undefined ? e : { ...e, version };
}

t.test('an event of any older version reaches the machine in the newest shape', async (t) => {
  const host = new Host({ services: [service], schedule: () => {} });
  const lines = (): unknown => (host.details()[0]?.context as { lines: Line[] }).lines;
  host.deliver(placed({ orderId: 'o-1', sku: 'cup' }), 1);
  t.same(lines(), [{ sku: 'cup', qty: 1 }], 'v1 (no version on the wire) through both upcasters');
  host.deliver(placed({ orderId: 'o-1', sku: 'cup', qty: 4 }, 2), 2);
  t.same(lines(), [{ sku: 'cup', qty: 4 }], 'v2 through the last upcaster');
  host.deliver(placed({ orderId: 'o-1', lines: [{ sku: 'mug', qty: 2 }] }, 3), 3);
  t.same(lines(), [{ sku: 'mug', qty: 2 }], 'v3 as it is');
  t.same(host.takeChanges().deadLetters, []);
});

t.test('the key function reads the upcast event', async (t) => {
  const keyed: ServiceDefinition = { ...service, key: (e) => e.data.lines[0].sku };
  const host = new Host({ services: [keyed], schedule: () => {} });
  host.deliver(placed({ orderId: 'o-1', sku: 'cup' }), 1);
  t.same(host.views().map((v) => v.key), ['cup']);
});

t.test('an event newer than the service knows becomes a dead letter with its own code, and the node goes on', async (t) => {
  const host = new Host({ services: [service], schedule: () => {} });
  const out = host.deliver(placed({ orderId: 'o-1', whatever: true }, 4), 7);
  t.same(out, []);
  const { deadLetters, actors } = host.takeChanges();
  t.equal(deadLetters.length, 1);
  t.equal(deadLetters[0].error.code, 'TROUPE_EVENT_VERSION_UNKNOWN');
  t.equal(deadLetters[0].pos, 7);
  t.same(actors, [], 'no actor was started or moved');
  host.deliver(placed({ orderId: 'o-1', sku: 'cup' }), 8);
  t.equal(host.views().length, 1, 'the next event is delivered');
});

t.test('a service without upcasters takes version 1 only', async (t) => {
  const plain: ServiceDefinition = { name: 'plain', machine: packer, on: ['OrderPlaced'], key: (e) => e.data.orderId };
  t.equal(knownVersion(plain, 'OrderPlaced'), 1);
  t.same(upcast(plain, placed({ orderId: 'o-1', lines: [] })).data, { orderId: 'o-1', lines: [] });
  t.throws(() => upcast(plain, placed({ orderId: 'o-1' }, 2)), { code: 'TROUPE_EVENT_VERSION_UNKNOWN' });
});

t.test('an upcaster that throws files a dead letter, and replaying it after a fix delivers it', async (t) => {
  let broken = true;
  const fragile: ServiceDefinition = {
    ...service,
    versions: {
      OrderPlaced: {
        ...versions.OrderPlaced,
        2: (v1: { orderId: string; sku: string }) => {
          if (broken) throw new Error('no sku table');
          return { ...v1, qty: 1 };
        },
      },
    },
  };
  const host = new Host({ services: [fragile], schedule: () => {} });
  const event = placed({ orderId: 'o-1', sku: 'cup' });
  host.deliver(event, 1);
  t.equal(host.takeChanges().deadLetters[0].error.code, 'TROUPE_EVENT_UPCAST_FAILED');
  broken = false;
  const replayed = host.replay('packer', event);
  t.notOk(replayed instanceof Error);
  t.same((replayed as readonly Emission[]).map((e) => e.emitted), [{ type: 'Packed', data: { orderId: 'o-1', lines: 1 } }]);
});

t.test('what actors emit carries the newest version any service of the app knows', async (t) => {
  type Placed = { type: 'OrderPlaced'; data: unknown; version?: number };
  const orderMachine = setup({ types: { emitted: {} as Placed } }).createMachine({
    on: {
      Checkout: { actions: emit({ type: 'OrderPlaced', data: { orderId: 'o-1', lines: [] } }) },
      Legacy: { actions: emit({ type: 'OrderPlaced', version: 1, data: { orderId: 'o-2', sku: 'cup' } }) },
    },
  });
  const orders: ServiceDefinition = { name: 'orders', machine: orderMachine, on: ['Checkout', 'Legacy'] };
  // This node hosts only `orders`; the app's packer (hosted elsewhere) declares OrderPlaced v3.
  const host = new Host({ services: [orders], schedule: () => {}, versions: newestVersions([orders, service]) });
  const checkout = host.deliver({ ...placed(null), type: 'Checkout' }, 1);
  t.same(checkout.map((e) => e.emitted), [{ type: 'OrderPlaced', data: { orderId: 'o-1', lines: [] }, version: 3 }]);
  const legacy = host.deliver({ ...placed(null), type: 'Legacy' }, 2);
  t.equal(legacy[0].emitted.version, 1, 'an emit that names its version keeps it');
  const { envelope, bytes } = stamp('n2', {}, 0, 5, { type: 'OrderPlaced', data: checkout[0].emitted.data, version: checkout[0].emitted.version }, null);
  t.equal(envelope.version, 3);
  t.equal(decodeEvent(bytes).version, 3, 'the version is in the stamped bytes');
  t.notOk('version' in stamp('n2', {}, 0, 5, { type: 'X', version: 1 }, null).envelope, 'version 1 is left out');
});

t.test('versions must be 2, 3, … with a function each', async (t) => {
  const bad = (v: unknown): ServiceDefinition => ({ ...service, versions: v as ServiceDefinition['versions'] });
  t.doesNotThrow(() => checkVersions(service));
  t.throws(() => checkVersions(bad({ OrderPlaced: { 3: (x: unknown) => x } })), { code: 'TROUPE_BAD_APP' }, 'version 2 missing');
  t.throws(() => checkVersions(bad({ OrderPlaced: { 2: 'no' } })), { code: 'TROUPE_BAD_APP' }, 'not a function');
  t.throws(() => checkVersions(bad({ OrderPlaced: { 1: (x: unknown) => x } })), { code: 'TROUPE_BAD_APP' }, 'version 1 has no upcaster');
  t.throws(() => checkVersions(bad(5)), { code: 'TROUPE_BAD_APP' });
});
