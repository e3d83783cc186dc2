import t from 'tap';
import pino from 'pino';
import { DeadLetterReplay } from '../runtime/dead-letter-replay.js';
import { Fabric } from '../runtime/fabric.js';
import { Host } from '../runtime/host.js';
import { Store, type DeadLetter } from '../runtime/store.js';
import { encodeEvent } from '../protocol/event-codec.js';
import { assign, emit, setup as machineSetup } from 'xstate';
import type { ServiceDefinition } from '../runtime/service.js';
import flaky from './fixtures/apps/flaky.js';
import { waitFor } from './helpers/wait-for.js';

const letter: DeadLetter = { service: 'worker', key: 'j1', eventId: 'n1:1', pos: 1, error: { code: 'TROUPE_SERVICE_FAILED', message: 'x' }, at: 0 };
const bytes = encodeEvent({ origin: 'n1', seq: 1, schema: 1, vc: { n1: 1 }, type: 'Job', correlationId: 'c', causationId: null, ts: 1, data: null });

function setup(replay: Host['replay'], stored: Uint8Array | null = bytes) {
  const store = { eventAt: async () => stored ?? undefined, deadLetter: async () => letter } as unknown as Store;
  const host = { replay } as unknown as Host;
  return new DeadLetterReplay({ store, host });
}

t.test('one replay at a time per dead letter', async (t) => {
  const replays = setup(() => []);
  let finish: () => void = () => {};
  const first = replays.once(letter, () => new Promise<void>((resolve) => (finish = resolve)));
  await t.rejects(replays.once(letter, async () => {}), { code: 'TROUPE_BAD_REQUEST' }, 'a second while the first runs');
  finish();
  await first;
  await t.resolves(replays.once(letter, async () => {}), 'another once the first is over');
});

t.test('redelivery hands the service the logged event and returns what it emitted', async (t) => {
  const seen: string[] = [];
  const replays = setup((service, e) => {
    seen.push(`${service} ${e.id}`);
    return [{ emitted: { type: 'Done' }, cause: { id: e.id, correlationId: e.correlationId } }];
  });
  const result = await replays.redeliver(letter);
  t.same(seen, ['worker n1:1']);
  t.match(result, [{ emitted: { type: 'Done' } }]);
});

t.test('a service that fails again answers TROUPE_SERVICE_FAILED; an event gone from the log TROUPE_NOT_FOUND', async (t) => {
  t.match(await setup(() => new Error('still broken')).redeliver(letter), { code: 'TROUPE_SERVICE_FAILED', message: /still broken/ });
  t.match(await setup(() => [], null).redeliver(letter), { code: 'TROUPE_NOT_FOUND' });
});

t.test('a dead letter read before another replay committed is not replayed twice: the second answers TROUPE_NOT_FOUND', async (t) => {
  const store = await Store.open(t.testdir(), 'solo', { sync: false });
  let fabric: Fabric | undefined;
  const host = new Host({ services: flaky.services, schedule: (task) => fabric?.schedule(task) });
  fabric = new Fabric({ id: 'solo', store, host, log: pino({ level: 'silent' }) });
  const running = fabric;
  t.teardown(async () => {
    await running.stop();
    host.stop();
    await store.close();
  });
  const job = await running.publish({ type: 'Job', data: { id: 'j1' } });
  await running.publish({ type: 'Enable', data: { id: 'j1' } });
  // Two requests race: both read the letter before either replay is committed.
  const first = await store.deadLetter('worker', job.id);
  const second = await store.deadLetter('worker', job.id);
  t.ok(first !== undefined && second !== undefined, 'both requests found the letter');
  await running.replay(first as DeadLetter);
  await t.rejects(running.replay(second as DeadLetter), { code: 'TROUPE_NOT_FOUND' }, 'the letter was replayed already');
  const events = await running.read(1, 100);
  t.same(events.map((e) => e.type), ['Job', 'Enable', 'JobDone'], 'the service handled the event once');
  t.same(await store.deadLetters(), []);
});

/** Rings a while after `Arm`, and fails to until it is `Ready`. */
const alarm = machineSetup({
  types: {
    context: {} as { ready: boolean },
    events: {} as { type: 'Arm' | 'Ready'; data: { id: string }; ts: number },
    emitted: {} as { type: 'Rang'; data: { id: string } },
  },
}).createMachine({
  id: 'alarm',
  context: { ready: false },
  initial: 'idle',
  states: {
    idle: { on: { Arm: 'armed' } },
    armed: {
      on: { Ready: { actions: assign({ ready: true }) } },
      after: {
        20: {
          target: 'rung',
          actions: [
            ({ context }) => {
              if (!context.ready) throw new Error('not ready to ring');
            },
            emit({ type: 'Rang', data: { id: 'a' } }),
          ],
        },
      },
    },
    rung: { type: 'final' },
  },
});

t.test('a failed timer\'s dead letter replays: its delayed event is sent again to the actor and what it emits is committed', async (t) => {
  const store = await Store.open(t.testdir(), 'solo', { sync: false });
  let fabric: Fabric | undefined;
  const service: ServiceDefinition = { name: 'alarm', machine: alarm, on: ['Arm', 'Ready'], key: (e) => e.data?.id };
  const host = new Host({ services: [service], schedule: (task) => fabric?.schedule(task) });
  fabric = new Fabric({ id: 'solo', store, host, log: pino({ level: 'silent' }) });
  const running = fabric;
  t.teardown(async () => {
    await running.stop();
    host.stop();
    await store.close();
  });
  await running.publish({ type: 'Arm', data: { id: 'a' } });
  const [letter] = await waitFor(() => store.deadLetters(), { message: 'the timer failed into a dead letter', until: (l) => l.length > 0, interval: 10 });
  t.match(letter, { service: 'alarm', key: 'a', eventId: /^timer:/, error: { code: 'TROUPE_SERVICE_FAILED' } });
  await running.publish({ type: 'Ready', data: { id: 'a' } });
  await running.replay(letter);
  const events = await running.read(1, 100);
  t.same(events.map((e) => e.type), ['Arm', 'Ready', 'Rang'], 'the actor rang on the replay');
  t.same(await store.deadLetters(), [], 'the letter is gone');
  t.equal(host.views()[0].state, 'rung');
});
