import t from 'tap';
import { decodeReply, decodeRequest, encodeControl, encodePublish, encodeReply, wirePublish } from '../protocol/client-codec.js';
import type { ClientReply, PublishAnswer } from '../protocol/client-message.js';
import { packr } from '../protocol/packr.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

t.test('a publish carries each event as [type, correlationId, data bytes] and reads back', async (t) => {
  const bytes = encodePublish(7, [wirePublish({ type: 'A' }), wirePublish({ type: 'B', data: { n: 1 }, correlationId: 'w' })]);
  t.equal(hex(bytes), '93a77075626c69736807929' + '3a141c0c0' + '93a142a177c40481a16e01', 'golden bytes');
  t.same(decodeRequest(bytes), { type: 'publish', ref: 7, events: [{ type: 'A' }, { type: 'B', data: { n: 1 }, correlationId: 'w' }] });
});

t.test('a published event of a later version carries the version as a fourth field', async (t) => {
  const bytes = encodePublish(7, [wirePublish({ type: 'A', version: 2 })]);
  t.equal(hex(bytes), '93a77075626c6973680791' + '94a141c0c002', 'golden bytes: [type, nil, nil, 2]');
  t.same(decodeRequest(bytes), { type: 'publish', ref: 7, events: [{ type: 'A', version: 2 }] });
  t.throws(() => decodeRequest(packr.pack(['publish', 1, [['A', null, null, 2, 0]]])), { code: 'TROUPE_PROTOCOL_BAD_FRAME' }, 'five fields');
  t.throws(() => decodeRequest(packr.pack(['publish', 1, [['A', null, null, 'two']]])), { code: 'TROUPE_PROTOCOL_BAD_FRAME' }, 'a version that is no count');
});

t.test('subscribe, credit and unsubscribe read back as written', async (t) => {
  const subscribe = { type: 'subscribe', sub: 2, from: 0, types: ['A', 'B'], correlationId: null, credit: 500 } as const;
  t.same(decodeRequest(encodeControl(subscribe)), subscribe);
  t.same(decodeRequest(encodeControl({ ...subscribe, correlationId: 'o-1', types: [] })), { ...subscribe, correlationId: 'o-1', types: [] });
  t.same(decodeRequest(encodeControl({ type: 'credit', sub: 2, n: 250 })), { type: 'credit', sub: 2, n: 250 });
  t.same(decodeRequest(encodeControl({ type: 'unsubscribe', sub: 2 })), { type: 'unsubscribe', sub: 2 });
});

t.test('a request that is not one is a protocol error, never anything else', async (t) => {
  const bad: [string, Uint8Array][] = [
    ['not msgpack', Buffer.from([0xc1])],
    ['an unknown request', packr.pack(['drop', 1])],
    ['a map', packr.pack({ type: 'publish' })],
    ['a publish without events', packr.pack(['publish', 1])],
    ['an event of two fields', packr.pack(['publish', 1, [['A', null]]])],
    ['data that is not bytes', packr.pack(['publish', 1, [['A', null, 5]]])],
    ['data bytes that are not msgpack', packr.pack(['publish', 1, [['A', null, Buffer.from([0x92, 0x01])]]])],
    ['a negative credit', packr.pack(['credit', 1, -5])],
    ['trailing bytes', Buffer.concat([encodeControl({ type: 'unsubscribe', sub: 1 }), Buffer.from([0])])],
    ['an empty array', packr.pack([])],
  ];
  for (const [what, bytes] of bad) t.throws(() => decodeRequest(bytes), { code: 'TROUPE_PROTOCOL_BAD_FRAME' }, what);
});

t.test('the answers of one publish send their origin and clock once, and read back whole', async (t) => {
  const answers: PublishAnswer[] = [
    { id: 'a', origin: 'n1~x', seq: 7, vc: { 'n1~x': 7, 'rx~y': 3 }, correlationId: 'a' },
    { id: 'b', origin: 'n1~x', seq: 8, vc: { 'n1~x': 8, 'rx~y': 3 }, correlationId: 'order-1' },
    { error: { code: 'TROUPE_BAD_REQUEST', message: 'no' } },
    { id: 'c', origin: 'n1~x', seq: 10, vc: { 'n1~x': 10, 'rx~y': 3 }, correlationId: 'c' },
    { id: 'd', origin: 'n1~x', seq: 11, vc: { 'n1~x': 11, 'rx~y': 4 }, correlationId: 'd' },
    { id: 'e', origin: 'n1~x', seq: 12, vc: { 'n1~x': 12, 'rx~y': 4, 'n3~z': 1 }, correlationId: 'e' },
  ];
  const bytes = encodeReply({ type: 'published', ref: 5, answers });
  t.same(packr.unpack(bytes), [
    'published',
    5,
    [
      ['a', 7, null, 'n1~x', { 'n1~x': 7, 'rx~y': 3 }],
      ['b', 8, 'order-1', null, null],
      { error: { code: 'TROUPE_BAD_REQUEST', message: 'no' } },
      ['c', 10, null, null, null],
      ['d', 11, null, null, { 'n1~x': 11, 'rx~y': 4 }],
      ['e', 12, null, null, { 'n1~x': 12, 'rx~y': 4, 'n3~z': 1 }],
    ],
  ]);
  t.same(decodeReply(bytes), { type: 'published', ref: 5, answers });
});

t.test('an answer that leans on no earlier one, or is not an answer, is a protocol error', async (t) => {
  const bad: [string, unknown[]][] = [
    ['no origin in the first', [['a', 1, null, null, { n1: 1 }]]],
    ['no clock in the first', [['a', 1, null, 'n1', null]]],
    ['four fields', [['a', 1, null, 'n1']]],
    ['a seq that is no count', [['a', -1, null, 'n1', { n1: 1 }]]],
    ['a clock that is a list', [['a', 1, null, 'n1', [1]]]],
    ['a map that is no error', [{ id: 'a' }]],
  ];
  for (const [what, answers] of bad) t.throws(() => decodeReply(packr.pack(['published', 1, answers])), { code: 'TROUPE_PROTOCOL_BAD_FRAME' }, what);
});

t.test('replies read back as written', async (t) => {
  const replies: ClientReply[] = [
    { type: 'hello', node: 'n1', protocol: 1 },
    { type: 'published', ref: 3, answers: [{ id: 'n1:1', origin: 'n1', seq: 1, vc: { n1: 1 }, correlationId: 'n1:1' }, { error: { code: 'TROUPE_BAD_REQUEST', message: 'no' } }] },
    { type: 'subscribed', sub: 1, from: 42 },
    { type: 'events', sub: 1, next: 44, events: [{ pos: 42, id: 'n1:9', type: 'A', origin: 'n1', seq: 9, vc: { n1: 9 }, correlationId: 'n1:9', causationId: null, ts: 1700000000000, data: { at: new Date(0) } }] },
    { type: 'error', ref: null, error: { code: 'TROUPE_BAD_REQUEST', message: 'no' } },
  ];
  for (const reply of replies) t.same(decodeReply(encodeReply(reply)), reply, reply.type);
  t.throws(() => decodeReply(packr.pack(['events', 1])), { code: 'TROUPE_PROTOCOL_BAD_FRAME' });
});
