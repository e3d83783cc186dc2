import t from 'tap';
import { createActor, raise, setup, SimulatedClock, type Actor, type AnyStateMachine } from 'xstate';
import { ActorTimers, pendingTimers, type FiredTimer, type TimerSlot } from '../runtime/actor-timers.js';
import { waitFor } from './helpers/wait-for.js';

/** Schedules `Ring` on itself under the id `ring` when told to `Wait` (after `ms`, given with the event). */
const waiter = setup({
  types: { events: {} as { type: 'Wait'; ms: number } | { type: 'Ring' } },
}).createMachine({
  id: 'waiter',
  initial: 'idle',
  states: {
    idle: { on: { Wait: { target: 'waiting', actions: raise({ type: 'Ring' }, { delay: ({ event }) => (event as { ms: number }).ms, id: 'ring' }) } } },
    waiting: { on: { Ring: 'rung' } },
    rung: {},
  },
});

interface Owned {
  readonly actor: Actor<AnyStateMachine>;
}

/** A waiter actor on `timers`' clock, and the list of what its fired timers told. */
function started(timers: ActorTimers<Owned>, snapshot?: unknown): Owned {
  const slot: TimerSlot<Owned> = {};
  const owned: Owned = { actor: createActor(waiter, { clock: timers.clockFor(slot), snapshot: snapshot as never }) };
  slot.owner = owned;
  owned.actor.start();
  return owned;
}

function recorder(now = Date.now): { timers: ActorTimers<Owned>; fired: { owner: Owned; timer: FiredTimer; run: () => void }[] } {
  const fired: { owner: Owned; timer: FiredTimer; run: () => void }[] = [];
  const timers = new ActorTimers<Owned>({ now, fired: (owner, callback, timer) => fired.push({ owner, timer, run: () => callback() }) });
  return { timers, fired };
}

t.test('a fired timer is handed over with its actor and scheduled event, and runs only when told', async (t) => {
  const { timers, fired } = recorder();
  const owned = started(timers);
  owned.actor.send({ type: 'Wait', ms: 5 });
  t.same(pendingTimers(owned.actor).map((p) => p.id), ['ring'], 'the delayed event is pending');
  await waitFor(() => fired.length, { message: 'the timer to fire', timeout: 5000, interval: 5 });
  t.equal(fired[0].owner, owned);
  t.equal(fired[0].timer.eventId, 'ring');
  t.equal(owned.actor.getSnapshot().value, 'waiting', 'XState\'s callback has not run yet');
  fired[0].run();
  t.equal(owned.actor.getSnapshot().value, 'rung');
  t.same(pendingTimers(owned.actor), [], 'nothing is pending once it ran');
  timers.stop();
});

t.test('re-arming a restored actor schedules its timers with what is left of their delay', async (t) => {
  let now = 1_000_000;
  const { timers } = recorder(() => now);
  const first = started(timers);
  first.actor.send({ type: 'Wait', ms: 60_000 });
  const [pending] = pendingTimers(first.actor);
  const snapshot = first.actor.getPersistedSnapshot();
  timers.stop();
  first.actor.stop();

  const again = recorder(() => now);
  const restored = started(again.timers, snapshot);
  t.same(pendingTimers(restored.actor), [], 'XState alone does not bring the delay back');
  now = pending.due - 10;
  const rearmed = again.timers.rearm(restored.actor, [pending]);
  t.equal(rearmed.length, 1);
  t.equal(rearmed[0].id, 'ring');
  t.equal(rearmed[0].due, pending.due, 'it stays due when it was, on the injected clock: 10 ms from now');
  await waitFor(() => again.fired.length, { message: 'the re-armed timer to fire', timeout: 5000, interval: 5 });
  t.equal(again.fired[0].timer.eventId, 'ring');
  again.timers.stop();
});

t.test('after stop no timer fires and none is left running', async (t) => {
  const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const idle = timeouts();
  const { timers, fired } = recorder();
  const owned = started(timers);
  owned.actor.send({ type: 'Wait', ms: 60_000 });
  t.equal(timeouts(), idle + 1);
  timers.stop();
  t.equal(timeouts(), idle, 'the timer is cleared');
  t.same(fired, []);
});

t.test('timers run on an injected clock, and their due times are that clock\'s', async (t) => {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const fired: FiredTimer[] = [];
  const timers = new ActorTimers<Owned>({ clock, fired: (_owner, callback, timer) => (fired.push(timer), callback()) });
  const owned = started(timers);
  owned.actor.send({ type: 'Wait', ms: 30_000 });
  t.same(timers.pending(owned.actor).map((p) => p.due), [1_030_000], 'due 30 s after the injected now, not after Date.now()');
  clock.increment(29_999);
  t.same(fired, [], 'not due yet');
  clock.increment(1);
  t.same(fired.map((f) => f.eventId), ['ring'], 'fires when the injected clock reaches it');
  t.equal(owned.actor.getSnapshot().value, 'rung');
  timers.stop();
});
