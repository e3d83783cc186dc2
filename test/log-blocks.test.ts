/** Pins the outboxes' shared disk reads: blocks read once for every peer, with their events' types, and read ahead. */
import t from 'tap';
import { encodeEvent, eventHeaderAndType } from '../protocol/event-codec.js';
import { LogBlocks } from '../runtime/log-blocks.js';
import type { OutgoingEvent } from '../runtime/outbox.js';
import { goldenEvent } from './helpers/codec-fixtures.js';

/** A log of `size` events at positions 1…size, alternating two types, the newest from `tail` on held in memory; counts reads. */
function disk(size: number) {
  const log: OutgoingEvent[] = Array.from({ length: size }, (_, i) => ({
    pos: i + 1,
    origin: 'n1',
    seq: i + 1,
    bytes: encodeEvent({ ...goldenEvent, seq: i + 1, vc: { n1: i + 1, n2: 2, 'n3~abc': 7 }, type: i % 2 === 0 ? 'reading' : 'alert.d01' }),
  }));
  const state = {
    log,
    reads: [] as number[],
    tail: size + 1,
    fail: false,
    readStored: async (from: number, limit: number, maxBytes = Infinity): Promise<OutgoingEvent[]> => {
      if (state.fail) throw new Error('disk');
      state.reads.push(from);
      const out: OutgoingEvent[] = [];
      let bytes = 0;
      for (let pos = from; pos < Math.min(from + limit, state.tail) && bytes <= maxBytes; pos++) {
        out.push(log[pos - 1]);
        bytes += log[pos - 1].bytes.length;
      }
      return out;
    },
  };
  return state;
}

type Disk = ReturnType<typeof disk>;

const blocksOn = (d: Disk, maxBytes = 1 << 20, blockBytes = 1 << 20): LogBlocks =>
  new LogBlocks({ readStored: d.readStored, tailStart: () => d.tail, blockEvents: 10, blockBytes, maxBytes });

/** Lets a read started ahead finish. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

t.test('peers reading the same positions read the disk once, and each event carries its type', async (t) => {
  const d = disk(25);
  const blocks = blocksOn(d);
  const [a, b] = await Promise.all([blocks.read(1, 10), blocks.read(1, 10)]);
  const c = await blocks.read(4, 3);
  t.same(a.map((e) => e.pos), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.same(b.map((e) => e.pos), a.map((e) => e.pos));
  t.same(c.map((e) => e.pos), [4, 5, 6], 'a read from the middle of a block');
  t.same(a.map((e) => e.type), a.map((e) => eventHeaderAndType(e.bytes).type));
  await settle();
  t.same(d.reads, [1, 11], 'one read of 1–10, and the next block read ahead');
  t.same((await blocks.read(11, 10)).map((e) => e.pos), [11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 'found ready');
  await settle();
  t.same((await blocks.read(21, 10)).map((e) => e.pos), [21, 22, 23, 24, 25]);
  t.same(d.reads, [1, 11, 21, 21], 'the last block, cut short by the end of the log, is not kept');
});

t.test('nothing is read ahead from the in-memory tail on', async (t) => {
  const d = disk(30);
  d.tail = 11;
  const blocks = blocksOn(d);
  t.equal((await blocks.read(1, 10)).length, 10);
  await settle();
  t.same(d.reads, [1]);
});

t.test('a block cut short by the in-memory tail is read again once the tail moved on', async (t) => {
  const d = disk(30);
  d.tail = 16;
  const blocks = blocksOn(d);
  t.same((await blocks.read(11, 10)).map((e) => e.pos), [11, 12, 13, 14, 15]);
  d.tail = 31;
  t.same((await blocks.read(11, 10)).map((e) => e.pos), [11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 'positions that came off the tail since are there');
  t.same(d.reads.slice(0, 2), [11, 11]);
});

t.test('a block ends at its byte bound, and the next starts after it', async (t) => {
  const d = disk(40);
  const blocks = blocksOn(d, 1 << 20, 0);
  t.same((await blocks.read(1, 10)).map((e) => e.pos), [1], 'stopped once past the bound');
  await settle();
  t.same(d.reads, [1, 2], 'and the next read ahead');
  t.same((await blocks.read(2, 10)).map((e) => e.pos), [2]);
  t.same(d.reads, [1, 2, 3]);
});

t.test('the oldest blocks are let go beyond the byte budget, the newest kept', async (t) => {
  const d = disk(40);
  const blockBytes = Math.max(...[1, 11, 21].map((from) => d.log.slice(from - 1, from + 9).reduce((n, e) => n + e.bytes.length, 0)));
  const blocks = blocksOn(d, 2 * blockBytes);
  await blocks.read(1, 10);
  await settle();
  await blocks.read(11, 10);
  await settle();
  t.same(d.reads, [1, 11, 21], 'one block read ahead at a time');
  await blocks.read(11, 10);
  t.same(d.reads, [1, 11, 21], 'the two newest blocks stay');
  await blocks.read(1, 10);
  t.equal(d.reads.filter((from) => from === 1).length, 2, 'the oldest was let go');
  const tiny = blocksOn(disk(10), 0);
  t.equal((await tiny.read(1, 10)).length, 10, 'one block is kept whatever the budget');
});

t.test('a failed read is not kept: the next read tries the disk again', async (t) => {
  const d = disk(10);
  const blocks = blocksOn(d);
  d.fail = true;
  await t.rejects(blocks.read(1, 10), /disk/);
  d.fail = false;
  t.equal((await blocks.read(1, 10)).length, 10);
});
