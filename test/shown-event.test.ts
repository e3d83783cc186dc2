/**
 * Nothing a log holds makes it unreadable (issue 15, "in depth"): an event the strict
 * decoder refuses, as a data directory of an older build may hold, is shown marked
 * `unshowable`, and `/log` and `/trace` pages and the inspector's feed covering it still answer.
 */
import t, { type Test } from 'tap';
import { SimulatedClock } from 'xstate';
import { decodeEvent, encodeEvent } from '../protocol/event-codec.js';
import { feedEvent } from '../runtime/feed-events.js';
import { LogQueries } from '../runtime/log-queries.js';
import { showEvent, UNREADABLE_TYPE } from '../protocol/shown-event.js';
import { RecentLog } from '../runtime/recent-log.js';
import { Store, type StoredEvent } from '../runtime/store.js';

/** A valid event of n1 with nil data, its last byte the data's nil. */
function validEvent(seq: number, type = 'Reading'): Uint8Array {
  return encodeEvent({ origin: 'n1', seq, schema: 1, vc: { n1: seq }, type, correlationId: 'flow', causationId: null, ts: 1000 + seq, data: null });
}

/** `bytes` with its final nil data replaced by `data`: a msgpack value the grammar refuses. */
function withData(bytes: Uint8Array, data: number[]): Uint8Array {
  return Uint8Array.from([...bytes.subarray(0, bytes.length - 1), ...data]);
}

/** What older builds could store: a BigInt or Date extension, the unused 0xc1, a type that is not UTF-8. */
const refused = {
  'a msgpackr BigInt extension': withData(validEvent(2), [0xc7, 0x01, 0x42, 0x05]),
  'a timestamp (Date) extension': withData(validEvent(2), [0xd6, 0xff, 0, 0, 0, 1]),
  'the unused byte 0xc1': withData(validEvent(2), [0xc1]),
  'invalid UTF-8 in its type': validEvent(2, 'Re\u00e9ding').map((b, i, all) => (b === 0xc3 && all[i + 1] === 0xa9 ? 0xff : b)),
};

t.test('a valid event is shown as decoded, with nothing marked', async (t) => {
  const bytes = validEvent(1);
  t.same(showEvent(bytes), decodeEvent(bytes));
  t.notOk('unshowable' in showEvent(bytes));
});

t.test('an event the strict decoder refuses is shown by its header, marked unshowable, never thrown', async (t) => {
  for (const [what, bytes] of Object.entries(refused)) {
    t.throws(() => decodeEvent(bytes), { code: 'TROUPE_PROTOCOL_BAD_EVENT' }, `${what}: the decoder refuses it`);
    const shown = showEvent(bytes);
    t.match(shown, { id: 'n1:2', origin: 'n1', seq: 2, data: null, correlationId: 'n1:2' }, `${what}: its id, origin and seq are shown`);
    t.type(shown.unshowable, 'string', `${what}: it says why the rest cannot be shown`);
    t.doesNotThrow(() => JSON.stringify(shown), `${what}: it is JSON`);
  }
  t.equal(showEvent(refused['a msgpackr BigInt extension']).type, 'Reading', 'a readable type is shown');
  t.equal(showEvent(refused['invalid UTF-8 in its type']).type, UNREADABLE_TYPE, 'an unreadable type is named so');
  t.match(showEvent(Uint8Array.from([0xc1, 0x00])), { origin: '?', seq: 0, type: UNREADABLE_TYPE, unshowable: /./ }, 'bytes with no header at all are still shown');
});

/** A store holding three events of workflow `flow`, the middle one refused by the decoder; `inMemory` of them also in the recent log. */
async function logWithBadMiddle(t: Test, inMemory: number): Promise<LogQueries> {
  const store = await Store.open(t.testdir(), 'n1', { sync: false });
  t.teardown(() => store.close());
  const bytes = [validEvent(1), refused['a msgpackr BigInt extension'], validEvent(3)];
  const events: StoredEvent[] = bytes.map((b, i) => ({ pos: i + 1, origin: 'n1', seq: i + 1, correlationId: 'flow', bytes: b }));
  await store.commit({ events, vcBefore: {}, vc: { n1: 3 }, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map() });
  const recent = new RecentLog(inMemory);
  recent.reset(4 - inMemory);
  recent.append(events.slice(3 - inMemory));
  return new LogQueries({ store, recent, clock: new SimulatedClock(), pageBytes: 1 << 20, heldBack: () => [], outboxes: () => [] });
}

t.test('a /log page and a /trace covering an unshowable stored event answer, showing it as such', async (t) => {
  for (const [where, inMemory] of [['from disk', 0], ['from memory', 3]] as const) {
    await t.test(where, async (t) => {
      const queries = await logWithBadMiddle(t, inMemory);
      const page = await queries.read(1, 10);
      t.same(page.map((e) => e.pos), [1, 2, 3], 'the page holds all three events');
      t.same(page.map((e) => e.unshowable === undefined), [true, false, true], 'only the middle one is marked unshowable');
      const fed = page.map((e) => feedEvent({ transitionsAt: () => [] }, e, e.pos));
      t.same(fed.map((e) => e.unshowable === undefined), [true, false, true], "the inspector's feed marks it too");
      const trace = await queries.trace('flow');
      t.same(trace.events.map((e) => e.seq), [1, 2, 3], 'the trace lists all three');
      t.same((await queries.trace('n1:2')).events.map((e) => e.seq), [2], "the trace named by the unshowable event's own id shows it");
    });
  }
});
