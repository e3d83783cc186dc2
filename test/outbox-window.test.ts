/** Pins the outboxes' window towards a partial peer: a run of skipped seqs takes one place in it, an event one. */
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import fc from 'fast-check';
import type { Frame } from '../protocol/frame.js';
import { encodeEvent } from '../protocol/event-codec.js';
import { AckSchedule } from '../runtime/ack-schedule.js';
import { systemClock } from '../runtime/clock.js';
import { Outboxes } from '../runtime/outbox.js';
import { inflight, newPeer, peerInterest, type Peer, type PeerLink } from '../runtime/peer-state.js';
import { RecentLog } from '../runtime/recent-log.js';
import type { Store, StoredEvent } from '../runtime/store.js';
import { goldenEvent } from './helpers/codec-fixtures.js';

const WINDOW = 4;

/** A gateway's log: `perOrigin` readings of each of `origins`, interleaved, then one alert for the peer `d1`. */
function gatewayLog(origins: readonly string[], perOrigin: number): RecentLog {
  const recent = new RecentLog(10_000);
  const events: StoredEvent[] = [];
  for (let seq = 1; seq <= perOrigin; seq++) {
    for (const origin of origins) {
      const e = { ...goldenEvent, origin, seq, vc: { [origin]: seq }, type: 'reading' };
      events.push({ pos: events.length + 1, origin, seq, correlationId: `${origin}:${seq}`, bytes: encodeEvent(e) });
    }
  }
  const alert = { ...goldenEvent, origin: 'gw', seq: 1, vc: { gw: 1 }, type: 'alert.d1' };
  events.push({ pos: events.length + 1, origin: 'gw', seq: 1, correlationId: 'gw:1', bytes: encodeEvent(alert) });
  recent.end = 1;
  recent.append(events);
  return recent;
}

function partialPeer(frames: Frame[]): Peer {
  const link: PeerLink = { peer: 'd1', origin: 'd1~x', interest: ['alert.d1'], bufferedAmount: 0, send: (f) => frames.push(f), close() {}, pause() {}, resume() {} };
  const peer = newPeer('d1', {});
  peer.link = link;
  peer.interest = peerInterest(link.interest);
  return peer;
}

function outboxes(recent: RecentLog): Outboxes {
  return new Outboxes({
    origin: 'gw~y', store: {} as Store, recent, clock: systemClock, committed: () => ({}),
    readStored: async () => [], window: WINDOW, frameEvents: 512, frameBytes: 1 << 20, partial: false,
  });
}

t.test('skips far beyond the window in seqs go out without waiting on an ack, a run taking one place', async (t) => {
  const frames: Frame[] = [];
  const peer = partialPeer(frames);
  await outboxes(gatewayLog(['d2', 'd3'], 100)).push(peer);
  const skipped = frames.flatMap((f) => (f.type === 'skip' ? f.ranges : []));
  t.same(skipped, [{ origin: 'd2', from: 1, to: 100 }, { origin: 'd3', from: 1, to: 100 }], '200 seqs in two runs, all sent');
  t.same(frames.filter((f) => f.type === 'events').map((f) => (f.type === 'events' ? f.events.length : 0)), [1], 'and the alert after them');
  t.equal(inflight(peer), 3, 'two runs and one event in flight');
  t.same(peer.sent, { d2: 100, d3: 100, gw: 1 });
});

t.test('the window still bounds skip runs, and an ack of them reopens it', async (t) => {
  const frames: Frame[] = [];
  const peer = partialPeer(frames);
  // One event of each of 6 origins per seq: each chunk of the walk opens a run per origin.
  const origins = ['d2', 'd3', 'd4', 'd5', 'd6', 'd7'];
  const box = outboxes(gatewayLog(origins, 3));
  await box.push(peer);
  const sentRuns = (): number => frames.reduce((n, f) => n + (f.type === 'skip' ? f.ranges.length : 0), 0);
  t.equal(sentRuns(), WINDOW, 'no more runs than the window holds');
  t.equal(inflight(peer), WINDOW);
  const acks = new AckSchedule({ peers: new Map([['d1', peer]]), clock: systemClock, committed: () => ({}), ackDelayMs: 25 });
  acks.acknowledged(peer, { ...peer.sent });
  t.equal(inflight(peer), 0, 'acknowledged runs leave the window');
  t.same(peer.skipping, [], 'and are forgotten');
  await box.push(peer);
  t.ok(sentRuns() > WINDOW, 'sending goes on after the ack');
});

/** A log of `events` (origin and type each, seqs counted per origin), with their types kept in memory or not. */
function logOf(events: readonly { origin: string; type: string }[], typed: boolean): RecentLog {
  const recent = new RecentLog(10_000);
  const seqs = new Map<string, number>();
  const stored = events.map(({ origin, type }, i): StoredEvent => {
    const seq = (seqs.get(origin) ?? 0) + 1;
    seqs.set(origin, seq);
    const bytes = encodeEvent({ ...goldenEvent, origin, seq, vc: { [origin]: seq }, type });
    return { pos: i + 1, origin, seq, correlationId: `${origin}:${seq}`, bytes, ...(typed ? { type } : {}) };
  });
  recent.end = 1;
  recent.append(stored);
  return recent;
}

t.test('a run of one origin and type skipped in a row goes out exactly as the whole check per event sends it', async (t) => {
  const event = fc.record({ origin: fc.constantFrom('d1~old', 'd2', 'd3', 'gw'), type: fc.constantFrom('reading', 'alert.d1', 'alert.d2') });
  await fc.assert(
    fc.asyncProperty(fc.array(event, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), async (events, window) => {
      const sent = async (typed: boolean): Promise<unknown> => {
        const frames: Frame[] = [];
        const peer = partialPeer(frames);
        const box = new Outboxes({
          origin: 'gw~y', store: {} as Store, recent: logOf(events, typed), clock: systemClock, committed: () => ({}),
          readStored: async () => [], window, frameEvents: 7, frameBytes: 1 << 20, partial: false,
        });
        await box.push(peer);
        return { frames, sent: peer.sent, skipping: peer.skipping, cursor: peer.cursor };
      };
      // Without their types in memory, every event takes the whole check.
      return isDeepStrictEqual(await sent(true), await sent(false));
    }),
  );
  t.pass('every run sent the same frames both ways');
});
