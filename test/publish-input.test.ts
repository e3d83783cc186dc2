import t from 'tap';
import pino from 'pino';
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
    ['a numeric correlation id', { type: 'Ping', correlationId: 7 }],
    ['an empty correlation id', { type: 'Ping', correlationId: '' }],
    ['a correlation id of 257 characters', { type: 'Ping', correlationId: 'c'.repeat(257) }],
  ];
  for (const [label, input] of bad) t.equal(verdict(input), 'TROUPE_BAD_REQUEST', label);
});

t.test('Fabric.publish refuses an invalid publish and logs nothing', async (t) => {
  const store = await Store.open(t.testdir(), 'n1', { sync: false });
  const host = new Host({ services: [], schedule: () => {} });
  const fabric = new Fabric({ id: 'n1', store, host, log: pino({ level: 'silent' }), vc: {}, acks: new Map() });
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
