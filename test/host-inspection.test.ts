import t from 'tap';
import { assign, emit, setup } from 'xstate';
import type { Envelope } from '../protocol/envelope.js';
import { Host, type Emission } from '../runtime/host.js';
import type { ServiceDefinition } from '../runtime/service.js';
import { TransitionRing } from '../runtime/transition-ring.js';

/** A keyed counter that can be armed to ring after a named delay, and fails on `Boom`. */
const counter = setup({
  types: {
    context: {} as { count: number },
    events: {} as { type: 'Add'; data: { id: string }; ts: number } | { type: 'Arm'; data: { id: string }; ts: number } | { type: 'Boom'; data: { id: string }; ts: number },
  },
  delays: { ring: 60_000 },
}).createMachine({
  id: 'counter',
  context: { count: 0 },
  initial: 'idle',
  states: {
    idle: {
      on: {
        Add: { actions: [assign({ count: ({ context }) => context.count + 1 }), emit({ type: 'Counted' })] },
        Arm: 'armed',
        Boom: {
          actions: () => {
            throw new Error('boom');
          },
        },
      },
    },
    armed: { after: { ring: { target: 'rung', actions: emit({ type: 'Rang' }) } }, on: { Add: 'idle' } },
    rung: { type: 'final' },
  },
});

/** A singleton tally of every `Add`. */
const tally = setup({ types: { context: {} as { seen: number } } }).createMachine({
  id: 'tally',
  context: { seen: 0 },
  on: { Add: { actions: assign({ seen: ({ context }) => context.seen + 1 }) } },
});

const services: ServiceDefinition[] = [
  { name: 'counter', machine: counter, on: ['Add', 'Arm', 'Boom'], key: (e) => e.data?.id },
  { name: 'tally', machine: tally, on: ['Add'] },
];

let seq = 0;
function envelope(type: string, data: unknown): Envelope {
  seq++;
  return { id: `n1:${seq}`, type, data, origin: 'n1', seq, vc: { n1: seq }, correlationId: `c${seq}`, causationId: null, ts: 1000 + seq, schema: 1 };
}

function newHost(fired: Emission[][] = []): Host {
  return new Host({ services, schedule: (task) => fired.push(task()), now: () => 5_000 });
}

t.test('records what each delivered event made every actor it reached do, by log position', async (t) => {
  const host = newHost();
  t.teardown(() => host.stop());
  host.deliver(envelope('Add', { id: 'a' }), 1);
  host.deliver(envelope('Arm', { id: 'a' }), 2);
  host.deliver(envelope('Nobody', {}), 3);
  host.deliver(envelope('Boom', { id: 'b' }), 4);
  t.same(host.transitionsAt(1), [
    { service: 'counter', key: 'a', from: 'idle', to: 'idle' },
    { service: 'tally', key: null, from: {}, to: {} },
  ]);
  t.same(host.transitionsAt(2), [{ service: 'counter', key: 'a', from: 'idle', to: 'armed' }]);
  t.same(host.transitionsAt(3), [], 'an event no service takes moved nothing');
  t.same(host.transitionsAt(4), [], 'a failed event moved nothing: the actor was rolled back');
  t.same(host.transitionsAt(99), [], 'a position not delivered has none');
});

t.test('a ring remembers only the newest positions and forgets older ones', async (t) => {
  const ring = new TransitionRing(4);
  const moved = [{ service: 's', key: null, from: 'a', to: 'b' }];
  ring.record(1, moved);
  ring.record(2, []);
  t.same(ring.at(1), moved);
  ring.record(5, moved);
  t.same(ring.at(1), [], 'position 1 is forgotten once position 5 took its slot');
  t.same(ring.at(5), moved);
  t.same(ring.at(6), [], 'a slot holding another position reads as nothing');
});

t.test('details show state, context, pending timers with their due time, and the events the state accepts', async (t) => {
  const host = newHost();
  t.teardown(() => host.stop());
  host.deliver(envelope('Add', { id: 'a' }), 1);
  host.deliver(envelope('Arm', { id: 'b' }), 2);
  const a = host.detail('counter', 'a');
  t.same(a, { service: 'counter', key: 'a', state: 'idle', status: 'active', context: { count: 1 }, timers: [], accepts: ['Add', 'Arm', 'Boom'] });
  const b = host.detail('counter', 'b');
  t.same(b?.state, 'armed');
  t.same(b?.accepts, ['Add'], 'the delayed transition is a timer, not an accepted event');
  t.equal(b?.timers.length, 1);
  t.equal(b?.timers[0].event, 'after ring');
  t.equal(b?.timers[0].due, 5_000 + 60_000, 'due a minute from when it was armed, on the host\'s clock');
  t.same(host.detail('tally', ''), { service: 'tally', key: null, state: {}, status: 'active', context: { seen: 1 }, timers: [], accepts: ['Add'] });
  t.equal(host.detail('counter', 'zzz'), undefined);
  t.same(host.details().map((d) => `${d.service}/${d.key}`).sort(), ['counter/a', 'counter/b', 'tally/null']);
});

t.test('a finished actor accepts nothing', async (t) => {
  const fired: Emission[][] = [];
  const host = new Host({ services, schedule: (task) => fired.push(task()) });
  t.teardown(() => host.stop());
  const arm = envelope('Arm', { id: 'c' });
  host.deliver(arm, 1);
  const { actors } = host.takeChanges();
  host.stop();
  const again = new Host({ services, schedule: (task) => fired.push(task()) });
  t.teardown(() => again.stop());
  again.restore([{ ...actors[0], timers: actors[0].timers.map((x) => ({ ...x, due: 0 })) }]);
  await waitUntil(() => fired.length > 0);
  t.same(again.detail('counter', 'c'), { service: 'counter', key: 'c', state: 'rung', status: 'done', context: { count: 0 }, timers: [], accepts: [] });
  t.same(again.emitsSeen(), { counter: ['Rang'] }, 'what a timer made it emit is seen too');
});

t.test('the host tells which types each service was seen to emit', async (t) => {
  const host = newHost();
  t.teardown(() => host.stop());
  t.same(host.emitsSeen(), {});
  host.deliver(envelope('Add', { id: 'a' }), 1);
  host.deliver(envelope('Add', { id: 'b' }), 2);
  t.same(host.emitsSeen(), { counter: ['Counted'] });
});

/** Polls `cond` on the event loop until it holds, failing after a deadline. */
async function waitUntil(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

t.test('XState inspection runs only while the inspector asks for it, and starts with every current actor', async (t) => {
  const seen: string[] = [];
  const host = new Host({
    services,
    schedule: () => {},
    now: () => 5_000,
    inspect: (actor, event) => seen.push(`${actor.service}:${actor.key ?? '-'} ${event.type}`),
  });
  t.teardown(() => host.stop());
  host.deliver(envelope('Add', { id: 'a' }), 1);
  t.same(seen, [], 'nothing is inspected while nobody watches');

  host.inspectActors(true);
  t.same(seen.sort(), ['counter:a @xstate.actor', 'tally:- @xstate.actor'], 'watching starts by telling every current actor');
  seen.length = 0;
  host.deliver(envelope('Add', { id: 'a' }), 2);
  host.deliver(envelope('Add', { id: 'b' }), 3);
  t.ok(seen.includes('counter:a @xstate.snapshot'), 'an existing actor is inspected');
  t.ok(seen.includes('counter:b @xstate.actor') && seen.includes('counter:b @xstate.snapshot'), 'an actor created while watched is told and inspected');

  host.inspectActors(false);
  seen.length = 0;
  host.deliver(envelope('Add', { id: 'a' }), 4);
  host.deliver(envelope('Add', { id: 'c' }), 5);
  t.same(seen, [], 'nothing is inspected once nobody watches again');
});
