/**
 * Each byte bound holds with big events (1 MiB of data each) and drops nothing: the
 * causal buffer refuses what would overflow it (left unacknowledged, to be sent again),
 * the in-memory log tail lets old events go to be read from disk, links are paused past
 * what the intake may hold decoded, and `/log` and `/trace` answers stop at their budget
 * with a way to go on.
 */
import t, { type Test } from 'tap';
import { SimulatedClock } from 'xstate';
import { encodeEvent } from '../protocol/event-codec.js';
import type { VectorClock } from '../protocol/envelope.js';
import { CausalBuffer } from '../runtime/causal-buffer.js';
import { Intake } from '../runtime/intake.js';
import { LinkBackpressure } from '../runtime/link-backpressure.js';
import { LogQueries } from '../runtime/log-queries.js';
import type { PeerLink } from '../runtime/peer-state.js';
import { RecentLog } from '../runtime/recent-log.js';
import { Store, type StoredEvent } from '../runtime/store.js';

const MIB = 1024 * 1024;
/** 1 MiB of data, less room for the envelope (an encoded event may be 1 MiB at most). */
const BIG = 'x'.repeat(MIB - 256);

/** Event `seq` of n1, with 1 MiB of data, in workflow `wf`. */
function bigEvent(seq: number, vc: VectorClock = { n1: seq }): StoredEvent {
  const bytes = encodeEvent({ origin: 'n1', seq, schema: 1, vc, type: 'Big', correlationId: 'wf', causationId: null, ts: seq, data: BIG });
  return { pos: seq, origin: 'n1', seq, correlationId: 'wf', bytes };
}

interface Held {
  readonly origin: string;
  readonly seq: number;
  readonly vc: VectorClock;
  readonly bytes: Uint8Array;
}

/** Event `seq` of `origin` that also depends on n0's first event (never delivered here), weighing 1 MiB. */
function waiting(origin: string, seq: number): Held {
  return { origin, seq, vc: { n0: 1, [origin]: seq }, bytes: bigEvent(seq).bytes };
}

t.test('the causal buffer holds no more bytes than its bound, and what it refused is taken again once it drains', async (t) => {
  const buffer = new CausalBuffer<Held>(1000, { maxBytes: 3 * MIB + 1024, weigh: (e) => e.bytes.length });
  const delivered: VectorClock = {};
  const results = [1, 2, 3, 4, 5].map((seq) => buffer.add(waiting('n1', seq), delivered));
  t.same(results, ['buffered', 'buffered', 'buffered', 'overflow', 'overflow'], 'three 1 MiB events fit, the fourth does not');
  t.ok(buffer.bytes <= 3 * MIB + 1024, 'within the bound');
  t.equal(buffer.size, 3);

  const out: number[] = [];
  delivered.n0 = 1;
  buffer.drain(delivered, (e) => out.push(e.seq));
  t.same(out, [1, 2, 3]);
  t.equal(buffer.bytes, 0, 'delivering lets their bytes go');
  t.same([4, 5].map((seq) => buffer.add(waiting('n1', seq), delivered)), ['buffered', 'buffered'], 'the refused events are taken when sent again');
  buffer.drain(delivered, (e) => out.push(e.seq));
  t.same(out, [1, 2, 3, 4, 5], 'nothing was lost, and all in order');
});

t.test('a full causal buffer still takes an event deliverable now', async (t) => {
  const buffer = new CausalBuffer<Held>(1000, { maxBytes: MIB, weigh: (e) => e.bytes.length });
  const delivered: VectorClock = {};
  t.equal(buffer.add(waiting('n1', 1), delivered), 'buffered');
  const now = { origin: 'n2', seq: 1, vc: { n2: 1 }, bytes: bigEvent(1).bytes };
  t.equal(buffer.add(now, delivered), 'buffered', 'it may be what the rest waits on');
});

t.test('the intake refuses events waiting for a dependency past its byte bound', async (t) => {
  const intake = new Intake<Held>(1000, (e) => e.bytes.length, 2 * MIB + 1024);
  const delivered: VectorClock = {};
  t.same([1, 2, 3].map((seq) => intake.add(waiting('n1', seq), delivered)), ['fresh', 'fresh', 'overflow']);
  t.equal(intake.roomy, false, 'peers are not asked again while it is over half full');
  t.ok(intake.blockedBytes <= 2 * MIB + 1024);
});

t.test('a link is paused once the events it brought wait decoded past the intake\'s bytes', async (t) => {
  const intake = new Intake<Held>(1000, (e) => e.bytes.length);
  const backpressure = new LinkBackpressure({ intake, maxEvents: 1000, maxBytes: 4 * MIB - 2048 });
  const calls: string[] = [];
  const link = { peer: 'n1', pause: () => calls.push('pause'), resume: () => calls.push('resume') } as unknown as PeerLink;
  const delivered: VectorClock = {};
  for (let seq = 1; seq <= 3; seq++) {
    intake.add({ origin: 'n1', seq, vc: { n1: seq }, bytes: bigEvent(seq).bytes }, delivered);
    backpressure.holdBackIfFull(link);
  }
  t.same(calls, [], 'three 1 MiB events are within the bound');
  intake.add({ origin: 'n1', seq: 4, vc: { n1: 4 }, bytes: bigEvent(4).bytes }, delivered);
  backpressure.holdBackIfFull(link);
  t.same(calls, ['pause'], 'the fourth fills it: the link is not read from');
  const out: number[] = [];
  intake.drain(delivered, (e) => out.push(e.seq));
  backpressure.resumeAll();
  t.same(calls, ['pause', 'resume'], 'read again once a batch took them');
  t.same(out, [1, 2, 3, 4]);
});

t.test('the in-memory tail keeps no more bytes than its bound; older events are read from disk', async (t) => {
  const recent = new RecentLog(10_000, 3 * MIB + 4096);
  for (let seq = 1; seq <= 10; seq++) recent.append([bigEvent(seq)]);
  t.ok(recent.bytes <= 3 * MIB + 4096, `holds ${recent.bytes} bytes`);
  t.equal(recent.start, 8, 'the newest three');
  t.equal(recent.slice(7, 1), undefined, 'older positions are not in memory');
  const one = new RecentLog(10_000, 1024);
  one.append([bigEvent(1), bigEvent(2)]);
  t.same(one.slice(2, 5)?.map((e) => e.pos), [2], 'always the newest one, even past the bound');
});

/** A store holding `n` 1 MiB events of workflow `wf`, with a tail of 2 MiB in memory. */
async function bigLog(t: Test, n: number, pageBytes: number) {
  const store = await Store.open(t.testdir(), 'n1', { sync: false });
  t.teardown(() => store.close());
  const events = Array.from({ length: n }, (_, i) => bigEvent(i + 1));
  await store.commit({ events, vcBefore: {}, vc: { n1: n }, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map() });
  const recent = new RecentLog(10_000, 2 * MIB + 4096);
  recent.reset(1);
  recent.append(events);
  return new LogQueries({ store, recent, clock: new SimulatedClock(), pageBytes, heldBack: () => [], outboxes: () => [] });
}

t.test('/log pages of big events stop at the page budget and page through all of them, from disk and memory', async (t) => {
  const queries = await bigLog(t, 7, 2 * MIB + 4096);
  const seen: number[] = [];
  for (let from = 1; from <= 7; ) {
    const page = await queries.read(from, 1000);
    t.ok(page.length >= 1 && page.length <= 2, `a page of ${page.length}`);
    seen.push(...page.map((e) => e.pos));
    from = page[page.length - 1].pos + 1;
  }
  t.same(seen, [1, 2, 3, 4, 5, 6, 7], 'every event, once, in order');
});

t.test('/trace of a workflow of big events stops at the budget and goes on from where it stopped', async (t) => {
  const queries = await bigLog(t, 5, 2 * MIB + 4096);
  const seen: number[] = [];
  let after = 0;
  for (let answers = 0; answers < 10; answers++) {
    const trace = await queries.trace('wf', 10_000, after);
    t.ok(trace.events.length <= 2, `an answer of ${trace.events.length} events`);
    seen.push(...trace.events.map((e) => e.pos));
    if (trace.next === undefined) break;
    after = trace.next;
  }
  t.same(seen, [1, 2, 3, 4, 5], 'every event of the workflow, once, in order');
});
