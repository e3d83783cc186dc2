import t, { type Test } from 'tap';
import pino from 'pino';
import { assign, emit, setup } from 'xstate';
import { encodeEvent } from '../protocol/event-codec.js';
import type { Envelope, VectorClock } from '../protocol/envelope.js';
import { RETIRED_TYPE } from '../protocol/retirement.js';
import { Fabric, type PeerLink } from '../runtime/fabric.js';
import { indexOf } from '../runtime/actor-index.js';
import { Host } from '../runtime/host.js';
import type { ServiceDefinition } from '../runtime/service.js';
import { Store } from '../runtime/store.js';
import { waitFor } from './helpers/wait-for.js';

/** Counts `Tick`s and emits `Counted` for each; `Arm` starts a bell that rings after 40 ms and emits `Rang`. */
const counter = setup({
  types: {
    context: {} as { count: number },
    emitted: {} as { type: 'Counted'; data: { count: number } } | { type: 'Rang'; data: { count: number } },
  },
  delays: { ring: 40 },
}).createMachine({
  id: 'counter',
  context: { count: 0 },
  initial: 'idle',
  states: {
    idle: {
      on: {
        Tick: { actions: [assign({ count: ({ context }) => context.count + 1 }), emit(({ context }) => ({ type: 'Counted', data: { count: context.count } }))] },
        Arm: 'armed',
      },
    },
    armed: {
      on: { Tick: { actions: [assign({ count: ({ context }) => context.count + 1 }), emit(({ context }) => ({ type: 'Counted', data: { count: context.count } }))] } },
      after: { ring: { target: 'idle', actions: emit(({ context }) => ({ type: 'Rang', data: { count: context.count } })) } },
    },
  },
});
const services: ServiceDefinition[] = [{ name: 'counter', machine: counter, on: ['Tick', 'Arm'] }];
const silent = pino({ level: 'silent' });

/** An event as its origin stamped it. */
function event(origin: string, seq: number, vc: VectorClock, type: string, causationId: string | null = null): Uint8Array {
  return encodeEvent({ origin, seq, vc: { ...vc, [origin]: seq }, type, data: null, correlationId: `${origin}:${seq}`, causationId, ts: Date.now(), schema: 1 });
}

async function startN1(t: Test) {
  const store = await Store.open(t.testdir(), 'n1', { sync: false });
  let fabric: Fabric | undefined;
  const host = new Host({ services, schedule: (task) => fabric?.schedule(task) });
  fabric = new Fabric({ id: 'n1', origin: 'n1~new', store, host, log: silent });
  const link: PeerLink = { peer: 'n2', origin: 'n2~b', send: () => {}, bufferedAmount: 0, close: () => {}, pause: () => {}, resume: () => {} };
  fabric.linkUp(link);
  const f = fabric;
  t.teardown(async () => {
    await f.stop();
    host.stop();
    await store.close();
  });
  const send = async (...events: Uint8Array[]): Promise<void> => {
    f.receive(link, { type: 'events', events });
    await f.idle();
  };
  const log = async (): Promise<Envelope[]> => f.read(1, 1000);
  return { fabric: f, host, link, send, log };
}

t.test('events that arrive while a node recovers are delivered once, after its actors are rebuilt', async (t) => {
  const n1 = await startN1(t);
  // n2 holds two events of n1's earlier start: a Tick, and the Counted it made n1 emit.
  n1.fabric.receive(n1.link, { type: 'want', vc: { 'n1~old': 2, 'n2~b': 1 } });
  await n1.send(event('n2~b', 1, {}, 'Tick'));
  t.ok(n1.fabric.recovering, 'n1 holds its actors: its earlier events are missing');
  t.same(n1.host.views(), [], 'the Tick that arrived meanwhile is committed, not handed to the actors yet');
  const published = await n1.fabric.publish({ type: 'Tick' });
  t.equal(published.origin, 'n1~new', 'a publish during recovery is taken at once, under the current origin');

  await n1.send(event('n1~old', 1, {}, 'Tick'), event('n1~old', 2, {}, 'Counted', 'n1~old:1'));
  t.notOk(n1.fabric.recovering, 'the claimed events are back: the actors were rebuilt');
  t.match(n1.host.views(), [{ service: 'counter', context: { count: 3 } }], 'each of the three Ticks counted once');
  const counted = (await n1.log()).filter((e) => e.type === 'Counted');
  t.same(counted.map((e) => e.causationId).sort(), ['n1~new:1', 'n1~old:1', 'n2~b:1'], 'one Counted per Tick: the one logged before was matched, not published again');
  t.ok(counted.filter((e) => e.origin === 'n1~new').every((e) => e.id !== 'n1~new:1'), 'n1~new:1 is the publish, not a Counted');

  await n1.send(event('n2~b', 2, {}, 'Tick'));
  t.match(n1.host.views(), [{ context: { count: 4 } }], 'after the rebuild, events are delivered as they come');
});

t.test('a rebuild fires a timer where the log shows it fired, and re-arms one still pending', async (t) => {
  const n1 = await startN1(t);
  n1.fabric.receive(n1.link, { type: 'want', vc: { 'n1~old': 4 } });
  // n1's earlier start: Arm; its bell rang (Rang, caused by the Arm, its actor's last
  // event); a Tick; Arm again, whose bell had not rung when the disk was lost.
  await n1.send(
    event('n1~old', 1, {}, 'Arm'),
    event('n1~old', 2, {}, 'Rang', 'n1~old:1'),
    event('n1~old', 3, {}, 'Tick'),
    event('n1~old', 4, {}, 'Arm'),
  );
  t.notOk(n1.fabric.recovering);
  t.match(n1.host.views(), [{ state: 'armed', context: { count: 1 } }], 'rebuilt as it was: the first bell rang before the Tick, the second waits');
  // The retirement of n1~old (`protocol/retirement.ts`) is stamped too, and is no actor's.
  const emitted = (await n1.log()).filter((e) => e.origin === 'n1~new' && e.type !== RETIRED_TYPE);
  t.same(emitted.map((e) => [e.type, e.causationId]), [['Counted', 'n1~old:3']], 'the Tick\'s lost Counted is published; the first bell is not rung again');
  const rang = await waitFor(async () => (await n1.log()).filter((e) => e.type === 'Rang'), {
    until: (all) => all.length >= 2,
    message: 'the re-armed bell to ring',
  });
  await n1.fabric.idle();
  t.same((await n1.log()).filter((e) => e.type === 'Rang').map((e) => [e.origin, e.causationId]), [['n1~old', 'n1~old:1'], ['n1~new', 'n1~old:4']], 'the pending bell rang once, after the rebuild');
  t.ok(rang.length === 2);
});

/** The counter with a bell that rings after a minute: it rings in these tests only when a rebuild fires it. */
const slowServices: ServiceDefinition[] = [{ name: 'counter', machine: counter.provide({ delays: { ring: 60_000 } }), on: ['Tick', 'Arm'] }];

/** n1 on `dir` under `origin`, with its actors on disk and brought back only when needed, as a node process runs. */
async function openPassivating(dir: string, origin: string) {
  const store = await Store.open(dir, 'n1', { sync: false });
  const state = await store.load();
  let fabric: Fabric | undefined;
  const host = new Host({
    services: slowServices,
    schedule: (task) => fabric?.schedule(task),
    passivation: { store: store.actors, counts: await store.actors.counts(indexOf), writing: () => fabric?.busy ?? false, failed: () => {} },
  });
  await host.start();
  fabric = new Fabric({ id: 'n1', origin, store, host, log: silent, state });
  const f = fabric;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await f.stop();
    host.stop();
    await store.close();
  };
  return { fabric: f, host, store, close };
}

t.test('a rebuild replaces actors that were on disk and not in memory, and moves their counts from what the disk showed', async (t) => {
  const dir = t.testdir();
  // What n1's rewound disk still holds of its earlier start: an Arm, its bell not rung.
  const old = await openPassivating(dir, 'n1~old');
  await old.fabric.publish({ type: 'Arm' });
  await old.fabric.idle();
  await old.close();

  const n1 = await openPassivating(dir, 'n1~new');
  t.teardown(n1.close);
  t.equal(n1.host.actors.size, 0, 'the counter is on disk only, passivated');
  t.same(n1.host.counts(), { counter: { armed: 1 } });
  const link: PeerLink = { peer: 'n2', origin: 'n2~b', send: () => {}, bufferedAmount: 0, close: () => {}, pause: () => {}, resume: () => {} };
  n1.fabric.linkUp(link);
  // n2 holds what the disk lost: the bell rang (Rang, caused by the Arm), then a Tick was counted.
  n1.fabric.receive(link, { type: 'want', vc: { 'n1~old': 4 } });
  n1.fabric.receive(link, {
    type: 'events',
    events: [event('n1~old', 2, { 'n1~old': 1 }, 'Rang', 'n1~old:1'), event('n1~old', 3, { 'n1~old': 2 }, 'Tick'), event('n1~old', 4, { 'n1~old': 3 }, 'Counted', 'n1~old:3')],
  });
  await waitFor(async () => n1.fabric.recovering, { until: (recovering) => !recovering, message: 'n1 to rebuild its actors' });
  await n1.fabric.idle();
  t.match(n1.host.view('counter', ''), { state: 'idle', context: { count: 1 } }, 'the rebuilt counter rang where the log says and took the Tick once');
  t.same(n1.host.counts(), { counter: { idle: 1 } }, 'one counter, moved from armed (its record on disk) to idle');
  t.same((await n1.fabric.read(1, 100)).filter((e) => e.origin === 'n1~new'), [], 'Rang and Counted were matched: nothing published anew');
  await n1.close();

  const again = await openPassivating(dir, 'n1~third');
  t.teardown(again.close);
  t.same(again.host.counts(), { counter: { idle: 1 } }, 'the counts on disk agree after a restart');
  t.match(again.host.view('counter', ''), { context: { count: 1 } }, 'and so does the record on disk');
});
