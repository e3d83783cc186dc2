/**
 * Retirements stored before clocks were folded (`runtime/legacy-retirements.ts`): a start
 * on a data dir whose `meta/retired` names no retirement per origin reads them from the
 * log once, so those origins leave the in-memory and stored clocks like any other.
 */
import t from 'tap';
import { decodeValue } from '../protocol/codec.js';
import type { VectorClock } from '../protocol/envelope.js';
import type { Fabric } from '../runtime/fabric.js';
import { originsWithoutRecords } from '../runtime/legacy-retirements.js';
import type { StoredRetirements } from '../runtime/retirements.js';
import { openStoreDb } from '../runtime/store-db.js';
import { RETIRED_KEY } from '../runtime/store-keys.js';
import { Store } from '../runtime/store.js';
import { startFabric } from './helpers/store-fabric.js';
import { waitFor } from './helpers/wait-for.js';

/** Waits until `fabric` retired `origin` and committed the retirement. */
async function retiredAt(fabric: Fabric, origin: string): Promise<void> {
  await waitFor(async () => ({ retired: fabric.retired.origins.some((o) => o.origin === origin), clock: fabric.clock }), {
    timeout: 5000,
    until: (r) => r.retired && !Object.keys(r.clock).includes(origin),
    message: `${origin} to be retired and out of the committed clock`,
  });
}

/** What `dir`'s store holds under `meta/retired`, `meta/vc` and `ack/n2`. */
async function onDisk(dir: string): Promise<{ retired: StoredRetirements; vc: VectorClock; ack: VectorClock | undefined }> {
  const db = await openStoreDb(dir);
  try {
    const ack = await db.get('ack/n2');
    return {
      retired: decodeValue((await db.get(RETIRED_KEY))!) as StoredRetirements,
      vc: decodeValue((await db.get('meta/vc'))!) as VectorClock,
      ack: ack === undefined ? undefined : (decodeValue(ack) as VectorClock),
    };
  } finally {
    await db.close();
  }
}

/**
 * Rewrites `dir`'s store as a release before folding left it: `meta/retired` naming
 * `origins` with no `by`, and `meta/vc` and `ack/n2` whole (`whole`).
 */
async function writeAsBeforeFolding(dir: string, origins: Record<string, number>, whole: VectorClock): Promise<void> {
  const store = await Store.open(dir, 'n1', { sync: false });
  await store.load();
  store.foldClocksWith(new Map()); // as before folding: every clock stored whole
  await store.commit({
    events: [],
    vcBefore: whole,
    vc: whole,
    actors: [],
    deadLetters: [],
    removedDeadLetters: [],
    acks: new Map([['n2', whole]]),
    retired: { origins, nodes: [] },
  });
  await store.close();
}

t.test('a start on retirements stored without their records reads them from the log, and the origins fold', async (t) => {
  const dir = t.testdir();
  const first = await startFabric(t, dir, 'n1~a');
  await first.fabric.publish({ type: 'Ping' });
  await first.fabric.publish({ type: 'Ping' });
  await first.stop();
  const second = await startFabric(t, dir, 'n1~b');
  await second.fabric.waitFor(3, 5000); // n1~b:1 retires n1~a at 2
  await second.stop();

  const whole = { 'n1~a': 2, 'n1~b': 1 };
  // n9~z was retired by an event retention removed since: nothing in the log names it (its
  // five events are not in this log either, which moves log positions on; no matter here).
  await writeAsBeforeFolding(dir, { 'n1~a': 2, 'n9~z': 5 }, { ...whole, 'n9~z': 5 });
  const crafted = await onDisk(dir);
  t.same(originsWithoutRecords(crafted.retired).sort(), ['n1~a', 'n9~z'], 'the crafted store names no retirement of either origin');
  t.same(crafted.vc, { ...whole, 'n9~z': 5 }, 'and holds its clocks whole');

  const loading = await Store.open(dir, 'n1', { sync: false });
  const loaded = await loading.load();
  await loading.close();
  const refolded = await onDisk(dir);
  t.same(refolded.retired.by?.['n1~a'], [['n1~b', 1, 2]], 'loading alone stores the record read from the log');
  t.same(refolded.ack, { 'n1~b': 1, 'n9~z': 5 }, 'with ack/n2 folded against it in the same write');
  t.same(loaded.acks.get('n2'), { ...whole, 'n9~z': 5 }, 'and the acknowledged clock it loads is whole');

  const third = await startFabric(t, dir, 'n1~c');
  const clock = third.fabric.clock;
  t.notOk(Object.keys(clock).includes('n1~a'), `n1~a leaves the in-memory clock (${JSON.stringify(clock)})`);
  t.equal(clock['n1~a'], 2, 'and reads as its final seq');
  t.equal(clock['n9~z'], 5, 'an origin whose retirement is not in the log stays, as it was');
  t.ok(Object.keys(clock).includes('n9~z'));
  await retiredAt(third.fabric, 'n1~b'); // n1~c:1 retires n1~b
  await third.stop();
  const rebuilt = await onDisk(dir);
  t.same(rebuilt.retired.by?.['n1~a'], [['n1~b', 1, 2]], 'the record read from the log is stored');
  t.same(rebuilt.retired.by?.['n9~z'], [], 'an origin found nowhere gets an empty list: the log is not read again');
  t.same(rebuilt.ack, { 'n1~b': 1, 'n9~z': 5 }, 'ack/n2 is stored folded against the records read');
  t.same(originsWithoutRecords(rebuilt.retired), [], 'no origin is left without records');
  t.notOk('n1~a' in rebuilt.vc, `the stored clock leaves n1~a out from then on (${JSON.stringify(rebuilt.vc)})`);

  const fourth = await startFabric(t, dir, 'n1~d');
  t.equal(fourth.fabric.clock['n1~a'], 2, 'and reads it back whole at the next start');
  await retiredAt(fourth.fabric, 'n1~c'); // n1~d:1 retires n1~c
  t.same(Object.keys(fourth.fabric.clock).filter((o) => o.startsWith('n1~') && o !== 'n1~d'), [], 'no earlier start of n1 takes an entry');
});
