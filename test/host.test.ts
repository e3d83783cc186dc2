import t from 'tap';
import { assign, emit, raise, setup } from 'xstate';
import type { Envelope } from '../protocol/envelope.js';
import { Host, type Emission } from '../runtime/host.js';
import type { ServiceDefinition } from '../runtime/service.js';
import type { DeadLetter } from '../runtime/store.js';

/** A counter that emits `Counted`, throws on `Boom`, and rings `after` a delay once armed. */
const counter = setup({
  types: {
    context: {} as { count: number },
    emitted: {} as { type: 'Counted'; data: { id: string; count: number } } | { type: 'Rang'; data: Record<string, never> },
    events: {} as { type: 'Add'; data: { id: string; by: number }; ts: number } | { type: 'Boom'; data: { id: string }; ts: number } | { type: 'Arm'; data: { id: string }; ts: number } | { type: 'Trap'; data: { id: string }; ts: number },
  },
  delays: { ring: 50 },
}).createMachine({
  id: 'counter',
  context: { count: 0 },
  initial: 'idle',
  states: {
    idle: {
      on: {
        Add: {
          actions: [
            assign({ count: ({ context, event }) => context.count + event.data.by }),
            // Actions run in order: by now `assign` has updated the context.
            emit(({ context, event }) => ({ type: 'Counted', data: { id: event.data.id, count: context.count } })),
          ],
        },
        Boom: {
          actions: [
            assign({ count: () => -1 }),
            () => {
              throw new Error('boom');
            },
          ],
        },
        Arm: 'armed',
        Trap: 'trapped',
      },
    },
    trapped: {
      after: {
        ring: {
          actions: () => {
            throw new Error('timer boom');
          },
        },
      },
    },
    armed: { after: { ring: { target: 'rung', actions: emit({ type: 'Rang', data: {} }) } } },
    rung: { type: 'final' },
  },
});

const service: ServiceDefinition = { name: 'counter', machine: counter, on: ['Add', 'Boom', 'Arm', 'Trap'], key: (e) => e.data?.id };

let seq = 0;
function envelope(type: string, data: unknown): Envelope {
  seq++;
  return { id: `n1:${seq}`, type, data, origin: 'n1', seq, vc: { n1: seq }, correlationId: `c${seq}`, causationId: null, ts: 1000 + seq, schema: 1 };
}

/** A host whose fired timers run at once, collecting what they emit. */
function hostWithTimers(fired: Emission[][], now?: () => number): Host {
  return new Host({ services: [service], schedule: (task) => fired.push(task()), now });
}

t.test('delivers an event to the keyed actor and returns what it emitted with its cause', async (t) => {
  const host = hostWithTimers([]);
  const e = envelope('Add', { id: 'a', by: 2 });
  const out = host.deliver(e, 1);
  t.same(out, [{ emitted: { type: 'Counted', data: { id: 'a', count: 2 } }, cause: { id: e.id, correlationId: e.correlationId } }]);
  t.same(host.views(), [{ service: 'counter', key: 'a', state: 'idle', status: 'active', context: { count: 2 } }]);
  const changes = host.takeChanges();
  t.equal(changes.actors.length, 1, 'the touched actor is persisted');
  t.equal(host.takeChanges().actors.length, 0, 'changes are taken once');
  host.stop();
});

t.test('rolls a throwing actor back and files the event as a dead letter', async (t) => {
  const host = hostWithTimers([]);
  host.deliver(envelope('Add', { id: 'a', by: 5 }), 1);
  host.takeChanges();
  const boom = envelope('Boom', { id: 'a' });
  t.same(host.deliver(boom, 2), [], 'a failed step emits nothing');
  const { actors, deadLetters } = host.takeChanges();
  t.equal(actors.length, 0, 'the failed actor is not persisted');
  t.equal(deadLetters.length, 1);
  t.match(deadLetters[0], { service: 'counter', key: 'a', eventId: boom.id, pos: 2, error: { code: 'TROUPE_SERVICE_FAILED', message: 'boom' } });
  t.same(host.views()[0], { service: 'counter', key: 'a', state: 'idle', status: 'active', context: { count: 5 } }, 'state from before the event');
  t.equal(host.deliver(envelope('Add', { id: 'a', by: 1 }), 3).length, 1, 'the actor goes on');
  t.equal((host.views()[0].context as { count: number }).count, 6);
  host.stop();
});

t.test('files an event without an entity key as a dead letter', async (t) => {
  const host = hostWithTimers([]);
  host.deliver(envelope('Add', { by: 1 }), 1);
  const { deadLetters } = host.takeChanges();
  t.equal(deadLetters[0]?.error.code, 'TROUPE_SERVICE_NO_KEY');
  t.same(host.views(), []);
  host.stop();
});

t.test('replays a dead letter to its service', async (t) => {
  const host = hostWithTimers([]);
  const result = host.replay('counter', envelope('Add', { id: 'b', by: 3 }));
  t.notOk(result instanceof Error);
  t.equal((result as Emission[])[0].emitted.type, 'Counted');
  const missing = host.replay('nope', envelope('Add', { id: 'b', by: 3 }));
  t.match(missing, { code: 'TROUPE_NOT_FOUND' });
  host.stop();
});

t.test('persists a pending after-timer and re-arms it when restored', async (t) => {
  const first = hostWithTimers([]);
  const arm = envelope('Arm', { id: 'c' });
  first.deliver(arm, 1);
  const { actors } = first.takeChanges();
  first.stop();
  t.equal(actors[0].timers.length, 1, 'the delayed event is recorded with the snapshot');
  t.same(actors[0].cause, { id: arm.id, correlationId: arm.correlationId });

  const fired: Emission[][] = [];
  const second = hostWithTimers(fired);
  // As if the record came back from disk after the due time passed.
  second.restore([{ ...actors[0], timers: actors[0].timers.map((x) => ({ ...x, due: 0 })) }]);
  t.equal(second.views()[0].state, 'armed');
  await waitUntil(() => fired.length > 0);
  t.same(fired[0], [{ emitted: { type: 'Rang', data: {} }, cause: { id: arm.id, correlationId: arm.correlationId } }]);
  t.equal(second.views()[0].state, 'rung', 'the restored actor took its delayed transition');
  t.same(second.takeChanges().actors[0].timers, [], 'no timer is pending any more');
  second.stop();
});

/** Polls `cond` on the event loop until it holds, failing after a deadline. */
async function waitUntil(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((r) => setImmediate(r));
  }
}

t.test('persists the rolled-back actor when a later event of the same batch fails', async (t) => {
  const host = hostWithTimers([]);
  host.deliver(envelope('Add', { id: 'd', by: 4 }), 1);
  host.deliver(envelope('Boom', { id: 'd' }), 2);
  const { actors, deadLetters } = host.takeChanges();
  t.equal(deadLetters.length, 1);
  t.equal(actors.length, 1);
  t.match(actors[0].snapshot, { status: 'active', context: { count: 4 } }, 'the state after Add, not the failed actor');
  host.stop();
});

t.test('a delayed transition that throws becomes a dead letter once and is not re-armed', async (t) => {
  const fired: Emission[][] = [];
  // The wall clock lags the timers (a timer may fire a moment before its due time): the
  // failed one must still be told from the others by what it is, not by when it was due.
  const host = hostWithTimers(fired, () => Date.now() - 60_000);
  host.deliver(envelope('Trap', { id: 'e' }), 1);
  host.takeChanges();
  await waitUntil(() => fired.length > 0);
  const { actors, deadLetters } = host.takeChanges();
  t.match(deadLetters, [{ service: 'counter', key: 'e', error: { message: 'timer boom' } }]);
  t.same(actors[0]?.timers, [], 'the failed timer is not re-armed');
  t.equal(host.views()[0].state, 'trapped', 'the actor stays where it was');
  host.stop();
});

/** Schedules `Fail` and `Later` on `Plan`; `Again` schedules `Fail` anew, under the same id, while it is pending. */
const planner = setup({
  types: {
    events: {} as { type: 'Plan' | 'Again' | 'Fail' | 'Later'; data: { id: string }; ts: number },
  },
}).createMachine({
  id: 'planner',
  on: {
    Plan: {
      actions: [
        raise({ type: 'Fail', data: { id: 'p' }, ts: 0 }, { delay: 60_000, id: 'fail' }),
        raise({ type: 'Later', data: { id: 'p' }, ts: 0 }, { delay: 60_000, id: 'later' }),
      ],
    },
    Again: { actions: raise({ type: 'Fail', data: { id: 'p' }, ts: 0 }, { delay: 20, id: 'fail' }) },
    Fail: {
      actions: () => {
        throw new Error('fail boom');
      },
    },
  },
});

t.test('a timer scheduled again under a pending id is the one told as failed, not the newest other one', async (t) => {
  const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const idle = timeouts();
  const fired: Emission[][] = [];
  const plannerService: ServiceDefinition = { name: 'planner', machine: planner, on: ['Plan', 'Again'], key: (e) => e.data?.id };
  const host = new Host({ services: [plannerService], schedule: (task) => fired.push(task()) });
  host.deliver(envelope('Plan', { id: 'p' }), 1);
  host.deliver(envelope('Again', { id: 'p' }), 2);
  t.same(host.takeChanges().actors[0].timers.map((x) => x.id).sort(), ['fail', 'later'], 'both timers are pending');
  await waitUntil(() => fired.length > 0);
  const { actors, deadLetters } = host.takeChanges();
  t.match(deadLetters, [{ service: 'planner', key: 'p', error: { message: 'fail boom' } }]);
  t.same(actors[0]?.timers.map((x) => x.id), ['later'], 'the failed timer is dropped and the other one kept');
  host.stop();
  t.equal(timeouts(), idle, 'stopping clears every timer, the first Fail too (XState lost its handle)');
});

/** Fails both of its delayed transitions, one after the other. */
const twoTimers = setup({
  types: { events: {} as { type: 'Go'; data: { id: string }; ts: number } },
}).createMachine({
  id: 'twoTimers',
  initial: 'idle',
  states: {
    idle: { on: { Go: 'waiting' } },
    waiting: {
      after: {
        10: {
          actions: () => {
            throw new Error('first boom');
          },
        },
        30: {
          actions: () => {
            throw new Error('second boom');
          },
        },
      },
    },
  },
});

t.test('two failed timers of one actor are two dead letters, each holding its own delayed event', async (t) => {
  const fired: Emission[][] = [];
  const twoService: ServiceDefinition = { name: 'two', machine: twoTimers, on: ['Go'], key: (e) => e.data?.id };
  const host = new Host({ services: [twoService], schedule: (task) => fired.push(task()) });
  host.deliver(envelope('Go', { id: 'g' }), 1);
  host.takeChanges();
  const letters: DeadLetter[] = [];
  await waitUntil(() => {
    letters.push(...host.takeChanges().deadLetters);
    return letters.length >= 2;
  });
  t.match(letters, [{ service: 'two', key: 'g', error: { message: 'first boom' } }, { service: 'two', key: 'g', error: { message: 'second boom' } }]);
  t.not(letters[0].eventId, letters[1].eventId, 'each letter has an id of its own');
  t.match(letters.map((l) => l.eventId), [/^timer:/, /^timer:/]);
  t.not(letters[0].timer?.event, undefined, 'the delayed event is kept in the letter');
  t.not(letters[0].timer?.id, letters[1].timer?.id, 'each letter names its own timer');
  host.stop();
});

t.test('a timer restored without a last event fails into a letter with an id of its own', async (t) => {
  const fired: Emission[][] = [];
  const first = hostWithTimers([]);
  first.deliver(envelope('Trap', { id: 'r' }), 1);
  const record = first.takeChanges().actors[0];
  first.stop();
  const second = hostWithTimers(fired);
  second.restore([{ ...record, cause: null, timers: record.timers.map((x) => ({ ...x, due: 0 })) }]);
  await waitUntil(() => fired.length > 0);
  const { deadLetters } = second.takeChanges();
  t.equal(deadLetters.length, 1);
  t.not(deadLetters[0].eventId, 'timer:none');
  t.match(deadLetters[0].timer, { event: { type: /^xstate\.after\./ } });
  second.stop();
});

t.test('replaying a timer letter sends its delayed event again to the actor', async (t) => {
  const fired: Emission[][] = [];
  const host = hostWithTimers(fired);
  host.deliver(envelope('Trap', { id: 'q' }), 1);
  host.takeChanges();
  await waitUntil(() => fired.length > 0);
  const [letter] = host.takeChanges().deadLetters;
  t.match(host.replayTimer('counter', 'q', letter.timer?.event), { message: 'timer boom' }, 'it fails again the same way: the event reached the timer');
  t.match(host.replayTimer('counter', 'nobody', letter.timer?.event), { code: 'TROUPE_NOT_FOUND' });
  t.match(host.replayTimer('counter', 'q', undefined), { code: 'TROUPE_NOT_FOUND' });
  host.stop();
});

t.test('an event for an actor that reached a final state is recorded as ignored, not sent and not a dead letter', async (t) => {
  const fired: Emission[][] = [];
  const host = hostWithTimers(fired);
  host.deliver(envelope('Arm', { id: 'f' }), 1);
  await waitUntil(() => fired.length > 0);
  host.takeChanges();
  t.equal(host.views()[0].status, 'done', 'the actor rang and ended');
  const late = envelope('Add', { id: 'f', by: 1 });
  t.same(host.deliver(late, 2), []);
  const { actors, deadLetters, ignored } = host.takeChanges();
  t.same(ignored, [{ service: 'counter', key: 'f', type: 'Add', eventId: late.id, correlationId: late.correlationId, reason: 'actor-done' }]);
  t.same(deadLetters, [], 'a replay would meet the same ended actor');
  t.same(actors, [], 'the ended actor did not change');
  host.stop();
});
