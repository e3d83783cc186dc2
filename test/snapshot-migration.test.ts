/** Snapshot migrations: actors persisted by an older machine are migrated on restore, or kept out with a dead letter. */
import t from 'tap';
import pino from 'pino';
import { assign, setup } from 'xstate';
import { Host } from '../runtime/host.js';
import { openKernel, type Kernel } from '../runtime/node-kernel.js';
import { machineVersion, type ServiceDefinition } from '../runtime/service.js';
import { checkMigrations, migrateSnapshot, snapshotLetterId } from '../runtime/snapshot-migration.js';
import type { ActorRecord } from '../runtime/store.js';
import { waitFor } from './helpers/wait-for.js';

type Pay = { type: 'Pay'; data: { orderId: string; amount: number } } | { type: 'Refund'; data: { orderId: string } };

/** Version 1: `open` → `paid`, counting what was paid. */
const accountV1 = setup({ types: { context: {} as { paid: number }, events: {} as Pay } }).createMachine({
  id: 'account',
  context: { paid: 0 },
  initial: 'open',
  states: {
    open: { on: { Pay: { target: 'paid', actions: assign({ paid: ({ event }) => event.data.amount }) } } },
    paid: { on: { Refund: 'open' } },
  },
});

/** Version 2: `paid` is renamed `settled`, and the context gains a currency. */
const accountV2 = setup({ types: { context: {} as { paid: number; currency: string }, events: {} as Pay } }).createMachine({
  id: 'account',
  context: { paid: 0, currency: 'EUR' },
  initial: 'open',
  states: {
    open: { on: { Pay: { target: 'settled', actions: assign({ paid: ({ event }) => event.data.amount }) } } },
    settled: { on: { Refund: { target: 'open', actions: assign({ paid: 0 }) } } },
  },
});

type SnapshotV1 = { value: string; context: { paid: number } };
const toV2 = (v1: SnapshotV1) => ({ ...v1, value: v1.value === 'paid' ? 'settled' : v1.value, context: { ...v1.context, currency: 'EUR' } });

const key = (e: { data: { orderId: string } }): string => e.data.orderId;
const v1: ServiceDefinition = { name: 'account', machine: accountV1, on: ['Pay', 'Refund'], key };
const v2: ServiceDefinition = { name: 'account', machine: accountV2, on: ['Pay', 'Refund'], key, migrations: { 2: toV2 } };

let seq = 0;
function pay(orderId: string, amount: number) {
  seq++;
  return { id: `n1:${seq}`, type: 'Pay', data: { orderId, amount }, origin: 'n1', seq, vc: { n1: seq }, correlationId: `c${seq}`, causationId: null, ts: 1000 + seq, schema: 1 };
}
function refund(orderId: string) {
  return { ...pay(orderId, 0), type: 'Refund', data: { orderId } };
}

/** The records a host on `service` persists after paying `amount` for order `o-1`. */
function persistedBy(service: ServiceDefinition, amount = 30): ActorRecord[] {
  const host = new Host({ services: [service], schedule: () => {} });
  host.deliver(pay('o-1', amount), 1);
  const { actors } = host.takeChanges();
  host.stop();
  return actors;
}

t.test('a record carries its machine version, and none for version 1', async (t) => {
  t.notOk('version' in persistedBy(v1)[0]);
  t.equal(persistedBy(v2)[0].version, 2);
  t.equal(machineVersion(v1), 1);
  t.equal(machineVersion(v2), 2);
});

t.test('an actor persisted by version 1 is migrated on restore: the state renamed, the context field added', async (t) => {
  const host = new Host({ services: [v2], schedule: () => {} });
  t.equal(host.restore(persistedBy(v1)), 0);
  const [actor] = host.details();
  t.equal(actor.state, 'settled');
  t.same(actor.context, { paid: 30, currency: 'EUR' });
  host.deliver(refund('o-1'), 2);
  t.equal(host.details()[0].state, 'open', 'the migrated actor goes on under the new machine');
  t.equal(host.takeChanges().actors[0].version, 2, 'and is persisted as version 2');
});

t.test('a migration that throws keeps the actor out with a dead letter; its events become dead letters too', async (t) => {
  const broken: ServiceDefinition = {
    ...v2,
    migrations: {
      2: () => {
        throw new Error('no currency for this account');
      },
    },
  };
  const host = new Host({ services: [broken], schedule: () => {} });
  t.equal(host.restore(persistedBy(v1)), 1);
  t.same(host.views(), [], 'not started from scratch: no silent reset');
  host.deliver(refund('o-1'), 5);
  host.deliver(pay('o-2', 10), 6);
  const { deadLetters, actors } = host.takeChanges();
  t.match(deadLetters, [
    { service: 'account', key: 'o-1', eventId: snapshotLetterId('o-1'), pos: 0, error: { code: 'TROUPE_SNAPSHOT_MIGRATION_FAILED' }, snapshot: { version: 1 } },
    { service: 'account', key: 'o-1', pos: 5, error: { code: 'TROUPE_SNAPSHOT_UNRESTORED' } },
  ]);
  t.equal(deadLetters.length, 2);
  t.same(
    actors.map((a) => a.key),
    ['o-2'],
    'the actor of o-1 is never persisted over its record; other actors go on',
  );
  t.match(host.replaySnapshot('account', 'o-1'), { code: 'TROUPE_SNAPSHOT_UNRESTORED' }, 'replaying its letter fails while it is out');
  t.same(host.replaySnapshot('account', 'o-2'), [], 'and succeeds for an actor that is restored');
});

t.test('a snapshot XState rejects (a state the machine lacks) is TROUPE_SNAPSHOT_REJECTED, not a crash', async (t) => {
  const unmigrated: ServiceDefinition = { ...v2, migrations: { 2: (s: unknown) => s } };
  const host = new Host({ services: [unmigrated], schedule: () => {} });
  t.equal(host.restore(persistedBy(v1)), 1);
  t.same(host.views(), []);
  t.match(host.takeChanges().deadLetters, [{ key: 'o-1', error: { code: 'TROUPE_SNAPSHOT_REJECTED', message: /paid/ } }]);
});

t.test('a record newer than the machine (a node rolled back) is TROUPE_SNAPSHOT_VERSION_UNKNOWN', async (t) => {
  t.throws(() => migrateSnapshot(v1, persistedBy(v2)[0]), { code: 'TROUPE_SNAPSHOT_VERSION_UNKNOWN' });
  const host = new Host({ services: [v1], schedule: () => {} });
  t.equal(host.restore(persistedBy(v2)), 1);
  t.match(host.takeChanges().deadLetters, [{ error: { code: 'TROUPE_SNAPSHOT_VERSION_UNKNOWN' } }]);
});

t.test('migrations must be 2, 3, … with a function each', async (t) => {
  t.doesNotThrow(() => checkMigrations(v2));
  t.throws(() => checkMigrations({ ...v2, migrations: { 3: toV2 } }), { code: 'TROUPE_BAD_APP' });
  t.throws(() => checkMigrations({ ...v2, migrations: { 2: 'x' } as never }), { code: 'TROUPE_BAD_APP' });
});

/** Opens a node's kernel on `dir` with `service`. */
function open(dir: string, service: ServiceDefinition): Promise<Kernel> {
  return openKernel({ id: 'solo', dataDir: dir, services: [service], log: pino({ level: 'silent' }), relaxed: true });
}

async function close(kernel: Kernel): Promise<void> {
  await kernel.fabric.stop();
  kernel.host.stop();
  await kernel.store.close();
}

t.test('on a node, an unrestorable record is dead-lettered when its actor is first needed, stays on disk, and replays once a fixed node restores it', async (t) => {
  const dir = t.testdir();
  const first = await open(dir, v1);
  await first.fabric.publish({ type: 'Pay', data: { orderId: 'o-1', amount: 30 } });
  await close(first);

  const broken = await open(dir, { ...v2, migrations: { 2: (s: unknown) => s } });
  const refund = await broken.fabric.publish({ type: 'Refund', data: { orderId: 'o-1' } });
  await waitFor(async () => (await broken.store.deadLetters()).length === 2, { message: "the snapshot's and the refund's dead letters" });
  const letters = await broken.store.deadLetters();
  t.same(letters.map((l) => l.error.code).sort(), ['TROUPE_SNAPSHOT_REJECTED', 'TROUPE_SNAPSHOT_UNRESTORED']);
  const stored = broken.store.actors.get(v1.name, 'o-1');
  t.match(stored, { key: 'o-1', snapshot: { value: 'paid' } }, 'the record is still the version-1 one');
  t.notOk(stored !== undefined && 'version' in stored);
  await close(broken);

  const fixed = await open(dir, v2);
  for (const letter of letters.sort((a, b) => a.pos - b.pos)) await fixed.fabric.replay(letter);
  t.same(await fixed.store.deadLetters(), [], 'both letters replayed');
  t.equal(fixed.host.details()[0].state, 'open', `the refund ${refund.id} reached the migrated actor`);
  t.match(fixed.store.actors.get(v1.name, 'o-1'), { key: 'o-1', version: 2, snapshot: { value: 'open' } });
  await close(fixed);
});
