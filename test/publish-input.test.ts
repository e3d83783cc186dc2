import t from 'tap';
import pino from 'pino';
import { emit, setup } from 'xstate';
import { Fabric } from '../runtime/fabric.js';
import { Host } from '../runtime/host.js';
import { checkPublish, type PublishInput } from '../runtime/publish-input.js';
import { Store } from '../runtime/store.js';

/** The code `checkPublish` throws for `input`, or 'ok'. */
function verdict(input: unknown): string {
  try {
    checkPublish(input);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? 'not a TroupeError';
  }
}

t.test('a publish may name the version of its type: an integer from 1 to 2^32-1', async (t) => {
  t.equal(verdict({ type: 'Ping', version: 1 }), 'ok');
  t.equal(verdict({ type: 'Ping', version: 2 ** 32 - 1 }), 'ok');
  for (const version of [0, -1, 1.5, 2 ** 32, '2', null]) t.equal(verdict({ type: 'Ping', version }), 'TROUPE_BAD_REQUEST', JSON.stringify(version));
});

t.test('a publish is checked by the wire\'s own rules: names of 1 to 256 characters that survive UTF-8', async (t) => {
  t.equal(verdict({ type: 'Ping' }), 'ok');
  t.equal(verdict({ type: 'Ping', data: { any: ['thing'] }, correlationId: 'c'.repeat(256) }), 'ok', 'a 256-character correlation id');
  t.equal(verdict({ type: 'T'.repeat(256) }), 'ok', 'a 256-character type');
  const bad: [string, unknown][] = [
    ['not an object', 'Ping'],
    ['null', null],
    ['no type', { data: 1 }],
    ['an empty type', { type: '' }],
    ['a numeric type', { type: 42 }],
    ['a type of 257 characters', { type: 'T'.repeat(257) }],
    ['a type with a lone surrogate', { type: 'Ping\ud800' }],
    ['the runtime\'s own retirement type', { type: 'troupe.retired', data: { origins: {} } }],
    ['the retirement type without data', { type: 'troupe.retired' }],
    ['a numeric correlation id', { type: 'Ping', correlationId: 7 }],
    ['an empty correlation id', { type: 'Ping', correlationId: '' }],
    ['a correlation id of 257 characters', { type: 'Ping', correlationId: 'c'.repeat(257) }],
  ];
  for (const [label, input] of bad) t.equal(verdict(input), 'TROUPE_BAD_REQUEST', label);
});

t.test('Fabric.publish refuses an invalid publish and logs nothing', async (t) => {
  const store = await Store.open(t.testdir(), 'n1', { sync: false });
  const host = new Host({ services: [], schedule: () => {} });
  const fabric = new Fabric({ id: 'n1', store, host, log: pino({ level: 'silent' }) });
  t.teardown(async () => {
    await fabric.stop();
    await store.close();
  });
  await t.rejects(fabric.publish({ type: 'Ping', correlationId: 'c'.repeat(257) }), { code: 'TROUPE_BAD_REQUEST' });
  await t.rejects(fabric.publish({ type: 7 } as unknown as PublishInput), { code: 'TROUPE_BAD_REQUEST' });
  const e = await fabric.publish({ type: 'Ping', correlationId: 'c'.repeat(256) });
  t.equal(e.seq, 1, 'the first valid publish takes seq 1: the refused ones took none');
  t.equal(fabric.size, 1);
});

t.test('data that is not JSON-like is refused, from a publish or an actor\'s emit, and never stored', async (t) => {
  const machine = setup({ types: { emitted: {} as { type: 'Counted'; data: { n: bigint } } } }).createMachine({
    on: { Count: { actions: emit({ type: 'Counted', data: { n: 10n } }) } },
  });
  const store = await Store.open(t.testdir(), 'n1', { sync: false });
  let fabric: Fabric | undefined;
  const host = new Host({ services: [{ name: 'counter', machine, on: ['Count'] }], schedule: (task) => fabric?.schedule(task) });
  fabric = new Fabric({ id: 'n1', store, host, log: pino({ level: 'silent' }) });
  const running = fabric;
  t.teardown(async () => {
    await running.stop();
    host.stop();
    await store.close();
  });
  await t.rejects(running.publish({ type: 'Ping', data: { n: 10n } }), { code: 'TROUPE_PROTOCOL_BAD_EVENT', message: /data\.n is a bigint/ });
  await t.rejects(running.publish({ type: 'Ping', data: { at: new Date(0) } }), { code: 'TROUPE_PROTOCOL_BAD_EVENT', message: /data\.at is a Date/ });
  await running.publish({ type: 'Count' });
  t.same((await running.read(1, 10)).map((e) => e.type), ['Count'], 'the emit with a bigint was dropped, not logged');
});
