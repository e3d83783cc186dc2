/**
 * Passivation on the simulated cluster: idle actors leave memory and come back, with
 * their state, on their next event; a passivated actor's `after` timer fires on time,
 * across a crash too; a starting node reads no actor until one is needed; and `/actors`
 * pages (`actorPage`) and counts without bringing any back.
 */
import t from 'tap';
import { assign, emit, setup } from 'xstate';
import { defineService } from '../runtime/define-service.js';
import { defineApp } from '../runtime/service.js';
import { simulateCluster } from '../testing/index.js';

type CountEvent = { readonly type: 'Count'; readonly data: { readonly id: string }; readonly ts: number };
type AlarmEvent = { readonly type: 'Arm'; readonly data: { readonly id: string }; readonly ts: number };

const counterMachine = setup({
  types: { events: {} as CountEvent, context: {} as { n: number } },
}).createMachine({
  id: 'counter',
  context: { n: 0 },
  initial: 'counting',
  states: { counting: { on: { Count: [{ guard: ({ context }) => context.n >= 2, target: 'many', actions: assign({ n: ({ context }) => context.n + 1 }) }, { actions: assign({ n: ({ context }) => context.n + 1 }) }] } }, many: { on: { Count: { actions: assign({ n: ({ context }) => context.n + 1 }) } } } },
});

/** An alarm rings a minute after it is armed. */
const alarmMachine = setup({
  types: { events: {} as AlarmEvent, input: {} as { key: string | undefined }, context: {} as { id: string }, emitted: {} as { type: 'Rang'; data: { id: string } } },
}).createMachine({
  id: 'alarm',
  context: ({ input }) => ({ id: input.key ?? '' }),
  initial: 'quiet',
  states: {
    quiet: { on: { Arm: 'armed' } },
    armed: { after: { 60_000: { target: 'rung', actions: emit(({ context }) => ({ type: 'Rang' as const, data: { id: context.id } })) } } },
    rung: { type: 'final' },
  },
});

const app = defineApp({
  name: 'idle',
  services: [
    defineService({ name: 'counter', machine: counterMachine, on: ['Count'], key: (event) => event.data.id }),
    defineService({ name: 'alarm', machine: alarmMachine, on: ['Arm'], key: (event) => event.data.id }),
  ],
  placement: { a: ['counter', 'alarm'] },
});

const PASSIVATE_AFTER_MS = 10_000;

t.test('an idle actor leaves memory and comes back with its state on its next event', async (t) => {
  const sim = await simulateCluster({ app, passivateAfterMs: PASSIVATE_AFTER_MS });
  t.teardown(() => sim.stop());
  for (let i = 0; i < 2; i++) await sim.publish('a', { type: 'Count', data: { id: 'c1' } });
  t.same(sim.resident('a'), { live: 1, total: 1 });
  await sim.advance(PASSIVATE_AFTER_MS * 2);
  t.same(sim.resident('a'), { live: 0, total: 1 }, 'passivated once idle');
  t.equal(sim.actor<{ n: number }>('a', 'counter', 'c1')?.context.n, 2, 'its record still shows it, without bringing it back');
  t.equal(sim.resident('a').live, 0);
  await sim.publish('a', { type: 'Count', data: { id: 'c1' } });
  t.same(sim.resident('a'), { live: 1, total: 1 }, 'its event brought it back');
  const counter = sim.actor<{ n: number }>('a', 'counter', 'c1');
  t.equal(counter?.context.n, 3, 'with the state it had');
  t.equal(counter?.state, 'many');
});

t.test('a passivated actor\'s after timer fires on time', async (t) => {
  const sim = await simulateCluster({ app, passivateAfterMs: PASSIVATE_AFTER_MS });
  t.teardown(() => sim.stop());
  const armed = await sim.publish('a', { type: 'Arm', data: { id: 'x' } });
  await sim.advance(PASSIVATE_AFTER_MS * 2);
  t.equal(sim.resident('a').live, 0, 'passivated while its timer is pending');
  await sim.advance(armed.ts + 60_000 - 1 - sim.now());
  t.equal(sim.actor('a', 'alarm', 'x')?.state, 'armed', 'not a millisecond early');
  await sim.advance(1);
  t.equal(sim.actor('a', 'alarm', 'x')?.state, 'rung', 'brought back in time to fire when due');
  const rang = (await sim.log('a')).find((e) => e.type === 'Rang');
  t.equal(rang?.ts, armed.ts + 60_000, 'what it emitted carries its due time');
  t.equal(rang?.correlationId, armed.correlationId, 'and stays in the workflow');
});

t.test('a passivated actor\'s timer survives a crash and fires on time after the restart', async (t) => {
  const sim = await simulateCluster({ app, passivateAfterMs: PASSIVATE_AFTER_MS });
  t.teardown(() => sim.stop());
  const armed = await sim.publish('a', { type: 'Arm', data: { id: 'y' } });
  await sim.advance(PASSIVATE_AFTER_MS * 2);
  t.equal(sim.resident('a').live, 0);
  await sim.crash('a');
  await sim.advance(10_000);
  await sim.restore('a');
  t.equal(sim.resident('a').live, 0, 'the restart reads no actor whose timer is not due soon');
  await sim.advance(armed.ts + 60_000 - 1 - sim.now());
  t.equal(sim.actor('a', 'alarm', 'y')?.state, 'armed');
  await sim.advance(1);
  t.equal(sim.actor('a', 'alarm', 'y')?.state, 'rung', 'fired when due');
  t.equal((await sim.log('a')).filter((e) => e.type === 'Rang').length, 1, 'once');
});

t.test('a node starting with many actors on disk brings none into memory until needed', async (t) => {
  const sim = await simulateCluster({ app, passivateAfterMs: PASSIVATE_AFTER_MS });
  t.teardown(() => sim.stop());
  for (let i = 0; i < 200; i++) void sim.publish('a', { type: 'Count', data: { id: `k${i}` } });
  await sim.settle();
  t.same(sim.resident('a'), { live: 200, total: 200 });
  await sim.restart('a');
  t.same(sim.resident('a'), { live: 0, total: 200 }, 'none in memory, all counted');
  await sim.publish('a', { type: 'Count', data: { id: 'k7' } });
  t.same(sim.resident('a'), { live: 1, total: 200 }, 'only the one an event needed');
  t.equal(sim.actor<{ n: number }>('a', 'counter', 'k7')?.context.n, 2);
});

t.test('actors page in key order with counts per service and state, bringing none back', async (t) => {
  const sim = await simulateCluster({ app, passivateAfterMs: PASSIVATE_AFTER_MS });
  t.teardown(() => sim.stop());
  for (let i = 0; i < 120; i++) void sim.publish('a', { type: 'Count', data: { id: `k${String(i).padStart(3, '0')}` } });
  for (let i = 0; i < 3; i++) void sim.publish('a', { type: 'Count', data: { id: 'k005' } });
  for (let i = 0; i < 5; i++) void sim.publish('a', { type: 'Arm', data: { id: `a${i}` } });
  await sim.settle();
  await sim.advance(PASSIVATE_AFTER_MS * 2);
  t.equal(sim.resident('a').live, 0);
  const keys: (string | null)[] = [];
  let after: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await sim.actorPage('a', { service: 'counter', limit: 50, after });
    pages++;
    t.ok(page.actors.length <= 50);
    keys.push(...page.actors.map((a) => a.key));
    if (page.next === null) break;
    after = page.next;
  }
  t.equal(pages, 3, '120 actors in pages of 50');
  t.same(keys, Array.from({ length: 120 }, (_, i) => `k${String(i).padStart(3, '0')}`), 'every counter once, in key order');
  const counts = await sim.actorPage('a', { limit: 0 });
  t.same(counts.actors, []);
  t.same(counts.counts, { counter: { counting: 119, many: 1 }, alarm: { armed: 5 } }, 'counted per service and state');
  t.equal(counts.live, 0);
  const many = await sim.actorPage('a', { service: 'counter', state: 'many', limit: 10 });
  t.same(many.actors.map((a) => a.key), ['k005'], 'filtered by state');
  t.same(sim.resident('a').live, 0, 'paging brought no actor back');
});
