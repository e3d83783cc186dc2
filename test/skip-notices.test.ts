import t from 'tap';
import type { Frame } from '../protocol/frame.js';
import type { PeerLink } from '../runtime/peer-state.js';
import { StreamSegment } from '../runtime/skip-notices.js';

function segment(frames: Frame[]): StreamSegment {
  const link: PeerLink = { peer: 'd1', origin: 'd1~x', bufferedAmount: 0, send: (f) => frames.push(f), close() {}, pause() {}, resume() {} };
  return new StreamSegment(link);
}

t.test('the last skip run is extended only by the next seq of its origin, with nothing added between', async (t) => {
  const frames: Frame[] = [];
  const out = segment(frames);
  t.notOk(out.extendLastSkip('a', 1), 'nothing to extend yet');
  out.skip('a', 1);
  t.ok(out.extendLastSkip('a', 2));
  t.notOk(out.extendLastSkip('a', 4), 'not the next seq');
  t.notOk(out.extendLastSkip('b', 3), 'not the same origin');
  out.skip('b', 7);
  t.notOk(out.extendLastSkip('a', 3), "another origin's skip came between");
  out.skip('a', 3);
  t.ok(out.extendLastSkip('a', 4), 'the run of a skip that extended one is extended too');
  out.event('c', new Uint8Array([1]));
  t.notOk(out.extendLastSkip('a', 5), 'an event came between');
  out.flush();
  t.same(frames[0], { type: 'skip', ranges: [{ origin: 'a', from: 1, to: 4 }, { origin: 'b', from: 7, to: 7 }] });
  t.notOk(out.extendLastSkip('a', 5), 'a sent run is not extended');
});
